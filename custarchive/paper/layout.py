"""A printed page as a few kinds of blocks, rendered to PDF (reportlab) or to HTML with print CSS.

The card, the catalogue cover and the paper questionnaire are each a list of blocks; the two
renderers here are the only code that knows about pages. Chinese text needs no font the user
installs: the PDF embeds a TrueType CJK font when the system has one (or ``[paper] font`` in
settings.toml names one), and otherwise uses reportlab's built-in CID font STSong-Light, which
every PDF viewer on a Chinese system maps to its own Song face. reportlab is imported inside the
functions: it is not needed to start the program.
"""
from __future__ import annotations

import html
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from custarchive.config import load_settings
from custarchive.errors import ConfigError, UsageError

CID_FONT = "STSong-Light"
EMBEDDED_FONT = "CustarchiveCJK"
# TrueType CJK faces found on common systems (Debian/Ubuntu, Windows, macOS), first found is embedded
TRUETYPE_CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "C:/Windows/Fonts/simsun.ttc",
    "C:/Windows/Fonts/msyh.ttc",
    "/Library/Fonts/Arial Unicode.ttf",
)


@dataclass
class Block:
    kind: str  # title, subtitle, text, fields, table, gap, pagebreak
    text: str = ""
    rows: list[list[Any]] = field(default_factory=list)
    headers: list[str] = field(default_factory=list)
    widths: list[float] = field(default_factory=list)  # shares of the page width


def title(text: str) -> Block:
    return Block("title", text)


def subtitle(text: str) -> Block:
    return Block("subtitle", text)


def text(value: str) -> Block:
    return Block("text", value)


def fields(pairs: list[tuple[str, Any]], columns: int = 2) -> Block:
    """Label/value pairs laid out ``columns`` pairs to a line, as on a paper card."""
    rows, line = [], []
    for label, value in pairs:
        line += [label, "" if value is None else str(value)]
        if len(line) == 2 * columns:
            rows.append(line)
            line = []
    if line:
        rows.append(line + [""] * (2 * columns - len(line)))
    share = 1 / columns
    return Block("fields", rows=rows, widths=[share * 0.35, share * 0.65] * columns)


def table(headers: list[str], rows: list[list[Any]], widths: list[float]) -> Block:
    return Block("table", rows=[["" if v is None else str(v) for v in row] for row in rows], headers=headers,
                 widths=widths)


def pagebreak() -> Block:
    return Block("pagebreak")


def write(blocks: list[Block], path: str, doc_title: str, footer: str = "") -> None:
    suffix = Path(path).suffix.lower()
    if suffix == ".pdf":
        _pdf(blocks, path, doc_title, footer)
    elif suffix in (".html", ".htm"):
        Path(path).write_text(_html(blocks, doc_title, footer), encoding="utf-8")
    else:
        raise UsageError("-o must end in .pdf or .html")


def font() -> str:
    """The font the PDF uses: an embedded TrueType CJK face if one is configured or found, else the CID font."""
    setting = load_settings().get("paper", {}).get("font", "auto")
    if setting == "cid":
        return _cid()
    if setting != "auto":
        if not Path(setting).is_file():
            raise ConfigError(f"settings.toml [paper] font: no such file {setting!r} (or use \"auto\" or \"cid\")")
        return _embed(setting)
    for candidate in TRUETYPE_CANDIDATES:
        if Path(candidate).is_file():
            return _embed(candidate)
    return _cid()


def _cid() -> str:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    if CID_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(CID_FONT))
    return CID_FONT


def _embed(path: str) -> str:
    import hashlib

    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFError, TTFont

    name = f"{EMBEDDED_FONT}-{hashlib.sha256(path.encode()).hexdigest()[:8]}"
    if name not in pdfmetrics.getRegisteredFontNames():
        try:
            pdfmetrics.registerFont(TTFont(name, path, subfontIndex=0))
        except TTFError as exc:
            raise ConfigError(f"font {path}: {exc}") from None
    return name


def _pdf(blocks: list[Block], path: str, doc_title: str, footer: str) -> None:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    name = font()
    base = ParagraphStyle("base", fontName=name, fontSize=10, leading=14, wordWrap="CJK")
    styles = {
        "title": ParagraphStyle("title", parent=base, fontSize=18, leading=24, alignment=1, spaceAfter=6),
        "subtitle": ParagraphStyle("subtitle", parent=base, fontSize=12, leading=17, spaceBefore=8, spaceAfter=4),
        "text": ParagraphStyle("text", parent=base, spaceAfter=4),
        "cell": base,
        "head": ParagraphStyle("head", parent=base, textColor=colors.black),
    }
    doc = SimpleDocTemplate(path, pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm, topMargin=16 * mm,
                            bottomMargin=18 * mm, title=doc_title, author="custarchive")
    width = doc.width

    def para(value: str, style: str = "cell"):
        return Paragraph(html.escape(value).replace("\n", "<br/>"), styles[style])

    story: list = []
    for block in blocks:
        if block.kind in ("title", "subtitle", "text"):
            story.append(para(block.text, block.kind))
        elif block.kind == "pagebreak":
            story.append(PageBreak())
        elif block.kind == "gap":
            story.append(Spacer(1, 6 * mm))
        else:
            rows = [[para(str(cell)) for cell in row] for row in block.rows]
            style = [("GRID", (0, 0), (-1, -1), 0.5, colors.black), ("VALIGN", (0, 0), (-1, -1), "TOP"),
                     ("FONTNAME", (0, 0), (-1, -1), name)]
            if block.kind == "fields":
                style += [("BACKGROUND", (i, 0), (i, -1), colors.HexColor("#EEEEEE")) for i in range(0, len(block.widths), 2)]
            if block.headers:
                rows.insert(0, [para(h, "head") for h in block.headers])
                style.append(("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#DDDDDD")))
            if rows:
                story.append(Table(rows, colWidths=[w * width for w in block.widths], style=TableStyle(style),
                                   repeatRows=1 if block.headers else 0, hAlign="LEFT"))

    def decorate(canvas, doc_) -> None:
        canvas.saveState()
        canvas.setFont(name, 8)
        canvas.drawString(doc.leftMargin, 10 * mm, footer)
        canvas.drawRightString(A4[0] - doc.rightMargin, 10 * mm, f"{doc_.page}")
        canvas.restoreState()

    doc.build(story, onFirstPage=decorate, onLaterPages=decorate)


_CSS = """@page { size: A4; margin: 16mm 18mm 18mm 18mm; }
body { font-family: "SimSun", "Songti SC", "Noto Serif CJK SC", "WenQuanYi Micro Hei", serif; font-size: 10.5pt; }
h1 { text-align: center; font-size: 18pt; margin: 0 0 6pt; } h2 { font-size: 12pt; margin: 10pt 0 4pt; }
table { width: 100%; border-collapse: collapse; page-break-inside: auto; margin-bottom: 6pt; }
tr { page-break-inside: avoid; } th, td { border: 0.5pt solid #000; padding: 2pt 4pt; vertical-align: top; text-align: left; }
th, td.label { background: #eee; } .break { page-break-after: always; } footer { font-size: 8pt; margin-top: 8pt; }
@media print { footer { position: fixed; bottom: 0; } }"""


def _html(blocks: list[Block], doc_title: str, footer: str) -> str:
    out = ['<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8">',
           f"<title>{html.escape(doc_title)}</title><style>{_CSS}</style></head><body>"]
    for block in blocks:
        if block.kind == "title":
            out.append(f"<h1>{html.escape(block.text)}</h1>")
        elif block.kind == "subtitle":
            out.append(f"<h2>{html.escape(block.text)}</h2>")
        elif block.kind == "text":
            out.append(f"<p>{html.escape(block.text)}</p>")
        elif block.kind == "pagebreak":
            out.append('<div class="break"></div>')
        elif block.kind in ("fields", "table"):
            cols = "".join(f'<col style="width:{w * 100:.1f}%">' for w in block.widths)
            out.append(f"<table><colgroup>{cols}</colgroup>")
            if block.headers:
                out.append("<thead><tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in block.headers) + "</tr></thead>")
            for row in block.rows:
                cells = []
                for i, cell in enumerate(row):
                    label = ' class="label"' if block.kind == "fields" and i % 2 == 0 else ""
                    cells.append(f"<td{label}>{html.escape(str(cell))}</td>")
                out.append("<tr>" + "".join(cells) + "</tr>")
            out.append("</table>")
    out.append(f"<footer>{html.escape(footer)}</footer></body></html>\n")
    return "".join(out)

"""Worksheets as files: XLSX (one sheet per part, matrices as cell grids) and Markdown for reports.

Both writers take the same neutral document — parts made of titled tables —
built here from the JSON documents that ``show`` prints, so the file and the
screen never disagree.
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from custarchive.errors import UsageError, ValidationError

FORMATS = {".xlsx": "xlsx", ".md": "md", ".markdown": "md"}


def choose_format(output: str | None, given: str | None) -> str:
    if given:
        if given not in ("xlsx", "md"):
            raise UsageError("--format must be xlsx or md")
        fmt = given
    elif output:
        fmt = FORMATS.get(Path(output).suffix.lower())
        if fmt is None:
            raise UsageError(f"cannot tell the format of {output!r}: name it .xlsx or .md, or give --format")
    else:
        fmt = "md"
    if fmt == "xlsx" and not output:
        raise UsageError("XLSX needs -o FILE.xlsx")
    return fmt


def _block(title: str | None, headers: list[str], rows: list[list[Any]], grid: bool = False) -> dict:
    return {"title": title, "headers": headers, "rows": rows, "grid": grid}


def _t(lang: str, zh: str, en: str) -> str:
    return zh if lang == "zh" else en


def _item_line(item: dict, lang: str) -> str:
    rating = "" if item.get("impact") is None else f" [{item['impact']}/{item.get('probability') or '-'}]"
    line = f"{item['id']}{rating} {item['text']}"
    if item.get("implication"):
        line += "\n  " + _t(lang, "这意味着:", "Meaning: ") + item["implication"]
    return line


def _swot_blocks(sheet: dict, lang: str) -> list[dict]:
    items = {item["id"]: item for item in sheet["items"]}
    quads = {q["quadrant"]: q for q in sheet["quadrants"]}

    def cell(code: str) -> str:
        return "\n".join(_item_line(items[i], lang) for i in quads[code]["items"]) or "—"

    return [_block(_t(lang, "内部", "Internal"), [quads["S"]["label"], quads["W"]["label"]], [[cell("S"), cell("W")]], True),
            _block(_t(lang, "外部", "External"), [quads["O"]["label"], quads["T"]["label"]], [[cell("O"), cell("T")]], True)]


def _items_block(sheet: dict, lang: str) -> dict:
    headers = ["ID", _t(lang, "类别", "Quadrant"), _t(lang, "内容", "Text"), _t(lang, "强度", "Impact"),
               _t(lang, "概率", "Probability"), _t(lang, "区域", "Zone"), _t(lang, "建议", "Advice"),
               _t(lang, "这意味着", "Implication"), _t(lang, "行动", "Action"), _t(lang, "日期", "Date")]
    rows = [[i["id"], i["quadrant"], i["text"], i["impact"], i["probability"], i.get("zone_label"), i.get("advice"),
             i["implication"], i["action"], i["date"]] for i in sheet["items"]]
    return _block(None, headers, rows)


def _matrix_block(matrix: dict, sheet: dict, lang: str) -> dict:
    items = {item["id"]: item for item in sheet["items"]}
    imp, prob = sheet["thresholds"]["impact"], sheet["thresholds"]["probability"]
    cells = {(c["strong"], c["likely"]): c for c in matrix["cells"]}

    def cell(strong: bool, likely: bool) -> str:
        c = cells[(strong, likely)]
        return "\n".join([c["label"], c["advice"], *[_item_line(items[i], lang).split("\n")[0] for i in c["items"]]])

    headers = [f"{matrix['impact_axis']} \\ {matrix['probability_axis']}",
               _t(lang, f"低 (<{prob})", f"low (<{prob})"), _t(lang, f"高 (≥{prob})", f"high (≥{prob})")]
    rows = [[_t(lang, f"强 (≥{imp})", f"strong (≥{imp})"), cell(True, False), cell(True, True)],
            [_t(lang, f"弱 (<{imp})", f"weak (<{imp})"), cell(False, False), cell(False, True)]]
    return _block(None, headers, rows, True)


def _tows_block(sheet: dict, lang: str) -> dict:
    rows = [[entry["label"], " + ".join(p["pair"]), p["prompt"], p["context"], ""]
            for entry in sheet["tows"] for p in entry["pairs"]]
    return _block(None, [_t(lang, "策略类型", "Strategy"), _t(lang, "配对", "Pair"), _t(lang, "提示", "Prompt"),
                         _t(lang, "条目", "Items"), _t(lang, "我们的策略(待填写)", "Our strategy (to fill)")], rows)


def _indices_block(compete: dict, lang: str, title: str | None = None) -> dict:
    return _block(title, [_t(lang, "指标", "Index"), *compete["subjects"]],
                  [[row["label"], *[row["values"][s] for s in compete["subjects"]]] for row in compete["indices"]])


def _compete_blocks(compete: dict, lang: str) -> list[dict]:
    levels = {lv["level"]: lv["label"] for lv in compete["knowledge_levels"]}
    competitors = _block(_t(lang, "竞争对手与了解层次", "Competitors and how well we know them"),
                         [_t(lang, "竞争对手", "Competitor"), _t(lang, "层次", "Level"), _t(lang, "目标", "Meaning"),
                          _t(lang, "备注", "Note")],
                         [[c["name"], c["level"], levels.get(c["level"]), c["note"]] for c in compete["competitors"]])
    advantages = _block(_t(lang, "竞争优势劣势分析", "Competitive advantages"),
                        ["ID", _t(lang, "方面", "Dimension"), _t(lang, "对比", "Standing"),
                         _t(lang, "持续性", "Durability"), _t(lang, "对手", "Versus"), _t(lang, "备注", "Note")],
                        [[a["id"], a["dimension"], a["standing_label"], a["durability_label"],
                          a["versus"] or _t(lang, "全部", "all"), a["note"]] for a in compete["advantages"]])
    names = {a["id"]: a["dimension"] for a in compete["advantages"]}
    cells = {c["cell"]: c for c in compete["evolution"]}

    def cell(key: str) -> str:
        return "\n".join([cells[key]["label"], *[f"{i} {names[i]}" for i in cells[key]["items"]]])

    evolution = _block(_t(lang, "竞争优势的维持与演变", "How advantages hold up"),
                       ["", _t(lang, "相对可变因素", "Changeable"), _t(lang, "相对不变因素", "Hard to change")],
                       [[_t(lang, "优势", "Advantage"), cell("better_temporary"), cell("better_durable")],
                        [_t(lang, "弱势", "Weakness"), cell("worse_temporary"), cell("worse_durable")]], True)
    return [_indices_block(compete, lang, _t(lang, "业绩指数", "Performance indices")), competitors, advantages, evolution]


def swot_document(sheet: dict, compete: dict, lang: str) -> dict:
    matrices = {m["quadrant"]: m for m in sheet["matrices"]}
    return {"title": f"SWOT — {sheet['archive_no']} {sheet['name']}", "parts": [
        {"name": "SWOT", "blocks": _swot_blocks(sheet, lang)},
        {"name": _t(lang, "条目", "Items"), "blocks": [_items_block(sheet, lang)]},
        {"name": matrices["O"]["title"], "blocks": [_matrix_block(matrices["O"], sheet, lang)]},
        {"name": matrices["T"]["title"], "blocks": [_matrix_block(matrices["T"], sheet, lang)]},
        {"name": "TOWS", "blocks": [_tows_block(sheet, lang)]},
        {"name": _t(lang, "竞争优势", "Competition"), "blocks": _compete_blocks(compete, lang)},
    ]}


def profile_document(profile: dict, compete: dict, sheet: dict, lang: str) -> dict:
    """The whole key-customer analysis in the seed's order: 1.1 … 1.5, with indices and SWOT joined in."""
    field_rows = []
    for section in profile["sections"]:
        for field in section["fields"]:
            value = field["value"]
            field_rows.append([section["label"], field["label"], value])
    return {"title": _t(lang, f"大客户分析 — {profile['archive_no']} {profile['name']}",
                        f"Key-customer analysis — {profile['archive_no']} {profile['name']}"), "parts": [
        {"name": _t(lang, "大客户分析", "Profile"),
         "blocks": [_block(None, [_t(lang, "部分", "Section"), _t(lang, "项目", "Field"), _t(lang, "内容", "Content")],
                           field_rows)]},
        {"name": _t(lang, "1.1.5 业绩指数", "1.1.5 Indices"), "blocks": [_indices_block(compete, lang)]},
        {"name": _t(lang, "1.3 SWOT", "1.3 SWOT"), "blocks": _swot_blocks(sheet, lang) + [_items_block(sheet, lang)]},
    ]}


def write(fmt: str, output: str | None, document: dict) -> None:
    if fmt == "xlsx":
        write_xlsx(output, document)
    else:
        text = to_markdown(document)
        if output:
            try:
                Path(output).write_text(text, encoding="utf-8")
            except OSError as exc:
                raise ValidationError("--output", output, f"cannot write: {exc.strerror}") from None
        else:
            sys.stdout.write(text)


def _md_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).replace("|", "\\|").replace("\n", "<br>")


def to_markdown(document: dict) -> str:
    lines = [f"# {document['title']}", ""]
    for part in document["parts"]:
        lines += [f"## {part['name']}", ""]
        for block in part["blocks"]:
            if block["title"]:
                lines += [f"### {block['title']}", ""]
            if not block["rows"]:
                lines += ["—", ""]
                continue
            lines.append("| " + " | ".join(_md_cell(h) or " " for h in block["headers"]) + " |")
            lines.append("|" + "|".join("---" for _ in block["headers"]) + "|")
            lines += ["| " + " | ".join(_md_cell(v) for v in row) + " |" for row in block["rows"]]
            lines.append("")
    return "\n".join(lines)


def _sheet_name(name: str, used: set[str]) -> str:
    clean = "".join("_" if ch in "[]:*?/\\" else ch for ch in name)[:31] or "Sheet"
    candidate, n = clean, 2
    while candidate.lower() in used:
        candidate = f"{clean[:28]}~{n}"
        n += 1
    used.add(candidate.lower())
    return candidate


def write_xlsx(output: str, document: dict) -> None:
    import xlsxwriter

    try:
        book = xlsxwriter.Workbook(output)
    except OSError as exc:
        raise ValidationError("--output", output, f"cannot write: {exc.strerror}") from None
    title = book.add_format({"bold": True, "font_size": 14})
    subtitle = book.add_format({"bold": True, "font_size": 12})
    header = book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True, "valign": "top"})
    plain = book.add_format({"border": 1, "text_wrap": True, "valign": "top"})
    grid_cell = book.add_format({"border": 2, "text_wrap": True, "valign": "top"})
    row_head = book.add_format({"bold": True, "border": 2, "bg_color": "#F2F2F2", "valign": "vcenter",
                                "text_wrap": True})
    used: set[str] = set()
    for part in document["parts"]:
        ws = book.add_worksheet(_sheet_name(part["name"], used))
        ws.write(0, 0, f"{document['title']} — {part['name']}", title)
        row, widths = 2, {}
        for block in part["blocks"]:
            if block["title"]:
                ws.write(row, 0, block["title"], subtitle)
                row += 1
            for col, head in enumerate(block["headers"]):
                ws.write(row, col, head, header)
                widths[col] = max(widths.get(col, 8), min(60, _width(head)))
            row += 1
            for values in block["rows"]:
                lines = 1
                for col, value in enumerate(values):
                    fmt = (row_head if col == 0 else grid_cell) if block["grid"] else plain
                    ws.write(row, col, "" if value is None else value, fmt)
                    text = "" if value is None else str(value)
                    lines = max(lines, text.count("\n") + 1)
                    widths[col] = max(widths.get(col, 8), min(60, max((_width(p) for p in text.split("\n")), default=0)))
                if block["grid"] or lines > 1:
                    ws.set_row(row, max(15, 15 * lines + (10 if block["grid"] else 0)))
                row += 1
            row += 1
        for col, width in widths.items():
            ws.set_column(col, col, width + 2)
    try:
        book.close()
    except Exception as exc:  # noqa: BLE001 - xlsxwriter wraps file errors in its own classes
        raise ValidationError("--output", output, f"cannot write: {exc}") from None


def _width(text: str) -> int:
    """Display width: CJK characters take two columns."""
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in str(text))

"""The printed customer card (客户资料卡) and the archive catalogue cover (《客户档案目录》).

The seed files every archive twice (双轨制): the papers in a numbered folder and the computer
record. These build the paper side from the record: the card laid out by its template's
sections with every field printed (an empty one is a line to fill in by hand), and the cover
listing the folder's documents by the five classes. Sensitive values are masked unless the
caller revealed them (and logged that it did).
"""
from __future__ import annotations

import datetime as _dt
from typing import Any

from sqlalchemy import text as sql

from custarchive.cards import lookup
from custarchive.core.masking import mask, sensitive_fields
from custarchive.core.templates import load_template
from custarchive.errors import NotFound
from custarchive.living import documents
from custarchive.paper import layout


def _category_label(conn, code: str, lang: str) -> str:
    row = conn.execute(sql("SELECT name_zh, name_en FROM categories WHERE code = :c"), {"c": code}).first()
    return f"{code} {row[0] if lang == 'zh' else row[1]}" if row else code


def _shown(spec, value: Any, lang: str) -> str:
    if value is None or value == "" or value == []:
        return ""
    values = value if isinstance(value, list) else [value]
    if spec is not None and spec.choices:
        labels = {c["value"]: (c.get("label_zh") if lang == "zh" else c.get("label_en")) or c["value"] for c in spec.choices}
        values = [labels.get(v, v) for v in values]
    if isinstance(value, float):
        return f"{value:,.2f}"
    return "、".join(str(v) for v in values)


def card_blocks(conn, card: dict, lang: str, reveal: bool = False) -> list[layout.Block]:
    zh = lang == "zh"
    template = load_template(card["template"])
    held = {**card, **(card.get("extra") or {})}
    secret = sensitive_fields(template)
    if not reveal:
        held = {k: (mask(k, v) if k in secret and v not in (None, "") else v) for k, v in held.items()}
    blocks = [layout.title(template.label(lang)),
              layout.fields([("档案编号" if zh else "Archive no.", card["archive_no"]),
                             ("客户类别" if zh else "Category", _category_label(conn, card["category"], lang)),
                             ("建档日期" if zh else "Opened", (card["created_at"] or "")[:10]),
                             ("更新日期" if zh else "Updated", (card["updated_at"] or "")[:10]),
                             ("状态" if zh else "Status", card["status"]),
                             ("信用等级" if zh else "Credit grade", card.get("grade") or "")])]
    for section in template.sections:
        pairs = [(spec.label(lang), _shown(spec, held.get(spec.name), lang)) for spec in section.fields]
        blocks += [layout.subtitle(section.label(lang)), layout.fields(pairs)]
    blocks.append(layout.text(("填表人:__________    审核人:__________    日期:__________" if zh else
                               "Filled in by: __________    Checked by: __________    Date: __________")))
    return blocks


def print_card(conn, card: dict, path: str, lang: str, reveal: bool = False) -> None:
    zh = lang == "zh"
    footer = (f"{card['archive_no']} · 打印于 {_dt.date.today().isoformat()}" + ("" if reveal else " · 敏感信息已遮蔽")
              if zh else f"{card['archive_no']} · printed {_dt.date.today().isoformat()}"
              + ("" if reveal else " · sensitive values masked"))
    layout.write(card_blocks(conn, card, lang, reveal), path, f"{card['archive_no']} {card['name']}", footer)


def catalogue_blocks(conn, card: dict, lang: str) -> list[layout.Block]:
    zh = lang == "zh"
    docs = documents.catalogue(conn, card)
    blocks = [layout.title("客户档案目录" if zh else "Archive catalogue"),
              layout.fields([("档案编号" if zh else "Archive no.", card["archive_no"]),
                             ("客户名称" if zh else "Customer", card["name"]),
                             ("客户类别" if zh else "Category", _category_label(conn, card["category"], lang)),
                             ("建档日期" if zh else "Opened", (card["created_at"] or "")[:10])])]
    rows = []
    for number, spec in documents.document_classes().items():
        group = [d for d in docs if d["doc_class"] == number]
        rows.append([f"{number} {spec.label(lang)}", "", f"{len(group)} 份" if zh else f"{len(group)} document(s)", "", ""])
        rows += [["", d["doc_no"].rsplit("/", 1)[-1], d["title"], d["doc_date"] or "", ""] for d in group]
    blocks.append(layout.table(["类别" if zh else "Class", "编号" if zh else "No.", "标题" if zh else "Title",
                                "日期" if zh else "Date", "页数" if zh else "Pages"], rows, [0.2, 0.1, 0.46, 0.14, 0.1]))
    return blocks


def print_catalogue(conn, cards: list[dict], path: str, lang: str) -> int:
    """One cover per archive, in archive-number order; returns how many."""
    if not cards:
        raise NotFound("no archive to print a catalogue for")
    cards = sorted(cards, key=lambda c: c["archive_no"])
    blocks: list[layout.Block] = []
    for n, card in enumerate(cards):
        if n:
            blocks.append(layout.pagebreak())
        blocks += catalogue_blocks(conn, card, lang)
    title = cards[0]["archive_no"] if len(cards) == 1 else f"{cards[0]['archive_no']} – {cards[-1]['archive_no']}"
    footer = ("客户档案目录 · 打印于 " if lang == "zh" else "Archive catalogue · printed ") + _dt.date.today().isoformat()
    layout.write(blocks, path, title, footer)
    return len(cards)


def drawer(conn, category: str) -> list[dict]:
    """Every active archive of a category (one drawer of the cabinet), in archive-number order."""
    return list(lookup.iter_cards(conn, {"category": category.upper(), "status": "active"}))

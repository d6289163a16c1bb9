"""Everything held about one customer, for the customer who asks for a copy (PIPL art. 45).

The card comes revealed (the copy is for the person it describes; the reveal is logged), with the
change log, consents, and the rows of every other per-archive table found by a ``customer_id``
column, so documents, timelines, transactions or worksheets added by other modules are included
without this module knowing them.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import text

from custarchive.core import authz

from custarchive.protection import consent

from custarchive.cards import lookup
from custarchive.core.changelog import Actor
from custarchive.protection.erasure import RECORD_TABLES, per_archive_tables, tombstone
from custarchive.errors import ValidationError

FORMATS = (".json", ".xlsx")


def collect(conn, actor: Actor, ref: str) -> dict[str, Any]:
    authz.require(conn, actor, "export")
    card = lookup.resolve(conn, ref)
    authz.record_reveal(conn, actor, [card], "subject-export")
    flat = {key: value for key, value in card.items() if key not in ("id", "extra")}
    flat.update(card["extra"])
    tables = {}
    for table in per_archive_tables(conn):
        if table in RECORD_TABLES:
            continue
        result = conn.execute(text(f"SELECT * FROM {table} WHERE customer_id = :c"), {"c": card["id"]})
        rows = [dict(row._mapping) for row in result]
        if rows:
            tables[table] = rows
    return {
        "archive": flat,
        "consents": consent.list_for(conn, card["id"]),
        "changes": lookup.history(conn, card["id"], reveal=True),
        "erasure": tombstone(conn, card["id"]),
        "other": tables,
    }


def write(data: dict, path: str) -> None:
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix not in FORMATS:
        raise ValidationError("-o", path, "the file must end in .json or .xlsx")
    try:
        if suffix == ".json":
            target.write_text(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n", encoding="utf-8")
        else:
            _write_xlsx(data, target)
    except OSError as exc:
        raise ValidationError("-o", path, f"cannot write: {exc.strerror}") from None


def _cell(value: Any) -> Any:
    if value is None or isinstance(value, (int, float, str)):
        return value
    return json.dumps(value, ensure_ascii=False, default=str)


def _write_xlsx(data: dict, target: Path) -> None:
    """One sheet per part: the card as field/value pairs, then each list as a table with a header row."""
    import xlsxwriter

    book = xlsxwriter.Workbook(str(target))
    bold = book.add_format({"bold": True})
    sheet = book.add_worksheet("archive")
    sheet.set_column(0, 0, 24)
    sheet.set_column(1, 1, 48)
    for row, (key, value) in enumerate(data["archive"].items()):
        sheet.write(row, 0, key, bold)
        sheet.write(row, 1, _cell(value))
    parts = {"consents": data["consents"], "changes": data["changes"]}
    if data["erasure"]:
        parts["erasure"] = [data["erasure"]]
    parts.update(data["other"])
    for name, rows in parts.items():
        sheet = book.add_worksheet(name[:31])
        headers = list(rows[0]) if rows else ["(none)"]
        sheet.write_row(0, 0, headers, bold)
        for index, item in enumerate(rows, 1):
            sheet.write_row(index, 0, [_cell(item.get(h)) for h in headers])
        sheet.set_column(0, len(headers) - 1, 18)
    book.close()

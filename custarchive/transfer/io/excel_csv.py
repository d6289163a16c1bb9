"""CSV for a double-click in Excel or WPS (``export --excel``).

A spreadsheet opening a CSV turns a long digit string into a number (``1.10105E+17``) and drops a
leading 0, and a file saved back keeps the damage. Here such cells are written as ``="…"``, which
both programs show as text and ``import`` reads back as the plain digits; everything else is
exactly what the default CSV writes.
"""
from __future__ import annotations

import csv
import io
import re
from typing import Any

from custarchive.transfer.io.writers import _open_out, csv_encoding, csv_value

_LONG_DIGITS = re.compile(r"\+?\d{11,}|0\d+")
_NOT_PROTECTED = ("amount", "integer", "date", "bool", "choice", "multi-choice")


def excel_positions(plan, specs: dict) -> list[int]:
    """The columns whose digit strings a spreadsheet would turn into numbers: everything but
    amounts, counts, dates and codes (which stay numbers a user can sum or sort)."""
    return [pos for pos, name in enumerate(plan.fields)
            if specs.get(name) is None or specs[name].type not in _NOT_PROTECTED]


def excel_cell(value: Any) -> Any:
    """``="110105199003071247"`` for a long digit string (11+ digits, or a leading 0): Excel and WPS
    show it as the text it is, not ``1.10105E+17``; import reads it back as the plain digits."""
    if value.__class__ is str and _LONG_DIGITS.fullmatch(value):
        return f'="{value}"'
    return value


def write_excel(rows, out, headers: list[str], encoding: str | None, positions: list[int]) -> int:
    """CSV for a double-click in Excel/WPS (``export --excel``): UTF-8 with BOM, long digit strings as
    ``="…"``; every other cell exactly as the default CSV writes it (``csv_value``)."""
    stream, opened, to_file = _open_out(out)
    name = csv_encoding(encoding, to_file)
    text_out = io.TextIOWrapper(stream, encoding=name, newline="", write_through=False)
    count = 0
    try:
        writer = csv.writer(text_out)
        writer.writerow(headers)
        protected = frozenset(positions)
        for values in rows:
            writer.writerow([excel_cell(value) if pos in protected and value.__class__ is str else csv_value(value)
                             for pos, value in enumerate(values)])
            count += 1
        text_out.flush()
    finally:
        text_out.detach()
        if opened:
            stream.close()
    return count

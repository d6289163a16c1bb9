"""CSV that survives a double-click in Excel, WPS or LibreOffice (the default of ``export -o FILE.csv``).

A spreadsheet opening a CSV turns a long digit string into a number (``1.10105E+17``), drops a leading
0 (``075588886666``, postcode ``010010``) and a leading ``+``, and a file saved back keeps the damage.
Here such cells of text-like columns are written as ``="…"``, which all three show as the text it is
and ``import`` reads back as the plain digits; every other cell is exactly what the plain CSV
(``--plain``, and CSV on stdout) writes. Text that is no number to a spreadsheet (``11010819900307124X``,
masked ``110108********018X``, ``0755-88886666``) is left as it is.

The byte writer (``export_csv``) marks a protected cell by putting it between ``OPEN`` and ``CLOSE``,
two bytes UTF-8 never holds, so the marked cell passes its checks for what needs quoting untouched;
``restore`` turns the marks into the quoting of ``="…"`` over a whole batch at once.
"""
from __future__ import annotations

import re

# 11+ digits (IDs, bank accounts, mobiles: shown as 1.1E+17 or rounded), a leading 0 (landlines,
# postcodes: the 0 dropped), a leading + (the + dropped).
_LONG_DIGITS = re.compile(r"\+\d+|\d{11,}|0\d+", re.ASCII)  # full-width digits are text to a spreadsheet
_LONG_DIGITS_BYTES = re.compile(rb"\+\d+|\d{11,}|0\d+")
_STARTS = frozenset(bytes((byte,)) for byte in b"+0123456789")  # a cell starting otherwise cannot match
_NOT_PROTECTED = ("amount", "integer", "date", "bool", "choice", "multi-choice")
_NEVER_DIGITS = ("status", "grade", "created_at", "updated_at")  # system columns: words, grades, timestamps
OPEN, CLOSE = b"\xfe", b"\xfd"


def excel_positions(plan, specs: dict) -> list[int]:
    """The columns whose digit strings a spreadsheet would turn into numbers: everything but
    amounts, counts, dates and codes (which stay numbers a user can sum or sort)."""
    return [pos for pos, name in enumerate(plan.fields) if name not in _NEVER_DIGITS
            and (specs.get(name) is None or specs[name].type not in _NOT_PROTECTED)]


def excel_text(text: str) -> str:
    """``="110105199003071247"`` for a cell's text a spreadsheet would damage; any other text as it is."""
    if text and text[0] in "+0123456789" and _LONG_DIGITS.fullmatch(text):
        return f'="{text}"'
    return text


def mark_cells(cells: list) -> list:
    """One protected column of a batch (UTF-8 bytes; anything else is left to the general path) with
    each cell a spreadsheet would damage between ``OPEN`` and ``CLOSE``. Only a cell starting with a
    digit or ``+`` meets the pattern."""
    starts, match = _STARTS, _LONG_DIGITS_BYTES.fullmatch
    return [OPEN + cell + CLOSE if cell.__class__ is bytes and cell[:1] in starts and match(cell) else cell
            for cell in cells]


def mark_cell(cell):
    """``mark_cells`` for one cell."""
    if cell.__class__ is bytes and cell[:1] in _STARTS and _LONG_DIGITS_BYTES.fullmatch(cell):
        return OPEN + cell + CLOSE
    return cell


def restore(data: bytes) -> bytes:
    """CSV bytes with each marked cell written as the csv module writes ``="…"`` (quoted, its quotes doubled)."""
    if OPEN not in data:
        return data
    return data.replace(OPEN, b'"=""').replace(CLOSE, b'"""')

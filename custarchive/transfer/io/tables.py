"""The one shape every input format is read into: tables of rows of strings, and the limits on them.

``Source`` is an opened file, ``Table`` one header (a CSV file or one worksheet) and ``Row`` one
record aligned with it. The format readers (``csv_reader``, ``xlsx_reader``, ``jsonstream``,
``vcard``) build these; ``readers.open_rows`` picks the reader.
"""
from __future__ import annotations

import io
from typing import BinaryIO, Iterator

from custarchive.errors import ValidationError

MAX_COLUMNS = 1000          # a customer sheet is never wider; 10,000 columns is a wrong file
MAX_CELL_CHARS = 32767      # Excel's own cell limit: longer cells could not go back to Excel
MAX_RECORD_CHARS = 8 << 20  # one CSV field / JSON record / vCard; beyond this the file is refused
HEADER_SCAN_ROWS = 10       # title rows ("客户档案登记表") above the real header are skipped


class Table:
    """One header and its rows: the CSV/JSON/vCard file, or one worksheet."""

    def __init__(self, name: str | None, headers: list[str], rows: Iterator["Row"] | None = None, unit: str = "line"):
        self.name = name
        self.unit = unit  # what Row.line counts: "line" (CSV, JSONL, vCard) or "record" (JSON array)
        self.headers = headers
        self.keys = _unique(headers)
        self.rows: Iterator[Row] = rows if rows is not None else iter(())

    def __repr__(self) -> str:
        return f"Table({self.name!r}, {len(self.headers)} columns)"


class Row:
    """One input record.

    ``cells`` are strings aligned with ``table.headers``; ``original`` is what
    the file held (typed Excel values, the JSON object, the vCard text) and is
    what the errors file writes back.
    """

    __slots__ = ("table", "line", "cells", "original", "error", "error_column")

    def __init__(self, table: Table, line: int, cells: list[str], original: object, error: str | None = None,
                 error_column: int | None = None):
        self.table = table
        self.line = line
        self.cells = cells
        self.original = original
        self.error = error
        self.error_column = error_column     # the column of the damaged cell an ``error`` is about

    @property
    def values(self) -> dict[str, str]:
        return dict(zip(self.table.keys, self.cells))

    @property
    def where(self) -> str:
        if self.table.name is not None:
            return f"sheet {self.table.name!r} row {self.line}"
        return f"{self.table.unit} {self.line}"

    def __repr__(self) -> str:
        return f"Row({self.where}, {self.cells!r}, error={self.error!r})"


class Source:
    """An opened input: ``format``, ``encoding``, ``headers`` and the rows.

    Use as a context manager.  ``tables()`` yields one table per worksheet
    (one in all other formats); ``rows()`` chains them.  ``warnings`` collects
    notes that are not errors (formula values used, title rows skipped).
    """

    def __init__(self, stream: BinaryIO, name: str, fmt: str, encoding: str | None, sheet: str | None):
        self.stream = stream
        self.name = name
        self.format = fmt
        self.encoding = encoding
        self.sheet = sheet
        self.delimiter = ","
        self.warnings: list[str] = []
        self.row_count = 0
        self._tables: Iterator[Table] = iter(())
        self._first: Table | None = None
        self._first_headers: list[str] = []
        self._closers: list = []

    @property
    def headers(self) -> list[str]:
        """Header of the first table (the only one except in multi-sheet workbooks)."""
        return self._first_headers

    def tables(self) -> Iterator[Table]:
        first, self._first = self._first, None
        if first is not None:
            yield first
        yield from self._tables
        if self.row_count == 0:
            raise ValidationError(None, None, "the file has a header but no data rows")

    def rows(self) -> Iterator["Row"]:
        for table in self.tables():
            yield from table.rows

    def _counted(self, rows: Iterator[Row]) -> Iterator[Row]:
        for row in rows:
            self.row_count += 1
            yield row

    def close(self) -> None:
        for closer in self._closers:
            closer()
        self.stream.close()

    def __enter__(self) -> "Source":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _unique(headers: list[str]) -> list[str]:
    """Dict keys for ``Row.values``: a duplicated header must not swallow a column."""
    seen: dict[str, int] = {}
    keys = []
    for header in headers:
        count = seen.get(header, 0) + 1
        seen[header] = count
        keys.append(header if count == 1 else f"{header}#{count}")
    return keys


def _text(src: Source) -> io.TextIOWrapper:
    src.stream.seek(0)
    wrapper = io.TextIOWrapper(src.stream, encoding=src.encoding, newline="")
    src._closers.append(wrapper.detach)
    return wrapper


def _is_blank(cells) -> bool:
    for cell in cells:
        if cell is not None and str(cell).strip():
            return False
    return True


def pick_header(rows: list[tuple[int, list]]) -> int:
    """Index of the header among the first rows: the first with two filled cells.

    Chinese templates put a merged title row above the header; a one-column
    file has no row with two cells, so the first non-blank row is used.
    """
    for index, (_, cells) in enumerate(rows):
        if sum(1 for cell in cells if cell is not None and str(cell).strip()) >= 2:
            return index
    for index, (_, cells) in enumerate(rows):
        if not _is_blank(cells):
            return index
    return -1


def trim_header(headers: list, name: str) -> list[str]:
    """Strip the header row's trailing empty cells and enforce the column limit."""
    width = len(headers)
    while width and (headers[width - 1] is None or not str(headers[width - 1]).strip()):
        width -= 1
    if width > MAX_COLUMNS:
        raise ValidationError(None, None, f"{name}: {width} columns; at most {MAX_COLUMNS} are supported")
    result = ["" if cell is None else str(cell).strip() for cell in headers[:width]]
    if result:
        result[0] = result[0].lstrip("\ufeff")
    return result


def ragged_reason(count: int, width: int) -> str:
    return f"this row has {count} cells but the header has {width}; a value is in a column without a header"

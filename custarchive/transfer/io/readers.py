"""Streaming readers: any supported file in, rows of raw strings out.

Every format is reduced to the same shape (tables of rows, each row a list of
strings aligned with its table's header) so the importer has one loop.  Rows
are produced lazily and never collected, which keeps memory flat for a file of
any size.  Problems confined to one row (ragged, nested, oversized) become
``row.error`` so the importer can reject that row and go on; problems with the
file itself raise ``ValidationError`` with a one-line reason.
"""
from __future__ import annotations

import csv
import io
import sys
import tempfile
from pathlib import Path
from typing import BinaryIO, Iterator

from custarchive.errors import UsageError, ValidationError
from custarchive.transfer.io.encoding import binary_reason, detect_encoding

MAX_COLUMNS = 1000          # a customer sheet is never wider; 10,000 columns is a wrong file
MAX_CELL_CHARS = 32767      # Excel's own cell limit: longer cells could not go back to Excel
MAX_RECORD_CHARS = 8 << 20  # one CSV field / JSON record / vCard; beyond this the file is refused
HEADER_SCAN_ROWS = 10       # title rows ("客户档案登记表") above the real header are skipped

FORMATS = ("csv", "xlsx", "json", "jsonl", "vcf")
_EXTENSIONS = {
    ".csv": "csv", ".tsv": "csv", ".txt": "csv", ".xlsx": "xlsx", ".xlsm": "xlsx",
    ".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl", ".vcf": "vcf", ".vcard": "vcf",
}
_UNNEUTRAL = ("'=", "'+", "'-", "'@", "'\t", "'\r")

csv.field_size_limit(MAX_RECORD_CHARS)


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

    __slots__ = ("table", "line", "cells", "original", "error")

    def __init__(self, table: Table, line: int, cells: list[str], original: object, error: str | None = None):
        self.table = table
        self.line = line
        self.cells = cells
        self.original = original
        self.error = error

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


def _spool(source) -> tuple[BinaryIO, str]:
    """A seekable binary stream for any input; stdin is copied to a temp file."""
    if isinstance(source, (bytes, bytearray)):
        return io.BytesIO(source), "<bytes>"
    if isinstance(source, (str, Path)):
        if str(source) == "-":
            return _spool(sys.stdin.buffer)
        path = Path(source)
        try:
            return path.open("rb"), str(path)
        except IsADirectoryError:
            raise ValidationError(None, str(path), "is a directory, not a file") from None
        except OSError as exc:
            raise ValidationError(None, str(path), f"cannot open the file: {exc.strerror}") from None
    if hasattr(source, "seekable") and source.seekable():
        return source, getattr(source, "name", "<stream>")
    spooled = tempfile.TemporaryFile()
    while chunk := source.read(1 << 20):
        spooled.write(chunk)
    spooled.seek(0)
    return spooled, "<stdin>"


def sniff_format(stream: BinaryIO, name: str) -> str:
    """Format from the extension, else from the first bytes."""
    suffix = Path(name).suffix.lower()
    if suffix == ".xls":
        raise ValidationError(None, name, "old Excel 97-2003 (.xls) files are not supported; save as .xlsx")
    if suffix in _EXTENSIONS:
        return _EXTENSIONS[suffix]
    stream.seek(0)
    head = stream.read(4096)
    stream.seek(0)
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text[:11].upper() == b"BEGIN:VCARD":
        return "vcf"
    if text[:1] == b"[":
        return "json"
    if text[:1] == b"{":
        first = text.split(b"\n", 1)
        return "jsonl" if len(first) > 1 and first[0].rstrip().endswith(b"}") else "json"
    return "csv"


def open_rows(source, format: str = "auto", encoding: str = "auto", sheet: str | None = None) -> Source:
    """Open ``source`` (path, ``"-"`` for stdin, bytes or a binary stream) for reading rows."""
    stream, name = _spool(source)
    try:
        fmt = sniff_format(stream, name) if format in ("auto", None) else format
        if fmt not in FORMATS:
            raise UsageError(f"unknown format {format!r} (choose from {', '.join(FORMATS)})")
        stream.seek(0)
        head = stream.read(4096)
        stream.seek(0)
        if not head.strip(b"\xef\xbb\xbf \t\r\n"):
            raise ValidationError(None, None, f"{name}: the file is empty")
        if fmt == "xlsx":
            if not head.startswith(b"PK\x03\x04"):
                raise ValidationError(None, None, f"{name}: not an .xlsx workbook")
            src = Source(stream, name, fmt, None, sheet)
            from custarchive.transfer.io.xlsx_reader import xlsx_tables
            src._tables = xlsx_tables(src)
        else:
            reason = binary_reason(head)
            if reason:
                raise ValidationError(None, None, f"{name}: {reason}")
            src = Source(stream, name, fmt, detect_encoding(stream, encoding), sheet)
            src._tables = _TEXT_READERS[fmt](src)
        src._first = next(src._tables, None)
        if src._first is None:
            what = "no header row" if fmt in ("csv", "xlsx") else "no records"
            raise ValidationError(None, None, f"{name}: {what} found")
        src._first_headers = src._first.headers
        return src
    except BaseException:
        stream.close()
        raise


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


def _sniff_delimiter(line: str) -> str:
    counts = {d: line.count(d) for d in (",", "\t", ";", "|")}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def _csv_tables(src: Source) -> Iterator[Table]:
    text = _text(src)
    try:
        first_line = text.readline(MAX_RECORD_CHARS)
        src.delimiter = _sniff_delimiter(first_line)
        text.seek(0)
        # strict: an unclosed quote must not silently swallow the rest of the file
        reader = csv.reader(text, delimiter=src.delimiter, strict=True)
        head: list[tuple[int, list[str]]] = []
        previous = 0
        for cells in reader:
            head.append((previous + 1, cells))
            previous = reader.line_num
            if len(head) >= HEADER_SCAN_ROWS:
                break
    except csv.Error as exc:
        raise _quote_error(src, previous + 1, exc) from None
    index = pick_header(head)
    if index < 0:
        return
    if index:
        src.warnings.append(f"skipped {index} title row(s) above the header")
    table = Table(None, trim_header(head[index][1], src.name))
    table.rows = src._counted(_csv_rows(src, table, reader, head[index + 1:], previous))
    yield table


def _quote_error(src: Source, line: int, exc: csv.Error) -> ValidationError:
    return ValidationError(None, None, f"{src.name}: the record starting at line {line} is malformed ({exc}); "
                           f"a quote (\") inside a quoted cell must be doubled, and every opened quote closed")


def _csv_rows(src: Source, table: Table, reader, buffered, previous: int) -> Iterator[Row]:
    width = len(table.headers)
    limit = MAX_CELL_CHARS

    def records():
        yield from buffered
        last = previous
        try:
            for cells in reader:
                yield last + 1, cells
                last = reader.line_num
        except csv.Error as exc:
            raise _quote_error(src, last + 1, exc) from None

    for line, cells in records():
        error = None
        if len(cells) != width:
            if not any(cells):
                continue
            if len(cells) < width:
                cells = cells + [""] * (width - len(cells))
            elif any(cells[width:]):
                error = ragged_reason(len(cells), width)
            else:
                cells = cells[:width]
        joined = "\x1f".join(cells)
        if len(joined) > limit:
            longest = max(cells, key=len)
            if len(longest) > limit:
                error = error or f"a cell has {len(longest)} characters; at most {limit} are allowed"
        if "\x1f'" in "\x1f" + joined:
            cells = [cell[1:] if cell.startswith(_UNNEUTRAL) else cell for cell in cells]
        elif not joined.strip("\x1f \t"):
            continue
        yield Row(table, line, cells, cells, error)


def _json_tables(src: Source) -> Iterator[Table]:
    from custarchive.transfer.io.jsonstream import json_tables

    return json_tables(src, _text(src))


def _jsonl_tables(src: Source) -> Iterator[Table]:
    from custarchive.transfer.io.jsonstream import jsonl_tables

    return jsonl_tables(src, _text(src))


def _vcf_tables(src: Source) -> Iterator[Table]:
    from custarchive.transfer.io.vcard import VCF_HEADERS, iter_cards

    table = Table(None, list(VCF_HEADERS))
    table.rows = src._counted(
        Row(table, line, cells, text, error) for line, cells, text, error in iter_cards(_text(src), src.name, MAX_RECORD_CHARS)
    )
    yield table


_TEXT_READERS = {"csv": _csv_tables, "json": _json_tables, "jsonl": _jsonl_tables, "vcf": _vcf_tables}

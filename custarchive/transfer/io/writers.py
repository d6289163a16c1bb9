"""Writers for export and for the errors file, all streaming.

Whatever leaves the program may be opened in Excel or WPS, which run any cell
starting with ``=``, ``+``, ``-`` or ``@`` as a formula (CSV injection).  Text
is therefore neutralised on the way out: in CSV by a leading apostrophe (the
CSV reader strips it again, so export → import round-trips), in XLSX by
Excel's own "quote prefix" cell style, which keeps the text exactly as it is.
Real numbers, dates and booleans are typed values and never touched, so a
negative amount stays a number.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import json
import re
import sys
import unicodedata
from decimal import Decimal
from pathlib import Path
from typing import BinaryIO, Iterable, Mapping, Sequence

from custarchive.errors import UsageError, ValidationError
from custarchive.transfer.io.csv_reader import neutralised
from custarchive.transfer.io.encoding import canonical_encoding
from custarchive.transfer.io.vcard import fields_to_card, mark_card

EXCEL_MAX_ROWS = 1_048_576
EXCEL_MAX_CELL = 32_767
WIDTH_SAMPLE_ROWS = 200
_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_STARTS = _TRIGGERS + ("'",)
# "+86 139 …", "-12.5": sign plus digits and punctuation cannot call a function.
_HARMLESS = re.compile(r"[+\-][0-9 .,()+\-]*")
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")

Value = object
ExtraSheet = tuple[str, Sequence[str], Iterable[Sequence[Value] | Mapping[str, Value]]]


def neutralise_csv(text: str) -> str:
    """A formula start gets an apostrophe (a spreadsheet shows the text, the CSV reader takes the
    apostrophe off); so does text that already starts with one before a formula start ('=1), or the
    reader would take its own apostrophe off."""
    if neutralised(text) or text.startswith(_TRIGGERS) and not _HARMLESS.fullmatch(text):
        return "'" + text
    return text


def csv_value(value: Value) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return neutralise_csv(value) if value.startswith(_STARTS) else value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, (dt.date, int, float, Decimal)):
        return str(value)
    return neutralise_csv(str(value))


def json_default(value: Value):
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return str(value)


def _open_out(out, binary_ok: bool = True) -> tuple[BinaryIO, bool, bool]:
    """(binary stream, is a file we opened, is a regular file) for a path, '-' or a stream."""
    if isinstance(out, (str, Path)) and str(out) != "-":
        try:
            return open(out, "wb"), True, True
        except OSError as exc:
            raise ValidationError(None, str(out), f"cannot write the file: {exc.strerror}") from None
    stream = sys.stdout.buffer if isinstance(out, (str, Path)) else out
    return stream, False, False


def csv_encoding(encoding: str | None, to_file: bool) -> str:
    """Excel needs a BOM to read UTF-8; a pipe does not want one."""
    if encoding in (None, "", "auto"):
        return "utf-8-sig" if to_file else "utf-8"
    return canonical_encoding(encoding)


def _as_row(fields: Sequence[str], row: Sequence[Value] | Mapping[str, Value]) -> Sequence[Value]:
    if row.__class__ is list or row.__class__ is tuple:  # the usual case; the ABC check costs µs per row
        return row
    if isinstance(row, Mapping):
        return [row.get(field) for field in fields]
    return row


def write_rows(
    fmt: str,
    out,
    fields: Sequence[str],
    rows: Iterable[Mapping[str, Value]],
    *,
    labels: Mapping[str, str] | None = None,
    encoding: str | None = None,
    sheet_name: str = "客户",
    extra_sheets: Iterable[ExtraSheet] = (),
) -> int:
    """Write ``rows`` (dicts keyed by field) to ``out`` (path, '-' or binary stream); returns the count.

    ``labels`` turns field names into header texts (``LABELS_ZH`` for
    ``--headers zh``).  ``extra_sheets`` are only written to XLSX.
    """
    headers = [labels.get(f, f) if labels else f for f in fields]
    stream, owned, to_file = _open_out(out)
    try:
        if fmt == "csv":
            return _write_csv(stream, csv_encoding(encoding, to_file), ",", headers,
                              (_as_row(fields, r) for r in rows))
        if fmt == "json":
            return _write_json(stream, (_pick(fields, headers, r) for r in rows), array=True)
        if fmt == "jsonl":
            return _write_json(stream, (_pick(fields, headers, r) for r in rows), array=False)
        if fmt == "vcf":
            count = 0
            for row in rows:
                stream.write(fields_to_card(row).encode("utf-8"))
                count += 1
            return count
        if fmt == "xlsx":
            book = XlsxBook(stream)
            try:
                sheet = book.sheet(sheet_name, headers)
                for row in rows:
                    sheet.append(_as_row(fields, row))
                count = sheet.total
                for name, extra_headers, extra_rows in extra_sheets:
                    extra = book.sheet(name, list(extra_headers))
                    for row in extra_rows:
                        extra.append(_as_row(list(extra_headers), row))
            finally:
                book.close()
            return count
        raise UsageError(f"unknown export format {fmt!r} (choose csv, xlsx, json, jsonl or vcf)")
    finally:
        if owned:
            stream.close()
        else:
            stream.flush()


def _pick(fields: Sequence[str], headers: Sequence[str], row: Mapping[str, Value]) -> dict:
    return {header: row.get(field) for field, header in zip(fields, headers)}


# A row needs per-cell care only if a text cell could run as a formula or a cell
# is a bool (written true/false, and True == 1 only sends a row down the careful path).
_CARE = re.compile("\x1f'*[=+\\-@\t\r]")


_BOOLS = frozenset((True, False))


def _holds_bool(row) -> bool:
    """``True in row or False in row`` (so 1 and 0 count too), by hashing instead of comparing each cell twice."""
    try:
        return not _BOOLS.isdisjoint(row)
    except TypeError:  # an unhashable cell (a list): compare as before
        return True in row or False in row


_BATCH = 512


def _write_csv(stream: BinaryIO, encoding: str, delimiter: str, headers, rows) -> int:
    """Rows are written in batches: a batch whose text cells hold no formula trigger and no bool
    goes to ``writerows`` as it is, after one check over the whole batch; only a batch that trips
    it is cleaned row by row."""
    text = io.TextIOWrapper(stream, encoding=encoding, newline="", write_through=False)
    try:
        writer = csv.writer(text, delimiter=delimiter)
        writer.writerow([csv_value(h) for h in headers])
        count = 0
        while batch := list(itertools.islice(rows, _BATCH)):
            texts = itertools.chain.from_iterable(map(_strings, batch))
            if _CARE.search("\x1f" + "\x1f".join(texts)) or any(map(_holds_bool, batch)):
                batch = [_clean(row) for row in batch]
            writer.writerows(batch)
            count += len(batch)
        text.flush()
        return count
    finally:
        text.detach()


def _strings(row) -> list[str]:
    return [value for value in row if value.__class__ is str]


def _clean(row) -> Sequence[Value]:
    # None is written as "" and numbers as str() by the csv module itself, as csv_value would.
    if _CARE.search("\x1f" + "\x1f".join(_strings(row))) or _holds_bool(row):
        return [csv_value(value) for value in row]
    return row


def _write_json(stream: BinaryIO, objects: Iterable[dict], array: bool) -> int:
    count = 0
    if array:
        stream.write(b"[")
    for obj in objects:
        data = json.dumps(obj, ensure_ascii=False, default=json_default).encode("utf-8")
        if array:
            stream.write(b"\n" if count == 0 else b",\n")
        stream.write(data)
        if not array:
            stream.write(b"\n")
        count += 1
    if array:
        stream.write(b"\n]\n" if count else b"]\n")
    return count


def display_width(text: str) -> int:
    """Columns a text takes in Excel: CJK characters count double."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


class XlsxBook:
    """An xlsxwriter workbook in constant-memory mode, with our sheet conventions."""

    def __init__(self, stream: BinaryIO):
        import xlsxwriter

        self.book = xlsxwriter.Workbook(stream, {
            "constant_memory": True, "strings_to_formulas": False, "strings_to_numbers": False,
            "strings_to_urls": False, "remove_timezone": True, "in_memory": False,
        })
        self.formats = {
            "header": self.book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1}),
            "text": self.book.add_format({"quote_prefix": True}),
            "date": self.book.add_format({"num_format": "yyyy-mm-dd"}),
            "datetime": self.book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"}),
            "money": self.book.add_format({"num_format": "#,##0.00"}),
        }
        self.names: set[str] = set()
        self.sheets: list[XlsxSheet] = []

    def sheet_name(self, name: str) -> str:
        base = _BAD_SHEET_CHARS.sub("_", name).strip("'") or "Sheet"
        candidate, number = base[:31], 1
        while candidate.lower() in self.names:
            number += 1
            suffix = f" ({number})"
            candidate = base[: 31 - len(suffix)] + suffix
        self.names.add(candidate.lower())
        return candidate

    def sheet(self, name: str, headers: Sequence[str], truncate: bool = False) -> "XlsxSheet":
        sheet = XlsxSheet(self, name, list(headers), truncate)
        self.sheets.append(sheet)
        return sheet

    def close(self) -> None:
        """Widths and filters are set last: only then are the sampled widths known."""
        for sheet in self.sheets:
            sheet._finish()
        self.book.close()


class XlsxSheet:
    """Rows go straight to disk; a sheet that would pass Excel's row limit continues on a new one."""

    def __init__(self, book: XlsxBook, name: str, headers: list[str], truncate: bool = False):
        self.truncate = truncate  # errors file: a too-long cell is cut, the row still goes back
        self.book = book
        self.name = name
        self.headers = headers
        self.total = 0
        self._open(name)

    def _open(self, name: str) -> None:
        self._finish()  # the full sheet being left behind
        ws = self.book.book.add_worksheet(self.book.sheet_name(name))
        ws.freeze_panes(1, 0)
        ws.write_row(0, 0, [str(h) for h in self.headers], self.book.formats["header"])
        self.ws = ws
        self.row = 0
        self.widths = [display_width(str(h)) + 2 for h in self.headers]

    def _finish(self) -> None:
        ws = getattr(self, "ws", None)
        if ws is None:
            return
        for col, width in enumerate(self.widths):
            ws.set_column(col, col, min(max(width, 6), 60))
        if self.headers:
            ws.autofilter(0, 0, self.row, max(len(self.headers), 1) - 1)

    def append(self, values: Sequence[Value]) -> None:
        if self.row + 1 >= EXCEL_MAX_ROWS:
            self._open(f"{self.name} ({self.total // (EXCEL_MAX_ROWS - 1) + 1})")
        self.row += 1
        self.total += 1
        ws, row, fmt = self.ws, self.row, self.book.formats
        sample = self.row <= WIDTH_SAMPLE_ROWS
        for col, value in enumerate(values):
            if value is None or value == "":
                continue
            if isinstance(value, str):
                if len(value) > EXCEL_MAX_CELL and self.truncate:
                    value = value[: EXCEL_MAX_CELL - 1] + "…"
                elif len(value) > EXCEL_MAX_CELL:
                    header = self.headers[col] if col < len(self.headers) else col + 1
                    raise ValidationError(str(header), None, f"a value of {len(value)} characters does not fit in an "
                                          f"Excel cell ({EXCEL_MAX_CELL}); export as CSV or JSON")
                ws.write_string(row, col, value, fmt["text"] if value.startswith(_TRIGGERS) else None)
                width = display_width(value) if sample else 0
            elif isinstance(value, bool):
                ws.write_boolean(row, col, value)
                width = 5
            elif isinstance(value, dt.datetime):
                ws.write_datetime(row, col, value, fmt["datetime"])
                width = 19
            elif isinstance(value, dt.date):
                ws.write_datetime(row, col, dt.datetime.combine(value, dt.time()), fmt["date"])
                width = 10
            elif isinstance(value, Decimal):
                ws.write_number(row, col, float(value), fmt["money"])
                width = len(f"{value:,.2f}") if sample else 0
            elif isinstance(value, (int, float)) and abs(value) < 2 ** 53:
                ws.write_number(row, col, value)
                width = len(str(value)) if sample else 0
            else:
                text = str(value)
                ws.write_string(row, col, text, fmt["text"] if text.startswith(_TRIGGERS) else None)
                width = display_width(text) if sample else 0
            if sample and col < len(self.widths) and width + 2 > self.widths[col]:
                self.widths[col] = width + 2


_OUT_FORMATS = {".csv": "csv", ".tsv": "csv", ".txt": "csv", ".xlsx": "xlsx", ".json": "json",
                ".jsonl": "jsonl", ".ndjson": "jsonl", ".vcf": "vcf"}


def errors_format(out, source_format: str) -> str:
    """The errors file's format: the one its name says (``rejects.csv`` from a workbook is CSV), the
    input's when the name says none; a name promising a format the rows cannot take is refused
    before any file is made, rather than written in another format under that name."""
    if not isinstance(out, (str, Path)) or str(out) == "-":
        return source_format
    named = _OUT_FORMATS.get(Path(out).suffix.lower())
    if named is None or named == source_format:
        return source_format
    if named in ("csv", "xlsx") and source_format in ("csv", "xlsx"):
        return named
    wanted = {"csv": ".csv or .xlsx", "xlsx": ".xlsx or .csv"}.get(source_format, f".{source_format}")
    raise UsageError(f"--errors {out}: rejected rows of a {source_format} file are written as {wanted}; "
                     "give a file name ending so")


class ErrorsWriter:
    """Rejected rows in the input's own format, encoding and columns, plus an ``error`` column.

    The point is a file a person can fix in Excel and import again: the
    original cells are written back as they were read (typed values for XLSX,
    whole objects for JSON, the card text for vCard with the reason in an
    ``X-CUSTARCHIVE-ERROR`` property, which the reader ignores).  A column
    already named ``error`` (a re-imported errors file) is reused, not doubled.
    The file is always created, so it never shows a previous run's rows.
    """

    def __init__(self, out, source) -> None:
        self.source = source
        self.format = errors_format(out, source.format)
        self._as_text = self.format != source.format   # a workbook's rows as the strings the import read
        self.stream, self._owned, _ = _open_out(out)
        self.count = 0
        self._table = None
        self._sheet: XlsxSheet | None = None
        self._book: XlsxBook | None = None
        self._csv = None
        self._text = None
        if self.format == "xlsx":
            self._book = XlsxBook(self.stream)
        elif self.format == "csv":
            delimiter = "\t" if str(out).lower().endswith(".tsv") else source.delimiter if not self._as_text else ","
            encoding = (source.encoding if not self._as_text else None) or "utf-8-sig"
            self._text = io.TextIOWrapper(self.stream, encoding=encoding, newline="")
            self._csv = csv.writer(self._text, delimiter=delimiter)
        elif self.format == "json":
            self.stream.write(b"[")

    def _layout(self, table) -> tuple[list[str], int]:
        headers = list(table.headers)
        if "error" in headers:
            return headers, headers.index("error")
        return headers + ["error"], len(headers)

    def _cells(self, row, error: str) -> list:
        headers, position = self._layout(row.table)
        typed = isinstance(row.original, (list, tuple)) and not self._as_text
        cells = list(row.original) if typed else list(row.cells)
        width = len(row.table.headers)
        if len(cells) < width:
            cells.extend([""] * (width - len(cells)))
        if position < width:
            cells[position] = error
        else:
            cells.insert(position, error)
        return cells

    def write(self, row, error: str | None = None) -> None:
        """Write one rejected ``Row`` with its reason (``row.error`` when not given)."""
        error = error or row.error or "rejected"
        if self.format == "csv":
            if self._table is None:
                self._table = row.table
                self._csv.writerow([csv_value(h) for h in self._layout(row.table)[0]])
            self._csv.writerow([csv_value(v) for v in self._cells(row, error)])
        elif self.format == "xlsx":
            if row.table is not self._table:
                self._table = row.table
                self._sheet = self._book.sheet(row.table.name or "errors", self._layout(row.table)[0], truncate=True)
            self._sheet.append([None if v is None else v for v in self._cells(row, error)])
        elif self.format in ("json", "jsonl"):
            obj = dict(row.original) if isinstance(row.original, dict) else {"_raw": row.original}
            obj["error"] = error
            data = json.dumps(obj, ensure_ascii=False, default=json_default).encode("utf-8")
            if self.format == "json":
                self.stream.write(b"\n" if self.count == 0 else b",\n")
                self.stream.write(data)
            else:
                self.stream.write(data + b"\n")
        elif self.format == "vcf":
            text = row.original if isinstance(row.original, str) and row.original else fields_to_card(row.values)
            codec = "utf-8" if (self.source.encoding or "").startswith("utf-8") else self.source.encoding
            self.stream.write(mark_card(text, error).encode(codec or "utf-8"))
        self.count += 1

    def close(self) -> int:
        """Finish the file; returns the number of rows written."""
        try:
            if self.format == "csv":
                if self._table is None and self.source.headers:
                    self._csv.writerow([csv_value(h) for h in self.source.headers] + ["error"])
                self._text.flush()
                self._text.detach()
            elif self.format == "xlsx":
                if self._sheet is None:
                    self._book.sheet("errors", list(self.source.headers) + ["error"])
                self._book.close()
            elif self.format == "json":
                self.stream.write(b"\n]\n" if self.count else b"]\n")
        finally:
            if self._owned:
                self.stream.close()
            else:
                self.stream.flush()
        return self.count

    def __enter__(self) -> "ErrorsWriter":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

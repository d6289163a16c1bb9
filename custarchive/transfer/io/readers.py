"""Streaming readers: any supported file in, rows of raw strings out.

Every format is reduced to the same shape (tables of rows, each row a list of
strings aligned with its table's header) so the importer has one loop.  Rows
are produced lazily and never collected, which keeps memory flat for a file of
any size.  Problems confined to one row (ragged, nested, oversized) become
``row.error`` so the importer can reject that row and go on; problems with the
file itself raise ``ValidationError`` with a one-line reason.
"""
from __future__ import annotations

import io
import sys
import tempfile
from pathlib import Path
from typing import BinaryIO, Iterator

from custarchive.errors import UsageError, ValidationError
from custarchive.transfer.io.csv_reader import csv_tables
from custarchive.transfer.io.encoding import binary_reason, detect_encoding
from custarchive.transfer.io.jsonstream import json_tables, jsonl_tables
from custarchive.transfer.io.tables import MAX_RECORD_CHARS, Row, Source, Table, _text
from custarchive.transfer.io.vcard import VCF_HEADERS, iter_cards
from custarchive.transfer.io.xlsx_reader import xlsx_tables

FORMATS = ("csv", "xlsx", "json", "jsonl", "vcf")
_EXTENSIONS = {
    ".csv": "csv", ".tsv": "csv", ".txt": "csv", ".xlsx": "xlsx", ".xlsm": "xlsx",
    ".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl", ".vcf": "vcf", ".vcard": "vcf",
}


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


def _json_tables(src: Source) -> Iterator[Table]:
    return json_tables(src, _text(src))


def _jsonl_tables(src: Source) -> Iterator[Table]:
    return jsonl_tables(src, _text(src))


def _vcf_tables(src: Source) -> Iterator[Table]:
    table = Table(None, list(VCF_HEADERS))
    table.rows = src._counted(
        Row(table, line, cells, text, error) for line, cells, text, error in iter_cards(_text(src), src.name, MAX_RECORD_CHARS)
    )
    yield table


_TEXT_READERS = {"csv": csv_tables, "json": _json_tables, "jsonl": _jsonl_tables, "vcf": _vcf_tables}

"""JSON and JSON Lines input, one record at a time.

``json.load`` would hold a 500 MB export in memory several times over; the
standard library has no streaming parser, but ``raw_decode`` can parse one
value out of a buffer.  We keep a sliding buffer, find the array of records
(the top-level array, or the first array-valued key of a top-level object such
as ``{"customers": [...]}``) and decode its elements one by one.
"""
from __future__ import annotations

import json
from typing import Iterator, TextIO

from custarchive.errors import ValidationError
from custarchive.transfer.io.tables import MAX_CELL_CHARS, MAX_COLUMNS, MAX_RECORD_CHARS, Row, Source, Table

_CHUNK = 1 << 16
_WHITESPACE = " \t\r\n"


class _Buffer:
    def __init__(self, text: TextIO, name: str, limit: int):
        self.text = text
        self.name = name
        self.limit = limit
        self.buf = ""
        self.pos = 0
        self.eof = False
        self.lines_before = 1  # line number of buf[0]
        self.decoder = json.JSONDecoder()

    def fill(self) -> None:
        chunk = self.text.read(_CHUNK)
        if not chunk:
            self.eof = True
            return
        self.lines_before += self.buf.count("\n", 0, self.pos)
        self.buf = self.buf[self.pos:] + chunk
        self.pos = 0

    def line(self) -> int:
        return self.lines_before + self.buf.count("\n", 0, self.pos)

    def fail(self, reason: str) -> ValidationError:
        return ValidationError(None, None, f"{self.name}: line {self.line()}: {reason}")

    def peek(self) -> str:
        """Next non-blank character ('' at the end), without consuming it."""
        while True:
            while self.pos < len(self.buf) and self.buf[self.pos] in _WHITESPACE:
                self.pos += 1
            if self.pos < len(self.buf) or self.eof:
                return self.buf[self.pos:self.pos + 1]
            self.fill()

    def expect(self, chars: str, what: str) -> str:
        char = self.peek()
        if not char or char not in chars:
            found = repr(char) if char else "the end of the file"
            raise self.fail(f"invalid JSON: expected {what}, found {found}")
        self.pos += 1
        return char

    def value(self, what: str):
        """Decode one complete value, reading more text until it is whole."""
        self.peek()
        while True:
            try:
                obj, end = self.decoder.raw_decode(self.buf, self.pos)
            except json.JSONDecodeError as exc:
                if self.eof:
                    raise self.fail(f"invalid JSON in {what}: {exc.msg}") from None
            except RecursionError:
                raise self.fail(f"{what} is nested too deeply") from None
            else:
                if end < len(self.buf) or self.eof:
                    self.pos = end
                    return obj
            if len(self.buf) - self.pos > self.limit:
                raise self.fail(f"{what} is longer than {self.limit} characters")
            self.fill()


def iter_array(text: TextIO, name: str, limit: int) -> Iterator[tuple[int, object]]:
    """Yield (1-based index, element) of the document's record array."""
    buf = _Buffer(text, name, limit)
    opening = buf.expect("[{", "an array of records or an object holding one")
    if opening == "{":
        _seek_list(buf)
    index = 0
    if buf.peek() == "]":
        buf.pos += 1
    else:
        while True:
            index += 1
            yield index, buf.value(f"record {index}")
            if buf.expect(",]", "',' or ']' after a record") == "]":
                break
    if opening == "[" and buf.peek():
        raise buf.fail("unexpected text after the array of records")


def _seek_list(buf: _Buffer) -> None:
    """Advance into the first array-valued member of the top-level object."""
    if buf.peek() == "}":
        raise buf.fail("the JSON object holds no list of records")
    while True:
        key = buf.value("a key")
        if not isinstance(key, str):
            raise buf.fail("invalid JSON: object keys must be strings")
        buf.expect(":", "':' after a key")
        if buf.peek() == "[":
            buf.pos += 1
            return
        buf.value(f"the value of {key!r}")
        if buf.expect(",}", "',' or '}'") == "}":
            raise buf.fail("the JSON object holds no list of records")


def _scalar(key: str, value) -> str:
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    raise ValueError(f"{key}: nested {type(value).__name__} values are not supported; use plain text")


def _object_row(table: Table, line: int, obj) -> Row:
    if isinstance(obj, _Broken):
        return Row(table, line, [""] * len(table.headers), obj, obj.reason)
    if not isinstance(obj, dict):
        return Row(table, line, [""] * len(table.headers), obj,
                   f"record {line} is a {type(obj).__name__}, not an object")
    if obj.__class__ is dict and list(obj) == table.headers:
        # Fast path: same keys in the same order as the first record (every export).
        cells = [v if v.__class__ is str else None for v in obj.values()]
        if None not in cells and len("".join(cells)) <= MAX_CELL_CHARS:
            return Row(table, line, cells, obj)
    index = table.index  # type: ignore[attr-defined]
    cells = [""] * len(table.headers)
    error = None
    for key, value in obj.items():
        try:
            text = _scalar(key, value)
        except ValueError as exc:
            error = error or str(exc)
            continue
        column = index.get(key)
        if column is None:
            if text:
                error = error or f"key {key!r} is not in the first record; every record needs the same keys"
            continue
        if len(text) > MAX_CELL_CHARS:
            error = error or f"{key}: {len(text)} characters; at most {MAX_CELL_CHARS} are allowed"
        cells[column] = text
    return Row(table, line, cells, obj, error)


def _json_table(src: Source, records: Iterator[tuple[int, object]], unit: str) -> Iterator[Table]:
    first = next(records, None)
    if first is None:
        return
    line, obj = first
    headers = [str(key) for key in obj] if isinstance(obj, dict) else []
    if not headers:
        raise ValidationError(None, None, f"{src.name}: the first record is not an object with keys")
    if len(headers) > MAX_COLUMNS:
        raise ValidationError(None, None, f"{src.name}: {len(headers)} keys; at most {MAX_COLUMNS} are supported")
    table = Table(None, headers, unit=unit)
    table.index = {key: i for i, key in enumerate(headers)}  # type: ignore[attr-defined]

    def rows():
        yield _object_row(table, line, obj)
        for number, record in records:
            yield _object_row(table, number, record)

    table.rows = src._counted(rows())
    yield table


def _jsonl_records(src: Source, text: TextIO) -> Iterator[tuple[int, object]]:
    number = 0
    while True:
        line = text.readline(MAX_RECORD_CHARS + 1)
        if not line:
            return
        number += 1
        if len(line) > MAX_RECORD_CHARS:
            raise ValidationError(None, None, f"{src.name}: line {number} is longer than {MAX_RECORD_CHARS} characters")
        if not line.strip():
            continue
        try:
            yield number, json.loads(line)
        except (json.JSONDecodeError, RecursionError) as exc:
            yield number, _Broken(line, f"not valid JSON: {getattr(exc, 'msg', 'nested too deeply')}")


class _Broken(dict):
    """A JSONL line that did not parse: becomes a rejected row, not a dead import.

    As the row's original it is written back as ``{"_raw": line}``.
    """

    def __init__(self, raw: str, reason: str):
        super().__init__(_raw=raw.rstrip("\r\n"))
        self.reason = reason


def jsonl_tables(src: Source, text: TextIO) -> Iterator[Table]:
    """JSON Lines: one object per line; a line that does not parse is one rejected row."""
    records = _jsonl_records(src, text)
    for number, obj in records:
        if isinstance(obj, _Broken):
            raise ValidationError(None, None, f"{src.name}: line {number}: {obj.reason}")
        yield from _json_table(src, _chain(number, obj, records), "line")
        return


def _chain(number, obj, rest):
    yield number, obj
    yield from rest


def json_tables(src: Source, text: TextIO) -> Iterator[Table]:
    """A JSON document: records are numbered by their position in the array."""
    yield from _json_table(src, iter_array(text, src.name, MAX_RECORD_CHARS), "record")

"""Records of a JSON document, one at a time.

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

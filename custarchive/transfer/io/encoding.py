"""Which text encoding an input file is in, and where it stops being that.

Chinese Excel saves "CSV" as GBK without a BOM; everything else is UTF-8 with
or without one.  Guessing wrong is silent mojibake in thousands of archives,
so detection is deliberately narrow: BOM, then strict UTF-8, then GB18030 (a
superset of GBK and GB2312), and charset-normalizer only when both fail.  The
whole file is checked once in C-speed chunks, so a bad byte halfway down is
reported with its line instead of blowing up in the middle of an import.
"""
from __future__ import annotations

import codecs
from typing import BinaryIO

from custarchive.errors import UsageError, ValidationError

CHUNK = 1 << 20
# Enough CJK characters decoded as UTF-8 before a bad byte means the file is
# UTF-8 with damage, not GBK that happened to look like UTF-8 for a while.
_UTF8_EVIDENCE = 16

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)

# Files people rename to .csv by mistake; a precise message beats mojibake.
_MAGIC = (
    (b"PK\x03\x04", "a ZIP archive (an .xlsx workbook?): use --format xlsx"),
    (b"\xd0\xcf\x11\xe0", "an old Excel 97-2003 (.xls) or WPS file: save it as .xlsx or CSV"),
    (b"%PDF", "a PDF document"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"SQLite format 3\x00", "an SQLite database"),
)

# charset-normalizer's guesses we trust: multi-byte encodings a customer file
# plausibly uses.  Single-byte guesses (cp1251, latin-1) decode anything and
# would only turn a damaged file into silent mojibake.
_PLAUSIBLE = frozenset({
    "big5", "big5hkscs", "cp950", "utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be",
    "shift_jis", "cp932", "euc_jp", "euc_kr", "cp949",
})

_ALIASES = {
    "gbk": "gb18030", "gb2312": "gb18030", "cp936": "gb18030", "gb18030": "gb18030",
    "utf8": "utf-8", "utf-8": "utf-8", "utf-8-sig": "utf-8-sig", "utf8-sig": "utf-8-sig",
}


def canonical_encoding(name: str) -> str:
    """Resolve a user-given encoding name; GBK reads as GB18030 (same bytes, more chars)."""
    key = name.strip().lower().replace("_", "-")
    if key in _ALIASES:
        return _ALIASES[key]
    try:
        return codecs.lookup(key).name
    except LookupError:
        raise UsageError(f"unknown encoding {name!r} (try utf-8 or gbk)") from None


def bom_encoding(head: bytes) -> str | None:
    for bom, name in _BOMS:
        if head.startswith(bom):
            return name
    return None


def binary_reason(head: bytes) -> str | None:
    """Why ``head`` cannot be the start of a text file, or None."""
    for magic, what in _MAGIC:
        if head.startswith(magic):
            return f"this is {what}, not a text file"
    if bom_encoding(head) is None and b"\x00" in head:
        return "this is a binary file, not text (it contains NUL bytes)"
    return None


def _first_bad_byte(stream: BinaryIO, codec: str) -> tuple[int | None, int]:
    """Offset of the first undecodable byte (None if clean) and CJK chars seen before it."""
    decoder = codecs.getincrementaldecoder(codec)("strict")
    stream.seek(0)
    offset = 0
    cjk = 0
    while True:
        chunk = stream.read(CHUNK)
        final = not chunk
        pending = len(decoder.getstate()[0])
        try:
            text = decoder.decode(chunk, final)
        except UnicodeDecodeError as exc:
            if cjk < _UTF8_EVIDENCE:
                cjk += _count_cjk(bytes(exc.object[: exc.start]).decode(codec, "ignore"))
            return offset - pending + exc.start, cjk
        if cjk < _UTF8_EVIDENCE:
            cjk += _count_cjk(text)
        if final:
            return None, cjk
        offset += len(chunk)


def _count_cjk(text: str) -> int:
    count = 0
    for char in text:
        if "\u4e00" <= char <= "\u9fff":
            count += 1
            if count >= _UTF8_EVIDENCE:
                break
    return count


def _where(stream: BinaryIO, offset: int) -> tuple[int, int, int]:
    """(line, byte within line, the byte) of an absolute offset, counted in chunks."""
    stream.seek(0)
    line, line_start, position = 1, 0, 0
    while position < offset:
        chunk = stream.read(min(CHUNK, offset - position))
        if not chunk:
            break
        newlines = chunk.count(b"\n")
        if newlines:
            line += newlines
            line_start = position + chunk.rfind(b"\n") + 1
        position += len(chunk)
    stream.seek(offset)
    bad = stream.read(1)
    return line, offset - line_start + 1, bad[0] if bad else 0


def decode_failure(stream: BinaryIO, codec: str, offset: int) -> ValidationError:
    line, column, byte = _where(stream, offset)
    return ValidationError(
        None, None,
        f"cannot read the file as {codec.upper()}: byte 0x{byte:02X} at line {line}, "
        f"byte {column} of the line (file offset {offset}); "
        f"re-save it as UTF-8 or pass --encoding")


def detect_encoding(stream: BinaryIO, declared: str = "auto") -> str:
    """Codec name for the whole of ``stream`` (seekable); raises with line and byte if none fits.

    With ``declared`` set, that encoding is checked (a UTF-8 BOM is still
    honoured so it never leaks into the first header).
    """
    stream.seek(0)
    head = stream.read(4)
    bom = bom_encoding(head)
    if declared and declared != "auto":
        codec = canonical_encoding(declared)
        if codec == "utf-8" and bom == "utf-8-sig":
            codec = "utf-8-sig"
        candidates = [codec]
    elif bom:
        candidates = [bom]
    else:
        candidates = ["utf-8", "gb18030"]
    failures: list[tuple[str, int]] = []
    for codec in candidates:
        bad, cjk = _first_bad_byte(stream, codec)
        if bad is None:
            stream.seek(0)
            return codec
        failures.append((codec, bad))
        if codec == "utf-8" and cjk >= _UTF8_EVIDENCE:
            break  # clearly UTF-8 with a damaged byte: GB18030 would only hide it
    if len(candidates) > 1 and len(failures) == len(candidates):
        guess = _normalizer_guess(stream)
        if guess and guess not in candidates and _first_bad_byte(stream, guess)[0] is None:
            stream.seek(0)
            return guess
    codec, bad = max(failures, key=lambda item: item[1])
    error = decode_failure(stream, codec, bad)
    stream.seek(0)
    raise error


def _normalizer_guess(stream: BinaryIO) -> str | None:
    from charset_normalizer import from_bytes

    stream.seek(0)
    sample = stream.read(256 * 1024)
    try:
        best = from_bytes(sample).best()
    except Exception:  # a heuristic library: its failure just means "no guess"
        return None
    if best is None:
        return None
    try:
        name = codecs.lookup(best.encoding).name
    except LookupError:
        return None
    return name if name in _PLAUSIBLE else None

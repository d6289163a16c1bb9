"""CSV (and TSV, and semicolon- or bar-separated text) into tables of rows."""
from __future__ import annotations

import csv
import re
from typing import Iterator

from custarchive.errors import ValidationError
from custarchive.transfer.io.tables import (
    HEADER_SCAN_ROWS, MAX_CELL_CHARS, MAX_RECORD_CHARS, Row, Source, Table, _text, pick_header, ragged_reason,
    trim_header,
)

# A cell the writers neutralised (an apostrophe before a formula start): the apostrophe comes off.
UNNEUTRAL = ("'=", "'+", "'-", "'@", "'\t", "'\r")
_MORE_APOSTROPHES = re.compile(r"''+[=+\-@\t\r]")


def neutralised(text: str) -> bool:
    """Apostrophes before a formula start: the writers add one ('=1 is written ''=1), the reader takes
    one off, so text that starts with an apostrophe of its own comes back whole."""
    return text.startswith(UNNEUTRAL) or (text[:2] == "''" and _MORE_APOSTROPHES.match(text) is not None)

csv.field_size_limit(MAX_RECORD_CHARS)


def _sniff_delimiter(line: str) -> str:
    counts = {d: line.count(d) for d in (",", "\t", ";", "|")}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def csv_tables(src: Source) -> Iterator[Table]:
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
        error = column = None
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
            if len(longest) > limit and error is None:
                error = f"a cell has {len(longest)} characters; at most {limit} are allowed"
                column = cells.index(longest)
        starts = "\x1f" + joined
        if "\x1f'" in starts or '\x1f="' in starts:
            # One look per cell: a neutralised formula loses its apostrophe (and nothing more: '="x" is the
            # text ="x"), a spreadsheet-safe cell (export's default for a file: ="110105199003071247") its ="…".
            cells = [cell[1:] if neutralised(cell)
                     else cell[2:-1] if cell.startswith('="') and cell.endswith('"') and '"' not in cell[2:-1]
                     and len(cell) > 2 else cell
                     for cell in cells]
        elif not joined.strip("\x1f \t"):
            continue
        yield Row(table, line, cells, cells, error, column)

"""Worksheets of an .xlsx workbook as tables of strings.

openpyxl's read-only mode streams rows but hides two things a person needs
to hear about: merged cells (only the top-left cell holds the value, the rest
read as empty) and formulas (we get the value Excel last calculated, or
nothing if the file was never opened in Excel).  A quick pass over the sheet
XML finds both, so those rows are rejected with a reason instead of imported
half-empty.
"""
from __future__ import annotations

import datetime as dt
import re
import zipfile
from typing import Iterator

from custarchive.errors import ValidationError
from custarchive.transfer.io.tables import (
    MAX_CELL_CHARS, HEADER_SCAN_ROWS, Row, Source, Table, pick_header, ragged_reason, trim_header,
)

_MERGE = re.compile(rb'<mergeCell ref="([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?"')
_FORMULA = re.compile(rb'<c r="([A-Z]+)(\d+)"[^>]*>\s*<f\b[^>]*(?:/>|>[^<]*</f>)\s*(<v>[^<]*</v>)?')
_SCAN_CHUNK = 1 << 20
_OVERLAP = 1 << 12
_EXACT = 2 ** 53
# openpyxl reads the whole shared-strings part into Python strings before the first row: its
# declared size bounds that memory (zipfile stops at the declared size). 100 MB of XML is far
# beyond any customer list (100,000 rows of unique names, addresses and notes make ~40 MB) and
# stays within the 300 MB an import may use; a 2.8 MB "zip bomb" declaring 1.1 GB is refused
# before anything is read.
MAX_SHARED_STRINGS_BYTES = 100 << 20
# A text node longer than this many bytes holds a cell past Excel's own limit (32,767 characters
# of at most 4 UTF-8 bytes): the sheet is refused while it is scanned, before openpyxl would
# gather the whole node in memory.
MAX_TEXT_BYTES = MAX_CELL_CHARS * 4 + 1024


def check_parts(src: Source) -> None:
    """Refuse, with one line and within a second, a workbook whose parts would exceed the limits."""
    src.stream.seek(0)
    try:
        with zipfile.ZipFile(src.stream) as archive:
            for info in archive.infolist():
                if info.filename.lower().endswith("sharedstrings.xml") and info.file_size > MAX_SHARED_STRINGS_BYTES:
                    raise ValidationError(None, None, (
                        f"{src.name}: the workbook's text expands to {info.file_size >> 20} MB "
                        f"(from {max(info.compress_size >> 20, 1)} MB packed; at most "
                        f"{MAX_SHARED_STRINGS_BYTES >> 20} MB): not a customer list, or save it as CSV"))
    except zipfile.BadZipFile:
        pass  # openpyxl gives the reason below
    finally:
        src.stream.seek(0)


def _longest_text(data: bytes, run: int) -> tuple[int, int]:
    """(longest stretch without ``<`` in this chunk, counting ``run`` carried in, exact whenever it
    exceeds ``MAX_TEXT_BYTES``; the stretch still open at its end).

    Cheap on ordinary sheets: the chunk is cut into tiles of half the limit and only a tile with
    no ``<`` at all (a stretch of at least that length) sends the chunk to the exact count."""
    first = data.find(b"<")
    if first < 0:
        return run + len(data), run + len(data)
    last = data.rfind(b"<")
    longest = max(run + first, len(data) - last - 1)
    tile = MAX_TEXT_BYTES // 2
    for start in range(first, last, tile):
        if data.find(b"<", start + 1, min(start + 1 + tile, last + 1)) < 0:
            longest = max(longest, max(map(len, data[first + 1:last].split(b"<"))))
            break
    return longest, len(data) - last - 1


def _column_number(letters: bytes) -> int:
    number = 0
    for char in letters:
        number = number * 26 + char - 64
    return number


def scan_sheet(archive: zipfile.ZipFile, path: str) -> tuple[list[tuple[int, int, int, int]], dict[int, str], int]:
    """Merged ranges (row1, col1, row2, col2), formula cells lacking a value by row, formula count."""
    merges: dict[bytes, tuple[int, int, int, int]] = {}
    no_value: dict[int, str] = {}
    formulas: set[bytes] = set()
    tail = b""
    run = 0
    with archive.open(path.lstrip("/")) as part:
        while True:
            chunk = part.read(_SCAN_CHUNK)
            longest, run = _longest_text(chunk, run)
            if longest > MAX_TEXT_BYTES:
                raise ValidationError(None, None, f"a cell of sheet {path.rsplit('/', 1)[-1]} holds more than "
                                                  f"{MAX_CELL_CHARS} characters (Excel's own limit): a damaged "
                                                  "or crafted file")
            data = tail + chunk
            for match in _MERGE.finditer(data):
                c1, r1, c2, r2 = match.groups()
                merges[match.group(0)] = (int(r1), _column_number(c1), int(r2 or r1), _column_number(c2 or c1))
            for match in _FORMULA.finditer(data):
                ref = match.group(1) + match.group(2)
                formulas.add(ref)
                value = match.group(3)
                if value is None or value == b"<v></v>":
                    no_value.setdefault(int(match.group(2)), ref.decode())
            if not chunk:
                break
            tail = data[-_OVERLAP:]
    return sorted(merges.values()), no_value, len(formulas)


def cell_text(value) -> str:
    """Lossless text of an Excel value: ints without '.0', dates as YYYY-MM-DD."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < _EXACT:
            return str(int(value))
        return repr(value)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return str(value)
    return str(value)


def _precision_lost(value) -> bool:
    """Excel keeps 15 significant digits: an 18-digit ID typed as a number is already damaged."""
    return isinstance(value, float) and abs(value) >= 1e15 or isinstance(value, int) and abs(value) >= 10 ** 15


def xlsx_tables(src: Source) -> Iterator[Table]:
    import warnings

    from openpyxl import load_workbook

    check_parts(src)
    try:
        with warnings.catch_warnings():  # WPS files trigger style/extension warnings on stderr
            warnings.simplefilter("ignore")
            workbook = load_workbook(src.stream, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged archive
        raise ValidationError(None, None, f"{src.name}: cannot read the workbook ({type(exc).__name__}: {exc})") from None
    src._closers.insert(0, workbook.close)
    sheets = [ws for ws in workbook.worksheets if hasattr(ws, "iter_rows")]
    if src.sheet is not None:
        sheets = [ws for ws in sheets if ws.title == src.sheet]
        if not sheets:
            names = ", ".join(ws.title for ws in workbook.worksheets)
            raise ValidationError("sheet", src.sheet, f"no such sheet; the workbook has: {names}")
    for ws in sheets:
        table = _sheet_table(src, workbook, ws)
        if table is not None:
            yield table


def _sheet_table(src: Source, workbook, ws) -> Table | None:
    merges, no_value, formula_count = scan_sheet(workbook._archive, ws._worksheet_path)
    rows = enumerate(ws.iter_rows(values_only=True), start=1)
    head = []
    for number, values in rows:
        head.append((number, values))
        if len(head) >= HEADER_SCAN_ROWS:
            break
    index = pick_header(head)
    if index < 0:
        return None
    header_row = head[index][0]
    label = f"{src.name} sheet {ws.title!r}"
    headers = trim_header(list(head[index][1]), label)
    width = len(headers)
    for r1, c1, r2, c2 in merges:
        if r1 <= header_row <= r2 and c1 <= width:
            raise ValidationError(None, None, f"{label}: the header row has merged cells; give every column its own header")
    if index:
        src.warnings.append(f"sheet {ws.title!r}: skipped {index} title row(s) above the header")
    if formula_count:
        src.warnings.append(
            f"sheet {ws.title!r}: {formula_count} formula cell(s); the values Excel last calculated are imported")
    merged_rows = _merged_rows(merges, header_row, width)
    table = Table(ws.title, headers)

    def data():
        for number, values in head[index + 1:]:
            yield from _row(table, number, values, width, merged_rows, no_value)
        for number, values in rows:
            yield from _row(table, number, values, width, merged_rows, no_value)

    table.rows = src._counted(data())
    return table


def _merged_rows(merges, header_row: int, width: int) -> dict[int, str]:
    """Data rows touched by a merged range (so a value appears in only one of them)."""
    result: dict[int, str] = {}
    for r1, c1, r2, c2 in merges:
        if r2 <= header_row or c1 > width:
            continue
        if r1 == r2:
            continue  # merged across columns in one row: the value is still in its row
        text = f"cells in rows {r1}-{r2} are merged; unmerge them and fill in every row"
        for number in range(max(r1, header_row + 1), r2 + 1):
            result.setdefault(number, text)
    return result


def _row(table: Table, number: int, values, width: int, merged_rows, no_value) -> Iterator[Row]:
    if values is None or not any(value is not None and value != "" for value in values):
        return
    original = values
    error = column = None
    if len(values) > width:
        if any(value is not None and str(value).strip() for value in values[width:]):
            error = ragged_reason(len(values), width)
        values = values[:width]
    cells = [value if value.__class__ is str else cell_text(value) for value in values]
    if len(cells) < width:
        cells.extend([""] * (width - len(cells)))
    if error is None:
        if number in merged_rows:
            error = merged_rows[number]
        elif number in no_value:
            error = f"cell {no_value[number]} is a formula with no saved value; open and save the file in Excel"
        else:
            for column, (value, header) in enumerate(zip(values, table.headers)):
                if value is not None and value.__class__ is not str:
                    if _precision_lost(value):
                        error = (f"the number {cell_text(value)} has more than 15 digits and Excel has "
                                 f"rounded it; format the column as text (文本) and type it again")
                        break
                elif value is not None and len(value) > MAX_CELL_CHARS:
                    error = f"{len(value)} characters; at most {MAX_CELL_CHARS} are allowed"
                    break
            else:
                column = None
    yield Row(table, number, cells, original, error, column if error else None)

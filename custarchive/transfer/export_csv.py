"""CSV export as bytes: the cells' stored UTF-8 goes to the file without becoming text.

Turning every row into values (``Plan.convert``) and writing them with the
csv module through a text stream makes a str per cell from UTF-8, looks at
each cell and encodes the line again: about twice what the sqlite3 shell
spends on the same table. Here the driver hands over each text cell as its
bytes (SQLite: a ``bytes`` text factory; PostgreSQL: ``convert_to(…,
'UTF8')``, a ``bytea``) and the work is done a batch at a time, in C wherever
it can be:

- the batch is turned into columns (``zip``); only the columns that need
  Python (sealed values, masking, amounts, template fields kept in
  ``extra``) are converted, each by one loop over its cells, taking the same
  steps as ``Plan.convert``; plain text columns are never touched;
- a line is its cells joined by 0xFF (a byte UTF-8 never contains), the
  batch its lines joined the same way, and one ``translate`` plus a few ``find``
  calls over the whole batch find the lines holding what the csv module would
  quote (``, " CR LF NUL``) or a cell that could run as a formula (starting
  with ``= + - @ TAB CR``);
- a flagged line (about 5%, commas in addresses) is repaired cell by cell:
  each flagged text cell goes through ``csv_value`` and the csv module
  alone. Anything less ordinary (a formula start in a cell that may be a
  number, a bool or a list in ``extra``, a one-column empty line) takes the
  whole general path, ``Plan.convert``, ``csv_value`` and the csv module, so
  quoting, neutralising and masking each keep one implementation;
- for a spreadsheet (the default of a file), the protected columns' cells
  that a spreadsheet would turn into numbers are marked (``excel_csv``)
  after the conversions, one pass over each such column, and the marks
  become ``="…"`` by two ``replace`` calls over the batch.
"""
from __future__ import annotations

import codecs
import csv
import gc
import io
import json
from bisect import bisect_right
from contextlib import contextmanager
from itertools import accumulate, repeat
from typing import Any, Callable

from sqlalchemy import text

from custarchive.core.crypto import TOKEN
from custarchive.core.masking import mask
from custarchive.transfer.io.excel_csv import excel_text, mark_cell, mark_cells, restore
from custarchive.transfer.io.writers import _open_out, csv_encoding, csv_value

_SEP = b"\xff"  # between the cells of a line, and between the lines of a batch while it is checked
# What the csv module would quote becomes 0x01, what could start a formula 0x02: a line needs care if
# it holds 0x01, or 0x02 at its start or after a separator.
_CARE = bytes.maketrans(b',"\r\n\x00\x01\x02=+-@\t\'', b"\x01" * 7 + b"\x02" * 6)  # ' before a formula start
_FORMULA_STARTS = frozenset(bytes((byte,)) for byte in b"=+-@\t\r")
_TOKEN = TOKEN.encode()
_UTF8 = ("utf-8", "utf-8-sig")
_PLUS_ONE = (1).__add__
_COMMAS = bytes.maketrans(_SEP, b",")
BATCH = 1000


def _encode(value: Any) -> bytes | None:
    """A cell's bytes where ``str()`` is what the csv module writes; None sends the line the general way."""
    if value is None:
        return b""
    cls = value.__class__
    if cls is str:
        return value.encode()
    if cls is int or cls is float:
        return str(value).encode()
    return None


def _number(value) -> bytes | None:
    if value.__class__ is float:
        return str(int(value) if value.is_integer() else value).encode()
    return _encode(value)


def _amounts(items, _templates) -> list:
    """An amount column: integral amounts without ``.0`` (``Plan.convert``); text stored there as it is."""
    return [b"" if item is None else item if item.__class__ is bytes else _number(item) for item in items]


class _Layout:
    """The SELECT list for a plan, and which of its columns Python converts how."""

    def __init__(self, plan, dialect: str = "sqlite", protect: frozenset[int] = frozenset()):
        self.plan = plan
        self.protect = protect  # output positions written for a spreadsheet (``excel_csv``)
        # a text column as UTF-8 bytes (on SQLite the connection's text factory does it)
        as_bytes = (lambda column: column) if dialect == "sqlite" else (lambda column: f"convert_to({column}, 'UTF8')")
        extras = {pos for pos, _name in plan.extra_positions}
        amounts = set(plan.amounts)
        sealed = {pos for pos, _name in plan.sealed}
        converters = dict(plan.converters)
        self.openers = openers = ({name: plan.keys.opener(name) for _pos, name in plan.sealed}
                                  if plan.keys is not None else {})
        self.amounts, self.converters = amounts, converters
        self.masked = {template.encode(): frozenset(pos for pos, _name in masks)
                       for template, masks in plan.masks.items()}
        self.default_masked = frozenset(pos for pos, _name in plan.default_mask)

        def value_of(pos: int, name: str) -> Callable[[Any, frozenset], Any]:
            """``Plan.convert`` for one cell: open, amount, converter, mask."""
            opener = openers.get(name)
            is_amount = pos in amounts
            convert = converters.get(pos)

            def value(item, masked):
                if opener is not None and item.__class__ is str and item.startswith(TOKEN):
                    item = opener(item)
                if is_amount and item.__class__ is float and item.is_integer():
                    item = int(item)
                if convert is not None and item is not None:
                    item = convert(item)
                if pos in masked and item is not None and item != "":
                    item = mask(name, item)
                return item

            return value

        self.select: list[str] = []
        self.item_of: list[int | None] = []  # select index of each output position (None: from extra)
        self.steps: list[tuple[int, Callable]] = []  # (select index, convert(column, templates) -> cells)
        self.marked: list[int] = []  # select indexes of the protected columns, marked after the steps
        self.plain: set[int] = set()  # output positions that are a text column as stored
        self.by_template = False  # whether a step masks differently for different templates
        self.extra_item = None
        for pos, name in enumerate(plan.fields):
            if pos in extras:
                self.item_of.append(None)
                if pos - 1 in extras:
                    continue
                run = []
                while pos + len(run) in extras:
                    run.append(pos + len(run))
                self.extra_item = len(self.select)
                self.by_template |= any(self._rule(at) is None for at in run)
                cells = [(plan.fields[at], value_of(at, plan.fields[at]), at in protect) for at in run]
                self.steps.append((len(self.select), self._extras(cells)))
                self.select.append(as_bytes("extra"))
                continue
            self.item_of.append(len(self.select))
            if pos in protect and pos not in amounts:
                self.marked.append(len(self.select))
            if pos in sealed:
                self.steps.append((len(self.select), self._sealed(pos, name, value_of(pos, name))))
                self.select.append(name if pos in amounts else as_bytes(name))
            elif pos in amounts:
                self.steps.append((len(self.select), _amounts))
                self.select.append(name)
            else:  # text as stored; a converter (multi-choice lists) never applies to a column's text
                self.plain.add(pos)
                self.select.append(as_bytes(f"coalesce({name}, '')"))
        self.width = len(self.select)
        if self.by_template:
            self.select.append(as_bytes("template"))

    def _masked(self, template: bytes | None) -> frozenset:
        found = self.masked.get(template)
        return self.default_masked if found is None else found

    def _rule(self, pos: int) -> bool | None:
        """Whether ``pos`` is masked whatever the row's template (True/False), or None: it depends."""
        decisions = {pos in masked for masked in self.masked.values()} | {pos in self.default_masked}
        return decisions.pop() if len(decisions) == 1 else None

    def _sealed(self, pos: int, name: str, value: Callable) -> Callable:
        """A sealed column: each token opened from its bytes and masked for its row's template."""
        opener = self.openers.get(name)
        rule = self._rule(pos)
        self.by_template |= rule is None
        if opener is None or pos in self.amounts or pos in self.converters:
            def convert(items, templates):
                return [_encode(value(item.decode() if item.__class__ is bytes else item, self._masked(template)))
                        for item, template in zip(items, templates or repeat(None))]

            return convert

        def cell(item, hide: bool):
            if item.__class__ is not bytes:  # a number in a text column
                return _encode(value(item, frozenset((pos,)) if hide else frozenset()))
            plain = opener(item) if item.startswith(_TOKEN) else item.decode()
            if hide and plain != "":
                plain = mask(name, plain)
            return plain.encode() if plain.__class__ is str else _encode(plain)

        if rule is not None:
            def convert(items, _templates):
                return [b"" if item is None else cell(item, rule) for item in items]
        else:
            def convert(items, templates):
                return [b"" if item is None else cell(item, pos in self._masked(template))
                        for item, template in zip(items, templates)]

        return convert

    def _extras(self, run: list[tuple[str, Callable, bool]]) -> Callable:
        """A run of template fields from the ``extra`` JSON; an empty one is a constant run of separators.
        A protected field's cell is marked here (the run is one column of the batch)."""
        empty = _SEP * (len(run) - 1)

        def cells(item, template):
            data = json.loads(item)
            masked = self._masked(template)
            parts = []
            for name, value, protected in run:
                cell = _encode(value(data.get(name), masked))
                if cell is None:
                    return None
                parts.append(mark_cell(cell) if protected else cell)
            return _SEP.join(parts)

        def convert(items, templates):
            return [empty if not item or item == b"{}" else cells(item, template)
                    for item, template in zip(items, templates or repeat(None))]

        return convert

    def general(self, row) -> list:
        """The row ``Plan.convert`` would have had from the general query, converted by it."""
        values = []
        for index in self.item_of:
            if index is None:
                values.append(None)
            else:
                item = row[index]
                values.append(item.decode() if item.__class__ is bytes else item)
        # Without a template column every step masks alike for all templates: the default decides.
        values.append(row[self.width].decode() if self.by_template else "")
        if self.extra_item is not None:
            extra = row[self.extra_item]
            values.append(extra.decode() if extra else None)
        return self.plan.convert(values)


def _flagged(marked: bytes, ends: list[int]) -> list[int]:
    """Indexes of the lines whose part of ``marked`` (the batch's lines joined by 0xFF, translated by
    ``_CARE``) holds 0x01, or 0x02 at a cell's start: two ``find`` loops over the whole batch and a
    bisect per hit. ``ends[i]`` is where line ``i + 1`` starts."""
    found = {0} if marked[:1] == b"\x02" else set()
    for needle, shift in ((b"\x01", 0), (b"\xff\x02", 1)):  # the 0x02 decides the line (0xFF may end the one before)
        at = marked.find(needle)
        while at >= 0:
            index = bisect_right(ends, at + shift)
            found.add(index)
            at = marked.find(needle, ends[index] - shift) if index < len(ends) else -1
    return sorted(found)


def _cells_to_repair(marks: bytes) -> set[int]:
    """Positions of the cells of one line's ``marks`` that hold 0x01 or start with 0x02."""
    found = {0} if marks[:1] == b"\x02" else set()
    at = marks.find(b"\x01")
    while at >= 0:
        found.add(marks.count(_SEP, 0, at))
        end = marks.find(_SEP, at)
        at = marks.find(b"\x01", end) if end >= 0 else -1
    at = marks.find(b"\xff\x02")
    while at >= 0:
        found.add(marks.count(_SEP, 0, at) + 1)
        at = marks.find(b"\xff\x02", at + 1)
    return found


def _joined(columns: list) -> tuple[list[bytes], list[int]]:
    """The lines of a batch where some cell is not bytes, and the indexes of those lines (left empty
    here, for the general path)."""
    lines, left = [], []
    for index, cells in enumerate(zip(*columns)):
        try:
            lines.append(_SEP.join(cells))
        except TypeError:
            lines.append(b"")
            left.append(index)
    return lines, left


class _Lines:
    """The batch loop: rows of a ``_Layout`` query to CSV lines, checked, repaired and written."""

    def __init__(self, layout: _Layout):
        self.layout = layout
        self.fields = len(layout.plan.fields)
        self.buffer = io.StringIO(newline="")
        self.writer = csv.writer(self.buffer, delimiter=",")

    def written(self, values) -> bytes:
        """One line as the csv module writes it, without its line end."""
        self.buffer.seek(0)
        self.buffer.truncate()
        self.writer.writerow(values)
        return self.buffer.getvalue()[:-2].encode()

    def general(self, row) -> bytes:
        protect = self.layout.protect
        return self.written([excel_text(csv_value(value)) if pos in protect else csv_value(value)
                             for pos, value in enumerate(self.layout.general(row))])

    def repaired(self, line: bytes, marks: bytes, row) -> bytes:
        """A flagged line with each flagged cell written by ``csv_value`` and the csv module."""
        cells = line.split(_SEP)
        if len(cells) != self.fields or (self.fields == 1 and not line):
            return self.general(row)
        for pos in _cells_to_repair(marks):
            cell = cells[pos]
            if pos not in self.layout.plain and cell[:1] in _FORMULA_STARTS:
                return self.general(row)  # a number is never neutralised, text is: the general path knows which
            cells[pos] = self.written((csv_value(cell.decode()),))
        return b",".join(cells)

    def batch(self, batch: list) -> list[bytes]:
        """The CSV lines (without line ends) of one batch of rows."""
        layout = self.layout
        columns = list(zip(*batch))
        templates = columns[layout.width] if layout.by_template else None
        for index, convert in layout.steps:
            columns[index] = convert(columns[index], templates)
        for index in layout.marked:
            columns[index] = mark_cells(columns[index])
        if layout.by_template:
            del columns[layout.width]
        try:
            lines = list(map(_SEP.join, zip(*columns)))
            left = ()
        except TypeError:  # a cell the fast steps left to the general path
            lines, left = _joined(columns)
        marked = _SEP.join(lines).translate(_CARE)
        ends = list(accumulate(map(_PLUS_ONE, map(len, lines))))  # just past each line's separator
        flagged = _flagged(marked, ends)
        if self.fields == 1:
            flagged = sorted(set(flagged).union(i for i, line in enumerate(lines) if not line))
        for index in flagged:
            start = ends[index - 1] if index else 0
            lines[index] = self.repaired(lines[index], marked[start:ends[index] - 1], batch[index])
        for index in left:
            lines[index] = self.general(batch[index])
        return lines

    def copy(self, cursor, stream, encoded: Callable | None = None, progress: Callable | None = None) -> int:
        """Write the rows of ``cursor`` to ``stream`` as UTF-8 (or through ``encoded``); returns how many.
        ``progress(count)`` is told after each batch."""
        count = 0
        collecting = gc.isenabled()
        gc.disable()  # a batch makes thousands of tuples and no cycles; collecting would only rescan
        try:
            while batch := cursor.fetchmany(BATCH):
                lines = self.batch(batch)
                lines.append(b"")
                data = b"\r\n".join(lines).translate(_COMMAS)
                if self.layout.protect:
                    data = restore(data)
                count += len(batch)
                if encoded is None:
                    stream.write(data)
                else:
                    encoded(data, lines, batch)
                if progress is not None:
                    progress(count)
            return count
        finally:
            if collecting:
                gc.enable()


def write(conn, plan, where: str, params: dict, out, headers: list[str], encoding: str | None, state: dict,
          protect: frozenset[int] = frozenset()) -> int:
    """Write the plan's rows as CSV to ``out`` (a path or '-'); returns how many were written. The cells
    at the output positions ``protect`` are written for a spreadsheet (``excel_csv``)."""
    layout = _Layout(plan, conn.dialect.name, protect)
    lines = _Lines(layout)
    query = f"SELECT {', '.join(layout.select)} FROM customers{where} ORDER BY archive_no"
    number_at = layout.item_of[plan.fields.index("archive_no")] if "archive_no" in plan.fields else None
    stream, owned, to_file = _open_out(out)
    name = csv_encoding(encoding, to_file)
    encoder = codecs.getincrementalencoder(name)()
    encoded = None
    if codecs.lookup(name).name not in _UTF8:
        def encoded(data, batch_lines, batch):
            _write_encoded(stream, encoder, name, data, batch_lines, batch, number_at, state)
    try:
        stream.write(encoder.encode(lines.written([csv_value(header) for header in headers]).decode() + "\r\n"))
        with _cursor(conn, query, params) as cursor:
            return lines.copy(cursor, stream, encoded, state.get("progress"))
    finally:
        if owned:
            stream.close()
        else:
            stream.flush()


@contextmanager
def _cursor(conn, query: str, params: dict):
    """The rows of ``query``, fetched in batches by ``fetchmany``: on SQLite from the driver's own
    cursor with text as bytes (plain tuples, no SQLAlchemy Row per record), on PostgreSQL from a
    server-side cursor (the query turns text into bytes itself), so memory stays flat."""
    if conn.dialect.name != "sqlite":
        result = conn.execution_options(stream_results=True, yield_per=BATCH).execute(text(query), params)
        try:
            yield result
        finally:
            result.close()
        return
    driver = conn.connection.driver_connection
    factory = driver.text_factory
    driver.text_factory = bytes
    cursor = driver.cursor()
    try:
        cursor.execute(query, params)
        yield cursor
    finally:
        cursor.close()
        driver.text_factory = factory


def _write_encoded(stream, encoder, name: str, data: bytes, lines: list, batch: list, number_at: int | None,
                   state: dict) -> None:
    """Another encoding than UTF-8 (GBK, …): a character it lacks is reported with its line's archive number."""
    try:
        stream.write(encoder.encode(data.decode()))
    except UnicodeEncodeError:
        for line, row in zip(lines, batch):
            if number_at is not None:
                state["archive_no"] = row[number_at].decode()
            codecs.encode(restore(line.replace(_SEP, b",")).decode(), name)
        raise

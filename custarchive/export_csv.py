"""CSV export on SQLite as bytes: the cells' stored UTF-8 goes to the file without becoming text.

The general path (``Plan.convert``, then the csv module through a text
stream) makes a str per cell from UTF-8, looks at each cell and encodes the
line again: about three times what the sqlite3 shell spends on the same
table. Here the driver hands over each text cell as its bytes, a line is the
cells joined by 0xFF (a byte UTF-8 never contains) and one ``translate`` plus
two scans look at the whole line for what the csv module would quote (``, "
CR LF NUL``) or what could run as a formula (a cell starting with
``= + - @ TAB CR``).
A clean line only has its separators turned into commas. A flagged line,
and any cell the fast steps do not know (a bool or a list in ``extra``),
goes through ``Plan.convert``, ``csv_value`` and the csv module as before,
so quoting, neutralising and masking each keep one implementation.

Cells that need Python (sealed values, masking, amounts, template fields
kept in ``extra``) take the same steps as ``Plan.convert``, per cell.
"""
from __future__ import annotations

import codecs
import csv
import io
import json
from typing import Any, Callable

from custarchive.crypto import TOKEN
from custarchive.io.writers import _open_out, csv_encoding, csv_value
from custarchive.masking import mask

_SEP = b"\xff"
# What the csv module would quote becomes 0x01, what could start a formula 0x02: a line needs care if
# it holds 0x01, or 0x02 at its start or after a separator (one translate and two scans, all in C).
_CARE = bytes.maketrans(b',"\r\n\x00\x01\x02=+-@\t', b"\x01" * 7 + b"\x02" * 5)
_TOKEN = TOKEN.encode()
_UTF8 = ("utf-8", "utf-8-sig")
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


def _amount(value, _template) -> bytes | None:
    if value.__class__ is float:
        return str(int(value) if value.is_integer() else value).encode()
    if value is None:
        return b""
    return value if value.__class__ is bytes else _encode(value)


class _Layout:
    """The SELECT list for a plan, and what Python does to which cell of its rows."""

    def __init__(self, plan):
        self.plan = plan
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
        self.item_of: list[int | None] = []  # fast-row index of each output position (None: from extra)
        self.steps: list[tuple[int, Callable]] = []
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
                cells = [(plan.fields[at], value_of(at, plan.fields[at])) for at in run]
                self.steps.append((len(self.select), self._extras(cells)))
                self.select.append("extra")
                continue
            self.item_of.append(len(self.select))
            if pos in sealed:
                self.steps.append((len(self.select), self._sealed(pos, name, value_of(pos, name))))
                self.select.append(name)
            elif pos in amounts:
                self.steps.append((len(self.select), _amount))
                self.select.append(name)
            else:  # text as stored; a converter (multi-choice lists) never applies to a column's text
                self.select.append(f"ifnull({name}, '')")
        self.width = len(self.select)
        if self.steps:
            self.select.append("template")

    def _masked(self, template: bytes) -> frozenset:
        found = self.masked.get(template)
        return self.default_masked if found is None else found

    def _sealed(self, pos: int, name: str, value: Callable) -> Callable:
        """A sealed column: the token opened from its bytes and masked for the row's template."""
        opener = self.openers.get(name)
        if opener is None or pos in self.amounts or pos in self.converters:
            def step(item, template):
                if item.__class__ is bytes:
                    item = item.decode()
                return _encode(value(item, self._masked(template)))

            return step
        masked, default = self.masked, self.default_masked

        def step(item, template):
            if item is None:
                return b""
            plain = opener(item) if item.startswith(_TOKEN) else item.decode()
            if pos in masked.get(template, default) and plain != "":
                plain = mask(name, plain)
            return plain.encode() if plain.__class__ is str else _encode(plain)

        return step

    def _extras(self, run: list[tuple[str, Callable]]) -> Callable:
        empty = _SEP * (len(run) - 1)

        def step(item, template):
            if not item or item == b"{}":
                return empty
            data = json.loads(item)
            masked = self._masked(template)
            parts = []
            for name, value in run:
                cell = _encode(value(data.get(name), masked))
                if cell is None:
                    return None
                parts.append(cell)
            return _SEP.join(parts)

        return step

    def general(self, row) -> list:
        """The row ``Plan.convert`` would have had from the general query, converted by it."""
        values = []
        for index in self.item_of:
            if index is None:
                values.append(None)
            else:
                item = row[index]
                values.append(item.decode() if item.__class__ is bytes else item)
        template = row[-1] if self.steps else b""
        values.append(template.decode())
        if self.extra_item is not None:
            extra = row[self.extra_item]
            values.append(extra.decode() if extra else None)
        return self.plan.convert(values)


def write(conn, plan, where: str, params: dict, out, headers: list[str], encoding: str | None, state: dict) -> int:
    """Write the plan's rows as CSV to ``out`` (a path or '-'); returns how many were written."""
    layout = _Layout(plan)
    query = f"SELECT {', '.join(layout.select)} FROM customers{where} ORDER BY archive_no"
    number_at = layout.item_of[plan.fields.index("archive_no")] if "archive_no" in plan.fields else None
    steps, width = layout.steps, layout.width
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=",")

    def general(row) -> bytes:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([csv_value(value) for value in layout.general(row)])
        return buffer.getvalue()[:-2].encode()

    stream, owned, to_file = _open_out(out)
    name = csv_encoding(encoding, to_file)
    encoder = codecs.getincrementalencoder(name)()
    as_stored = codecs.lookup(name).name in _UTF8
    driver = conn.connection.driver_connection
    factory = driver.text_factory
    cursor = None
    count = 0
    try:
        writer.writerow([csv_value(header) for header in headers])
        stream.write(encoder.encode(buffer.getvalue()))
        driver.text_factory = bytes
        cursor = driver.cursor()
        cursor.execute(query, params)
        care = _CARE
        while batch := cursor.fetchmany(BATCH):
            lines = []
            for row in batch:
                if steps:
                    cells = list(row)
                    template = row[width]
                    for index, step in steps:
                        cells[index] = step(row[index], template)
                    del cells[width]
                else:
                    cells = row
                try:
                    line = _SEP.join(cells)
                except TypeError:  # a cell the fast steps left to the general path
                    line = general(row)
                else:
                    marked = line.translate(care)
                    if b"\x01" in marked or b"\xff\x02" in marked or marked[:1] == b"\x02" or not line:
                        line = general(row)
                lines.append(line)
            lines.append(b"")
            data = b"\r\n".join(lines).replace(_SEP, b",")
            count += len(batch)
            if as_stored:
                stream.write(data)
            else:
                _write_encoded(stream, encoder, name, data, lines, batch, number_at, state)
        return count
    finally:
        driver.text_factory = factory
        if cursor is not None:
            cursor.close()
        if owned:
            stream.close()
        else:
            stream.flush()


def _write_encoded(stream, encoder, name: str, data: bytes, lines: list, batch: list, number_at: int | None,
                   state: dict) -> None:
    """Another encoding than UTF-8 (GBK, …): a character it lacks is reported with its line's archive number."""
    try:
        stream.write(encoder.encode(data.decode()))
    except UnicodeEncodeError:
        for line, row in zip(lines, batch):
            if number_at is not None:
                state["archive_no"] = row[number_at].decode()
            codecs.encode(line.replace(_SEP, b",").decode(), name)
        raise

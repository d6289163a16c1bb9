"""Batch import: rows from any supported file become archives, all or nothing.

One import is one write transaction. Rows are read lazily and handled in
chunks: each chunk is validated by a ``preparing.Preparer`` (the rules of
``add``), checked for identity conflicts, inserted with ``archive.insert_cards`` and logged, so memory stays
flat however long the file is. Identity keys seen earlier in the same file are
found in the database itself (earlier chunks are already inserted,
uncommitted, in this transaction), so no per-file key set grows with the
file. The caller decides whether the transaction commits (``--dry-run`` and
``--strict`` roll it back).
"""
from __future__ import annotations

import datetime as _dt
import secrets
import time
from array import array
from dataclasses import dataclass, field
from typing import Any, Callable

from sqlalchemy import text

from custarchive.cards import archive, lookup, numbering
from custarchive.core import authz, crypto
from custarchive.core.changelog import Actor
from custarchive.core.crypto import keyring
from custarchive.core.fields import CANONICAL
from custarchive.core.sqlutil import DeferredIndexes, picker
from custarchive.core.templates import load_template, template_files
from custarchive.core.values import card_cautions
from custarchive.errors import CustarchiveError, UsageError, ValidationError
from custarchive.store.bulkload import GrowingTable
from custarchive.transfer import import_duplicates
from custarchive.transfer.io import build_header_map
from custarchive.transfer.preparing import New, Preparer, Refused, record_of


CHUNK_ROWS = 1000
# Plain indexes are rebuilt at the end once an import has added this many archives and at least as many
# as the table held before (so the rebuild never costs more than twice the import itself).
DEFER_INDEXES_AFTER = 2000
KEEP_REJECTED = 10_000       # rejected rows kept for --json; all of them go to stderr and --errors
KEEP_DUPLICATES = 1_000      # possible duplicates listed in the summary
DUPLICATE_MODES = ("error", "skip", "update")
IGNORED_SYSTEM_COLUMNS = ("status", "grade", "created_at", "updated_at", "created_by")
IDENTITY_KEYS = archive.IDENTITY_KEYS


@dataclass
class Options:
    on_duplicate: str = "error"
    template: str | None = None
    kind: str | None = None
    category: str | None = None
    map_file: str | None = None
    keep_numbers: bool = False
    chunk_rows: int | None = None  # CHUNK_ROWS


@dataclass
class Rejection:
    line: int
    where: str
    field: str | None
    value: Any
    reason: str

    def as_dict(self) -> dict:
        value = self.value
        if isinstance(value, str) and len(value) > 200:
            value = value[:200] + "…"
        return {"line": self.line, "where": self.where, "field": self.field, "value": value, "reason": self.reason}

    def message(self) -> str:
        shown = self.as_dict()["value"]
        where = f"{self.field}: " if self.field else ""
        return f"{self.where}: {where}{self.reason}" + (f" ({shown!r})" if shown not in (None, "") else "")


@dataclass
class Summary:
    batch_id: str
    read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    rejected: int = 0
    rejected_rows: list[Rejection] = field(default_factory=list)
    possible_duplicates: list[dict] = field(default_factory=list)
    possible_duplicate_count: int = 0
    masked: int = 0                 # masked cells (from a masked export) taken as "unchanged"
    cautions: list = field(default_factory=list)   # accepted but unusual values: {line, field, value, warning}
    caution_count: int = 0
    notices: list[str] = field(default_factory=list)
    started: float = field(default_factory=time.perf_counter)
    elapsed: float = 0.0

    def as_dict(self) -> dict:
        return {
            "batch_id": self.batch_id, "read": self.read, "inserted": self.inserted, "updated": self.updated,
            "unchanged": self.unchanged, "skipped": self.skipped, "rejected": self.rejected,
            "possible_duplicate_count": self.possible_duplicate_count,
            "masked_unchanged": self.masked, "warning_count": self.caution_count, "warnings": self.cautions,
            "elapsed_seconds": round(self.elapsed, 3),
            "rejected_rows": [r.as_dict() for r in self.rejected_rows],
            "rejected_rows_truncated": self.rejected > len(self.rejected_rows),
            "possible_duplicates": self.possible_duplicates,
            "notices": self.notices,
        }


@dataclass
class Events:
    """How the importer talks to its caller while it runs (it never prints)."""

    rejected: Callable[[Any, Rejection], None] = lambda row, rejection: None
    caution: Callable[[Any, dict], None] = lambda row, warning: None
    notice: Callable[[str], None] = lambda message: None
    progress: Callable[[int], None] = lambda rows: None


def new_batch_id() -> str:
    return f"imp-{_dt.datetime.now():%Y%m%d-%H%M%S}-{secrets.token_hex(3)}"


@dataclass(slots=True)
class Chunk:
    """Rows read together, the cells of each that the plan picks (None: the reader refused the row),
    and the field name of each picked cell."""

    rows: list
    cells: list[tuple | None]
    names: tuple

    def accepted(self) -> list[tuple]:
        return [picked for picked in self.cells if picked is not None]


@dataclass(slots=True)
class Candidate:
    """A row about to become a new archive: its card, storage form and what the row held (a record,
    or field names and cells, made a record only if the row turns into an update)."""

    row: Any
    card: dict
    stored: archive.StoredCard
    source: dict | tuple

    def record(self) -> dict:
        return record_of(*self.source) if isinstance(self.source, tuple) else self.source


def extra_labels(template_name: str | None) -> dict[str, str]:
    """Template-only fields (name → Chinese label) that a header may name.

    With ``--template`` only that template's; otherwise every template's, so a
    ``template`` column can pick any of them per row.
    """
    names = [template_name] if template_name else list(template_files())
    labels: dict[str, str] = {}
    for name in names:
        for spec in load_template(name).fields.values():
            if spec.name not in CANONICAL:
                labels.setdefault(spec.name, spec.label_zh)
    return labels


class Importer:
    """One import on one connection: call :meth:`run` with an opened ``io.Source``."""

    def __init__(self, conn, actor: Actor, options: Options, events: Events | None = None):
        if options.on_duplicate not in DUPLICATE_MODES:
            raise UsageError(f"--on-duplicate must be one of {', '.join(DUPLICATE_MODES)}")
        self.conn = conn
        self.actor = actor
        self.options = options
        self.events = events or Events()
        self.summary = Summary(actor.batch_id or new_batch_id())
        categories = {row[0] for row in conn.execute(text("SELECT code FROM categories"))}

        self.preparer = Preparer(keyring(conn), categories, template=options.template, kind=options.kind,
                                 category=options.category)
        self.first_new_id = conn.execute(text("SELECT COALESCE(MAX(id), 0) FROM customers")).scalar()
        self.indexes = DeferredIndexes(conn, "customers")
        self.growing = GrowingTable(conn, "customers", int(self.first_new_id))
        self.lines = array("I")  # file line of each archive this import created, by id from line_base
        self.line_base: int | None = None
        self.column_fields: dict[int, str] = {}

    # --- the loop ---------------------------------------------------------------------------

    def run(self, source) -> Summary:
        with self.growing.unprepared():
            return self._run(source)

    def _run(self, source) -> Summary:
        authz.require(self.conn, self.actor, "import")
        labels = extra_labels(self.options.template)
        for table in source.tables():
            hmap = build_header_map(table.headers, labels, self.options.map_file)
            hmap.check()
            self.column_fields = dict(hmap.fields)
            plan = self._plan(table, hmap)
            names = tuple(name for _index, name in plan)
            pick = picker([index for index, _name in plan])
            for rows in self._chunks(table.rows):
                chunk = Chunk(rows, [None if row.error else pick(row.cells) for row in rows], names)
                self._write(chunk, self.preparer.prepare_chunk(names, chunk.accepted()))
        self.indexes.rebuild()
        self.summary.masked = self.preparer.masked
        self.summary.possible_duplicate_count = import_duplicates.find(
            self.conn, int(self.first_new_id), self.line_base or 0, self.lines, self.summary.possible_duplicates,
            KEEP_DUPLICATES)
        for warning in source.warnings:
            self._notice(warning)
        self.summary.elapsed = time.perf_counter() - self.summary.started
        return self.summary

    def _chunks(self, rows):
        size = self.options.chunk_rows or CHUNK_ROWS
        batch: list = []
        for row in rows:
            self.summary.read += 1
            batch.append(row)
            if len(batch) >= size:
                yield batch
                batch = []
        if batch:
            yield batch

    def _plan(self, table, hmap) -> list[tuple[int, str]]:
        where = f"sheet {table.name!r}: " if table.name is not None else ""
        plan = [(index, name) for index, name in sorted(hmap.fields.items()) if name not in IGNORED_SYSTEM_COLUMNS]
        if not plan:
            raise ValidationError(None, None, f"{where}no column matches a customer field "
                                  f"(headers: {', '.join(table.headers[:10])}); use --map FILE")
        if not any(name in ("name", "archive_no") for _i, name in plan):
            raise ValidationError(None, None, f"{where}no name column (姓名/名称/name) and no archive_no column")
        for index, header in hmap.unknown:
            self._notice(f"{where}column {index + 1} has no header; ignored" if not header.strip()
                         else f"{where}unknown column {header!r} ignored")
        skipped = [name for name in hmap.fields.values() if name in IGNORED_SYSTEM_COLUMNS]
        if skipped:
            self._notice(f"{where}columns set by custarchive are not imported: {', '.join(skipped)}")
        return plan

    def _notice(self, message: str) -> None:
        self.summary.notices.append(message)
        self.events.notice(message)

    def _reject(self, row, field: str | None, value: Any, reason: str) -> None:
        rejection = Rejection(row.line, row.where, field, value, reason)
        self.summary.rejected += 1
        if len(self.summary.rejected_rows) < KEEP_REJECTED:
            self.summary.rejected_rows.append(rejection)
        self.events.rejected(row, rejection)

    def _reject_error(self, row, exc: CustarchiveError) -> None:
        if isinstance(exc, ValidationError):
            self._reject(row, exc.field, exc.value, exc.reason)
        else:
            self._reject(row, None, None, exc.message)

    def _cautions(self, row, card: dict) -> None:
        """Unusual values that were stored (a phone block phonenumbers does not know): warned, not refused."""
        for text_ in card_cautions(card):
            warning = {"line": row.line, "where": row.where, "field": "phone", "value": card.get("phone"),
                       "warning": text_}
            self.summary.caution_count += 1
            if len(self.summary.cautions) < KEEP_DUPLICATES:
                self.summary.cautions.append(warning)
            self.events.caution(row, warning)

    def _damaged_cell(self, row) -> tuple[str | None, Any]:
        """The field (else the header) and value of the cell a reader refused a row for, if one."""
        column = getattr(row, "error_column", None)
        if column is None or column >= len(row.cells):
            return None, None
        headers = row.table.headers
        return self.column_fields.get(column) or (headers[column] if column < len(headers) else None), row.cells[column]

    # --- one chunk --------------------------------------------------------------------------

    def _write(self, chunk: Chunk, outcomes: list) -> None:
        """One chunk's prepared outcomes into the database: updates, identity checks, inserts."""
        new: list[Candidate] = []
        updates: list[tuple[Any, str, dict]] = []
        outcomes = iter(outcomes)
        names = chunk.names
        for row, picked in zip(chunk.rows, chunk.cells):
            if picked is None:
                self._reject(row, *self._damaged_cell(row), row.error)
                continue
            outcome = next(outcomes)
            if outcome.__class__ is New:
                new.append(Candidate(row, outcome.card, outcome.stored, (names, picked)))
            elif outcome.__class__ is Refused:
                self._reject(row, outcome.field, outcome.value, outcome.reason)
            else:
                self._numbered(row, outcome.number, outcome.record, new, updates)
        for row, number, record in updates:
            self._update(row, lookup.get_by_number(self.conn, number), record)
        accepted, later = self._check_identity(new)
        cards, stored = [], []
        for candidate in accepted:
            card = candidate.card
            if card.get("archive_no"):
                try:
                    numbering.claim(self.conn, card["category"], card["archive_no"])
                except CustarchiveError as exc:
                    self._reject_error(candidate.row, exc)
                    continue
            cards.append((candidate.row, card))
            stored.append(candidate.stored)
        archive.insert_cards(self.conn, [card for _row, card in cards], self.actor, identity_checked=True,
                             stored=stored)
        self.summary.inserted += len(cards)
        for candidate, target in later:
            fresh = lookup.get_by_number(self.conn, target.get("archive_no") or "")
            if fresh is None:
                self._reject(candidate.row, None, None, "duplicate of a row that was itself rejected")
            else:
                self._update(candidate.row, fresh, Preparer.update_sets(candidate.record()))
        for row, card in cards:
            self._cautions(row, card)
            if self.line_base is None:
                self.line_base = card["id"]
            # ids are consecutive (the write lock is held); were one skipped, it would only cost a zero
            self.lines.extend([0] * (card["id"] - self.line_base - len(self.lines)))
            self.lines.append(row.line)
        if self.summary.inserted >= max(self.first_new_id, DEFER_INDEXES_AFTER):
            self.indexes.defer()
        self.growing.grew(self.summary.inserted)
        self.events.progress(self.summary.read)

    def _numbered(self, row, number: str, record: dict, new: list, updates: list) -> None:
        """A row with an archive number updates that archive, or (``--keep-numbers``) creates it."""
        if lookup.get_by_number(self.conn, number) is not None:
            updates.append((row, number, record))
            return
        if not self.options.keep_numbers:
            self._reject(row, "archive_no", number, "no such archive (to create archives under their own numbers, "
                                                    "e.g. from another database's export, use --keep-numbers)")
            return
        try:
            card = self.preparer.card(dict(record))
        except CustarchiveError as exc:
            self._reject_error(row, exc)
            return
        card["archive_no"] = number
        new.append(Candidate(row, card, archive.store_form(self.preparer.keys, card), {**record, "archive_no": number}))

    def _update(self, row, card: dict, record: dict) -> None:
        sets = {key: value for key, value in record.items() if key not in ("archive_no", "template")}
        try:
            changes = archive.plan_update(self.conn, card, sets)  # validates everything before any write
            archive.apply_changes(self.conn, card, changes, self.actor)
        except CustarchiveError as exc:
            self._reject_error(row, exc)
            return
        if changes:
            self.summary.updated += 1
            if "phone" in changes:
                self._cautions(row, {"phone": changes["phone"][1]})
        else:
            self.summary.unchanged += 1

    def _check_identity(self, new: list[Candidate]) -> tuple[list[Candidate], list[tuple[Candidate, dict]]]:
        """Split new rows into (to insert, to update afterwards); reject or skip duplicates."""
        held: dict[tuple[str, str], dict] = {}
        for key in IDENTITY_KEYS + (("archive_no",) if self.options.keep_numbers else ()):
            digests = None
            if key in crypto.INDEX_COLUMNS:
                digests = {item.card[key]: archive.stored_index(item.stored, key) for item in new
                           if item.card.get(key)}
            found = archive.holders(self.conn, key, [item.card.get(key) for item in new], digests)
            for value, (cid, number) in found.items():
                held[(key, value)] = {"id": cid, "archive_no": number}
        accepted, later = [], []
        seen: dict[tuple[str, str], tuple[Any, dict]] = {}
        keys = IDENTITY_KEYS + ("archive_no",)
        for candidate in new:
            row, card = candidate.row, candidate.card
            target, reason, key = None, None, None
            for key in keys:
                value = card.get(key)
                if not value:
                    continue
                if (key, value) in held:
                    target = held[(key, value)]
                    earlier = target["id"] > self.first_new_id
                    reason = (f"already in archive {target['archive_no']}"
                              + (" (made from an earlier row of this file)" if earlier else ""))
                    break
                if (key, value) in seen:
                    first_row, target = seen[(key, value)]
                    reason = f"same as {first_row.where} of this file"
                    break
            if target is None:
                for name in keys:
                    if card.get(name):
                        seen[(name, card[name])] = (row, card)
                accepted.append(candidate)
            elif self.options.on_duplicate == "error":
                self._reject(row, key, card[key], f"duplicate: {reason} (use --on-duplicate skip or update)")
            elif self.options.on_duplicate == "skip":
                self.summary.skipped += 1
            else:
                later.append((candidate, target))
        return accepted, later

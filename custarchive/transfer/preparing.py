"""Import rows to storable cards, without the database: the half of an import that can run apart.

A :class:`Preparer` validates a chunk of records exactly as ``add`` does
(``archive.CardPlan``) and computes each card's storage form
(``archive.store_form``: sealed values, search keys, log body). It needs no
connection, so a long import runs it in a worker process (:class:`Worker`)
on the next chunk while the importer writes the current one: on a machine
with two cores the validation and the database writes overlap. Rows that
name an ``archive_no`` are handed back undecided, because only the database
knows whether that archive exists.
"""
from __future__ import annotations

import os
from typing import Any, Callable

from custarchive.cards import archive
from custarchive.core import crypto
from custarchive.core.fields import KIND_CHOICES
from custarchive.core.searchindex import normalize_query
from custarchive.core.templates import field_parser
from custarchive.core.values import parse_choice
from custarchive.errors import CustarchiveError, ValidationError
from custarchive.transfer import forked


NEW, NUMBERED, REFUSED = "new", "numbered", "refused"
# What the importer and archive.insert_cards read of a new card (category and number, identity keys,
# what consent checks); the rest is in its storage form and need not cross the pipe again.
_WRITER_READS = ("category", "template", "kind", *archive.IDENTITY_KEYS, *crypto.SENSITIVE_COLUMNS, "extra")


class ParseCache:
    """Memoised ``parse_field`` for repeated values (cities, industries, genders…).

    A field's cache is dropped once it holds ``LIMIT`` distinct values: such a
    column (names, phones) rarely repeats and caching it would only cost memory.
    Identity numbers and emails are never cached. :meth:`bind` gives one field's
    parser (what ``archive.CardPlan`` calls per value); calling the cache itself
    with ``(spec, raw)`` is the same parse.
    """

    LIMIT = 2048
    _UNCACHED = ("id_number", "credit_code", "email", "multi-choice")

    def __init__(self) -> None:
        self.bound: dict[int, tuple[Any, Callable[[Any], Any]]] = {}

    def bind(self, spec) -> Callable[[Any], Any]:
        found = self.bound.get(id(spec))
        if found is not None and found[0] is spec:
            return found[1]
        parse = field_parser(spec)
        if spec.type not in self._UNCACHED:
            parse = self._memoised(parse)
        self.bound[id(spec)] = (spec, parse)
        return parse

    def _memoised(self, parse: Callable[[Any], Any]) -> Callable[[Any], Any]:
        cache: dict | None = {}
        limit = self.LIMIT

        def cached(raw):
            nonlocal cache
            if cache is None or raw.__class__ is not str:
                return parse(raw)
            try:
                return cache[raw]
            except KeyError:
                pass
            value = parse(raw)
            if len(cache) < limit:
                cache[raw] = value
            else:
                cache = None
            return value
        return cached

    def __call__(self, spec, raw):
        return self.bind(spec)(raw)


class Preparer:
    """Records (field → raw text) to outcomes, one per record:

    - ``(NEW, card, stored)``: a valid new card (what the writer reads of it: ``_WRITER_READS``)
      and its ``archive.StoredCard`` as a plain tuple;
    - ``(NUMBERED, number, record)``: the record names an existing or kept archive number;
    - ``(REFUSED, field, value, reason)``: the row is rejected.
    """

    def __init__(self, keys, categories: set[str], *, template: str | None, kind: str | None,
                 category: str | None):
        self.keys = keys
        self.categories = categories
        self.template = template
        self.category = category
        self.parse = ParseCache()
        self.plans: dict[tuple, archive.CardPlan] = {}
        self._kinds: dict[tuple[str, str], str] = {}
        self.default_kind = self.kind(kind, "--kind") if kind else None
        if template:
            archive.choose_template(template, self.default_kind, {})
        if category:
            self.category_code(category)

    def prepare_chunk(self, names: tuple, cells: list[tuple]) -> list[tuple]:
        """Outcomes of rows given as cells in the order of ``names``."""
        outcomes = []
        for picked in cells:
            try:
                outcomes.append(self.prepare(record_of(names, picked)))
            except CustarchiveError as exc:
                if isinstance(exc, ValidationError):
                    outcomes.append((REFUSED, exc.field, exc.value, exc.reason))
                else:
                    outcomes.append((REFUSED, None, None, exc.message))
        return outcomes

    def prepare(self, record: dict) -> tuple:
        """One record's outcome; ``record`` is consumed."""
        record = _merge_extras(record)
        number = record.pop("archive_no", None)
        if number:
            return NUMBERED, normalize_query(number).upper(), record
        card = self.card(record)
        stored = archive.store_form(self.keys, card)
        return NEW, {key: card[key] for key in _WRITER_READS if card.get(key)}, tuple(stored)

    @staticmethod
    def update_sets(record: dict) -> dict:
        """What a row that turned out to duplicate an archive changes in it (``--on-duplicate update``)."""
        record = _merge_extras(dict(record))
        for name in ("archive_no", "template", "kind", "category"):
            record.pop(name, None)
        return record

    def card(self, record: dict) -> dict:
        """The validated card of a record without an archive number (``add``'s rules); consumes ``record``."""
        template_name = record.pop("template", None) or self.template
        kind = self.kind(record.pop("kind"), "kind") if "kind" in record else self.default_kind
        category = self.category_code(record.pop("category", None) or self.category or archive.DEFAULT_CATEGORY)
        template = archive.choose_template(template_name, kind, record)
        key = (template.name, tuple(record))
        plan = self.plans.get(key)
        if plan is None:
            if len(self.plans) > 256:
                self.plans.clear()
            plan = self.plans[key] = archive.CardPlan(template, record, self.parse)
        return plan.prepare(record, category)

    def kind(self, raw: str, where: str) -> str:
        found = self._kinds.get((raw, where))
        if found is None:
            found = parse_choice(raw, KIND_CHOICES, where)
            if len(self._kinds) < 64:
                self._kinds[(raw, where)] = found
        return found

    def category_code(self, raw: str) -> str:
        code = raw.strip().upper()
        if code not in self.categories:
            raise ValidationError("category", raw, f"unknown category (known: {', '.join(sorted(self.categories))})")
        return code


def record_of(names: tuple, cells: tuple) -> dict:
    """A row's non-blank cells by field name."""
    return {name: cell for name, cell in zip(names, cells) if cell and not cell.isspace()}


def _merge_extras(record: dict) -> dict:
    """The record (changed in place) with phones and emails beyond the first kept in the notes."""
    extra_phones = record.pop("phones_extra", None)
    extra_emails = record.pop("emails_extra", None)
    if extra_phones or extra_emails:
        parts = [record.get("notes")] + [f"其他电话: {extra_phones}" if extra_phones else None,
                                         f"其他邮箱: {extra_emails}" if extra_emails else None]
        record["notes"] = "; ".join(part for part in parts if part)
    return record


class Worker:
    """A :class:`Preparer` in a forked child process, a few chunks ahead of the importer.

    The importer sends the next chunks (:meth:`send`) and writes an earlier one while the child
    prepares; :meth:`receive` collects the outcomes of the oldest chunk sent, in order. The child
    inherits the preparer (key included) through ``fork`` and never touches the database; it
    exits when the pipe closes or its parent dies (it checks every second, so a killed import
    leaves no process behind). The socket buffers are widened to hold whole chunks, so neither
    side waits for the other to read.
    """

    BUFFER = 4 << 20

    def __init__(self, preparer: Preparer):
        import multiprocessing

        context = multiprocessing.get_context("fork")
        self.pipe, child_end = context.Pipe()
        for end in (self.pipe, child_end):
            _widen(end.fileno(), self.BUFFER)
        self.process = context.Process(target=_serve, args=(preparer, child_end, self.pipe, os.getpid()),
                                       daemon=True, name="custarchive-prepare")
        self.process.start()
        child_end.close()

    @staticmethod
    def available() -> bool:
        return forked.available()

    def send(self, job: tuple) -> None:
        self.pipe.send(job)

    def receive(self) -> list[tuple]:
        return forked.receive(self.pipe, "the import's preparing process")[1]

    def close(self) -> None:
        try:
            self.pipe.close()
        finally:
            forked.stop(self.process, wait=5)


def _widen(fd: int, size: int) -> None:
    """Ask for ``size`` bytes of socket buffer (the system may grant less; that only costs speed)."""
    import socket

    try:
        sock = socket.socket(fileno=os.dup(fd))
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, size)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, size)
        finally:
            sock.close()
    except OSError:
        pass


def _serve(preparer: Preparer, pipe, parent_end, parent_pid: int) -> None:
    """Prepare chunks in order until the pipe closes or the parent dies.

    Two threads move the bytes: one reads jobs as they come and one sends finished chunks, so the
    preparing loop never waits for the importer to read (a blocked send would stall it for as
    long as the importer spends writing a chunk). Both wait in system calls, without the GIL.
    """
    import pickle
    import queue
    import threading

    parent_end.close()
    jobs: queue.SimpleQueue = queue.SimpleQueue()
    replies: queue.SimpleQueue = queue.SimpleQueue()

    def read_jobs() -> None:
        try:
            while True:
                jobs.put(pipe.recv_bytes())
        except (EOFError, OSError):
            jobs.put(None)

    def send_replies() -> None:
        while (reply := replies.get()) is not None:
            try:
                pipe.send_bytes(reply)
            except OSError:
                return

    threading.Thread(target=read_jobs, daemon=True).start()
    sender = threading.Thread(target=send_replies, daemon=True)
    sender.start()
    while True:
        try:
            job = jobs.get(timeout=1.0)
        except queue.Empty:
            if os.getppid() != parent_pid:
                return
            continue
        if job is None:
            break
        try:
            reply = ("ok", preparer.prepare_chunk(*pickle.loads(job)))
        except Exception as exc:  # noqa: BLE001 - carried to the importer, which fails the whole import
            reply = forked.carried(exc, "preparing rows")
        replies.put(pickle.dumps(reply, protocol=pickle.HIGHEST_PROTOCOL))
    replies.put(None)
    sender.join()

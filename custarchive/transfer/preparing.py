"""Import rows to storable cards, without the database: the half of an import that can run apart.

A :class:`Preparer` validates a chunk of records exactly as ``add`` does
(``archive.CardPlan``) and computes each card's storage form
(``archive.store_form``: sealed values, search keys, log body). It needs no
connection, so its rules are tested and measured apart from the writes. Rows
that name an ``archive_no`` are handed back undecided (:class:`Numbered`),
because only the database knows whether that archive exists.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable

from custarchive.cards import archive
from custarchive.core.fields import KIND_CHOICES
from custarchive.core.searchindex import normalize_query
from custarchive.core.templates import field_parser
from custarchive.core.values import parse_choice
from custarchive.errors import CustarchiveError, ValidationError


@dataclass(slots=True)
class New:
    """A valid new card and its storage form."""

    card: dict
    stored: archive.StoredCard


@dataclass(slots=True)
class Numbered:
    """A record naming an archive number: an update of that archive, or (``--keep-numbers``) a new one."""

    number: str
    record: dict


@dataclass(slots=True)
class Refused:
    """A rejected record: the field and value at fault (when one is) and why."""

    field: str | None
    value: Any
    reason: str


Outcome = New | Numbered | Refused


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
    """Records (field → raw text) to outcomes (:class:`New`, :class:`Numbered`, :class:`Refused`),
    one per record."""

    def __init__(self, keys, categories: set[str], *, template: str | None, kind: str | None,
                 category: str | None):
        self.keys = keys
        self.categories = categories
        self.template = template
        self.category = category
        self.parse = ParseCache()
        self.maskable = maskable_fields()
        self.masked = 0                      # masked cells dropped (the stored value stays)
        self.plans: dict[tuple, archive.CardPlan] = {}
        self._kinds: dict[tuple[str, str], str] = {}
        self.default_kind = self.kind(kind, "--kind") if kind else None
        if template:
            archive.choose_template(template, self.default_kind, {})
        if category:
            self.category_code(category)

    def prepare_chunk(self, names: tuple, cells: list[tuple]) -> list[Outcome]:
        """Outcomes of rows given as cells in the order of ``names``."""
        outcomes = []
        for picked in cells:
            try:
                outcomes.append(self.prepare(record_of(names, picked)))
            except CustarchiveError as exc:
                if isinstance(exc, ValidationError):
                    outcomes.append(Refused(exc.field, exc.value, exc.reason))
                else:
                    outcomes.append(Refused(None, None, exc.message))
        return outcomes

    def prepare(self, record: dict) -> Outcome:
        """One record's outcome; ``record`` is consumed. A masked cell (``110108********018X``, as
        export writes it without ``--reveal``) means "unchanged": it is dropped and counted."""
        masked = drop_masked(record, self.maskable) if self.maskable.intersection(record) else {}
        record = _merge_extras(record)
        number = record.pop("archive_no", None)
        if number:
            self.masked += len(masked)
            return Numbered(normalize_query(number).upper(), record)
        try:
            card = self.card(record)
        except ValidationError as exc:
            if exc.field in masked:
                raise ValidationError(exc.field, masked[exc.field], MASKED_NEW) from None
            raise
        self.masked += len(masked)          # the row is kept: its masked cells stay empty
        return New(card, archive.store_form(self.keys, card))

    @staticmethod
    def update_sets(record: dict) -> dict:
        """What a row that turned out to duplicate an archive changes in it (``--on-duplicate update``)."""
        record = _merge_extras(dict(record))
        drop_masked(record, maskable_fields())
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


_MASKED = re.compile(r"[^*]*\*+[^*]*")
_maskable: frozenset[str] | None = None


def maskable_fields() -> frozenset[str]:
    """Fields an export may write masked: the sensitive ones (canonical or of any built-in template)
    and the structured ones no real value of which holds a ``*`` (phones, IDs, codes, e-mails)."""
    global _maskable
    if _maskable is None:
        from custarchive.core.fields import CANONICAL
        from custarchive.core.templates import load_template, template_files

        specs = list(CANONICAL.values())
        for name in template_files():
            try:
                specs += load_template(name).fields.values()
            except CustarchiveError:
                continue
        _maskable = frozenset(spec.name for spec in specs
                              if spec.sensitive or spec.type in ("phone", "id_number", "credit_code", "email"))
    return _maskable


MASKED_NEW = "is masked (exported without --reveal) and a new archive needs the real value"


def drop_masked(record: dict, maskable: frozenset[str]) -> dict[str, str]:
    """Remove the masked cells of a record (in place): one run of ``*`` inside a maskable field,
    as :func:`custarchive.core.masking.mask` writes it. Returns them (field → masked text)."""
    found = [name for name in maskable.intersection(record)
             if isinstance(record[name], str) and "*" in record[name] and _MASKED.fullmatch(record[name].strip())]
    return {name: record.pop(name) for name in found}


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

"""Import rows to storable cards, without the database: the half of an import that can run apart.

A :class:`Preparer` validates a chunk of records exactly as ``add`` does
(``archive.CardPlan``) and computes each card's storage form
(``archive.store_form``: sealed values, search keys, log body). It needs no
connection, so its rules are tested and measured apart from the writes. Rows
that name an ``archive_no`` are handed back undecided (:class:`Numbered`),
because only the database knows whether that archive exists.
"""
from __future__ import annotations

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
        """One record's outcome; ``record`` is consumed."""
        record = _merge_extras(record)
        number = record.pop("archive_no", None)
        if number:
            return Numbered(normalize_query(number).upper(), record)
        card = self.card(record)
        return New(card, archive.store_form(self.keys, card))

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

"""Writing archives: create, update, close and reopen customer cards.

Every path here validates through the card's template, keeps the search
keys in step, and logs each created, changed or removed value through
``changelog.record`` in the same transaction.
"""
from __future__ import annotations

import functools
import json
from itertools import repeat
from json.encoder import encode_basestring
from typing import Any, NamedTuple

from sqlalchemy import text

from custarchive.cards import lookup, numbering
from custarchive.core import authz, consent_rules, crypto
from custarchive.core.changelog import Actor, ChangeEntry, encode_value, record
from custarchive.core.fields import CANONICAL
from custarchive.core.searchindex import grams, name_keys
from custarchive.core.sqlutil import bulk_insert, now, select_in
from custarchive.core.templates import Template, derive, field_parser, load_template, parse_field, resolve_field
from custarchive.core.values import parse_choice
from custarchive.errors import Duplicate, ValidationError
from custarchive.models import Card


IDENTITY_KEYS = ("id_number", "credit_code")
PROTECTED = {"archive_no", "status", "grade", "template", "created_at", "updated_at", "created_by", "merged_into",
             "id", "extra", "owner", "team", "owner_since"}  # the owner changes by assign/claim (cards.owners)
DEFAULT_CATEGORY = "C"
# System columns that apply_changes may write (never plan_update): grade only via credit.py.
WRITABLE_SYSTEM = {"grade"}
_DATA_BUT_NAME = tuple(name for name in lookup.DATA_COLUMNS if name != "name")
_INDEX_COLUMNS = tuple(crypto.INDEX_COLUMNS.values())
# What a card's storage form (StoredCard.values) fills, after the columns set when it is inserted.
# Positional (the prepared rows cross the import worker as tuples); tests/store/test_migrations.py
# checks they name every customers column but those the database or later steps fill.
_STORED_COLUMNS = ("kind", "category", "template", "status", "name", "name_pinyin", "name_initials",
                   *_DATA_BUT_NAME, "extra", *_INDEX_COLUMNS)
_INSERT_COLUMNS = ("archive_no", "created_at", "updated_at", "created_by", "owner", "team", "owner_since",
                   *_STORED_COLUMNS)


def choose_template(template: str | None, kind: str | None, values: dict[str, Any]) -> Template:
    if template:
        chosen = load_template(template)
        if kind and kind != chosen.kind:
            raise ValidationError("kind", kind, f"template {chosen.name!r} is for {chosen.kind} customers")
        return chosen
    if kind is None:
        kind = "enterprise" if values.get("credit_code") else "individual"
    if kind not in ("individual", "enterprise"):
        raise ValidationError("kind", kind, "must be individual or enterprise")
    return load_template(kind)


class CardPlan:
    """:func:`prepare` for rows that share their field names: each name is resolved once.

    Import builds one per template and header; ``add`` builds one per card. The
    checks are the same either way: a protected or unknown field is refused as
    soon as a row gives it a value.
    """

    _SKIPPED = ("kind", "category", "template")

    def __init__(self, template: Template, names, parse=parse_field):
        self.template = template
        self.specs: dict[str, Any] = {}
        self.refused: dict[str, str] = {}
        for name in names:
            if name in self._SKIPPED:
                continue
            if name in PROTECTED:
                self.refused[name] = "is set by custarchive and cannot be given"
                continue
            try:
                self.specs[name] = resolve_field(template, name)
            except ValidationError as exc:
                self.refused[name] = exc.reason
        bind = getattr(parse, "bind", None)
        if bind is None:
            bind = field_parser if parse is parse_field else (lambda spec: functools.partial(parse, spec))
        self.parsers = {name: bind(spec) for name, spec in self.specs.items()}
        self.required = [name for name, spec in template.fields.items() if spec.required]
        self.extra_names = [name for name in self.specs if name not in CANONICAL]

    def prepare(self, raw: dict[str, Any], category: str | None = None) -> dict[str, Any]:
        parsers = self.parsers
        values: dict[str, Any] = {}
        for name, value in raw.items():
            parse = parsers.get(name)
            if parse is None:
                if name in self._SKIPPED:
                    continue
                raise ValidationError(name, value, self.refused.get(name) or
                                      f"unknown field for template {self.template.name!r}")
            values[name] = parse(value)
        if values.get("id_number"):
            derive(values)
        missing = [name for name in self.required if values.get(name) in (None, "", [])]
        if missing:
            raise ValidationError(missing[0], None, "is required" + (f" (also missing: {', '.join(missing[1:])})"
                                                                     if len(missing) > 1 else ""))
        get = values.get
        card = {name: get(name) for name in lookup.DATA_COLUMNS}
        card["extra"] = {name: values[name] for name in self.extra_names
                         if name in values and values[name] is not None}
        card["kind"] = self.template.kind
        card["template"] = self.template.name
        card["category"] = (category or raw.get("category") or DEFAULT_CATEGORY).upper()
        return card


def prepare(raw: dict[str, Any], template: Template, category: str | None = None, parse=parse_field) -> dict[str, Any]:
    """Validate a whole new card; returns column values plus ``extra`` for template-only fields.

    ``parse`` is :func:`templates.parse_field` or a memoising wrapper of it
    (import caches repeated values such as cities); the rules are the same.
    """
    return CardPlan(template, raw, parse).prepare(raw, category)


def holders(conn, key: str, values, digests: dict | None = None) -> dict[Any, tuple[int, str]]:
    """Identity value → (id, archive_no) of the archive holding it: the one identity lookup.

    ``archive_no`` and credit codes are compared as stored; resident IDs are stored
    encrypted, so they are compared by their keyed hash (``digests``: value → hash, when the
    caller has them already, as import's preparer does).
    """
    wanted = sorted({value for value in values if value})
    column = crypto.INDEX_COLUMNS.get(key, key)
    by_stored = {value: value for value in wanted}
    if column != key and wanted:
        keys = crypto.keyring(conn)
        known = digests or {}
        by_stored = {known.get(value) or keys.index(key, value): value for value in wanted}
    found = {}
    if wanted and conn.dialect.name == "postgresql" and _server_function(conn, "custarchive_holders"):
        # row-level security hides other owners' archives; the key is unique across all of them
        rows = conn.execute(text("SELECT id, archive_no, stored FROM custarchive_holders(:c, :v)"),
                            {"c": column, "v": list(by_stored)})
    else:
        rows = select_in(conn, f"SELECT id, archive_no, {column} FROM customers WHERE {column} IN ({{marks}})",
                         list(by_stored))
    for cid, number, stored in rows:
        found[by_stored[stored]] = (cid, number)
    return found


def _server_function(conn, name: str) -> bool:
    """Whether ``db roles`` made this SECURITY DEFINER function (asked once per connection)."""
    key = f"custarchive.fn.{name}"
    if key not in conn.info:
        conn.info[key] = conn.execute(text("SELECT to_regproc(:n) IS NOT NULL"), {"n": name}).scalar()
    return conn.info[key]


def check_identity(conn, cards: list[dict], exclude_id: int | None = None) -> None:
    """Two archives never share a resident ID or credit code (refused, not warned)."""
    for key in IDENTITY_KEYS:
        wanted = [card[key] for card in cards if card.get(key)]
        if len(wanted) != len(set(wanted)):
            raise Duplicate(f"{key}: the same value appears twice in this batch")
        for cid, number in holders(conn, key, wanted).values():
            if cid != exclude_id:
                raise Duplicate(f"{key}: already held by archive {number}")


class StoredCard(NamedTuple):
    """What a prepared card becomes in storage, before it has a number: computable without the
    database (import prepares it apart from its writes). ``created`` is the JSON body of its
    ``create`` log entry, sensitive values already sealed, still without ``archive_no``
    (:func:`created_entry` puts the number in front)."""

    values: tuple
    grams: list
    created: str


def store_form(keys, card: dict) -> StoredCard:
    sealed = crypto.seal_card(keys, card)
    name = card["name"]
    full, initials = name_keys(name)
    extra = json.dumps(sealed["extra"], ensure_ascii=False, sort_keys=True) if sealed["extra"] else None
    get = sealed.get
    values = (card["kind"], card["category"], card["template"], "active", name, full, initials,
              *[get(column) for column in _DATA_BUT_NAME], extra, *[get(column) for column in _INDEX_COLUMNS])
    created = {key: value for key, value in card.items()
               if value is not None and (value or not isinstance(value, (dict, list))) and key not in ("id", "archive_no")}
    for key in crypto.SENSITIVE_COLUMNS:
        if key in created:
            created[key] = sealed[key]
    if created.get("extra"):
        created["extra"] = {key: sealed["extra"][key] for key in created["extra"]}
    return StoredCard(values, list(grams(name)), encode_value(created))


def created_entry(number: str, body: str) -> str:
    """The ``create`` log value: the numbered card, as JSON text with ``archive_no`` first."""
    head = '{"archive_no": ' + encode_basestring(number)
    return head + ("}" if body == "{}" else ", " + body[1:])


def stored_index(form: StoredCard, key: str) -> str | None:
    """The keyed hash of a sensitive field held in a storage form."""
    return form[0][_STORED_COLUMNS.index(crypto.INDEX_COLUMNS[key])]


def insert_cards(conn, cards: list[dict], actor: Actor, *, identity_checked: bool = False,
                 stored: list[StoredCard] | None = None) -> list[str]:
    """Number, store, index and log prepared cards; the bulk path for add and import.

    ``identity_checked``: the caller has already run these cards' identity keys against the
    database in this transaction and against each other (import does, to sort rows into
    inserts, updates and rejections), so the same look-ups are not made twice.
    ``stored``: the cards' :func:`store_form`, when the caller computed it already.
    """
    if not cards:
        return []
    authz.require(conn, actor, "import" if actor.source == "import" else "add")
    if not identity_checked:
        check_identity(conn, cards)
    consent_rules.enforce_new(cards)
    if stored is None:
        keys = crypto.keyring(conn)
        stored = [store_form(keys, card) for card in cards]
    by_category: dict[str, list[dict]] = {}
    for card in cards:
        by_category.setdefault(card["category"], []).append(card)
    for category, group in by_category.items():
        group = [card for card in group if not card.get("archive_no")]  # numbers kept on import were claimed
        if not group:
            continue
        for card, number in zip(group, numbering.allocate(conn, category, len(group))):
            card["archive_no"] = number
    stamp = now()
    # a new archive belongs to whoever enters it (负责人), in their team
    team = conn.execute(text("SELECT team FROM users WHERE name = :n"), {"n": actor.operator}).scalar()
    head = (stamp, stamp, actor.operator, actor.operator, team, stamp)
    last_id = conn.exec_driver_sql("SELECT MAX(id) FROM customers").scalar() or 0
    bulk_insert(conn, "customers", _INSERT_COLUMNS,
                [(card["archive_no"], *head, *form[0]) for card, form in zip(cards, stored)])
    ids = _ids_for(conn, [card["archive_no"] for card in cards], last_id)
    gram_rows, entries = [], []
    for card, (_values, name_grams, created) in zip(cards, stored):
        number = card["archive_no"]
        cid = card["id"] = ids[number]
        gram_rows.extend(zip(name_grams, repeat(cid)))
        entries.append(ChangeEntry(cid, number, "create", "*", None, created_entry(number, created), sealed=True))
    bulk_insert(conn, "name_grams", ("gram", "customer_id"), gram_rows)
    record(conn, entries, actor)
    return [card["archive_no"] for card in cards]


def _ids_for(conn, numbers: list[str], last_id: int) -> dict[str, int]:
    """Ids of the rows just inserted: those above the previous highest id (the write lock is held, so
    no one else inserted); looked up by number should that not hold them all."""
    ids = dict(conn.exec_driver_sql(f"SELECT archive_no, id FROM customers WHERE id > {int(last_id)}").all())
    if len(ids) != len(numbers) or not all(number in ids for number in numbers):
        ids = dict(select_in(conn, "SELECT archive_no, id FROM customers WHERE archive_no IN ({marks})", numbers))
    return ids


def add_card(conn, raw: dict[str, Any], actor: Actor, *, template: str | None = None, category: str | None = None,
             kind: str | None = None) -> str:
    chosen = choose_template(template or raw.get("template"), kind or raw.get("kind"), raw)
    card = prepare(raw, chosen, category)
    numbering.category_pattern(conn, card["category"])
    return insert_cards(conn, [card], actor)[0]


def plan_update(conn, card: Card, sets: dict[str, Any], unsets: list[str] = ()) -> dict[str, tuple[Any, Any]]:
    """Validate ``--set``/``--unset`` against the card's template; returns field → (old, new) for real changes."""
    template = load_template(card["template"])
    changes: dict[str, tuple[Any, Any]] = {}
    for name in unsets:
        if name in sets:
            raise ValidationError(name, None, "cannot be both set and unset")
    for name, raw in list(sets.items()) + [(name, None) for name in unsets]:
        if name in PROTECTED:
            raise ValidationError(name, raw, "is set by custarchive and cannot be changed here")
        if name == "category":
            new = str(raw or "").strip().upper()
            if not new:
                raise ValidationError(name, raw, "every archive needs a category")
            numbering.category_pattern(conn, new)
        elif name == "kind":
            new = parse_choice(str(raw or ""), CANONICAL["kind"].choices, "kind")
        else:
            spec = resolve_field(template, name)
            new = parse_field(spec, raw) if raw is not None else None
            if new is None and spec.required:
                raise ValidationError(name, raw, "is required and cannot be removed")
        old = card["extra"].get(name) if name not in CANONICAL else card.get(name)
        if old != new:
            changes[name] = (old, new)
    if "id_number" in changes and changes["id_number"][1]:
        derived = derive({"id_number": changes["id_number"][1]})
        for key in ("birth_date", "gender"):
            if key not in sets and card.get(key) is None:
                changes[key] = (None, derived[key])
    probe = {key: new for key, (_old, new) in changes.items() if key in ("id_number", "credit_code")}
    if probe:
        check_identity(conn, [probe], exclude_id=card["id"])
    return changes


def apply_changes(conn, card: Card, changes: dict[str, tuple[Any, Any]], actor: Actor, action: str = "update") -> int:
    """Write planned changes to one archive and log each; the only way a card's values change.

    A sensitive field's new value is logged as the very token stored in the row (unchanged sealed
    template fields keep their bytes), so the log replays to the stored row without the key.
    """
    if not changes:
        return 0
    authz.require(conn, actor, "grade" if action == "grade" else "update")
    ensure_writable(card)
    secret = crypto.sensitive_fields(card["template"])
    consent_rules.enforce_existing(conn, card, [key for key, (_old, new) in changes.items() if key in secret and new is not None])
    keys = crypto.keyring(conn)
    columns = {key: new for key, (_old, new) in changes.items() if key in CANONICAL or key in WRITABLE_SYSTEM}
    for key in crypto.SENSITIVE_COLUMNS:
        if key in columns:
            columns[crypto.INDEX_COLUMNS[key]] = keys.index(key, columns[key])
            columns[key] = keys.seal(key, columns[key])
    extra = dict(card["extra"])
    for key, (_old, new) in changes.items():
        if key not in CANONICAL and key not in WRITABLE_SYSTEM:
            if new is None:
                extra.pop(key, None)
            else:
                extra[key] = new
    sealed_extra = {}
    if extra != card["extra"]:
        raw = conn.execute(text("SELECT extra FROM customers WHERE id = :id"), {"id": card["id"]}).scalar()
        kept = {name: value for name, value in (json.loads(raw) if raw else {}).items() if name not in changes}
        sealed_extra = crypto.seal_extra(keys, card["template"], {**extra, **kept})
        columns["extra"] = json.dumps(sealed_extra, ensure_ascii=False, sort_keys=True) if sealed_extra else None
    if "name" in columns:
        columns["name_pinyin"], columns["name_initials"] = name_keys(columns["name"])
        for gram in grams(card["name"]):
            conn.execute(text("DELETE FROM name_grams WHERE gram = :g AND customer_id = :c"), {"g": gram, "c": card["id"]})
        bulk_insert(conn, "name_grams", ("gram", "customer_id"), [(g, card["id"]) for g in grams(columns["name"])])
    columns["updated_at"] = now()
    assignments = ", ".join(f"{key} = :{key}" for key in columns)
    conn.execute(text(f"UPDATE customers SET {assignments} WHERE id = :id"), {**columns, "id": card["id"]})
    stored = {**sealed_extra, **columns}
    entries = [ChangeEntry(card["id"], card["archive_no"], action, key, old,
                           stored[key] if key in secret and new is not None else new)
               for key, (old, new) in changes.items()]
    return record(conn, entries, actor)


def ensure_writable(card: Card) -> None:
    """An erased archive is a tombstone: it keeps its number and history, and takes no new values."""
    if card["status"] == "erased":
        raise ValidationError("status", "erased", f"archive {card['archive_no']} was erased and cannot be changed")


def update_card(conn, ref: str, sets: dict[str, Any], unsets: list[str], actor: Actor) -> tuple[dict, dict]:
    authz.require(conn, actor, "update")
    card = lookup.resolve(conn, ref)
    changes = plan_update(conn, card, sets, unsets)
    apply_changes(conn, card, changes, actor)
    return card, changes


def set_status(conn, ref: str, status: str, actor: Actor) -> dict:
    """Close or reopen: the archive and its history stay; only its status changes (and is logged)."""
    authz.require(conn, actor, "update")
    card = lookup.resolve(conn, ref)
    if card["status"] == status:
        raise ValidationError("status", status, f"archive {card['archive_no']} is already {status}")
    if card["status"] not in ("active", "closed"):
        raise ValidationError("status", card["status"], f"archive {card['archive_no']} is {card['status']}")
    conn.execute(text("UPDATE customers SET status = :s, updated_at = :t WHERE id = :id"),
                 {"s": status, "t": now(), "id": card["id"]})
    record(conn, [ChangeEntry(card["id"], card["archive_no"], "close" if status == "closed" else "reopen",
                              "status", card["status"], status)], actor)
    return card

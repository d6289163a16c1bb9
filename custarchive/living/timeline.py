"""The archive's timeline: visits, calls, service, complaints, with follow-ups and complaint states.

The seeds ask that every dealing with the customer be written into the
archive and complaints handled in time; so an entry may carry a follow-up
date (``due`` lists what is due each morning) and a complaint stays open
until someone records how it was resolved.
"""
from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass

from sqlalchemy import select, text

from custarchive.cards import lookup
from custarchive.core import authz
from custarchive.core.changelog import Actor, ChangeEntry, record
from custarchive.core.settings import packaged
from custarchive.core.sqlutil import now
from custarchive.core.values import normalize_text, parse_date
from custarchive.errors import NotFound, ValidationError
from custarchive.models import timeline as _timeline


_SELECT = select(_timeline)
_TIME = re.compile(r"^(.+?)[ T](\d{1,2}):(\d{2})(?::(\d{2}))?$")


@dataclass(frozen=True)
class LogType:
    name: str
    label_zh: str
    label_en: str
    stateful: bool

    def label(self, lang: str) -> str:
        return self.label_zh if lang == "zh" else self.label_en


def log_types() -> dict[str, LogType]:
    return {name: LogType(name, spec["label_zh"], spec["label_en"], bool(spec.get("stateful", False)))
            for name, spec in packaged("log_types.toml")["types"].items()}


def parse_type(raw: str) -> LogType:
    types = log_types()
    wanted = normalize_text(raw or "").lower()
    for spec in types.values():
        if wanted in (spec.name, spec.label_zh, spec.label_en.lower()):
            return spec
    raise ValidationError("--type", raw, f"not a log type (use one of: {', '.join(types)})")


FUTURE_SLACK = _dt.timedelta(minutes=10)    # clocks of two office PCs differ by a few minutes


def parse_at(raw: str, field: str = "--at") -> str:
    """A date (midnight) or date and time (``2024-03-01 14:30``), as a local ISO timestamp."""
    value = normalize_text(raw)
    hour = minute = second = 0
    match = _TIME.match(value)
    if match:
        value = match.group(1)
        hour, minute, second = int(match.group(2)), int(match.group(3)), int(match.group(4) or 0)
    day = _dt.date.fromisoformat(parse_date(value, field))
    try:
        moment = _dt.datetime(day.year, day.month, day.day, hour, minute, second)
    except ValueError:
        raise ValidationError(field, raw, "not a real time of day") from None
    moment = moment.astimezone()
    if moment > _dt.datetime.now().astimezone() + FUTURE_SLACK:    # a record of what happened, not a plan
        raise ValidationError(field, raw, "is in the future")
    return moment.isoformat(timespec="seconds")


def _row(row) -> dict:
    return dict(row._mapping)


def get_entry(conn, entry_id: int) -> dict:
    row = conn.execute(_SELECT.where(_timeline.c.id == entry_id)).first()
    if row is None:
        raise NotFound(f"no timeline entry #{entry_id}")
    return _row(row)


def add_entry(conn, ref: str, entry_type: str, body: str, actor: Actor, *, at: str | None = None,
              follow_up: str | None = None) -> dict:
    authz.require(conn, actor, "update")
    card = lookup.resolve(conn, ref)
    spec = parse_type(entry_type)
    body = normalize_text(body or "")
    if not body:
        raise ValidationError("TEXT", body, "an entry needs some text")
    when = parse_at(at) if at else now()
    follow = parse_date(follow_up, "--follow-up") if follow_up else None
    state = "open" if spec.stateful else None
    stamp = now()
    entry_id = conn.execute(text(
        "INSERT INTO timeline (customer_id, entry_type, at, body, follow_up, state, created_at, created_by) "
        "VALUES (:c, :t, :at, :b, :f, :s, :ca, :cb) RETURNING id"),
        {"c": card["id"], "t": spec.name, "at": when, "b": body, "f": follow, "s": state, "ca": stamp,
         "cb": actor.operator}).scalar_one()
    logged = {"type": spec.name, "at": when, "text": body, "follow_up": follow, "state": state}
    record(conn, [ChangeEntry(card["id"], card["archive_no"], "log", f"timeline#{entry_id}", None,
                              {k: v for k, v in logged.items() if v is not None})], actor)
    return {"id": entry_id, "archive_no": card["archive_no"], **logged}


def _card_of(conn, entry: dict) -> dict:
    return lookup.fetch_by_ids(conn, [entry["customer_id"]])[0]


def resolve_entry(conn, entry_id: int, resolution: str, actor: Actor) -> dict:
    """Close an open complaint with how it was resolved; who resolved it is the operator."""
    authz.require(conn, actor, "update")
    entry = get_entry(conn, entry_id)
    resolution = normalize_text(resolution or "")
    if not resolution:
        raise ValidationError("--resolution", resolution, "say how it was resolved")
    if entry["state"] is None:
        raise ValidationError("ID", entry_id, f"entry #{entry_id} is a {entry['entry_type']}, which has no state")
    if entry["state"] != "open":
        raise ValidationError("ID", entry_id, f"entry #{entry_id} is already {entry['state']}")
    stamp = now()
    conn.execute(text("UPDATE timeline SET state = 'resolved', resolution = :r, resolved_by = :b, resolved_at = :t, "
                      "follow_up_done_at = COALESCE(follow_up_done_at, :t) WHERE id = :i"),
                 {"r": resolution, "b": actor.operator, "t": stamp, "i": entry_id})
    card = _card_of(conn, entry)
    record(conn, [ChangeEntry(card["id"], card["archive_no"], "resolve", f"timeline#{entry_id}", "open",
                              {"state": "resolved", "resolution": resolution, "by": actor.operator})], actor)
    return get_entry(conn, entry_id) | {"archive_no": card["archive_no"]}


def mark_done(conn, entry_id: int, actor: Actor) -> dict:
    """The follow-up of an entry has been done: it leaves the ``due`` list."""
    authz.require(conn, actor, "update")
    entry = get_entry(conn, entry_id)
    if not entry["follow_up"]:
        raise ValidationError("ID", entry_id, f"entry #{entry_id} has no follow-up date")
    if entry["follow_up_done_at"]:
        raise ValidationError("ID", entry_id, f"the follow-up of entry #{entry_id} is already done")
    stamp = now()
    conn.execute(text("UPDATE timeline SET follow_up_done_at = :t WHERE id = :i"), {"t": stamp, "i": entry_id})
    card = _card_of(conn, entry)
    record(conn, [ChangeEntry(card["id"], card["archive_no"], "follow-up", f"timeline#{entry_id}",
                              entry["follow_up"], {"done": stamp})], actor)
    return get_entry(conn, entry_id) | {"archive_no": card["archive_no"]}


def entries(conn, card: dict, entry_type: str | None = None) -> list[dict]:
    query = _SELECT.where(_timeline.c.customer_id == card["id"])
    if entry_type:
        query = query.where(_timeline.c.entry_type == parse_type(entry_type).name)
    return [_row(r) for r in conn.execute(query.order_by(_timeline.c.at, _timeline.c.id))]


def due(conn, as_of: _dt.date | None = None, within_days: int = 0) -> list[dict]:
    """Follow-ups not yet done whose date is today (or within ``within_days``) or already past."""
    today = as_of or _dt.date.today()
    horizon = (today + _dt.timedelta(days=within_days)).isoformat()
    visible, params = authz.visible_sql(conn, "c")  # only the operator's archives (own / team / all)
    rows = conn.execute(text(
        "SELECT t.id, t.entry_type, t.body, t.follow_up, t.state, t.at, c.archive_no, c.name, c.phone "
        "FROM timeline t JOIN customers c ON c.id = t.customer_id "
        "WHERE t.follow_up IS NOT NULL AND t.follow_up <= :h AND t.follow_up_done_at IS NULL "
        f"AND c.status = 'active' AND {visible} ORDER BY t.follow_up, c.archive_no, t.id"),
        {"h": horizon, **params}).all()
    keys = ("id", "type", "text", "follow_up", "state", "at", "archive_no", "name", "phone")
    found = []
    for row in rows:
        item = dict(zip(keys, row))
        item["days_overdue"] = (today - _dt.date.fromisoformat(item["follow_up"])).days
        found.append(item)
    return found


def open_complaints(conn, older_than_days: int, as_of: _dt.date | None = None) -> list[dict]:
    """Stateful entries still open after ``older_than_days`` days (for ``audit``)."""
    today = as_of or _dt.date.today()
    stateful = [name for name, spec in log_types().items() if spec.stateful]
    if not stateful:
        return []
    params = {f"t{n}": name for n, name in enumerate(stateful)}
    rows = conn.execute(text(
        "SELECT t.id, t.entry_type, t.at, t.body, c.archive_no FROM timeline t "
        "JOIN customers c ON c.id = t.customer_id WHERE t.state = 'open' AND c.status != 'merged' "
        f"AND t.entry_type IN ({', '.join(':' + k for k in params)}) ORDER BY t.at"), params).all()
    found = []
    for entry_id, entry_type, at, body, archive_no in rows:
        age = (today - _dt.datetime.fromisoformat(at).date()).days
        if age > older_than_days:
            found.append({"id": entry_id, "type": entry_type, "at": at, "text": body, "archive_no": archive_no,
                          "age_days": age})
    return found

"""The periodic completeness check the seeds ask for (定期检查客户档案的完整性、准确性).

Each check returns findings of one kind; ``audit`` runs them all, and any
finding makes the command exit 1 so a cron job mails the report.
"""
from __future__ import annotations

import datetime as _dt
import json
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Iterator

from sqlalchemy import String, text

from custarchive.cards import lookup, numbering
from custarchive.core import authz
from custarchive.core.settings import number, section
from custarchive.core.templates import load_template, missing_required
from custarchive.errors import ConfigError
from custarchive.living import timeline
from custarchive.living.documents import FileStore, verify_attachments
from custarchive.models.customer import customers


KINDS = ("missing_fields", "stale", "open_complaint", "attachment", "numbering_gap")


def audit_settings(stale_days: int | None = None, complaint_days: int | None = None) -> dict:
    settings = section("audit")
    if stale_days is not None:
        settings["stale_days"] = stale_days
    if complaint_days is not None:
        settings["complaint_days"] = complaint_days
    number(settings, "stale_days", "audit")
    number(settings, "complaint_days", "audit")
    return settings


def _missing_condition(conn, params: dict) -> str:
    """SQL that keeps only the archives that may lack a required field: the rest never reach Python.

    Per template in use, a required card column must be NULL or empty; a
    template requiring a field kept in ``extra`` (or that cannot be loaded)
    sends all of its archives to the exact check in Python.
    """
    strings = {column.name for column in customers.columns if isinstance(column.type, String)}
    parts = []
    names = [row[0] for row in conn.execute(text("SELECT DISTINCT template FROM customers WHERE status = 'active'"))]
    for n, name in enumerate(names):
        params[f"t{n}"] = name
        try:
            required = [field_name for field_name, spec in load_template(name).fields.items() if spec.required]
        except ConfigError:
            parts.append(f"template = :t{n}")
            continue
        if not required:
            continue
        if any(field_name not in lookup.DATA_COLUMNS for field_name in required):
            parts.append(f"template = :t{n}")
            continue
        empty = " OR ".join(f"{c} IS NULL" + (f" OR {c} = ''" if c in strings else "") for c in required)
        parts.append(f"(template = :t{n} AND ({empty}))")
    return " OR ".join(parts)


def missing_fields(conn) -> Iterator[dict]:
    """Active archives lacking a field their template requires, by archive number (streamed)."""
    params: dict = {}
    condition = _missing_condition(conn, params)
    if not condition:
        return
    columns = ("archive_no", "template") + lookup.DATA_COLUMNS + ("extra",)
    visible, scope_params = authz.visible_sql(conn)  # the operator's archives (own / team / all)
    params.update(scope_params)
    query = (f"SELECT {', '.join(columns)} FROM customers WHERE status = 'active' AND ({condition}) "
             f"AND {visible} ORDER BY archive_no")
    for row in lookup.iter_rows(conn, query, params):
        card = dict(zip(columns, row))
        try:
            template = load_template(card["template"])
        except ConfigError as exc:
            yield {"kind": "missing_fields", "archive_no": card["archive_no"], "fields": [],
                   "detail": f"template {card['template']!r} cannot be loaded: {exc.message}"}
            continue
        values = {**{k: card[k] for k in lookup.DATA_COLUMNS}, **(json.loads(card["extra"]) if card["extra"] else {})}
        missing = missing_required(template, values)
        if missing:
            yield {"kind": "missing_fields", "archive_no": card["archive_no"], "fields": missing,
                   "detail": f"required by template {template.name}: {', '.join(missing)}"}


def stale(conn, days: int, today: _dt.date) -> Iterator[dict]:
    """Active archives with nothing logged (card, document, timeline, transaction) for more than ``days`` days.

    In the database: an archive is stale when neither its ``updated_at`` nor any
    of its change-log entries falls on or after ``today - days`` (ISO stamps
    compare as text, their first ten characters being the local date).
    """
    cutoff = (today - _dt.timedelta(days=days)).isoformat()
    visible, params = authz.visible_sql(conn, "c")
    query = ("SELECT c.archive_no, c.updated_at, (SELECT MAX(at) FROM change_log l WHERE l.customer_id = c.id) "
             "FROM customers c WHERE c.status = 'active' AND SUBSTR(c.updated_at, 1, 10) < :cutoff "
             "AND NOT EXISTS (SELECT 1 FROM change_log l WHERE l.customer_id = c.id "
             f"AND SUBSTR(l.at, 1, 10) >= :cutoff) AND {visible} ORDER BY c.archive_no")
    for archive_no, updated, last in lookup.iter_rows(conn, query, {"cutoff": cutoff, **params}):
        stamp = max(filter(None, (last, updated)))
        age = (today - _dt.datetime.fromisoformat(stamp).date()).days
        yield {"kind": "stale", "archive_no": archive_no, "last_activity": stamp, "age_days": age,
               "detail": f"no update for {age} days (last {stamp[:10]})"}


@dataclass
class Audit:
    """One audit run: its settings, the findings streamed kind by kind, and counts filled in as they pass."""

    conn: Any
    store: FileStore
    as_of: str
    stale_days: int
    complaint_days: int
    counts: dict[str, int] = field(default_factory=lambda: {kind: 0 for kind in KINDS})

    def header(self) -> dict:
        return {"as_of": self.as_of, "stale_days": self.stale_days, "complaint_days": self.complaint_days}

    @property
    def ok(self) -> bool:
        return not any(self.counts.values())

    def findings(self, progress: Callable[[int, int], None] | None = None) -> Iterator[dict]:
        """Every finding, by kind then archive number; iterate once, inside the read transaction.

        ``progress(done, total)`` is called as each of the checks finishes.
        """
        today = _dt.date.fromisoformat(self.as_of)
        checks = self._checks(today)
        for done, check in enumerate(checks, 1):
            for finding in check:
                self.counts[finding["kind"]] += 1
                yield finding
            if progress:
                progress(done, len(checks))

    def _checks(self, today: _dt.date) -> list[Iterable[dict]]:
        conn = self.conn

        def complaints() -> Iterator[dict]:
            for item in timeline.open_complaints(conn, self.complaint_days, today):
                yield {"kind": "open_complaint", "archive_no": item["archive_no"], "entry_id": item["id"],
                       "age_days": item["age_days"],
                       "detail": f"{item['type']} #{item['id']} open for {item['age_days']} days: {item['text']}"}

        def attachments() -> Iterator[dict]:
            for item in verify_attachments(conn, self.store):
                yield {"kind": "attachment", "archive_no": item["archive_no"], "doc_no": item["doc_no"],
                       "problem": item["problem"],
                       "detail": f"{item['doc_no']}: {item['problem']} ({item['path']})"}

        def gaps() -> Iterator[dict]:
            scope = authz.current_scope(conn)
            if scope is not None and scope.kind != "all":
                return  # numbering is the whole archive's: a scoped operator (or server login) sees part of it
            for gap in numbering.counter_gaps(conn):
                yield {"kind": "numbering_gap", "archive_no": gap,
                       "detail": f"{gap} was handed out but no archive carries it"}

        return [missing_fields(conn), stale(conn, self.stale_days, today), complaints(), attachments(), gaps()]


def run_audit(conn, store: FileStore, *, stale_days: int | None = None, complaint_days: int | None = None,
              as_of: _dt.date | None = None) -> Audit:
    """The audit to run on ``conn``: nothing is read until its findings are iterated (memory stays flat)."""
    today = as_of or _dt.date.today()
    settings = audit_settings(stale_days, complaint_days)
    return Audit(conn, store, today.isoformat(), int(settings["stale_days"]), int(settings["complaint_days"]))

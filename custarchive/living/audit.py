"""The periodic completeness check the seeds ask for (定期检查客户档案的完整性、准确性).

Each check returns findings of one kind; ``audit`` runs them all, and any
finding makes the command exit 1 so a cron job mails the report.
"""
from __future__ import annotations

import datetime as _dt

from sqlalchemy import text

from custarchive.cards import lookup, numbering
from custarchive.core.settings import number, section
from custarchive.core.templates import load_template, missing_required
from custarchive.errors import ConfigError
from custarchive.living import timeline
from custarchive.living.documents import FileStore, verify_attachments


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


def missing_fields(conn) -> list[dict]:
    found = []
    for card in lookup.list_cards(conn, {}):
        try:
            template = load_template(card["template"])
        except ConfigError as exc:
            found.append({"kind": "missing_fields", "archive_no": card["archive_no"], "fields": [],
                          "detail": f"template {card['template']!r} cannot be loaded: {exc.message}"})
            continue
        values = {**{k: card.get(k) for k in lookup.DATA_COLUMNS}, **card["extra"]}
        missing = missing_required(template, values)
        if missing:
            found.append({"kind": "missing_fields", "archive_no": card["archive_no"], "fields": missing,
                          "detail": f"required by template {template.name}: {', '.join(missing)}"})
    return found


def stale(conn, days: int, today: _dt.date) -> list[dict]:
    """Active archives with nothing logged (card, document, timeline, transaction) for more than ``days`` days."""
    last = dict(conn.execute(text("SELECT customer_id, MAX(at) FROM change_log WHERE customer_id IS NOT NULL "
                                  "GROUP BY customer_id")).all())
    found = []
    rows = conn.execute(text("SELECT id, archive_no, updated_at FROM customers WHERE status = 'active' "
                             "ORDER BY archive_no")).all()
    for cid, archive_no, updated in rows:
        stamp = max(filter(None, (last.get(cid), updated)))
        age = (today - _dt.datetime.fromisoformat(stamp).date()).days
        if age > days:
            found.append({"kind": "stale", "archive_no": archive_no, "last_activity": stamp, "age_days": age,
                          "detail": f"no update for {age} days (last {stamp[:10]})"})
    return found


def run_audit(conn, store: FileStore, *, stale_days: int | None = None, complaint_days: int | None = None,
              as_of: _dt.date | None = None) -> dict:
    today = as_of or _dt.date.today()
    settings = audit_settings(stale_days, complaint_days)
    findings = missing_fields(conn)
    findings += stale(conn, int(settings["stale_days"]), today)
    findings += [{"kind": "open_complaint", "archive_no": item["archive_no"], "entry_id": item["id"],
                  "age_days": item["age_days"],
                  "detail": f"{item['type']} #{item['id']} open for {item['age_days']} days: {item['text']}"}
                 for item in timeline.open_complaints(conn, int(settings["complaint_days"]), today)]
    findings += [{"kind": "attachment", "archive_no": item["archive_no"], "doc_no": item["doc_no"],
                  "problem": item["problem"], "detail": f"{item['doc_no']}: {item['problem']} ({item['path']})"}
                 for item in verify_attachments(conn, store)]
    findings += [{"kind": "numbering_gap", "archive_no": number,
                  "detail": f"{number} was handed out but no archive carries it"}
                 for number in numbering.counter_gaps(conn)]
    counts = {kind: sum(1 for f in findings if f["kind"] == kind) for kind in KINDS}
    return {"as_of": today.isoformat(), "stale_days": settings["stale_days"],
            "complaint_days": settings["complaint_days"], "counts": counts, "findings": findings,
            "ok": not findings}

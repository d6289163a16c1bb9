"""The customer's consent: what they agreed to, for which purpose, through which channel, until withdrawn.

PIPL asks for separate consent before sensitive personal information (resident ID, bank account,
health, religion …) is processed. Storing a sensitive value for an archive without an active
consent of scope ``sensitive`` is warned about, or refused when ``settings.toml`` says::

    [protection]
    sensitive_without_consent = "refuse"   # or "warn" (the default)

A new archive can hold no consent yet, so in refuse mode its sensitive values are added by
``update`` after ``consent add``.
"""
from __future__ import annotations

from sqlalchemy import text

from custarchive.cards import lookup
from custarchive.cards.archive import ensure_writable
from custarchive.core import authz
from custarchive.core.changelog import Actor, ChangeEntry, record
from custarchive.core.sqlutil import now
from custarchive.core.values import normalize_text, parse_date
from custarchive.errors import NotFound, ValidationError

SCOPES = ("basic", "sensitive")
CHANNEL_MAX = 60
_FIELDS = ("id", "purpose", "scope", "channel", "given_on", "withdrawn_on", "recorded_at", "recorded_by")


def add(conn, actor: Actor, ref: str, purpose: str, scope: str, channel: str, given_on: str | None) -> dict:

    authz.require(conn, actor, "update")
    card = lookup.resolve(conn, ref)
    ensure_writable(card)
    purpose, channel = normalize_text(purpose or ""), normalize_text(channel or "")
    if not purpose:
        raise ValidationError("--purpose", purpose, "say what the data is collected for")
    if not channel:
        raise ValidationError("--channel", channel, "say how consent was given (paper form, app, phone …)")
    if len(channel) > CHANNEL_MAX:
        raise ValidationError("--channel", channel[:20] + "…", f"longer than {CHANNEL_MAX} characters")
    if scope not in SCOPES:
        raise ValidationError("--scope", scope, "must be basic or sensitive")
    import datetime

    given = parse_date(given_on, "--date") if given_on else datetime.date.today().isoformat()
    if given > datetime.date.today().isoformat():
        raise ValidationError("--date", given_on, "is in the future")
    row = {"c": card["id"], "p": purpose, "s": scope, "ch": channel, "g": given, "t": now(), "by": actor.operator}
    consent_id = conn.execute(text("INSERT INTO consents (customer_id, purpose, scope, channel, given_on, recorded_at, "
                                   "recorded_by) VALUES (:c, :p, :s, :ch, :g, :t, :by) RETURNING id"), row).scalar_one()
    item = {"id": consent_id, "purpose": purpose, "scope": scope, "channel": channel, "given_on": given}
    record(conn, [ChangeEntry(card["id"], card["archive_no"], "consent", "consent", None, item)], actor)
    return {"archive_no": card["archive_no"], **item}


def withdraw(conn, actor: Actor, ref: str, consent_id: int) -> dict:
    import datetime

    authz.require(conn, actor, "update")
    card = lookup.resolve(conn, ref)
    row = conn.execute(text("SELECT withdrawn_on FROM consents WHERE id = :i AND customer_id = :c"),
                       {"i": consent_id, "c": card["id"]}).first()
    if row is None:
        raise NotFound(f"{card['archive_no']} has no consent {consent_id}")
    if row[0] is not None:
        raise ValidationError("consent", consent_id, f"was already withdrawn on {row[0]}")
    today = datetime.date.today().isoformat()
    conn.execute(text("UPDATE consents SET withdrawn_on = :d WHERE id = :i"), {"d": today, "i": consent_id})
    record(conn, [ChangeEntry(card["id"], card["archive_no"], "consent-withdraw", "consent", consent_id, today)], actor)
    return {"archive_no": card["archive_no"], "id": consent_id, "withdrawn_on": today}


def list_for(conn, customer_id: int) -> list[dict]:
    rows = conn.execute(text(f"SELECT {', '.join(_FIELDS)} FROM consents WHERE customer_id = :c ORDER BY id"),
                        {"c": customer_id})
    return [{**dict(zip(_FIELDS, row)), "active": row[5] is None} for row in rows]

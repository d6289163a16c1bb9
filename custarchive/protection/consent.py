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

from sqlalchemy import insert, select, update

from custarchive.cards import lookup
from custarchive.cards.archive import ensure_writable
from custarchive.core import authz
from custarchive.core.changelog import Actor, ChangeEntry, record
from custarchive.core.sqlutil import now
from custarchive.core.values import normalize_text, parse_date
from custarchive.errors import NotFound, ValidationError
from custarchive.models import consents

SCOPES = ("basic", "sensitive")
CHANNEL_MAX = 60
_LISTED = select(*(column for column in consents.c if column.name != "customer_id"))


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
    consent_id = conn.execute(insert(consents).values(
        customer_id=card["id"], purpose=purpose, scope=scope, channel=channel, given_on=given, recorded_at=now(),
        recorded_by=actor.operator).returning(consents.c.id)).scalar_one()
    item = {"id": consent_id, "purpose": purpose, "scope": scope, "channel": channel, "given_on": given}
    record(conn, [ChangeEntry(card["id"], card["archive_no"], "consent", "consent", None, item)], actor)
    return {"archive_no": card["archive_no"], **item}


def withdraw(conn, actor: Actor, ref: str, consent_id: int) -> dict:
    import datetime

    authz.require(conn, actor, "update")
    card = lookup.resolve(conn, ref)
    row = conn.execute(select(consents.c.withdrawn_on).where(consents.c.id == consent_id,
                                                             consents.c.customer_id == card["id"])).first()
    if row is None:
        raise NotFound(f"{card['archive_no']} has no consent {consent_id}")
    if row[0] is not None:
        raise ValidationError("consent", consent_id, f"was already withdrawn on {row[0]}")
    today = datetime.date.today().isoformat()
    conn.execute(update(consents).where(consents.c.id == consent_id).values(withdrawn_on=today))
    record(conn, [ChangeEntry(card["id"], card["archive_no"], "consent-withdraw", "consent", consent_id, today)], actor)
    return {"archive_no": card["archive_no"], "id": consent_id, "withdrawn_on": today}


def list_for(conn, customer_id: int) -> list[dict]:
    rows = conn.execute(_LISTED.where(consents.c.customer_id == customer_id).order_by(consents.c.id)).mappings()
    return [{**row, "active": row["withdrawn_on"] is None} for row in rows]

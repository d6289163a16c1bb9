"""The consent rules every write obeys: what a missing sensitive-scope consent allows.

They sit below the archive (which calls them on every add and update) and the consent records
(``protection.consent``, which the customer's consents are kept by), so neither imports the other.
"""
from __future__ import annotations

from sqlalchemy import text

from custarchive.config import load_settings
from custarchive.core.masking import sensitive_fields
from custarchive.errors import PermissionDenied


def mode() -> str:
    value = load_settings().get("protection", {}).get("sensitive_without_consent", "warn")
    return value if value in ("warn", "refuse") else "warn"


def _sensitive_values(card: dict) -> list[str]:
    secret = sensitive_fields(card.get("template"))
    found = [name for name in secret if card.get(name) is not None]
    return found + [name for name in secret if (card.get("extra") or {}).get(name) is not None]


def enforce_new(cards: list[dict]) -> None:
    """In refuse mode a new archive may not carry sensitive values: it cannot have a consent yet."""
    if mode() != "refuse":
        return
    for card in cards:
        found = _sensitive_values(card)
        if found:
            raise PermissionDenied(f"{', '.join(sorted(found))}: sensitive personal information needs the customer's "
                                   "sensitive-scope consent first (add the archive without it, then consent add)")


def has_sensitive_consent(conn, customer_id: int) -> bool:
    return conn.execute(text("SELECT 1 FROM consents WHERE customer_id = :c AND scope = 'sensitive' "
                             "AND withdrawn_on IS NULL LIMIT 1"), {"c": customer_id}).first() is not None


def enforce_existing(conn, card: dict, fields: list[str]) -> None:
    if fields and mode() == "refuse" and not has_sensitive_consent(conn, card["id"]):
        raise PermissionDenied(f"{card['archive_no']}: {', '.join(sorted(fields))} is sensitive personal "
                               "information and the customer has no sensitive-scope consent on record (consent add)")


def missing(conn, cards: list[dict]) -> list[str]:
    """Warnings for archives holding sensitive values without a sensitive-scope consent."""
    lacking = {}
    for card in cards:
        found = _sensitive_values(card)
        if found and not has_sensitive_consent(conn, card["id"]):
            lacking[card["archive_no"]] = found
    hint = "without the customer's sensitive-scope consent (consent add REF --scope sensitive …)"
    if len(lacking) > 3:
        return [f"{len(lacking)} archives ({', '.join(list(lacking)[:3])} …) hold sensitive values {hint}"]
    return [f"{number}: {', '.join(sorted(found))} stored {hint}" for number, found in lacking.items()]

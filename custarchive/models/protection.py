"""What protects the archive: the key fingerprint, consents and erasure tombstones."""
from sqlalchemy import Column, ForeignKey, Integer, String, Table, Text

from custarchive.models.base import metadata

# Small facts about the protection set-up (e.g. the fingerprint of the encryption key).
protection_meta = Table(
    "protection_meta", metadata,
    Column("name", String(60), primary_key=True),
    Column("value", Text, nullable=False),
)

# A customer's consent to processing, for one purpose and scope (basic or sensitive).
consents = Table(
    "consents", metadata,
    Column("id", Integer, primary_key=True),
    Column("customer_id", Integer, ForeignKey("customers.id"), nullable=False, index=True),
    Column("purpose", Text, nullable=False),
    Column("scope", String(12), nullable=False),
    Column("channel", String(60), nullable=False),
    Column("given_on", String(10), nullable=False),
    Column("withdrawn_on", String(10)),
    Column("recorded_at", String(32), nullable=False),
    Column("recorded_by", String(64), nullable=False),
)

# The tombstone of an erased archive: its number, when, who and why.
erasures = Table(
    "erasures", metadata,
    Column("customer_id", Integer, ForeignKey("customers.id"), primary_key=True, autoincrement=False),
    Column("archive_no", String(40), nullable=False),
    Column("erased_at", String(32), nullable=False),
    Column("operator", String(64), nullable=False),
    Column("reason", Text, nullable=False),
)

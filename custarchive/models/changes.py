"""The change log (every created, changed and removed value, chained by hashes) and the operators."""
from sqlalchemy import Column, ForeignKey, Integer, String, Table, Text, text

from custarchive.models.base import metadata

change_log = Table(
    "change_log", metadata,
    Column("id", Integer, primary_key=True),
    Column("customer_id", Integer, index=True),
    Column("archive_no", String(40)),
    Column("at", String(32), nullable=False),
    Column("operator", String(64), nullable=False),
    Column("action", String(20), nullable=False),
    Column("field", String(60)),
    Column("old_value", Text),
    Column("new_value", Text),
    Column("reason", Text),
    Column("source", String(20), nullable=False),
    Column("batch_id", String(40)),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    Column("old_digest", String(64)),  # m040 added the digests, so they come last in the file
    Column("new_digest", String(64)),
)

# One row holding the newest log hash; writers lock it so the chain never forks.
chain_head = Table(
    "chain_head", metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("last_id", Integer, nullable=False),
    Column("last_hash", String(64), nullable=False),
)

# An operator and their role (admin, manager, clerk, viewer).
users = Table(
    "users", metadata,
    Column("name", String(64), primary_key=True),
    Column("role", String(20), nullable=False),
    Column("active", Integer, nullable=False, server_default=text("1")),
    Column("created_at", String(32), nullable=False),
    Column("created_by", String(64), nullable=False),
    Column("team", String(64)),  # m082: the sales team (e.g. 华东) whose archives a manager sees
)

# A collaborator (协作人) of an archive: sees it as its owner does.
collaborators = Table(
    "collaborators", metadata,
    Column("customer_id", Integer, ForeignKey("customers.id"), primary_key=True, autoincrement=False),
    Column("name", String(64), primary_key=True, index=True),
    Column("added_at", String(32), nullable=False),
    Column("added_by", String(64), nullable=False),
)

# A refused action (PostgreSQL archives; SQLite keeps these in a file beside the database): who, as which
# server login, what, and why. Append-only for every login once ``db roles`` has run.
security_log = Table(
    "security_log", metadata,
    Column("id", Integer, primary_key=True),
    Column("at", String(32), nullable=False),
    Column("operator", String(64), nullable=False),
    Column("login", String(64)),
    Column("action", String(20), nullable=False),
    Column("outcome", String(12), nullable=False),
    Column("detail", Text),
)

"""What accumulates around a card: filed documents, the timeline, orders and payments."""
from sqlalchemy import Column, ForeignKey, Index, Integer, String, Table, Text, UniqueConstraint

from custarchive.models.base import Double, Size, metadata

# One entry of the archive catalogue (档案目录), optionally with a stored file named by its SHA-256.
documents = Table(
    "documents", metadata,
    Column("id", Integer, primary_key=True),
    Column("customer_id", Integer, ForeignKey("customers.id"), nullable=False),
    Column("doc_class", Integer, nullable=False),
    Column("seq", Integer, nullable=False),
    Column("doc_no", String(60), nullable=False, unique=True),
    Column("former_no", String(60)),
    Column("title", String(300), nullable=False),
    Column("doc_date", String(10)),
    Column("file_name", String(300)),
    Column("sha256", String(64), index=True),
    Column("size", Size),
    Column("notes", Text),
    Column("created_at", String(32), nullable=False),
    Column("created_by", String(64), nullable=False),
    UniqueConstraint("customer_id", "doc_class", "seq"),
)

# A visit, call, complaint, service record…; complaints carry a state until resolved.
timeline = Table(
    "timeline", metadata,
    Column("id", Integer, primary_key=True),
    Column("customer_id", Integer, ForeignKey("customers.id"), nullable=False),
    Column("entry_type", String(20), nullable=False),
    Column("at", String(32), nullable=False),
    Column("body", Text, nullable=False),
    Column("follow_up", String(10), index=True),
    Column("follow_up_done_at", String(32)),
    Column("state", String(12), index=True),
    Column("resolution", Text),
    Column("resolved_by", String(64)),
    Column("resolved_at", String(32)),
    Column("created_at", String(32), nullable=False),
    Column("created_by", String(64), nullable=False),
    Index("ix_timeline_customer_id", "customer_id", "at"),
)

# An order (invoice) or a payment; payments settle the oldest open orders first.
transactions = Table(
    "transactions", metadata,
    Column("id", Integer, primary_key=True),
    Column("customer_id", Integer, ForeignKey("customers.id"), nullable=False),
    Column("txn_type", String(10), nullable=False),
    Column("amount", Double, nullable=False),
    Column("txn_date", String(10), nullable=False, index=True),
    Column("due_date", String(10)),
    Column("reference", String(100)),
    Column("notes", Text),
    Column("created_at", String(32), nullable=False),
    Column("created_by", String(64), nullable=False),
    Index("ix_transactions_customer_id", "customer_id", "txn_date"),
)

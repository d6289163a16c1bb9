"""Key-customer analysis worksheets: SWOT items, competitors, performance indices, advantages, profile."""
from sqlalchemy import Column, ForeignKey, Index, Integer, String, Table, Text, UniqueConstraint, text

from custarchive.models.base import Double, metadata

# One strength, weakness, opportunity or threat; ``quadrant`` + ``seq`` make its label (``O1``).
swot_items = Table(
    "swot_items", metadata,
    Column("id", Integer, primary_key=True),
    Column("customer_id", Integer, ForeignKey("customers.id"), nullable=False),
    Column("quadrant", String(1), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("text", Text, nullable=False),
    Column("impact", Integer),
    Column("probability", Integer),
    Column("implication", Text),
    Column("action_plan", Text),
    Column("item_date", String(10), nullable=False),
    Column("created_at", String(32), nullable=False),
    Column("updated_at", String(32), nullable=False),
    Column("created_by", String(64), nullable=False),
    UniqueConstraint("customer_id", "quadrant", "seq"),
)

# A competitor of the archive's company, with how well we know it (level 1-5).
competitors = Table(
    "competitors", metadata,
    Column("id", Integer, primary_key=True),
    Column("customer_id", Integer, ForeignKey("customers.id"), nullable=False),
    Column("name", String(200), nullable=False),
    Column("knowledge_level", Integer, nullable=False, server_default=text("1")),
    Column("note", Text),
    Column("created_at", String(32), nullable=False),
    Column("updated_at", String(32), nullable=False),
    Column("created_by", String(64), nullable=False),
    UniqueConstraint("customer_id", "name"),
)

# One figure of the performance-index table; ``competitor_id`` NULL means the archive itself.
performance_indices = Table(
    "performance_indices", metadata,
    Column("id", Integer, primary_key=True),
    Column("customer_id", Integer, ForeignKey("customers.id"), nullable=False),
    Column("competitor_id", Integer, ForeignKey("competitors.id")),
    Column("metric", String(40), nullable=False),
    Column("value", Double, nullable=False),
    Column("updated_at", String(32), nullable=False),
    Index("ix_performance_indices_customer", "customer_id"),
)

# A dimension rated better/equal/worse than competitors, temporary or durable.
competitive_advantages = Table(
    "competitive_advantages", metadata,
    Column("id", Integer, primary_key=True),
    Column("customer_id", Integer, ForeignKey("customers.id"), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("dimension", String(200), nullable=False),
    Column("standing", String(8), nullable=False),
    Column("durability", String(10), nullable=False),
    Column("competitor_id", Integer, ForeignKey("competitors.id")),
    Column("note", Text),
    Column("created_at", String(32), nullable=False),
    Column("created_by", String(64), nullable=False),
    UniqueConstraint("customer_id", "seq"),
)

# One section value of the key-customer profile (大客户分析).
customer_profiles = Table(
    "customer_profiles", metadata,
    Column("customer_id", Integer, ForeignKey("customers.id"), primary_key=True, autoincrement=False),
    Column("field", String(60), primary_key=True),
    Column("value", Text, nullable=False),
    Column("updated_at", String(32), nullable=False),
    Column("updated_by", String(64), nullable=False),
)

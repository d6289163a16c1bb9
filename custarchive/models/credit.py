"""Credit evaluation: financial statements per period and saved assessments."""
from sqlalchemy import Column, ForeignKey, Integer, String, Table, Text, UniqueConstraint

from custarchive.models.base import Double, metadata

# One period's balance-sheet and income-statement lines; NULL means "not reported", never 0.
finance_statements = Table(
    "finance_statements", metadata,
    Column("id", Integer, primary_key=True),
    Column("customer_id", Integer, ForeignKey("customers.id"), nullable=False),
    Column("period", String(20), nullable=False),
    *(Column(name, Double) for name in (
        "current_assets", "inventory", "total_assets", "current_liabilities", "total_liabilities", "equity",
        "revenue", "cost_of_sales", "net_profit", "interest_expense", "ebit", "operating_cash_flow",
        "accounts_receivable")),
    Column("created_at", String(32), nullable=False),
    Column("updated_at", String(32), nullable=False),
    Column("updated_by", String(64), nullable=False),
    UniqueConstraint("customer_id", "period"),
)

# A saved credit evaluation: the exact scorecard (by hash), every input and answer, and the result.
assessments = Table(
    "assessments", metadata,
    Column("id", Integer, primary_key=True),
    Column("customer_id", Integer, ForeignKey("customers.id"), nullable=False, index=True),
    Column("model", String(100), nullable=False),
    Column("scorecard_sha256", String(64), nullable=False),
    Column("scorecard_source", String(500), nullable=False),
    Column("inputs", Text, nullable=False),
    Column("result", Text, nullable=False),
    Column("score", Double, nullable=False),
    Column("grade", String(16), nullable=False),
    Column("partial", Integer, nullable=False),
    Column("recommended_limit", Double),
    Column("operator", String(64), nullable=False),
    Column("at", String(32), nullable=False),
)

"""Credit evaluation: financial statements per period and saved assessments."""
from __future__ import annotations

from typing import Optional

from sqlalchemy import Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from custarchive.models.base import Base


class FinanceStatement(Base):
    """One period's balance-sheet and income-statement lines; NULL means "not reported", never 0."""

    __tablename__ = "finance_statements"
    __table_args__ = (UniqueConstraint("customer_id", "period"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(Integer, ForeignKey("customers.id"))
    period: Mapped[str] = mapped_column(String(20))
    current_assets: Mapped[Optional[float]] = mapped_column(Float)
    inventory: Mapped[Optional[float]] = mapped_column(Float)
    total_assets: Mapped[Optional[float]] = mapped_column(Float)
    current_liabilities: Mapped[Optional[float]] = mapped_column(Float)
    total_liabilities: Mapped[Optional[float]] = mapped_column(Float)
    equity: Mapped[Optional[float]] = mapped_column(Float)
    revenue: Mapped[Optional[float]] = mapped_column(Float)
    cost_of_sales: Mapped[Optional[float]] = mapped_column(Float)
    net_profit: Mapped[Optional[float]] = mapped_column(Float)
    interest_expense: Mapped[Optional[float]] = mapped_column(Float)
    ebit: Mapped[Optional[float]] = mapped_column(Float)
    operating_cash_flow: Mapped[Optional[float]] = mapped_column(Float)
    accounts_receivable: Mapped[Optional[float]] = mapped_column(Float)
    created_at: Mapped[str] = mapped_column(String(32))
    updated_at: Mapped[str] = mapped_column(String(32))
    updated_by: Mapped[str] = mapped_column(String(64))


class Assessment(Base):
    """A saved credit evaluation: the exact scorecard (by hash), every input and answer, and the result."""

    __tablename__ = "assessments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(Integer, ForeignKey("customers.id"), index=True)
    model: Mapped[str] = mapped_column(String(100))
    scorecard_sha256: Mapped[str] = mapped_column(String(64))
    scorecard_source: Mapped[str] = mapped_column(String(500))
    inputs: Mapped[str] = mapped_column(Text)
    result: Mapped[str] = mapped_column(Text)
    score: Mapped[float] = mapped_column(Float)
    grade: Mapped[str] = mapped_column(String(16))
    partial: Mapped[int] = mapped_column(Integer)
    recommended_limit: Mapped[Optional[float]] = mapped_column(Float)
    operator: Mapped[str] = mapped_column(String(64))
    at: Mapped[str] = mapped_column(String(32))

"""Key-customer analysis worksheets: SWOT items, competitors, performance indices, advantages, profile."""
from __future__ import annotations

from typing import Optional

from sqlalchemy import Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from custarchive.models.base import Base


class SwotItem(Base):
    """One strength, weakness, opportunity or threat; ``quadrant`` + ``seq`` make its label (``O1``)."""

    __tablename__ = "swot_items"
    __table_args__ = (UniqueConstraint("customer_id", "quadrant", "seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(Integer, ForeignKey("customers.id"))
    quadrant: Mapped[str] = mapped_column(String(1))
    seq: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    impact: Mapped[Optional[int]] = mapped_column(Integer)
    probability: Mapped[Optional[int]] = mapped_column(Integer)
    implication: Mapped[Optional[str]] = mapped_column(Text)
    action_plan: Mapped[Optional[str]] = mapped_column(Text)
    item_date: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[str] = mapped_column(String(32))
    updated_at: Mapped[str] = mapped_column(String(32))
    created_by: Mapped[str] = mapped_column(String(64))


class Competitor(Base):
    """A competitor of the archive's company, with how well we know it (level 1-5)."""

    __tablename__ = "competitors"
    __table_args__ = (UniqueConstraint("customer_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(Integer, ForeignKey("customers.id"))
    name: Mapped[str] = mapped_column(String(200))
    knowledge_level: Mapped[int] = mapped_column(Integer, default=1)
    note: Mapped[Optional[str]] = mapped_column(Text)
    created_at: Mapped[str] = mapped_column(String(32))
    updated_at: Mapped[str] = mapped_column(String(32))
    created_by: Mapped[str] = mapped_column(String(64))


class PerformanceIndex(Base):
    """One figure of the performance-index table; ``competitor_id`` NULL means the archive itself."""

    __tablename__ = "performance_indices"
    __table_args__ = (Index("ix_performance_indices_customer", "customer_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(Integer, ForeignKey("customers.id"))
    competitor_id: Mapped[Optional[int]] = mapped_column(Integer, ForeignKey("competitors.id"))
    metric: Mapped[str] = mapped_column(String(40))
    value: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[str] = mapped_column(String(32))


class CompetitiveAdvantage(Base):
    """A dimension rated better/equal/worse than competitors, temporary or durable."""

    __tablename__ = "competitive_advantages"
    __table_args__ = (UniqueConstraint("customer_id", "seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(Integer, ForeignKey("customers.id"))
    seq: Mapped[int] = mapped_column(Integer)
    dimension: Mapped[str] = mapped_column(String(200))
    standing: Mapped[str] = mapped_column(String(8))
    durability: Mapped[str] = mapped_column(String(10))
    competitor_id: Mapped[Optional[int]] = mapped_column(Integer, ForeignKey("competitors.id"))
    note: Mapped[Optional[str]] = mapped_column(Text)
    created_at: Mapped[str] = mapped_column(String(32))
    created_by: Mapped[str] = mapped_column(String(64))


class ProfileValue(Base):
    """One section value of the key-customer profile (大客户分析)."""

    __tablename__ = "customer_profiles"

    customer_id: Mapped[int] = mapped_column(Integer, ForeignKey("customers.id"), primary_key=True)
    field: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[str] = mapped_column(String(32))
    updated_by: Mapped[str] = mapped_column(String(64))

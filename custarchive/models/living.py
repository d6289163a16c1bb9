"""What accumulates around a card: filed documents, the timeline, orders and payments."""
from __future__ import annotations

from typing import Optional

from sqlalchemy import BigInteger, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from custarchive.models.base import Base


class Document(Base):
    """One entry of the archive catalogue (档案目录), optionally with a stored file named by its SHA-256."""

    __tablename__ = "documents"
    __table_args__ = (UniqueConstraint("customer_id", "doc_class", "seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(Integer, ForeignKey("customers.id"))
    doc_class: Mapped[int] = mapped_column(Integer)
    seq: Mapped[int] = mapped_column(Integer)
    doc_no: Mapped[str] = mapped_column(String(60), unique=True)
    former_no: Mapped[Optional[str]] = mapped_column(String(60))
    title: Mapped[str] = mapped_column(String(300))
    doc_date: Mapped[Optional[str]] = mapped_column(String(10))
    file_name: Mapped[Optional[str]] = mapped_column(String(300))
    sha256: Mapped[Optional[str]] = mapped_column(String(64), index=True)
    size: Mapped[Optional[int]] = mapped_column(BigInteger)
    notes: Mapped[Optional[str]] = mapped_column(Text)
    created_at: Mapped[str] = mapped_column(String(32))
    created_by: Mapped[str] = mapped_column(String(64))


class TimelineEntry(Base):
    """A visit, call, complaint, service record…; complaints carry a state until resolved."""

    __tablename__ = "timeline"
    __table_args__ = (Index("ix_timeline_customer_id", "customer_id", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(Integer, ForeignKey("customers.id"))
    entry_type: Mapped[str] = mapped_column(String(20))
    at: Mapped[str] = mapped_column(String(32))
    body: Mapped[str] = mapped_column(Text)
    follow_up: Mapped[Optional[str]] = mapped_column(String(10), index=True)
    follow_up_done_at: Mapped[Optional[str]] = mapped_column(String(32))
    state: Mapped[Optional[str]] = mapped_column(String(12), index=True)
    resolution: Mapped[Optional[str]] = mapped_column(Text)
    resolved_by: Mapped[Optional[str]] = mapped_column(String(64))
    resolved_at: Mapped[Optional[str]] = mapped_column(String(32))
    created_at: Mapped[str] = mapped_column(String(32))
    created_by: Mapped[str] = mapped_column(String(64))


class Transaction(Base):
    """An order (invoice) or a payment; payments settle the oldest open orders first."""

    __tablename__ = "transactions"
    __table_args__ = (Index("ix_transactions_customer_id", "customer_id", "txn_date"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(Integer, ForeignKey("customers.id"))
    txn_type: Mapped[str] = mapped_column(String(10))
    amount: Mapped[float] = mapped_column(Float)
    txn_date: Mapped[str] = mapped_column(String(10), index=True)
    due_date: Mapped[Optional[str]] = mapped_column(String(10))
    reference: Mapped[Optional[str]] = mapped_column(String(100))
    notes: Mapped[Optional[str]] = mapped_column(Text)
    created_at: Mapped[str] = mapped_column(String(32))
    created_by: Mapped[str] = mapped_column(String(64))

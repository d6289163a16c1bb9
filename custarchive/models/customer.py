"""The customer archive (客户档案) and what keeps it findable and numbered."""
from __future__ import annotations

from typing import Optional

from sqlalchemy import Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from custarchive.models.base import Base


class Customer(Base):
    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    archive_no: Mapped[str] = mapped_column(String(40), unique=True)
    kind: Mapped[str] = mapped_column(String(12))
    category: Mapped[str] = mapped_column(String(16))
    template: Mapped[str] = mapped_column(String(60))
    status: Mapped[str] = mapped_column(String(12), default="active")
    merged_into: Mapped[Optional[int]] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200), index=True)
    name_pinyin: Mapped[Optional[str]] = mapped_column(String(600), index=True)
    name_initials: Mapped[Optional[str]] = mapped_column(String(200), index=True)
    gender: Mapped[Optional[str]] = mapped_column(String(8))
    birth_date: Mapped[Optional[str]] = mapped_column(String(10))
    id_number: Mapped[Optional[str]] = mapped_column(String(200))
    credit_code: Mapped[Optional[str]] = mapped_column(String(18), unique=True)
    legal_representative: Mapped[Optional[str]] = mapped_column(String(200))
    registered_capital: Mapped[Optional[float]] = mapped_column(Float)
    phone: Mapped[Optional[str]] = mapped_column(String(40), index=True)
    email: Mapped[Optional[str]] = mapped_column(String(254), index=True)
    province: Mapped[Optional[str]] = mapped_column(String(50))
    city: Mapped[Optional[str]] = mapped_column(String(50))
    address: Mapped[Optional[str]] = mapped_column(String(500))
    industry: Mapped[Optional[str]] = mapped_column(String(100), index=True)
    occupation: Mapped[Optional[str]] = mapped_column(String(100))
    employer: Mapped[Optional[str]] = mapped_column(String(200))
    title: Mapped[Optional[str]] = mapped_column(String(100))
    education: Mapped[Optional[str]] = mapped_column(String(20))
    source: Mapped[Optional[str]] = mapped_column(String(200))
    annual_spend: Mapped[Optional[float]] = mapped_column(Float)
    credit_limit: Mapped[Optional[float]] = mapped_column(Float)
    bank_account: Mapped[Optional[str]] = mapped_column(String(200))
    notes: Mapped[Optional[str]] = mapped_column(Text)
    grade: Mapped[Optional[str]] = mapped_column(String(4))
    extra: Mapped[Optional[str]] = mapped_column(Text)
    created_at: Mapped[str] = mapped_column(String(32))
    updated_at: Mapped[str] = mapped_column(String(32))
    created_by: Mapped[str] = mapped_column(String(64))
    id_number_hmac: Mapped[Optional[str]] = mapped_column(String(64), unique=True)
    bank_account_hmac: Mapped[Optional[str]] = mapped_column(String(64), index=True)


class Category(Base):
    """A customer category (A 重要客户, B 普通客户, C 一般客户 …) and its number pattern."""

    __tablename__ = "categories"

    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    name_zh: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100))
    pattern: Mapped[str] = mapped_column(String(100))


class Counter(Base):
    """Last sequence number handed out per rendered number prefix (e.g. ``A-2026-``)."""

    __tablename__ = "counters"

    prefix: Mapped[str] = mapped_column(String(100), primary_key=True)
    last_seq: Mapped[int] = mapped_column(Integer)


class NameGram(Base):
    """Bigrams of each name plus its last character: the index behind short Chinese substring search."""

    __tablename__ = "name_grams"
    __table_args__ = {"sqlite_with_rowid": False}

    gram: Mapped[str] = mapped_column(String(8), primary_key=True)
    customer_id: Mapped[int] = mapped_column(Integer, ForeignKey("customers.id"), primary_key=True)

"""The change log: every created, changed and removed value, chained by hashes."""
from __future__ import annotations

from typing import Optional

from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from custarchive.models.base import Base


class Change(Base):
    __tablename__ = "change_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[Optional[int]] = mapped_column(Integer, index=True)
    archive_no: Mapped[Optional[str]] = mapped_column(String(40))
    at: Mapped[str] = mapped_column(String(32))
    operator: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(20))
    field: Mapped[Optional[str]] = mapped_column(String(60))
    old_value: Mapped[Optional[str]] = mapped_column(Text)
    new_value: Mapped[Optional[str]] = mapped_column(Text)
    reason: Mapped[Optional[str]] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(20))
    batch_id: Mapped[Optional[str]] = mapped_column(String(40))
    old_digest: Mapped[Optional[str]] = mapped_column(String(64))
    new_digest: Mapped[Optional[str]] = mapped_column(String(64))
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class ChainHead(Base):
    """One row holding the newest log hash; writers lock it so the chain never forks."""

    __tablename__ = "chain_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_id: Mapped[int] = mapped_column(Integer)
    last_hash: Mapped[str] = mapped_column(String(64))


class User(Base):
    """An operator and their role (admin, manager, clerk, viewer)."""

    __tablename__ = "users"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    role: Mapped[str] = mapped_column(String(20))
    active: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[str] = mapped_column(String(32))
    created_by: Mapped[str] = mapped_column(String(64))

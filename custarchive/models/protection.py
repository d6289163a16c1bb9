"""What protects the archive: the key fingerprint, consents and erasure tombstones."""
from __future__ import annotations

from typing import Optional

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from custarchive.models.base import Base


class ProtectionMeta(Base):
    """Small facts about the protection set-up (e.g. the fingerprint of the encryption key)."""

    __tablename__ = "protection_meta"

    name: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class Consent(Base):
    """A customer's consent to processing, for one purpose and scope (basic or sensitive)."""

    __tablename__ = "consents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(Integer, ForeignKey("customers.id"), index=True)
    purpose: Mapped[str] = mapped_column(Text)
    scope: Mapped[str] = mapped_column(String(12))
    channel: Mapped[str] = mapped_column(String(60))
    given_on: Mapped[str] = mapped_column(String(10))
    withdrawn_on: Mapped[Optional[str]] = mapped_column(String(10))
    recorded_at: Mapped[str] = mapped_column(String(32))
    recorded_by: Mapped[str] = mapped_column(String(64))


class Erasure(Base):
    """The tombstone of an erased archive: its number, when, who and why."""

    __tablename__ = "erasures"

    customer_id: Mapped[int] = mapped_column(Integer, ForeignKey("customers.id"), primary_key=True)
    archive_no: Mapped[str] = mapped_column(String(40))
    erased_at: Mapped[str] = mapped_column(String(32))
    operator: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text)

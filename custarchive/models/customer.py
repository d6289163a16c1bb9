"""The customer archive (客户档案) and what keeps it findable and numbered."""
from __future__ import annotations

from typing import Any, Optional, TypedDict

from sqlalchemy import Column, ForeignKey, Index, Integer, String, Table, Text, text

from custarchive.models.base import Double, metadata


def _pattern_index(name: str, column: str, postgresql_only: bool = False) -> Index:
    """A plain index on SQLite; on PostgreSQL with ``varchar_pattern_ops``, so ``LIKE 'x%'`` can use it
    (m060, m070; SQLite's prefix search is a range on the ordinary index: ``sqlutil.prefix_condition``).

    The operator class is attached when the index is created on PostgreSQL, not given as
    ``postgresql_ops=`` here: that keyword makes SQLAlchemy import its whole PostgreSQL
    dialect (over 50 ms) at import time, on every command, SQLite archives included.
    """

    def with_pattern_ops(ddl, target, bind, dialect=None, **kw) -> bool:
        if dialect is not None and dialect.name == "postgresql":
            target.dialect_options["postgresql"]["ops"] = {column: "varchar_pattern_ops"}
            return True
        return not postgresql_only

    return Index(name, column).ddl_if(callable_=with_pattern_ops)  # type: ignore[arg-type]  # protocol spells out **kw


customers = Table(
    "customers", metadata,
    Column("id", Integer, primary_key=True),
    Column("archive_no", String(40), nullable=False, unique=True),
    Column("kind", String(12), nullable=False),
    Column("category", String(16), nullable=False),
    Column("template", String(60), nullable=False),
    Column("status", String(12), nullable=False, server_default=text("'active'")),
    Column("merged_into", Integer),
    Column("name", String(200), nullable=False, index=True),
    Column("name_pinyin", String(600)),
    Column("name_initials", String(200)),
    Column("gender", String(8)),
    Column("birth_date", String(10)),
    Column("id_number", String(200)),
    Column("credit_code", String(18), unique=True),
    Column("legal_representative", String(200)),
    Column("registered_capital", Double),
    Column("phone", String(40)),
    Column("email", String(254)),
    Column("province", String(50)),
    Column("city", String(50)),
    Column("address", String(500)),
    Column("industry", String(100), index=True),
    Column("occupation", String(100)),
    Column("employer", String(200)),
    Column("title", String(100)),
    Column("education", String(20)),
    Column("source", String(200)),
    Column("annual_spend", Double),
    Column("credit_limit", Double),
    Column("bank_account", String(200)),
    Column("notes", Text),
    Column("grade", String(4)),
    Column("extra", Text),
    Column("created_at", String(32), nullable=False),
    Column("updated_at", String(32), nullable=False),
    Column("created_by", String(64), nullable=False),
    Column("id_number_hmac", String(64)),  # m040: keyed hashes of the sealed values, for exact lookups
    Column("bank_account_hmac", String(64), index=True),
    Column("owner", String(64), index=True),  # m082: the owner (负责人); NULL = in the shared pool (公海)
    Column("team", String(64), index=True),
    Column("owner_since", String(32)),
    *(_pattern_index(f"ix_customers_{column}", column) for column in ("name_pinyin", "name_initials", "phone",
                                                                       "email")),
    Index("ux_customers_id_number_hmac", "id_number_hmac", unique=True),
    _pattern_index("ix_customers_archive_no_prefix", "archive_no", postgresql_only=True),
)

# Columns computed from others when a card is written, never part of a card: the search keys
# and the keyed hashes of sealed values.
DERIVED_COLUMNS = ("name_pinyin", "name_initials", "id_number_hmac", "bank_account_hmac")


class Card(TypedDict):
    """A card as the domain passes it around: a customers row with its derived columns left out,
    ``extra`` (the template's own fields) decoded, and sensitive values in clear once opened."""

    id: int
    archive_no: str
    kind: str
    category: str
    template: str
    status: str
    merged_into: Optional[int]
    grade: Optional[str]
    created_at: str
    updated_at: str
    created_by: str
    owner: Optional[str]
    team: Optional[str]
    owner_since: Optional[str]
    name: str
    gender: Optional[str]
    birth_date: Optional[str]
    id_number: Optional[str]
    credit_code: Optional[str]
    legal_representative: Optional[str]
    registered_capital: Optional[float]
    phone: Optional[str]
    email: Optional[str]
    province: Optional[str]
    city: Optional[str]
    address: Optional[str]
    industry: Optional[str]
    occupation: Optional[str]
    employer: Optional[str]
    title: Optional[str]
    education: Optional[str]
    source: Optional[str]
    annual_spend: Optional[float]
    credit_limit: Optional[float]
    bank_account: Optional[str]
    notes: Optional[str]
    extra: dict[str, Any]


# A customer category (A 重要客户, B 普通客户, C 一般客户 …) and its number pattern.
categories = Table(
    "categories", metadata,
    Column("code", String(16), primary_key=True),
    Column("name_zh", String(100), nullable=False),
    Column("name_en", String(100), nullable=False),
    Column("pattern", String(100), nullable=False),
)

# Last sequence number handed out per rendered number prefix (e.g. ``A-2026-``).
counters = Table(
    "counters", metadata,
    Column("prefix", String(100), primary_key=True),
    Column("last_seq", Integer, nullable=False),
)

# Bigrams of each name plus its last character: the index behind short Chinese substring search.
# A one-character query is ``LIKE 'x%'`` on PostgreSQL (m070's pattern index), a range on SQLite.
name_grams = Table(
    "name_grams", metadata,
    Column("gram", String(8), primary_key=True),
    Column("customer_id", Integer, ForeignKey("customers.id"), primary_key=True),
    _pattern_index("ix_name_grams_gram_prefix", "gram", postgresql_only=True),
    sqlite_with_rowid=False,
)

# Pairs of archives a person judged "not the same customer" (``dedupe --decisions``, m090): never
# proposed again. customer_a < customer_b.
dedupe_decisions = Table(
    "dedupe_decisions", metadata,
    Column("customer_a", Integer, ForeignKey("customers.id"), primary_key=True),
    Column("customer_b", Integer, ForeignKey("customers.id"), primary_key=True),
    Column("decision", String(12), nullable=False),
    Column("decided_at", String(32), nullable=False),
    Column("decided_by", String(64), nullable=False),
    Column("source", String(300)),
)

"""Schema changes, oldest first: the database's changelog.

Each migration is a small function named for what it does, registered by
``@migration`` and recorded in ``schema_migrations`` once applied, so an
archive file made by any earlier version is brought up to date in place.
Migrations are plain SQL with a few per-dialect words, so the same list
builds SQLite and PostgreSQL databases. Never edit an applied migration:
add a new one.
"""
from __future__ import annotations

from typing import Callable

MIGRATIONS: list[tuple[str, Callable]] = []


def migration(fn: Callable) -> Callable:
    MIGRATIONS.append((fn.__name__, fn))
    return fn


class Schema:
    """Runs DDL on one connection, filling in the words that differ per dialect."""

    def __init__(self, conn):
        self.conn = conn
        self.dialect = conn.dialect.name

    def sql(self, statement: str, params: dict | None = None) -> None:
        sqlite = self.dialect == "sqlite"
        words = {
            "pk": "INTEGER PRIMARY KEY" if sqlite else "SERIAL PRIMARY KEY",
            "without_rowid": "WITHOUT ROWID" if sqlite else "",
            "float": "DOUBLE PRECISION",
            "blob": "BLOB" if sqlite else "BYTEA",
        }
        from sqlalchemy import text

        self.conn.execute(text(statement.format(**words)), params or {})


@migration
def m001_initial(s: Schema) -> None:
    s.sql("""CREATE TABLE categories (
        code VARCHAR(16) PRIMARY KEY, name_zh VARCHAR(100) NOT NULL,
        name_en VARCHAR(100) NOT NULL, pattern VARCHAR(100) NOT NULL)""")
    for code, zh, en in (("A", "重要客户", "VIP"), ("B", "普通客户", "Regular corporate"),
                         ("C", "一般客户", "Walk-in / new")):
        s.sql("INSERT INTO categories (code, name_zh, name_en, pattern) VALUES (:c, :zh, :en, :p)",
              {"c": code, "zh": zh, "en": en, "p": "{category}-{yyyy}-{seq:05}"})
    s.sql("CREATE TABLE counters (prefix VARCHAR(100) PRIMARY KEY, last_seq INTEGER NOT NULL)")
    s.sql("""CREATE TABLE customers (
        id {pk}, archive_no VARCHAR(40) NOT NULL UNIQUE, kind VARCHAR(12) NOT NULL,
        category VARCHAR(16) NOT NULL, template VARCHAR(60) NOT NULL,
        status VARCHAR(12) NOT NULL DEFAULT 'active', merged_into INTEGER,
        name VARCHAR(200) NOT NULL, name_pinyin VARCHAR(600), name_initials VARCHAR(200),
        gender VARCHAR(8), birth_date VARCHAR(10), id_number VARCHAR(200) UNIQUE,
        credit_code VARCHAR(18) UNIQUE, legal_representative VARCHAR(200), registered_capital {float},
        phone VARCHAR(40), email VARCHAR(254), province VARCHAR(50), city VARCHAR(50),
        address VARCHAR(500), industry VARCHAR(100), occupation VARCHAR(100), employer VARCHAR(200),
        title VARCHAR(100), education VARCHAR(20), source VARCHAR(200), annual_spend {float},
        credit_limit {float}, bank_account VARCHAR(200), notes TEXT, grade VARCHAR(4), extra TEXT,
        created_at VARCHAR(32) NOT NULL, updated_at VARCHAR(32) NOT NULL, created_by VARCHAR(64) NOT NULL)""")
    for column in ("name", "name_pinyin", "name_initials", "phone", "email", "industry"):
        s.sql(f"CREATE INDEX ix_customers_{column} ON customers ({column})")
    s.sql("""CREATE TABLE name_grams (
        gram VARCHAR(8) NOT NULL, customer_id INTEGER NOT NULL REFERENCES customers (id),
        PRIMARY KEY (gram, customer_id)) {without_rowid}""")
    s.sql("""CREATE TABLE change_log (
        id {pk}, customer_id INTEGER, archive_no VARCHAR(40), at VARCHAR(32) NOT NULL,
        operator VARCHAR(64) NOT NULL, action VARCHAR(20) NOT NULL, field VARCHAR(60),
        old_value TEXT, new_value TEXT, reason TEXT, source VARCHAR(20) NOT NULL,
        batch_id VARCHAR(40), prev_hash VARCHAR(64) NOT NULL, hash VARCHAR(64) NOT NULL)""")
    s.sql("CREATE INDEX ix_change_log_customer_id ON change_log (customer_id)")
    s.sql("""CREATE TABLE chain_head (
        id INTEGER PRIMARY KEY, last_id INTEGER NOT NULL, last_hash VARCHAR(64) NOT NULL)""")
    s.sql("INSERT INTO chain_head (id, last_id, last_hash) VALUES (1, 0, :h)", {"h": "0" * 64})


@migration
def m002_users(s: Schema) -> None:
    s.sql("""CREATE TABLE users (
        name VARCHAR(64) PRIMARY KEY, role VARCHAR(20) NOT NULL, active INTEGER NOT NULL DEFAULT 1,
        created_at VARCHAR(32) NOT NULL, created_by VARCHAR(64) NOT NULL)""")


@migration
def m060_postgres_prefix_indexes(s: Schema) -> None:
    """PostgreSQL uses a btree index for ``LIKE 'x%'`` only with pattern operators (or the C collation).

    SQLite's prefix search is a range on the ordinary index (``sqlutil.prefix_condition``),
    so this step is PostgreSQL-only. Pattern-operator indexes also serve equality, so
    they replace the plain ones instead of doubling the write cost.
    """
    if s.dialect != "postgresql":
        return
    for column in ("name_pinyin", "name_initials", "phone", "email"):
        s.sql(f"DROP INDEX IF EXISTS ix_customers_{column}")
        s.sql(f"CREATE INDEX ix_customers_{column} ON customers ({column} varchar_pattern_ops)")
    s.sql("CREATE INDEX ix_customers_archive_no_prefix ON customers (archive_no varchar_pattern_ops)")


def applied(conn) -> set[str]:
    from sqlalchemy import text

    return {row[0] for row in conn.execute(text("SELECT name FROM schema_migrations"))}


def ensure_table(conn) -> None:
    from sqlalchemy import text

    conn.execute(text("CREATE TABLE IF NOT EXISTS schema_migrations ("
                      "name VARCHAR(100) PRIMARY KEY, applied_at VARCHAR(32) NOT NULL)"))


def pending(conn) -> list[str]:
    done = applied(conn)
    return [name for name, _fn in MIGRATIONS if name not in done]


def upgrade(conn, upto: str | None = None) -> list[str]:
    """Apply every pending migration (or those up to ``upto``) on ``conn``, in order."""
    import datetime

    from sqlalchemy import text

    ensure_table(conn)
    done, ran = applied(conn), []
    schema = Schema(conn)
    for name, fn in MIGRATIONS:
        if name not in done:
            fn(schema)
            conn.execute(text("INSERT INTO schema_migrations (name, applied_at) VALUES (:n, :t)"),
                         {"n": name, "t": datetime.datetime.now().astimezone().isoformat(timespec="seconds")})
            ran.append(name)
        if name == upto:
            break
    return ran

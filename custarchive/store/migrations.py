"""Schema changes, oldest first: the database's changelog.

Each migration is a small function named for what it does, registered by
``@migration`` and recorded in ``schema_migrations`` once applied, so an
archive file made by any earlier version is brought up to date in place.
Migrations are plain SQL with a few per-dialect words, so the same list
builds SQLite and PostgreSQL databases. Never edit an applied migration:
add a new one.

A data migration must do tomorrow what it did the day it was written, so it
calls no live code whose meaning can change: what it needs (the sealing, the
chain hash, the name grams) is frozen in ``store/frozen.py``. The schema they
build is described, for the code, by ``custarchive.models``; a test compares
the two in full.
"""
from __future__ import annotations

from typing import Callable

from custarchive.store import frozen


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
        gender VARCHAR(8), birth_date VARCHAR(10), id_number VARCHAR(200),
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
def m010_finance_statements(s: Schema) -> None:
    s.sql("""CREATE TABLE finance_statements (
        id {pk}, customer_id INTEGER NOT NULL REFERENCES customers (id), period VARCHAR(20) NOT NULL,
        current_assets {float}, inventory {float}, total_assets {float}, current_liabilities {float},
        total_liabilities {float}, equity {float}, revenue {float}, cost_of_sales {float},
        net_profit {float}, interest_expense {float}, ebit {float}, operating_cash_flow {float},
        accounts_receivable {float},
        created_at VARCHAR(32) NOT NULL, updated_at VARCHAR(32) NOT NULL, updated_by VARCHAR(64) NOT NULL,
        UNIQUE (customer_id, period))""")


@migration
def m011_assessments(s: Schema) -> None:
    s.sql("""CREATE TABLE assessments (
        id {pk}, customer_id INTEGER NOT NULL REFERENCES customers (id), model VARCHAR(100) NOT NULL,
        scorecard_sha256 VARCHAR(64) NOT NULL, scorecard_source VARCHAR(500) NOT NULL,
        inputs TEXT NOT NULL, result TEXT NOT NULL, score {float} NOT NULL, grade VARCHAR(16) NOT NULL,
        partial INTEGER NOT NULL, recommended_limit {float}, operator VARCHAR(64) NOT NULL,
        at VARCHAR(32) NOT NULL)""")
    s.sql("CREATE INDEX ix_assessments_customer_id ON assessments (customer_id)")


@migration
def m020_swot_items(s: Schema) -> None:
    s.sql("""CREATE TABLE swot_items (
        id {pk}, customer_id INTEGER NOT NULL REFERENCES customers (id), quadrant VARCHAR(1) NOT NULL,
        seq INTEGER NOT NULL, text TEXT NOT NULL, impact INTEGER, probability INTEGER, implication TEXT,
        action_plan TEXT, item_date VARCHAR(10) NOT NULL, created_at VARCHAR(32) NOT NULL,
        updated_at VARCHAR(32) NOT NULL, created_by VARCHAR(64) NOT NULL,
        UNIQUE (customer_id, quadrant, seq))""")


@migration
def m021_competition(s: Schema) -> None:
    s.sql("""CREATE TABLE competitors (
        id {pk}, customer_id INTEGER NOT NULL REFERENCES customers (id), name VARCHAR(200) NOT NULL,
        knowledge_level INTEGER NOT NULL DEFAULT 1, note TEXT, created_at VARCHAR(32) NOT NULL,
        updated_at VARCHAR(32) NOT NULL, created_by VARCHAR(64) NOT NULL, UNIQUE (customer_id, name))""")
    s.sql("""CREATE TABLE performance_indices (
        id {pk}, customer_id INTEGER NOT NULL REFERENCES customers (id),
        competitor_id INTEGER REFERENCES competitors (id), metric VARCHAR(40) NOT NULL, value {float} NOT NULL,
        updated_at VARCHAR(32) NOT NULL)""")
    s.sql("CREATE INDEX ix_performance_indices_customer ON performance_indices (customer_id)")
    s.sql("""CREATE TABLE competitive_advantages (
        id {pk}, customer_id INTEGER NOT NULL REFERENCES customers (id), seq INTEGER NOT NULL,
        dimension VARCHAR(200) NOT NULL, standing VARCHAR(8) NOT NULL, durability VARCHAR(10) NOT NULL,
        competitor_id INTEGER REFERENCES competitors (id), note TEXT, created_at VARCHAR(32) NOT NULL,
        created_by VARCHAR(64) NOT NULL, UNIQUE (customer_id, seq))""")


@migration
def m022_customer_profiles(s: Schema) -> None:
    s.sql("""CREATE TABLE customer_profiles (
        customer_id INTEGER NOT NULL REFERENCES customers (id), field VARCHAR(60) NOT NULL, value TEXT NOT NULL,
        updated_at VARCHAR(32) NOT NULL, updated_by VARCHAR(64) NOT NULL, PRIMARY KEY (customer_id, field))""")


@migration
def m030_documents(s: Schema) -> None:
    s.sql("""CREATE TABLE documents (
        id {pk}, customer_id INTEGER NOT NULL REFERENCES customers (id), doc_class INTEGER NOT NULL,
        seq INTEGER NOT NULL, doc_no VARCHAR(60) NOT NULL UNIQUE, former_no VARCHAR(60),
        title VARCHAR(300) NOT NULL, doc_date VARCHAR(10), file_name VARCHAR(300), sha256 VARCHAR(64),
        size INTEGER, notes TEXT, created_at VARCHAR(32) NOT NULL, created_by VARCHAR(64) NOT NULL,
        UNIQUE (customer_id, doc_class, seq))""")
    s.sql("CREATE INDEX ix_documents_sha256 ON documents (sha256)")


@migration
def m031_timeline(s: Schema) -> None:
    s.sql("""CREATE TABLE timeline (
        id {pk}, customer_id INTEGER NOT NULL REFERENCES customers (id), entry_type VARCHAR(20) NOT NULL,
        at VARCHAR(32) NOT NULL, body TEXT NOT NULL, follow_up VARCHAR(10), follow_up_done_at VARCHAR(32),
        state VARCHAR(12), resolution TEXT, resolved_by VARCHAR(64), resolved_at VARCHAR(32),
        created_at VARCHAR(32) NOT NULL, created_by VARCHAR(64) NOT NULL)""")
    s.sql("CREATE INDEX ix_timeline_customer_id ON timeline (customer_id, at)")
    s.sql("CREATE INDEX ix_timeline_follow_up ON timeline (follow_up)")
    s.sql("CREATE INDEX ix_timeline_state ON timeline (state)")


@migration
def m032_transactions(s: Schema) -> None:
    s.sql("""CREATE TABLE transactions (
        id {pk}, customer_id INTEGER NOT NULL REFERENCES customers (id), txn_type VARCHAR(10) NOT NULL,
        amount {float} NOT NULL, txn_date VARCHAR(10) NOT NULL, due_date VARCHAR(10), reference VARCHAR(100),
        notes TEXT, created_at VARCHAR(32) NOT NULL, created_by VARCHAR(64) NOT NULL)""")
    s.sql("CREATE INDEX ix_transactions_customer_id ON transactions (customer_id, txn_date)")
    s.sql("CREATE INDEX ix_transactions_txn_date ON transactions (txn_date)")


@migration
def m040_protection(s: Schema) -> None:
    s.sql("CREATE TABLE protection_meta (name VARCHAR(60) PRIMARY KEY, value TEXT NOT NULL)")
    s.sql("ALTER TABLE customers ADD COLUMN id_number_hmac VARCHAR(64)")
    s.sql("ALTER TABLE customers ADD COLUMN bank_account_hmac VARCHAR(64)")
    s.sql("CREATE UNIQUE INDEX ux_customers_id_number_hmac ON customers (id_number_hmac)")
    s.sql("CREATE INDEX ix_customers_bank_account_hmac ON customers (bank_account_hmac)")
    s.sql("ALTER TABLE change_log ADD COLUMN old_digest VARCHAR(64)")
    s.sql("ALTER TABLE change_log ADD COLUMN new_digest VARCHAR(64)")
    s.sql("""CREATE TABLE consents (
        id {pk}, customer_id INTEGER NOT NULL REFERENCES customers (id), purpose TEXT NOT NULL,
        scope VARCHAR(12) NOT NULL, channel VARCHAR(60) NOT NULL, given_on VARCHAR(10) NOT NULL,
        withdrawn_on VARCHAR(10), recorded_at VARCHAR(32) NOT NULL, recorded_by VARCHAR(64) NOT NULL)""")
    s.sql("CREATE INDEX ix_consents_customer_id ON consents (customer_id)")
    s.sql("""CREATE TABLE erasures (
        customer_id INTEGER PRIMARY KEY REFERENCES customers (id), archive_no VARCHAR(40) NOT NULL,
        erased_at VARCHAR(32) NOT NULL, operator VARCHAR(64) NOT NULL, reason TEXT NOT NULL)""")


@migration
def m041_seal_existing_values(s: Schema) -> None:
    """Create the key, then encrypt what an older version stored in clear and give its log digests.

    The key itself is made and found by the live ``crypto.keyring`` (the key must be where this
    version looks for it); everything done with it is the frozen code of this migration's time.
    """
    from custarchive.core import crypto

    crypto.keyring(s.conn, create=True)
    keys = frozen.Keys041(crypto.key_source(s.conn))
    frozen.seal_existing_cards_041(s.conn, keys)
    frozen.rechain_legacy_041(s.conn, keys)


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


@migration
def m070_bigram_name_index(s: Schema) -> None:
    """Name grams become bigrams plus the last character (``searchindex.grams``): half the rows.

    Every archive but an erased one is indexed (an erased name is a placeholder, never searched).
    On PostgreSQL a one-character query is a ``LIKE 'x%'`` on the gram, which needs a
    pattern-operator index (SQLite uses a range on the primary key).
    """
    from sqlalchemy import text

    indexed = s.conn.execute(text("SELECT id, name FROM customers WHERE status <> 'erased' ORDER BY id")).all()
    s.sql("DELETE FROM name_grams")
    rows = sorted((gram, cid) for cid, name in indexed for gram in frozen.grams_070(name))
    if rows:
        mark = "?" if s.conn.dialect.paramstyle == "qmark" else "%s"
        s.conn.exec_driver_sql(f"INSERT INTO name_grams (gram, customer_id) VALUES ({mark}, {mark})", rows)
    if s.dialect == "postgresql":
        s.sql("CREATE INDEX ix_name_grams_gram_prefix ON name_grams (gram varchar_pattern_ops)")


@migration
def m071_document_size_bigint(s: Schema) -> None:
    """Attachments of 2 GiB and more: PostgreSQL's INTEGER stops at 2**31 - 1 (SQLite's is 64-bit)."""
    if s.dialect == "postgresql":
        s.sql("ALTER TABLE documents ALTER COLUMN size TYPE BIGINT")


@migration
def m080_name_keys_every_surname_reading(s: Schema) -> None:
    """Pinyin and initials under every reading of a short name's first character
    (``searchindex.name_keys``): ``zr`` finds 曾荣, ``shantianfang`` 单田芳.

    Deliberately calls the live ``name_keys``, unlike m041/m070 (store/frozen.py): these
    columns are a derived search index, not data, and must match the search code that reads
    them; a later change to the keys ships its own rebuild migration, so running this one
    with newer code only writes what that rebuild would write anyway."""
    from sqlalchemy import text

    from custarchive.core.searchindex import name_keys

    update = text("UPDATE customers SET name_pinyin = :p, name_initials = :i WHERE id = :id")
    last = 0
    while True:
        rows = s.conn.execute(text("SELECT id, name FROM customers WHERE id > :last AND status <> 'erased' "
                                   "ORDER BY id LIMIT 2000"), {"last": last}).all()
        if not rows:
            break
        changed = []
        for cid, name in rows:
            full, initials = name_keys(name)
            changed.append({"p": full, "i": initials, "id": cid})
        s.conn.execute(update, changed)
        last = rows[-1][0]


@migration
def m081_survey_responses(s: Schema) -> None:
    """Questionnaire answers (surveys/): one response per respondent and date, one answer row per
    question (a multiple choice gives one row per ticked option, so counts are a GROUP BY). Answers
    repeat the respondent's ``customer_id`` so that subject-export, erase and merge, which find a
    customer's rows by that column, see them too."""
    s.sql("""CREATE TABLE survey_batches (
        id VARCHAR(40) PRIMARY KEY, survey VARCHAR(60) NOT NULL, file_name VARCHAR(300),
        sha256 VARCHAR(64), responses INTEGER NOT NULL, created_at VARCHAR(32) NOT NULL,
        created_by VARCHAR(64) NOT NULL)""")
    s.sql("CREATE INDEX ix_survey_batches_sha256 ON survey_batches (survey, sha256)")
    s.sql("""CREATE TABLE survey_responses (
        id {pk}, survey VARCHAR(60) NOT NULL, customer_id INTEGER REFERENCES customers (id),
        responded_on VARCHAR(10) NOT NULL, channel VARCHAR(12) NOT NULL, batch_id VARCHAR(40),
        line INTEGER, created_at VARCHAR(32) NOT NULL, created_by VARCHAR(64) NOT NULL)""")
    s.sql("CREATE INDEX ix_survey_responses_survey ON survey_responses (survey, responded_on)")
    s.sql("CREATE INDEX ix_survey_responses_customer ON survey_responses (customer_id)")
    s.sql("""CREATE TABLE survey_answers (
        response_id INTEGER NOT NULL REFERENCES survey_responses (id), question VARCHAR(60) NOT NULL,
        item INTEGER NOT NULL, choice VARCHAR(100), number {float}, text TEXT,
        customer_id INTEGER REFERENCES customers (id),
        PRIMARY KEY (response_id, question, item)) {without_rowid}""")


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


@migration
def m082_owners_teams(s: Schema) -> None:
    """Every archive has an owner (负责人) and a team; an archive without owner is in the shared pool (公海).

    ``owner_since`` is when the present owner took the archive (the pool sweep counts follow-ups from
    then, so a fresh claim is not swept back at once). Archives made before owners existed belong to
    whoever made them. Collaborators (协作人) see an archive as its owner does.
    """
    s.sql("ALTER TABLE customers ADD COLUMN owner VARCHAR(64)")
    s.sql("ALTER TABLE customers ADD COLUMN team VARCHAR(64)")
    s.sql("ALTER TABLE customers ADD COLUMN owner_since VARCHAR(32)")
    s.sql("UPDATE customers SET owner = created_by, owner_since = created_at")
    s.sql("CREATE INDEX ix_customers_owner ON customers (owner)")
    s.sql("CREATE INDEX ix_customers_team ON customers (team)")
    s.sql("ALTER TABLE users ADD COLUMN team VARCHAR(64)")
    s.sql("""CREATE TABLE collaborators (
        customer_id INTEGER NOT NULL REFERENCES customers (id), name VARCHAR(64) NOT NULL,
        added_at VARCHAR(32) NOT NULL, added_by VARCHAR(64) NOT NULL,
        PRIMARY KEY (customer_id, name))""")
    s.sql("CREATE INDEX ix_collaborators_name ON collaborators (name)")


@migration
def m083_security_log(s: Schema) -> None:
    """Refused actions kept on the server (PostgreSQL), append-only once ``db roles`` has run; a SQLite
    archive keeps its security log in the file beside it (``authz.security_log_path``), so that a refused
    command leaves the database file exactly as it was."""
    s.sql("""CREATE TABLE security_log (
        id {pk}, at VARCHAR(32) NOT NULL, operator VARCHAR(64) NOT NULL, login VARCHAR(64),
        action VARCHAR(20) NOT NULL, outcome VARCHAR(12) NOT NULL, detail TEXT)""")


@migration
def m090_dedupe_decisions(s: Schema) -> None:
    """Pairs a person judged "not the same customer" (``dedupe --decisions``): never proposed again."""
    s.sql("""CREATE TABLE dedupe_decisions (
        customer_a INTEGER NOT NULL REFERENCES customers (id), customer_b INTEGER NOT NULL REFERENCES customers (id),
        decision VARCHAR(12) NOT NULL, decided_at VARCHAR(32) NOT NULL, decided_by VARCHAR(64) NOT NULL,
        source VARCHAR(300), PRIMARY KEY (customer_a, customer_b))""")

"""Schema evolution: an archive made by the first schema opens, upgraded, in this version."""
from __future__ import annotations

import sqlite3

import contextlib
import typing

import pytest
from sqlalchemy import Index, String, UniqueConstraint, create_engine, inspect, text

from custarchive import models
from custarchive.cards import lookup
from custarchive.store import migrations
from tests.helpers import backend_of, engine_for


def _first_schema_file(path) -> None:
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        migrations.upgrade(conn, upto="m001_initial")
    engine.dispose()
    raw = sqlite3.connect(path)
    raw.execute("INSERT INTO customers (archive_no, kind, category, template, status, name, phone, created_at, "
                "updated_at, created_by) VALUES ('A-2025-00007', 'individual', 'A', 'individual', 'active', '老客户', "
                "'13912345678', '2025-01-01T00:00:00+08:00', '2025-01-01T00:00:00+08:00', 'old')")
    raw.execute("INSERT INTO counters (prefix, last_seq) VALUES ('A-2025-{seq}', 7)")
    raw.commit()
    raw.close()


@pytest.mark.sqlite_only
def test_upgrade_from_first_schema_keeps_data(cli, db_target):
    _first_schema_file(db_target)
    card = cli.json("show", "A-2025-00007")
    assert card["name"] == "老客户"
    conn = sqlite3.connect(db_target)
    names = {row[0] for row in conn.execute("SELECT name FROM schema_migrations")}
    conn.close()
    assert names == {name for name, _fn in migrations.MIGRATIONS}
    assert cli.add({"name": "新客户", "phone": "13800000000"}).startswith("C-")
    # the archive written without any search index is indexed by the upgrade
    assert [c["archive_no"] for c in cli.json("search", "老")] == ["A-2025-00007"]
    assert [c["name"] for c in cli.json("search", "客户")] == ["老客户", "新客户"]


@pytest.fixture
def blank_target(request, db_target, tmp_path) -> str:
    """Another empty database on the backend of ``db_target``."""
    if backend_of(db_target) == "sqlite":
        return str(tmp_path / "from_metadata.db")
    return request.getfixturevalue("pg_empty")()


def _described(engine) -> dict[str, dict]:
    """Everything a database says about each of its tables, as two databases can be compared by.

    Types are compiled for the backend (VARCHAR(40), DOUBLE PRECISION, BIGINT, …); a primary-key
    column counts as NOT NULL whatever the DDL said (SQLite accepts a bare ``x INTEGER PRIMARY KEY``
    where SQLAlchemy writes ``NOT NULL``); SQLite's unique constraints come from its own index list.
    PostgreSQL's own index definitions are compared as well,
    since they carry what reflection leaves out (operator classes such as ``varchar_pattern_ops``).
    """
    found = {}
    with engine.connect() as conn:
        inspector = inspect(conn)
        for table in inspector.get_table_names():
            primary = inspector.get_pk_constraint(table)
            keys = set(primary["constrained_columns"])
            found[table] = {
                "columns": [(c["name"], c["type"].compile(conn.dialect), c["nullable"] and c["name"] not in keys,
                             c.get("default")) for c in inspector.get_columns(table)],
                "primary key": (primary.get("name"), primary["constrained_columns"]),
                "foreign keys": sorted((fk["name"] or "", fk["constrained_columns"], fk["referred_table"],
                                        fk["referred_columns"]) for fk in inspector.get_foreign_keys(table)),
                "unique": sorted((u["name"] or "", sorted(u["column_names"]))
                                 for u in inspector.get_unique_constraints(table)),
                "indexes": sorted((i["name"], i["column_names"], bool(i["unique"]))
                                  for i in inspector.get_indexes(table)),
            }
            if conn.dialect.name == "postgresql":
                found[table]["index definitions"] = sorted(conn.execute(text(
                    "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() "
                    "AND tablename = :t"), {"t": table}).all())
            else:
                sql = conn.execute(text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = :t"),
                                   {"t": table}).scalar()
                found[table]["without rowid"] = "WITHOUT ROWID" in sql.upper()
                # SQLAlchemy's reflection misses a UNIQUE written on the column; SQLite's own list has it
                found[table]["unique"] = sorted(
                    [column for _n, _c, column in conn.exec_driver_sql(f"PRAGMA index_info('{name}')")]
                    for _s, name, _u, origin, _p in conn.exec_driver_sql(f"PRAGMA index_list('{table}')")
                    if origin == "u")
    return found


def _from_metadata(target: str) -> dict[str, dict]:
    engine = engine_for(target)
    try:
        models.metadata.create_all(engine)
        return _described(engine)
    finally:
        engine.dispose()


def _migrated(target: str) -> dict[str, dict]:
    engine = engine_for(target)
    try:
        with engine.begin() as conn:
            migrations.upgrade(conn)
        return _described(engine)
    finally:
        engine.dispose()


def test_models_describe_the_migrated_schema_in_full(db_target, blank_target):
    """The tables the code queries are exactly the tables the migrations build, on each backend."""
    migrated, described = _migrated(db_target), _from_metadata(blank_target)
    assert sorted(migrated) == sorted(described)
    for table in migrated:
        assert described[table] == migrated[table], table


@contextlib.contextmanager
def _altered_metadata():
    """The metadata with one difference of each kind a migration could drift by, undone afterwards."""
    grade, resolution, active = (models.customers.c.grade, models.timeline.c.resolution, models.users.c.active)
    saved = (grade.type, resolution.nullable, active.server_default)
    unique = UniqueConstraint(models.consents.c.customer_id, models.consents.c.purpose)
    grade.type, resolution.nullable, active.server_default = String(5), False, None
    models.consents.append_constraint(unique)
    index = Index("ix_documents_title", models.documents.c.title)
    try:
        yield {"customers", "timeline", "users", "consents", "documents"}
    finally:
        grade.type, resolution.nullable, active.server_default = saved
        models.consents.constraints.discard(unique)
        models.documents.indexes.discard(index)


def test_the_schema_comparison_sees_every_kind_of_difference(db_target, blank_target):
    """A type, a nullability, a default, a unique constraint and an index each make their table differ."""
    migrated = _migrated(db_target)
    with _altered_metadata() as altered:
        described = _from_metadata(blank_target)
    assert {table for table in migrated if described[table] != migrated[table]} == altered


def test_insert_columns_name_every_column_an_insert_fills():
    """``archive``'s positional insert list covers the customers table but for what others fill:
    the row id (the database), ``merged_into`` (merge) and ``grade`` (credit evaluation)."""
    from custarchive.cards import archive

    later = {"id", "merged_into", "grade"}
    assert sorted(archive._INSERT_COLUMNS) == sorted(c.name for c in models.customers.c if c.name not in later)
    assert len(set(archive._INSERT_COLUMNS)) == len(archive._INSERT_COLUMNS)


def test_card_type_names_the_card_columns():
    """``Card`` (the typed card) has exactly the keys a card read from the database has."""
    assert tuple(typing.get_type_hints(models.Card)) == lookup.CARD_COLUMNS
    stored = [column.name for column in models.customers.c if column.name not in models.DERIVED_COLUMNS]
    assert sorted(stored) == sorted(lookup.CARD_COLUMNS)


def test_migrations_are_named_and_ordered():
    names = [name for name, _fn in migrations.MIGRATIONS]
    assert names == sorted(names) and len(names) == len(set(names))
    assert all(name[0] == "m" and name[1:4].isdigit() and name[4] == "_" for name in names)


def test_what_frozen_migrations_wrote_stays_readable_by_this_version():
    """m041's frozen sealing and m070's frozen grams make values the live code still opens and finds."""
    import os

    from custarchive.core.crypto import Keyring
    from custarchive.core.searchindex import grams, query_grams
    from custarchive.store import frozen

    master = os.urandom(32)
    old, live = frozen.Keys041(master), Keyring(master)
    for field, value in (("id_number", "11010519491231002X"), ("allergies", "花生"), ("guarantee", {"a": 1})):
        token = old.seal(field, value)
        assert live.open(field, token) == value and old.open(field, token) == value
        if isinstance(value, str):  # only plain values are indexed
            assert old.index(field, value) == live.index(field, value)
        assert old.digest(token) == live.digest(token)
    for name in ("张伟", "Ｗａｎｇ  Xiao 明", "李"):
        stored = frozen.grams_070(name)
        assert set(query_grams(name)) <= stored and grams(name) == stored

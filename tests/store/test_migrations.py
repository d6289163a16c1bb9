"""Schema evolution: an archive made by the first schema opens, upgraded, in this version."""
from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import create_engine, inspect

from custarchive.store import migrations
from custarchive.models import Base
from tests.helpers import engine_for


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


def test_models_match_the_migrated_schema(db_target):
    engine = engine_for(db_target)
    with engine.begin() as conn:
        migrations.upgrade(conn)
    inspector = inspect(engine)
    for table in Base.metadata.sorted_tables:
        actual = {column["name"] for column in inspector.get_columns(table.name)}
        assert actual == {column.name for column in table.columns}, table.name
    engine.dispose()


def test_migrations_are_named_and_ordered():
    names = [name for name, _fn in migrations.MIGRATIONS]
    assert names == sorted(names) and len(names) == len(set(names))
    assert all(name[0] == "m" and name[1:4].isdigit() and name[4] == "_" for name in names)

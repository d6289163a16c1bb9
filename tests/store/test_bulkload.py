"""A long import keeps PostgreSQL's plans fit for the table it grows (store/bulkload.py): the table is
analysed inside the import's transaction as it doubles, and the import prepares no statements."""
from __future__ import annotations

from sqlalchemy import text

from bench.generate import generate_rows
from custarchive.store.bulkload import ANALYZE_AFTER, GrowingTable
from custarchive.transfer.io import write_rows
from custarchive.transfer.io.headers import FIELDS
from tests.helpers import Cli, engine_for


class _Recorder:
    """A connection stand-in that keeps the statements it is given."""

    class dialect:
        name = "postgresql"

    def __init__(self):
        self.statements: list[str] = []

    def exec_driver_sql(self, sql: str):
        self.statements.append(sql)


def test_the_table_is_analysed_each_time_it_doubles():
    conn = _Recorder()
    growing = GrowingTable(conn, "customers", 0)
    analysed_at = []
    for added in range(500, 40_001, 500):
        before = len(conn.statements)
        growing.grew(added)
        if len(conn.statements) > before:
            analysed_at.append(added)
    assert analysed_at == [ANALYZE_AFTER, 2 * ANALYZE_AFTER, 4 * ANALYZE_AFTER, 8 * ANALYZE_AFTER,
                           16 * ANALYZE_AFTER, 32 * ANALYZE_AFTER]
    assert set(conn.statements) == {"ANALYZE customers"}

    big = _Recorder()
    growing = GrowingTable(big, "customers", 50_000)  # a large archive: only once the import matches it
    for added in range(1000, 50_001, 1000):
        growing.grew(added)
    assert len(big.statements) == 1


def test_sqlite_is_left_alone(tmp_path):
    class Sqlite(_Recorder):
        class dialect:
            name = "sqlite"

    conn = Sqlite()
    growing = GrowingTable(conn, "customers", 0)
    with growing.unprepared():
        for added in range(1000, 100_001, 1000):
            growing.grew(added)
    assert conn.statements == []


def test_a_server_import_leaves_statistics_that_saw_its_own_rows(pg_server, tmp_path):
    url = pg_server.fresh_archive()
    source = tmp_path / "customers.csv"
    write_rows("csv", source, FIELDS, generate_rows(2500, 7), encoding="utf-8")
    summary = Cli(url).json("import", str(source))
    assert summary["inserted"] + summary["rejected"] + summary["skipped"] == 2500 and summary["inserted"] > 2000
    engine = engine_for(url)
    try:
        with engine.connect() as conn:
            # analysed inside the import (at 1,000 and 2,000 archives): the estimate saw the import's own rows
            assert conn.execute(text("SELECT reltuples FROM pg_class WHERE relname = 'customers'")).scalar() >= 2000
    finally:
        engine.dispose()

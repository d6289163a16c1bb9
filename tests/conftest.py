"""Fixtures: an isolated environment, a temporary database, and a CLI runner bound to it.

Every test that takes ``db_target`` (directly or through ``cli``) runs twice: on a
SQLite file and on a fresh PostgreSQL database. The PostgreSQL half needs
``CUSTARCHIVE_TEST_PG`` (a URL to a server where the user may CREATE DATABASE,
e.g. ``postgresql+psycopg://custarchive@127.0.0.1:5432/postgres``; ``.ci/run``
starts a throwaway one); without it that half is skipped and the run says so.
``--backend sqlite|postgresql|all`` restricts the run; ``@pytest.mark.sqlite_only``
marks a test that reads or damages the SQLite file itself (a test must not skip itself
on PostgreSQL: with ``CUSTARCHIVE_TEST_PG`` set, any skipped PostgreSQL test fails the run).
"""
from __future__ import annotations

import itertools
import os

import pytest

from tests.helpers import Cli, backend_of

PG_ENV = "CUSTARCHIVE_TEST_PG"
PG_SKIP_REASON = f"PostgreSQL half skipped: set {PG_ENV}=postgresql+psycopg://USER@HOST:PORT/postgres to run it"
_pg_ids: set[str] = set()
_pg_outcomes = {"ran": 0, "skipped": 0}


def pytest_addoption(parser):
    parser.addoption("--backend", choices=("sqlite", "postgresql", "all"), default="all",
                     help=f"database backends for tests that take db_target (postgresql needs ${PG_ENV})")


def pytest_configure(config):
    config.addinivalue_line("markers", "sqlite_only: reads or damages the SQLite file itself; not run on PostgreSQL")
    config.addinivalue_line("markers", "slow: takes more than a few seconds (CI runs it)")


def _item_backend(item) -> str | None:
    callspec = getattr(item, "callspec", None)
    if callspec is not None and "db_target" in callspec.params:
        return callspec.params["db_target"]
    return "postgresql" if "pg_server" in getattr(item, "fixturenames", ()) else None


def pytest_collection_modifyitems(config, items):
    wanted = config.getoption("--backend")
    keep, dropped = [], []
    for item in items:
        backend = _item_backend(item)
        if backend is not None and ((wanted != "all" and backend != wanted)
                                    or (backend == "postgresql" and item.get_closest_marker("sqlite_only"))):
            dropped.append(item)
        else:
            keep.append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = keep


def pytest_collection_finish(session):
    _pg_ids.update(item.nodeid for item in session.items if _item_backend(item) == "postgresql")


def pytest_runtest_logreport(report):
    if report.skipped and (report.nodeid in _pg_ids or PG_SKIP_REASON in str(report.longrepr)):
        _pg_outcomes["skipped"] += 1
    elif report.nodeid in _pg_ids and report.when == "call":
        _pg_outcomes["ran"] += 1


def _pg_half_missing() -> str | None:
    """With a server configured, a PostgreSQL half that did not run is a failure, not a skip."""
    if not os.environ.get(PG_ENV):
        return None
    if _pg_outcomes["skipped"] or (_pg_ids and not _pg_outcomes["ran"]):
        return (f"{PG_ENV} is set but the PostgreSQL half did not run ({_pg_outcomes['skipped']} skipped, "
                f"{_pg_outcomes['ran']} of {len(_pg_ids)} ran)")
    return None


def pytest_sessionfinish(session, exitstatus):
    if _pg_half_missing() and exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
        _pg_outcomes["failed_run"] = 1


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if _pg_outcomes.get("failed_run"):
        terminalreporter.write_line(f"FAILED: {_pg_half_missing()}", red=True, bold=True)
    elif _pg_outcomes["skipped"]:
        terminalreporter.write_line(f"{PG_SKIP_REASON} ({_pg_outcomes['skipped']} tests skipped)", yellow=True)


@pytest.fixture(autouse=True)
def isolated_env(tmp_path, monkeypatch):
    """No test touches the real data/config directories or depends on the caller's locale."""
    monkeypatch.setenv("CUSTARCHIVE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("CUSTARCHIVE_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("CUSTARCHIVE_USER", "tester")
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.delenv("LC_MESSAGES", raising=False)
    monkeypatch.delenv("CUSTARCHIVE_DB", raising=False)
    from custarchive.core import templates

    templates._cache.clear()
    yield


class PgServer:
    """Fresh PostgreSQL archive databases for tests, fast.

    One database per session gets the schema once; before each test it is put back
    to its just-migrated state (rows deleted, seed rows restored, sequences restarted)
    in a few milliseconds, where CREATE DATABASE costs most of a second.
    """

    def __init__(self, base_url: str):
        from sqlalchemy import create_engine

        from custarchive.store.db import resolve_url

        self.base = resolve_url(base_url)[0]
        self.admin = create_engine(self.base, isolation_level="AUTOCOMMIT")
        self.prefix = f"ca_test_{os.getpid()}"
        self.numbers = itertools.count(1)
        self.archive: str | None = None
        self.engine = None

    def url(self, name: str) -> str:
        from sqlalchemy.engine import make_url

        return make_url(self.base).set(database=name).render_as_string(hide_password=False)

    def execute(self, sql: str) -> None:
        from sqlalchemy import text

        with self.admin.connect() as conn:
            conn.execute(text(sql))

    def create_empty(self) -> str:
        name = f"{self.prefix}_{next(self.numbers)}"
        self.execute(f"CREATE DATABASE {name} TEMPLATE template0 ENCODING 'UTF8'")
        return name

    def drop(self, name: str) -> None:
        self.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    def fresh_archive(self) -> str:
        """The URL of the session's archive database, reset to a just-created archive.

        The archive's key was made once, in the config dir of the test that built it; each
        test has its own config dir, so the key file is put where this test's commands look.
        """
        if self.archive is None or not self._reset():
            self._build_archive()
        url = self.url(self.archive)
        from sqlalchemy.engine import make_url

        from custarchive.core import crypto

        path = crypto.key_path(make_url(url))
        if not path.exists():
            crypto.write_key_file(path, self.key)
        return url

    def _build_archive(self) -> None:
        from sqlalchemy import MetaData, create_engine, text
        from sqlalchemy.pool import NullPool

        from custarchive.store.db import open_database

        if self.engine is not None:
            self.engine.dispose()
            self.drop(self.archive)
        self.archive = self.create_empty()
        open_database(self.url(self.archive), create=True).dispose()
        from sqlalchemy.engine import make_url

        from custarchive.core import crypto

        self.key = crypto.read_key_file(crypto.key_path(make_url(self.url(self.archive))))
        self.engine = create_engine(self.url(self.archive), poolclass=NullPool)
        self.metadata = MetaData()
        with self.engine.connect() as conn:
            self.metadata.reflect(conn)
            self.seed = {table.name: [dict(row) for row in conn.execute(table.select()).mappings()]
                         for table in self.metadata.sorted_tables}
            self.sequences = [row[0] for row in conn.execute(text(
                "SELECT sequence_name FROM information_schema.sequences WHERE sequence_schema = current_schema()"))]

    def _reset(self) -> bool:
        from sqlalchemy import text

        from custarchive.store.db import table_names

        with self.engine.begin() as conn:
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                              "WHERE datname = current_database() AND pid <> pg_backend_pid()"))
            if set(table_names(conn)) != set(self.seed):
                return False
            for table in reversed(self.metadata.sorted_tables):
                conn.execute(table.delete())
            for sequence in self.sequences:
                conn.execute(text("SELECT setval(:s, 1, false)"), {"s": sequence})
            for table in self.metadata.sorted_tables:
                if self.seed[table.name]:
                    conn.execute(table.insert(), self.seed[table.name])
        return True

    def close(self) -> None:
        if self.engine is not None:
            self.engine.dispose()
            self.drop(self.archive)
        self.admin.dispose()


@pytest.fixture(scope="session")
def pg_server():
    url = os.environ.get(PG_ENV)
    if not url:
        pytest.skip(PG_SKIP_REASON)
    server = PgServer(url)
    yield server
    server.close()


@pytest.fixture
def pg_empty(pg_server):
    """A factory of brand-new, empty PostgreSQL databases (no schema), dropped after the test."""
    names = []

    def make() -> str:
        names.append(pg_server.create_empty())
        return pg_server.url(names[-1])

    yield make
    for name in names:
        pg_server.drop(name)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.skipif(
    not os.environ.get(PG_ENV), reason=PG_SKIP_REASON))])
def db_target(request, tmp_path) -> str:
    """A SQLite file path (not yet created) or the URL of a fresh PostgreSQL archive database."""
    if request.param == "sqlite":
        return str(tmp_path / "archive.db")
    return request.getfixturevalue("pg_server").fresh_archive()


@pytest.fixture
def no_archive(request, db_target) -> tuple[str, str]:
    """A place that holds no archive yet, on the test's backend, and what a read command says about it:
    a SQLite file not yet created, or an empty PostgreSQL database."""
    if backend_of(db_target) == "sqlite":
        return db_target, "no database"
    return request.getfixturevalue("pg_empty")(), "no archive"


@pytest.fixture
def cli(db_target) -> Cli:
    return Cli(db_target)


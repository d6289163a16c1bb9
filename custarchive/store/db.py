"""Opening the archive database: target resolution, engines, transactions, upgrades.

Write transactions on SQLite start with ``BEGIN IMMEDIATE`` (with WAL and a
busy timeout): Python's sqlite3 driver otherwise begins lazily, and a
read-then-write transaction fails with "database is locked" instead of waiting.

On PostgreSQL a write transaction starts by taking one transaction-scoped
advisory lock, so writers queue exactly as they do on SQLite: every check a
command makes before writing (identity keys, old values for the change log)
still holds when it writes, READ COMMITTED is enough, and no two writers can
deadlock whatever rows they touch (inside the lock: counters, then chain_head).
Readers take a REPEATABLE READ snapshot, like a SQLite read transaction in WAL.
"""
from __future__ import annotations

import contextlib
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from custarchive.core import authz
from custarchive.errors import DatabaseError, DatabaseMissing, PermissionDenied
from custarchive.store import migrations

BUSY_TIMEOUT_MS = 60_000
WRITER_LOCK_KEY = 0x6375737461726368  # "custarch": the one advisory lock all custarchive writers share


def resolve_url(target: str) -> tuple[str, Path | None]:
    """A file path or SQLAlchemy URL → (URL, SQLite file path or None)."""
    if "://" in target:
        scheme, rest = target.split("://", 1)
        if scheme in ("postgres", "postgresql"):
            return f"postgresql+psycopg://{rest}", None
        if target.startswith("sqlite:///"):
            raw = target[len("sqlite:///"):]
            if raw in ("", ":memory:"):
                return target, None
            return target, Path(raw).expanduser().resolve()
        return target, None
    path = Path(target).expanduser().resolve()
    return f"sqlite:///{path}", path


@dataclass
class Database:
    """One database; with ``actor`` set, every transaction starts by checking the actor may read.

    That single check is where reads are enforced (all domain reads run in ``read()`` or ``write()``);
    writes are checked again, per action, by the domain functions. A refusal is appended to the
    security log (``authz.log_refusal``) after its transaction has rolled back.
    """

    url: str
    path: Path | None
    _engines: dict = field(default_factory=dict)
    actor: object = None

    @property
    def dialect(self) -> str:
        return "sqlite" if self.url.startswith("sqlite") else self.url.split(":", 1)[0].split("+", 1)[0]

    @property
    def display(self) -> str:
        """The path, or the URL with any password hidden: safe for messages and ``info``."""
        if self.path is not None:
            return str(self.path)
        from sqlalchemy.engine import make_url

        try:
            return make_url(self.url).render_as_string(hide_password=True)
        except Exception:  # noqa: BLE001 - an unparsable URL is reported by the engine itself
            return self.url

    def engine(self, write: bool):
        key = "write" if write else "read"
        if key not in self._engines:
            self._engines[key] = _make_engine(self.url, write)
        return self._engines[key]

    @contextlib.contextmanager
    def write(self) -> Iterator:
        """One write transaction; commits on success, rolls back on any error."""
        with self._refusals_logged(), _translate_errors(self):
            with self.engine(True).begin() as conn:
                self._require_read(conn)
                yield conn

    @contextlib.contextmanager
    def read(self) -> Iterator:
        with self._refusals_logged(), _translate_errors(self):
            with self.engine(False).connect() as conn:
                self._require_read(conn)
                yield conn

    def _require_read(self, conn) -> None:
        """Check the actor may read, and put their data scope on the connection (``authz.current_scope``)."""
        conn.info.pop(authz.SCOPE_KEY, None)  # the info dict outlives this checkout of the connection
        if self.actor is not None:
            authz.require(conn, self.actor, "read")
            conn.info[authz.SCOPE_KEY] = authz.scope_of(conn, getattr(self.actor, "operator"))

    @contextlib.contextmanager
    def _refusals_logged(self):
        try:
            yield
        except PermissionDenied as exc:
            authz.log_refusal(self, exc, getattr(self.actor, "operator", None))
            raise

    def dispose(self) -> None:
        for engine in self._engines.values():
            engine.dispose()
        self._engines.clear()


# Only another program can store such text: every custarchive path writes valid UTF-8.
_NOT_UTF8 = "the archive holds text that is not valid UTF-8 (written by another program?): "


@contextlib.contextmanager
def _translate_errors(db: Database):
    from sqlalchemy.exc import DataError, OperationalError, ProgrammingError, DatabaseError as SADatabaseError

    import sqlite3

    try:
        yield
    except UnicodeDecodeError as exc:  # stored text decoded by custarchive itself (the bytes paths)
        raise DatabaseError(_NOT_UTF8 + str(exc)) from None
    except (OperationalError, sqlite3.OperationalError) as exc:  # through SQLAlchemy, or the raw driver
        detail = str(getattr(exc, "orig", exc)).strip()
        if "Could not decode to UTF-8" in detail:
            raise DatabaseError(_NOT_UTF8 + detail[:200]) from None
        raise DatabaseError(f"database {db.display}: {detail}") from None
    except DataError as exc:
        # A server enforces column widths and number ranges that SQLite ignores; every input is checked
        # before writing, so this is a last line that still rolls back and says why, without a traceback.
        detail = str(exc.orig).strip().splitlines()[0]
        raise DatabaseError(f"database {db.display} refused a value: {detail}") from None
    except ProgrammingError as exc:
        if getattr(exc.orig, "sqlstate", None) != "42501":   # insufficient_privilege
            raise
        # the server's own GRANTs (``db roles``) refused this login: a refusal, not a crash
        detail = str(exc.orig).strip().splitlines()[0]
        error = PermissionDenied(f"the server refused: {detail} (your login's role may not do this)")
        error.action = "server"
        raise error from None
    except SADatabaseError as exc:
        if "not a database" in str(exc.orig) or "malformed" in str(exc.orig):
            raise DatabaseError(f"{db.display} is not a readable custarchive database: {exc.orig}") from None
        raise


def _make_engine(url: str, write: bool):
    from sqlalchemy import create_engine, event

    if not url.startswith("sqlite"):
        return _make_server_engine(url, write)
    engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        os.umask(os.umask(0o077) | 0o077)  # -wal/-shm (and anything else we create) owner-only
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        if write:
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
            cursor.execute("PRAGMA cache_size = -32000")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine


def _make_server_engine(url: str, write: bool):
    from sqlalchemy import create_engine, event
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    try:
        engine = create_engine(url, isolation_level="READ COMMITTED" if write else "REPEATABLE READ",
                               connect_args={"connect_timeout": 10, "application_name": "custarchive"})
    except (ImportError, NoSuchModuleError) as exc:
        raise DatabaseError(f"no driver for {url.split(':', 1)[0]} ({exc}): install it, e.g. "
                            "pip install 'custarchive[postgres]' for PostgreSQL") from None
    except ArgumentError as exc:
        raise DatabaseError(f"bad database URL: {exc}") from None
    if write and engine.dialect.name == "postgresql":
        @event.listens_for(engine, "begin")
        def _on_begin(conn):
            conn.exec_driver_sql(f"SET LOCAL lock_timeout = {BUSY_TIMEOUT_MS}")
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({WRITER_LOCK_KEY})")

    return engine


def open_database(target: str, *, create: bool) -> Database:
    """Open (and, for a writing command, create) the database, upgrading its schema.

    A read-only command never creates a file: a missing SQLite database is refused.
    """
    url, path = resolve_url(target)
    if path is not None:
        if path.is_dir():
            raise DatabaseError(f"{path} is a directory, not a database file")
        if not path.exists():
            if not create:
                raise DatabaseMissing(f"no database at {path} (add a customer first, or pass --db)")
            _create_private_file(path)
    db = Database(url, path)
    _upgrade_if_needed(db, create)
    return db


def _create_private_file(path: Path) -> None:
    """An empty SQLite file readable by its owner only (0600), in a 0700 directory if new."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        os.close(fd)
    except FileExistsError:
        pass
    except OSError as exc:
        raise DatabaseError(f"cannot create database {path}: {exc.strerror}") from None


def _upgrade_if_needed(db: Database, create: bool = True) -> None:
    from sqlalchemy import text

    with db.read() as conn:
        try:
            has_table = _has_migrations_table(conn)
            names = migrations.applied(conn) if has_table else set()
        except Exception as exc:  # noqa: BLE001 - any driver error here means "not our database"
            raise DatabaseError(f"{db.display} is not a readable custarchive database ({exc})") from None
    if has_table and all(name in names for name, _fn in migrations.MIGRATIONS):
        return
    if not has_table and db.path is not None and db.path.stat().st_size > 0:
        with db.read() as conn:
            tables = {row[0] for row in conn.execute(text("SELECT name FROM sqlite_master WHERE type='table'"))}
        if tables and "schema_migrations" not in tables:  # (a concurrent first writer may have just made it)
            raise DatabaseError(f"{db.path} is a SQLite file but not a custarchive database")
    if not has_table and db.path is None:
        with db.read() as conn:
            present = table_names(conn)
        if present and "schema_migrations" not in present:  # (it may have just been made by a concurrent writer)
            raise DatabaseError(f"{db.display} holds other tables ({', '.join(present[:5])}) but no custarchive "
                                "archive: use an empty database (or schema)")
        if not create and not present:
            raise DatabaseMissing(f"no archive in {db.display} yet (add a customer first)")
    for attempt in range(3):
        try:
            with db.write() as conn:
                migrations.upgrade(conn)
            return
        except DatabaseError:
            if attempt == 2:
                raise
            time.sleep(0.2)


def _has_migrations_table(conn) -> bool:
    return "schema_migrations" in table_names(conn)


def table_names(conn) -> list[str]:
    """Tables in the database (SQLite) or in the connection's current schema (server databases)."""
    from sqlalchemy import text

    if conn.dialect.name == "sqlite":
        query = "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite~_%' ESCAPE '~' ORDER BY name"
    else:
        query = ("SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() "
                 "AND table_type = 'BASE TABLE' ORDER BY table_name")
    return [row[0] for row in conn.execute(text(query))]

"""Helpers the tests share: a CLI runner bound to a database, real subprocesses, and direct looks at
either backend (rows, statements, a full snapshot to prove a refused command changed nothing).

Fixtures stay in ``conftest.py``; everything a test imports by name lives here.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from tests.builders import set_args

ROOT = Path(__file__).resolve().parent.parent


def backend_of(target: str) -> str:
    return "postgresql" if target.startswith(("postgresql", "postgres:")) else "sqlite"


class Cli:
    """Runs custarchive in-process against one database, like a person at a shell."""

    def __init__(self, target: str):
        self.target = target
        self.runner = CliRunner()

    def __call__(self, *args: str, input: str | None = None, env: dict | None = None):
        from custarchive.cli import app

        return self.runner.invoke(app, ["--db", self.target, *args], input=input, env=env)

    def ok(self, *args: str, input: str | None = None):
        result = self(*args, input=input)
        assert result.exit_code == 0, f"{args}: exit {result.exit_code}\nstdout: {result.stdout}\nstderr: {result.stderr}\n{result.exception!r}"
        return result

    def json(self, *args: str):
        return json.loads(self.ok(*args, "--json").stdout)

    def add(self, card: dict, *extra: str) -> str:
        return self.ok("add", "--no-input", *set_args(card), *extra).stdout.strip()


def no_archives(cli: Cli) -> bool:
    """Nothing was kept: the archive lists no card, or (SQLite) a refused first command left no file."""
    result = cli("list", "--json")
    if result.exit_code == 0:
        return json.loads(result.stdout) == []
    return backend_of(cli.target) == "sqlite" and not Path(cli.target).exists() and "no database" in result.stderr


def run_process(*args: str, env: dict | None = None, input: str | None = None, timeout: float = 120):
    """custarchive in a real subprocess (for concurrency, crashes and start-up)."""
    full_env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    return subprocess.run([sys.executable, "-m", "custarchive", *args], capture_output=True, text=True,
                          env=full_env, input=input, timeout=timeout)


def engine_for(target: str):
    """A SQLAlchemy engine on a test database (a SQLite path or any URL); dispose it after use."""
    from sqlalchemy import create_engine

    from custarchive.store.db import resolve_url

    return create_engine(resolve_url(target)[0])


def file_store(target: str) -> Path:
    """Where attachments of a test database are kept: beside a SQLite file, in the data dir for a server."""
    if backend_of(target) == "sqlite":
        path = Path(target)
        return path.parent / f"{path.stem}.files"
    return Path(os.environ["CUSTARCHIVE_DATA_DIR"]) / "files"


def db_rows(target: str, sql: str, **params) -> list[tuple]:
    """Rows of one query (portable SQL, ``:name`` parameters) on a test database of either backend."""
    from sqlalchemy import text

    engine = engine_for(target)
    try:
        with engine.connect() as conn:
            return [tuple(row) for row in conn.execute(text(sql), params)]
    finally:
        engine.dispose()


def db_exec(target: str, sql: str, params: dict | list[dict] | None = None) -> None:
    """One statement (a list of parameter dicts runs it for each) committed behind the program's back:
    to plant test data or tamper with a database on either backend."""
    from sqlalchemy import text

    engine = engine_for(target)
    try:
        with engine.begin() as conn:
            conn.execute(text(sql), params or {})
    finally:
        engine.dispose()


def snapshot(db_target: str) -> list:
    """Every row of every table, on either backend: to prove a refused command changed nothing."""
    from sqlalchemy import inspect, text

    engine = engine_for(db_target)
    try:
        with engine.connect() as conn:
            out = []
            for table in sorted(inspect(conn).get_table_names()):
                width = len(inspect(conn).get_columns(table))
                order = ", ".join(str(n) for n in range(1, width + 1))
                out.append((table, [tuple(row) for row in conn.execute(text(f'SELECT * FROM "{table}" ORDER BY {order}'))]))
            return out
    finally:
        engine.dispose()

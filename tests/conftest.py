"""Fixtures: an isolated environment, a temporary database, and a CLI runner bound to it."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.builders import set_args

ROOT = Path(__file__).resolve().parent.parent


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
    from custarchive import templates

    templates._cache.clear()
    yield


@pytest.fixture
def db_target(tmp_path) -> str:
    return str(tmp_path / "archive.db")


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


@pytest.fixture
def cli(db_target) -> Cli:
    return Cli(db_target)


def run_process(*args: str, env: dict | None = None, input: str | None = None, timeout: float = 120):
    """custarchive in a real subprocess (for concurrency, crashes and start-up)."""
    full_env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    return subprocess.run([sys.executable, "-m", "custarchive", *args], capture_output=True, text=True,
                          env=full_env, input=input, timeout=timeout)


def snapshot(db_target: str) -> list:
    """Every row of every table: to prove a refused command changed nothing."""
    import sqlite3

    conn = sqlite3.connect(db_target)
    try:
        tables = [row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")]
        return [(table, conn.execute(f"SELECT * FROM {table} ORDER BY 1").fetchall()) for table in tables]
    finally:
        conn.close()

"""Batch commands at scale (issue 19): no query per archive, and output that does not flood a terminal.

The number of SQL statements a command sends is counted at two archive sizes
(SQLite: the driver's trace callback, which also sees the raw streaming
cursors; PostgreSQL: SQLAlchemy's ``before_cursor_execute``) and must not grow
with the archive, while the work found (findings, classified archives) does.
"""
from __future__ import annotations

import json

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine

from bench.generate import generate_rows
from tests.builders import person
from tests.helpers import db_exec

COMMANDS = [("report", "--json"), ("audit", "--json"), ("classify", "--dry-run", "--json"), ("search", "王", "--json"),
            ("audit",), ("classify", "--dry-run"), ("check", "--json"), ("export", "--format", "csv"),
            ("dedupe", "--json"), ("grade", "--all", "--model", "5c", "--dry-run", "--json")]


@pytest.fixture
def statements():
    """A counter of SQL statements sent to the database from now on."""
    count = [0]

    def on_connect(dbapi_connection, _record) -> None:
        if hasattr(dbapi_connection, "set_trace_callback"):
            dbapi_connection.set_trace_callback(lambda _sql: count.__setitem__(0, count[0] + 1))

    def on_execute(conn, *_args) -> None:
        if conn.dialect.name != "sqlite":
            count[0] += 1

    event.listen(Engine, "connect", on_connect)
    event.listen(Engine, "before_cursor_execute", on_execute)
    yield count
    event.remove(Engine, "connect", on_connect)
    event.remove(Engine, "before_cursor_execute", on_execute)


def _grow(cli, db_target, tmp_path, rows: int, seed: int) -> None:
    """Import ``rows`` generated archives, then spoil some: missing phones and untouched for years."""
    from custarchive.transfer.io import write_rows
    from custarchive.transfer.io.headers import FIELDS

    source = tmp_path / f"rows-{seed}.csv"
    write_rows("csv", str(source), FIELDS, generate_rows(rows, seed), encoding="utf-8")
    cli.ok("import", str(source))
    db_exec(db_target, "UPDATE customers SET phone = NULL WHERE id % 3 = 0")
    old = "2020-01-01T10:00:00+08:00"
    db_exec(db_target, "UPDATE customers SET updated_at = :at WHERE id % 4 = 0", {"at": old})
    db_exec(db_target, "UPDATE change_log SET at = :at WHERE customer_id % 4 = 0", {"at": old})


def _measure(cli, statements) -> dict:
    sent = {}
    for args in COMMANDS:
        before = statements[0]
        result = cli(*args)
        assert result.exit_code in (0, 1), (args, result.stderr, result.exception)
        sent[args] = statements[0] - before
    return sent


@pytest.mark.slow
def test_batch_commands_send_the_same_queries_at_any_size(cli, db_target, tmp_path, statements):
    cli.add(person(name="王小明", phone="13900000001"))
    cli.ok("log", "add", "王小明", "--type", "complaint", "房间有异味", "--at", "2024-01-01")
    _grow(cli, db_target, tmp_path, 40, seed=3)
    small = _measure(cli, statements)
    findings = len(cli("audit", "--json").stdout.split('"kind"'))
    rated = len(cli.json("classify", "--dry-run")["results"])
    _grow(cli, db_target, tmp_path, 160, seed=4)
    large = _measure(cli, statements)
    assert len(cli("audit", "--json").stdout.split('"kind"')) > findings * 3
    assert len(cli.json("classify", "--dry-run")["results"]) > rated * 3
    assert all(small[args] > 0 for args in COMMANDS)
    assert large == small


def test_terminal_output_is_a_summary_and_the_first_items(cli, db_target):
    for n in range(6):
        cli.add(person(name=f"客户{n}", phone=f"1390000010{n}", annual_spend="20万"))
    db_exec(db_target, "UPDATE customers SET updated_at = '2020-01-01T10:00:00+08:00'")
    db_exec(db_target, "UPDATE change_log SET at = '2020-01-01T10:00:00+08:00'")
    result = cli("audit", "--limit", "2")
    assert result.exit_code == 1
    assert result.stdout.count("2020-01-01") == 2 and "first 2 of 6" in result.stdout
    assert "not updated: 6" in result.stderr
    assert cli("audit", "--all").stdout.count("2020-01-01") == 6
    assert len(json.loads(cli("audit", "--json").stdout)["findings"]) == 6
    shown = cli.ok("classify", "--dry-run", "--limit", "3")
    assert shown.stdout.count("C-") == 3 and "first 3 of 6" in shown.stdout
    assert "6 archive(s) change category" in shown.stderr
    assert cli.ok("classify", "--dry-run", "--all").stdout.count("C-") == 6


def test_one_character_search_gives_the_first_matches_by_number(cli):
    numbers = [cli.add(person(name=f"王{n}号", phone=f"1390000020{n}")) for n in range(8)]
    cli.add(person(name="李四", phone="13900000300"))
    cli.ok("close", numbers[1])
    found = [card["archive_no"] for card in cli.json("search", "王", "--limit", "3")]
    assert found == [numbers[0], numbers[2], numbers[3]]
    assert len(cli.json("search", "王", "--limit", "50")) == 7
    assert [card["archive_no"] for card in cli.json("search", "王", "--all", "--limit", "2")] == numbers[:2]


@pytest.mark.parametrize("few, page", [(2000, 2000), (2, 3), (2, 1)])
def test_one_character_search_walks_in_number_order_or_asks_by_id(cli, monkeypatch, few, page):
    """Many holders: the archives are walked in number order a page at a time (page 3: the answer is
    on the first pages; page 1 with 2 pages at most: the walk gives up and one query answers); few
    holders: by id. Every way gives the same first matches by number, closed ones left out."""
    from custarchive.cards import lookup

    monkeypatch.setattr(lookup, "FEW_HOLDERS", few)
    monkeypatch.setattr(lookup, "WALK_PAGE", page)
    monkeypatch.setattr(lookup, "WALK_PAGES", 2)
    numbers = []
    for n in range(12):
        numbers.append(cli.add(person(name=f"王{n}号" if n % 3 else f"李{n}号", phone=f"139000003{n:02d}")))
    cli.ok("close", numbers[2])
    holders = [number for n, number in enumerate(numbers) if n % 3 and n != 2]
    assert [card["archive_no"] for card in cli.json("search", "王", "--limit", "3")] == holders[:3]
    assert [card["archive_no"] for card in cli.json("search", "王", "--limit", "50")] == holders
    assert [card["archive_no"] for card in cli.json("search", "王", "--all", "--limit", "2")] == [numbers[1], numbers[2]]
    assert cli.json("search", "赵") == []

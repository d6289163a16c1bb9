"""db copy: a whole archive moves SQLite → (SQLite | PostgreSQL) → SQLite unchanged and verified,
into empty targets only, all or nothing, attachments included."""
from __future__ import annotations

import json
import sqlite3
import time

import pytest

from bench.generate import generate_rows
from custarchive.cards import archive
from custarchive.core.changelog import Actor
from custarchive.store.db import open_database
from custarchive.core.templates import load_template
from tests.builders import person
from tests.helpers import Cli, backend_of, engine_for, snapshot


def build_archive(target: str, rows: int, seed: int = 5) -> list[str]:
    """``rows`` generated archives through the bulk path, then updates, a close and a new category."""
    templates = {kind: load_template(kind) for kind in ("individual", "enterprise")}
    seen: set[str] = set()
    cards = []
    for row in generate_rows(rows, seed):
        key = row.get("id_number") or row.get("credit_code")
        if key in seen:
            continue
        seen.add(key)
        kind, category = row.pop("kind"), row.pop("category")
        cards.append(archive.prepare(row, templates[kind], category))
    db = open_database(target, create=True)
    actor = Actor("builder", source="import", batch_id="gen")
    numbers: list[str] = []
    for start in range(0, len(cards), 2000):
        with db.write() as conn:
            numbers += archive.insert_cards(conn, cards[start:start + 2000], actor)
    db.dispose()
    cli = Cli(target)
    cli.ok("update", numbers[0], "--set", "city=上海", "--set", "credit_limit=12万", "--reason", "年审")
    cli.ok("update", numbers[-1], "--set", "name=改名后的客户", "--unset", "notes")
    cli.ok("close", numbers[1])
    cli.ok("category", "add", "D", "--name", "代理商", "--pattern", "D{yy}{mm}-{seq:04}")
    cli.add(person(name="代理张", phone="13600000000"), "--category", "D")
    return numbers


def same_rows(first: str, second: str) -> None:
    """Identical content, compared independently of each backend's row order."""
    left = {table: sorted(rows, key=repr) for table, rows in snapshot(first)}
    right = {table: sorted(rows, key=repr) for table, rows in snapshot(second)}
    assert left.keys() == right.keys()
    for table in left:
        assert left[table] == right[table], table


@pytest.fixture
def empty_target(db_target, tmp_path, request):
    """A factory of empty targets on the backend under test: new SQLite paths, or new PostgreSQL databases."""
    counter = iter(range(1, 100))

    def make() -> str:
        if backend_of(db_target) == "postgresql":
            return request.getfixturevalue("pg_empty")()
        return str(tmp_path / f"target{next(counter)}.db")

    return make


def copy(source: str, target: str, *extra: str):
    return Cli(source)("db", "copy", "--from", source, "--to", target, *extra)


def test_round_trip_keeps_every_row_and_the_chain(tmp_path, empty_target):
    source = str(tmp_path / "source.db")
    numbers = build_archive(source, 120)
    middle, back = empty_target(), str(tmp_path / "back.db")
    result = copy(source, middle, "--json", "--batch", "50")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["tables"]["customers"] == len(numbers) + 1 and report["chain_verified"]
    raw = sqlite3.connect(source)
    assert report["chain_entries"] == raw.execute("SELECT COUNT(*) FROM change_log").fetchone()[0] > len(numbers) + 4
    raw.close()
    assert report["files"] == 0
    assert copy(middle, back).exit_code == 0
    same_rows(source, middle)
    same_rows(source, back)
    # the copy is a working archive: new ids and numbers follow on, search and history work
    cli = Cli(middle)
    added = cli.add(person(name="复制后新增", phone="13611112222"), "--category", "D")
    assert added.endswith("-0002")
    assert cli.json("search", "fzhxz")[0]["archive_no"] == added
    assert [c["field"] for c in cli.json("history", numbers[0])["changes"]] == ["*", "city", "credit_limit"]
    engine = engine_for(middle)
    with engine.connect() as conn:
        from custarchive.core.changelog import verify_chain

        assert verify_chain(conn)[1] is None
        assert conn.exec_driver_sql("SELECT MAX(id) FROM customers").scalar() == len(numbers) + 2
    engine.dispose()


def test_target_must_be_empty(tmp_path, db_target):
    source = str(tmp_path / "source.db")
    Cli(source).add(person())
    Cli(db_target).add(person(name="已有客户", phone="13700000000"))
    before = snapshot(db_target)
    result = copy(source, db_target)
    assert result.exit_code == 1 and ("empty" in result.stderr or "exists" in result.stderr)
    assert "Traceback" not in result.stderr
    assert snapshot(db_target) == before


def test_refusals_exit_1_and_create_nothing(tmp_path):
    source = str(tmp_path / "source.db")
    Cli(source).add(person())
    for args, message in (((str(tmp_path / "missing.db"), str(tmp_path / "t1.db")), "no database"),
                          ((source, source), "same database"),
                          ((source, str(tmp_path)), "directory")):
        result = copy(*args)
        assert result.exit_code == 1 and message in result.stderr, result.stderr
    assert not (tmp_path / "t1.db").exists()
    assert Cli(source)("db", "copy", "--from", source).exit_code == 2


@pytest.mark.sqlite_only
def test_a_broken_source_chain_is_refused(tmp_path):
    source = str(tmp_path / "source.db")
    cli = Cli(source)
    cli.add(person())
    cli.add(person(name="李四", phone="13700000000"))
    raw = sqlite3.connect(source)
    raw.execute("UPDATE change_log SET operator = 'mallory' WHERE id = 1")
    raw.commit()
    raw.close()
    target = tmp_path / "target.db"
    result = copy(source, str(target))
    assert result.exit_code == 1 and "change log is broken" in result.stderr
    assert not target.exists()


def test_a_failed_copy_leaves_the_target_empty(tmp_path, empty_target, monkeypatch):
    from custarchive.transfer import dbcopy

    source = str(tmp_path / "source.db")
    build_archive(source, 30)
    store = tmp_path / "source.files"
    (store / "A-2026-00001").mkdir(parents=True)
    (store / "A-2026-00001" / "contract.pdf").write_bytes(b"%PDF-1.4 contract")
    target = empty_target()

    def broken_copy(_from, to):
        to.mkdir()
        (to / "partial").write_text("x")
        raise dbcopy.DatabaseError("disk full")

    working_copy = dbcopy._copy_files
    monkeypatch.setattr(dbcopy, "_copy_files", broken_copy)
    files_to = tmp_path / "shared-files"
    result = copy(source, target, "--files-to", str(files_to))
    assert result.exit_code == 1 and "disk full" in result.stderr
    assert not files_to.exists()
    if backend_of(target) == "sqlite":
        assert not (tmp_path / target).exists()
    else:
        assert snapshot(target) == []
    monkeypatch.setattr(dbcopy, "_copy_files", working_copy)  # (undo() would also drop the test's config dir)
    again = copy(source, target, "--files-to", str(files_to))
    assert again.exit_code == 0, again.stderr
    same_rows(source, target)


def test_attachments_travel_with_the_archive(tmp_path, empty_target):
    source = str(tmp_path / "source.db")
    Cli(source).add(person())
    store = tmp_path / "source.files"
    (store / "C-2026-00001").mkdir(parents=True)
    (store / "C-2026-00001" / "身份证.jpg").write_bytes(bytes(range(256)) * 10)
    (store / "catalogue.json").write_text("{}", encoding="utf-8")
    target = empty_target()
    if backend_of(target) == "postgresql":
        result = copy(source, target)
        assert result.exit_code == 1 and "--files-to" in result.stderr
        assert snapshot(target) == []
        files_to = tmp_path / "team-files"
        result = copy(source, target, "--files-to", str(files_to), "--json")
    else:
        files_to = tmp_path / "target1.files"
        result = copy(source, target, "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["files"] == 2
    assert (files_to / "C-2026-00001" / "身份证.jpg").read_bytes() == bytes(range(256)) * 10
    back = tmp_path / "back.db"
    assert copy(target, str(back), "--files-from", str(files_to)).exit_code == 0
    assert (tmp_path / "back.files" / "catalogue.json").read_text(encoding="utf-8") == "{}"


@pytest.mark.slow
def test_ten_thousand_archives_round_trip(tmp_path, empty_target, capsys):
    source = str(tmp_path / "source.db")
    started = time.perf_counter()
    numbers = build_archive(source, 10_000, seed=11)
    built = time.perf_counter() - started
    middle, back = empty_target(), str(tmp_path / "back.db")
    started = time.perf_counter()
    there = copy(source, middle, "--json")
    assert there.exit_code == 0, there.stderr
    again = copy(middle, back, "--json")
    assert again.exit_code == 0, again.stderr
    elapsed = time.perf_counter() - started
    assert len(numbers) > 9_900 and json.loads(there.stdout)["tables"]["customers"] == len(numbers) + 1
    same_rows(source, back)
    same_rows(source, middle)
    with capsys.disabled():
        print(f"\n  {len(numbers):,} archives: built in {built:.1f} s; copied to {backend_of(middle)} and back in "
              f"{elapsed:.1f} s ({json.loads(there.stdout)['seconds']} s + {json.loads(again.stdout)['seconds']} s)")

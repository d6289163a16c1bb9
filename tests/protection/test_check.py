"""check: the change-log chain, SQLite's own integrity check, encryption; tampering behind the tool's back fails."""
from __future__ import annotations

import pytest

from tests.builders import person, resident_id
from tests.helpers import backend_of, db_exec, file_store


def _setup(cli):
    first = cli.add(person(id_number=resident_id()))
    cli.ok("update", first, "--set", "city=上海")
    cli.ok("update", first, "--set", "city=广州")
    cli.add(person(name="李四", phone="13800000007"))
    return first


def _tamper(db_target: str, sql: str):
    db_exec(db_target, sql)


def _failing(cli, needle: str):
    result = cli("check", "--json")
    assert result.exit_code == 1, result.stdout
    assert needle in result.stderr and "Traceback" not in result.stderr
    return result


def test_clean_database_passes(cli, db_target):
    _setup(cli)
    report = cli.json("check")
    assert report["ok"] is True
    expected = {"key", "change_log", "encryption", "attachments"}
    if backend_of(db_target) == "sqlite":
        expected.add("sqlite")  # SQLite's own integrity_check (a server checks its own pages)
    assert {item["name"] for item in report["checks"]} >= expected
    assert "Check" in cli.ok("check").stdout


def test_edited_value_is_detected(cli, db_target):
    _setup(cli)
    _tamper(db_target, "UPDATE change_log SET new_value = '深圳' WHERE field = 'city' AND new_value = '广州'")
    result = _failing(cli, "does not match its digest")
    assert "entry 3" in result.stderr


def test_edited_metadata_is_detected(cli, db_target):
    _setup(cli)
    _tamper(db_target, "UPDATE change_log SET operator = 'someone-else' WHERE id = 2")
    _failing(cli, "change_log entry 2: content does not match its hash")


def test_deleted_entry_is_detected(cli, db_target):
    _setup(cli)
    _tamper(db_target, "DELETE FROM change_log WHERE id = 2")
    _failing(cli, "change_log entry 3: previous-hash link broken")


def test_deleted_last_entry_is_detected(cli, db_target):
    _setup(cli)
    _tamper(db_target, "DELETE FROM change_log WHERE id = (SELECT MAX(id) FROM change_log)")
    _failing(cli, "chain head")


def test_removed_value_without_erase_is_detected(cli, db_target):
    _setup(cli)
    _tamper(db_target, "UPDATE change_log SET old_value = NULL WHERE id = 3")
    _failing(cli, "a value was removed")


def test_plaintext_written_behind_the_tools_back_is_reported(cli, db_target):
    _setup(cli)
    _tamper(db_target, "UPDATE customers SET id_number = '110105199001011234' WHERE id = 1")
    _failing(cli, "stored in clear")


@pytest.mark.sqlite_only
def test_corrupt_file_fails_without_traceback(cli, db_target):
    _setup(cli)
    data = bytearray(open(db_target, "rb").read())
    for offset in range(4096 * 2, min(len(data), 4096 * 6)):
        data[offset] = 0x5A
    with open(db_target, "wb") as handle:
        handle.write(bytes(data))
    result = cli("check")
    assert result.exit_code == 1 and "Traceback" not in result.stderr


@pytest.mark.sqlite_only
def test_a_broken_index_fails_the_file_check(cli, db_target):
    """SQLite's integrity_check runs on its own connection beside the change-log walk: its finding
    still reaches the report (an index that no longer matches its table)."""
    import sqlite3

    _setup(cli)
    with sqlite3.connect(db_target) as conn:
        conn.execute("PRAGMA writable_schema=ON")
        conn.execute("UPDATE sqlite_master SET sql = 'CREATE INDEX ix_customers_name ON customers (name DESC)' "
                     "WHERE name = 'ix_customers_name'")
    failed = _failing(cli, "ix_customers_name")
    assert "missing from index ix_customers_name" in failed.stdout


def test_altered_attachment_fails_check(cli, db_target, tmp_path):
    number = _setup(cli)
    paper = tmp_path / "合同.txt"
    paper.write_text("合同正文", encoding="utf-8")
    cli.ok("doc", "add", number, "--class", "2", "--title", "合同", "--file", str(paper))
    assert cli.json("check")["ok"] is True
    stored = next(p for p in file_store(db_target).rglob("*") if p.is_file())
    stored.chmod(0o600)
    stored.write_text("被改过的合同", encoding="utf-8")
    _failing(cli, "attachments")


def test_the_change_log_is_read_through_a_server_side_cursor(cli, db_target):
    """Found at a million archives on PostgreSQL: check fetched the whole log into the client (1.3 GB);
    a server-side cursor hands it over in batches, so memory does not grow with the log."""
    if backend_of(db_target) == "sqlite":
        pytest.skip("SQLite's cursor reads as it goes")
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    _setup(cli)
    cursors = []

    def seen(_conn, cursor, statement, *_args) -> None:
        if "FROM change_log" in statement and "ORDER BY change_log.id" in statement:
            cursors.append(type(cursor).__name__)

    event.listen(Engine, "before_cursor_execute", seen)
    try:
        assert cli.json("check")["ok"] is True
    finally:
        event.remove(Engine, "before_cursor_execute", seen)
    assert cursors == ["ServerCursor"]

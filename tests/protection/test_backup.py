"""backup makes a verified, consistent copy while others write; restore refuses a bad backup and changes nothing.

backup and restore are SQLite's online backup API and a file put in place, so these tests run on SQLite;
on PostgreSQL both commands refuse and point to pg_dump / pg_restore (the last test).
"""
from __future__ import annotations

import json
import sqlite3
import stat
import time
from pathlib import Path

import pytest

from tests.builders import person, resident_id
from tests.helpers import Cli, run_process, snapshot

sqlite_only = pytest.mark.sqlite_only


@sqlite_only
def test_backup_and_restore_round_trip(cli, db_target, tmp_path):
    rid = resident_id("19910909")
    number = cli.add(person(id_number=rid))
    out = tmp_path / "backups" / "b1.db"
    result = cli.json("backup", str(out))
    assert result["backup"] == str(out) and result["key"] is None
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert rid.encode() not in out.read_bytes()
    assert not Path(str(out) + ".key").exists()
    assert cli("backup", str(out)).exit_code == 1
    cli.ok("update", number, "--set", "city=上海")
    cli.add(person(name="备份后", phone="13800000008"))
    cli.ok("restore", str(out))
    assert len(cli.json("list")) == 1
    assert cli.json("show", number)["city"] == "北京"
    assert json.loads(cli.ok("show", rid, "--json", "--reveal").stdout)["id_number"] == rid
    assert cli.json("check")["ok"] is True


def _kept_key(target: str) -> Path:
    """The key file of a SQLite database: in the config dir, named after the fingerprint it keeps."""
    import os

    conn = sqlite3.connect(target)
    fingerprint = conn.execute("SELECT value FROM protection_meta WHERE name = 'key_fingerprint'").fetchone()[0]
    conn.close()
    return Path(os.environ["CUSTARCHIVE_CONFIG_DIR"]) / "keys" / f"{fingerprint}.key"


@sqlite_only
def test_backup_with_key_opens_on_its_own(cli, tmp_path):
    from tests.helpers import Cli

    rid = resident_id("19920202")
    cli.add(person(id_number=rid))
    out = tmp_path / "copy.db"
    cli.ok("backup", str(out), "--with-key")
    key = Path(str(out) + ".key")
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    copy = Cli(str(out))
    assert json.loads(copy.ok("show", rid, "--json", "--reveal").stdout)["id_number"] == rid


@sqlite_only
def test_restore_refuses_a_bad_backup_and_changes_nothing(cli, db_target, tmp_path):
    cli.add(person())
    good = tmp_path / "good.db"
    cli.ok("backup", str(good))
    cli.add(person(name="之后", phone="13800000009"))
    before = snapshot(db_target)
    key_before = _kept_key(db_target).read_bytes()

    tampered = tmp_path / "tampered.db"
    tampered.write_bytes(good.read_bytes())
    conn = sqlite3.connect(tampered)
    conn.execute("UPDATE change_log SET operator = 'mallory' WHERE id = 1")
    conn.commit()
    conn.close()
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"not a database at all" * 500)
    foreign = tmp_path / "foreign.db"
    other = tmp_path / "other.db"
    from tests.helpers import Cli

    Cli(str(other)).add(person())
    foreign.write_bytes(other.read_bytes())
    truncated = tmp_path / "truncated.db"
    truncated.write_bytes(good.read_bytes()[: len(good.read_bytes()) // 2])

    for bad in (tampered, garbage, foreign, truncated, tmp_path / "missing.db"):
        result = cli("restore", str(bad))
        assert result.exit_code == 1, (bad, result.stdout, result.stderr)
        assert "Traceback" not in result.stderr
        assert snapshot(db_target) == before, bad
    assert _kept_key(db_target).read_bytes() == key_before
    assert "mallory" not in str(snapshot(db_target))


@sqlite_only
def test_restore_into_an_empty_place(cli, db_target, tmp_path):
    from tests.helpers import Cli

    number = cli.add(person(id_number=resident_id()))
    out = tmp_path / "b.db"
    cli.ok("backup", str(out), "--with-key")
    fresh = Cli(str(tmp_path / "new" / "restored.db"))
    (tmp_path / "new").mkdir()
    fresh.ok("restore", str(out))
    assert fresh.json("show", number)["archive_no"] == number
    assert fresh.json("check")["ok"] is True


@pytest.mark.slow
@sqlite_only
def test_backup_while_other_processes_write(cli, db_target, tmp_path):
    cli.add(person())
    cards = [person(name=f"并发{n}", phone=f"137{n:08d}") for n in range(200)]
    batch = tmp_path / "batch.json"
    batch.write_text(json.dumps(cards, ensure_ascii=False), encoding="utf-8")
    import subprocess
    import sys

    from tests.helpers import ROOT

    env = {**__import__("os").environ, "PYTHONPATH": str(ROOT)}
    writers = [subprocess.Popen([sys.executable, "-m", "custarchive", "--db", db_target, "add", "--from", str(batch)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env) for _ in range(3)]
    copies = []
    for n in range(3):
        time.sleep(0.2)
        out = tmp_path / f"live{n}.db"
        result = run_process("--db", db_target, "backup", str(out), "--with-key")
        assert result.returncode == 0, result.stderr
        copies.append(out)
    for writer in writers:
        _out, err = writer.communicate(timeout=120)   # (reading the pipes: the warnings can exceed their buffer)
        assert writer.returncode == 0, err
    for out in copies:
        check = run_process("--db", str(out), "check", "--json")
        assert check.returncode == 0, check.stderr
        conn = sqlite3.connect(out)
        count = conn.execute("SELECT COUNT(*) FROM customers").fetchone()[0]
        conn.close()
        assert (count - 1) % 200 == 0


@sqlite_only
def test_backup_carries_attachments(cli, db_target, tmp_path):
    from tests.helpers import Cli

    number = cli.add(person())
    paper = tmp_path / "合同.txt"
    paper.write_text("合同正文", encoding="utf-8")
    cli.ok("doc", "add", number, "--class", "2", "--title", "合同", "--file", str(paper))
    out = tmp_path / "b" / "copy.db"
    assert cli.json("backup", str(out))["attachments"] == 1
    assert (tmp_path / "b" / "copy.db.attachments").is_dir()
    fresh = Cli(str(tmp_path / "r" / "restored.db"))
    (tmp_path / "r").mkdir()
    handed = tmp_path / "handed.key"
    handed.write_text(cli.ok("key", "export").stdout, encoding="utf-8")
    fresh.ok("restore", str(out), "--key", str(handed))
    assert fresh.json("check")["ok"] is True


def test_backup_and_restore_on_a_server_point_to_pg_dump(pg_server, tmp_path):
    url = pg_server.fresh_archive()
    cli = Cli(url)
    cli.add(person(id_number=resident_id()))
    before = snapshot(url)
    for args in (["backup", str(tmp_path / "b.db")], ["backup", str(tmp_path / "k.db"), "--with-key"],
                 ["restore", str(tmp_path / "b.db")]):
        result = cli(*args)
        assert result.exit_code == 2 and "pg_dump" in result.stderr and "Traceback" not in result.stderr, args
    assert not any((tmp_path / name).exists() for name in ("b.db", "k.db", "k.db.key"))
    assert snapshot(url) == before

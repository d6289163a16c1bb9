"""Sensitive values are encrypted at rest, found by keyed hash, masked on display, revealed only with a log entry."""
from __future__ import annotations

import json
import os
import stat
from pathlib import Path

from tests.builders import person, resident_id, set_args
from tests.helpers import ROOT, Cli, backend_of, db_rows, snapshot

BANK = "6222020200112233445"


def _key_file(target: str) -> Path:
    """Where a database's key is kept: a SQLite file's under its fingerprint in the config dir, a server
    database's under its name there."""
    if backend_of(target) == "sqlite":
        import sqlite3

        conn = sqlite3.connect(target)
        fingerprint = conn.execute("SELECT value FROM protection_meta WHERE name = 'key_fingerprint'").fetchone()[0]
        conn.close()
        return Path(os.environ["CUSTARCHIVE_CONFIG_DIR"]) / "keys" / f"{fingerprint}.key"
    from sqlalchemy.engine import make_url

    url = make_url(target)
    return Path(os.environ["CUSTARCHIVE_CONFIG_DIR"]) / "keys" / f"{url.host}_{url.port}_{url.database}.key"


def _raw_bytes(db_target: str) -> bytes:
    """What is stored: the SQLite file with its WAL byte for byte, or every row of every PostgreSQL table."""
    if backend_of(db_target) == "postgresql":
        return repr(snapshot(db_target)).encode()
    data = b""
    for suffix in ("", "-wal", "-shm"):
        path = Path(db_target + suffix)
        if path.exists():
            data += path.read_bytes()
    return data


def test_copied_file_reveals_no_sensitive_value(cli, db_target):
    rid = resident_id("19880808")
    number = cli.add(person(id_number=rid, bank_account=BANK, annual_income="30万"), "--template", "individual")
    cli.ok("update", number, "--set", f"bank_account={BANK[:-1]}9", "--set", "annual_income=45万")
    raw = _raw_bytes(db_target)
    for secret in (rid, BANK, BANK[:-1] + "9", "300000", "450000"):
        assert secret.encode() not in raw
    dump = repr(snapshot(db_target))
    log = db_rows(db_target, "SELECT field, old_value, new_value FROM change_log ORDER BY id")
    for secret in (rid, BANK, "300000", "450000"):
        assert secret not in dump
    created = json.loads(log[0][2])
    assert created["id_number"].startswith("enc1:") and created["extra"]["annual_income"].startswith("enc1:")
    assert created["name"] == "张伟"


def test_exact_match_through_keyed_hash(cli):
    rid = resident_id("19750101")
    number = cli.add(person(id_number=rid, bank_account=BANK))
    assert cli.json("show", rid)["archive_no"] == number
    assert [c["archive_no"] for c in cli.json("search", rid)] == [number]
    assert [c["archive_no"] for c in cli.json("search", BANK)] == [number]
    duplicate = cli("add", "--no-input", *set_args(person(name="另一个", phone="13800000009", id_number=rid)))
    assert duplicate.exit_code == 1 and number in duplicate.stderr


def test_masked_unless_revealed_and_reveal_is_logged(cli):
    rid = resident_id("19900101", area="110101")
    number = cli.add(person(id_number=rid, bank_account=BANK, annual_income="12万"), "--template", "individual")
    card = cli.json("show", number)
    assert card["id_number"] == rid[:6] + "*" * 8 + rid[-4:]
    assert card["bank_account"].endswith("3445") and "*" in card["bank_account"]
    assert card["annual_income"] != 120000
    listed = cli.json("list")[0]
    assert "*" in listed["id_number"] and listed["annual_income"] != 120000
    history = cli.json("history", number)["changes"]
    assert rid not in json.dumps(history, ensure_ascii=False)
    assert not any(entry["action"] == "reveal" for entry in history)
    revealed = json.loads(cli.ok("--as", "auditor", "show", number, "--json", "--reveal").stdout)
    assert revealed["id_number"] == rid and revealed["bank_account"] == BANK and revealed["annual_income"] == 120000
    reveal = [entry for entry in cli.json("history", number)["changes"] if entry["action"] == "reveal"]
    assert len(reveal) == 1 and reveal[0]["operator"] == "auditor"
    assert reveal[0]["field"] == "annual_income,bank_account,id_number" and reveal[0]["new"] == "show"


def test_files_are_owner_only(cli, db_target):
    cli.add(person(id_number=resident_id()))
    if backend_of(db_target) == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            path = Path(db_target + suffix)
            if path.exists():
                assert stat.S_IMODE(path.stat().st_mode) == 0o600, suffix
    key = _key_file(db_target)
    assert key.exists() and stat.S_IMODE(key.stat().st_mode) == 0o600


def test_missing_or_wrong_key_is_refused_clearly(cli, db_target, tmp_path):
    number = cli.add(person(id_number=resident_id()))
    key = _key_file(db_target)
    saved = key.read_bytes()
    key.unlink()
    result = cli("show", number, "--json")
    assert result.exit_code == 1 and "key" in result.stderr and "Traceback" not in result.stderr
    assert cli("add", "--no-input", *set_args(person(name="乙", phone="13800000001"))).exit_code == 1
    other = tmp_path / "other.db"
    cli_other = type(cli)(str(other))
    cli_other.add(person())
    key.write_bytes(_key_file(str(other)).read_bytes())
    result = cli("show", number, "--json")
    assert result.exit_code == 1 and "does not belong" in result.stderr
    key.write_bytes(saved)
    assert cli.json("show", number)["archive_no"] == number


def test_key_from_environment(no_archive):
    import base64

    target, _message = no_archive
    cli = Cli(target)
    env_key = base64.urlsafe_b64encode(os.urandom(32)).decode()
    rid = resident_id("19700707")
    added = cli("add", "--no-input", *set_args(person(id_number=rid)), env={"CUSTARCHIVE_KEY": env_key})
    assert added.exit_code == 0, added.stderr
    number = added.stdout.strip()
    assert not _key_file(target).exists()
    shown = cli("show", number, "--json", "--reveal", env={"CUSTARCHIVE_KEY": env_key})
    assert json.loads(shown.stdout)["id_number"] == rid
    assert cli("show", number, "--json").exit_code == 1
    assert cli("show", number, "--json", env={"CUSTARCHIVE_KEY": "short"}).exit_code == 1


def test_show_without_sensitive_values_does_not_load_cryptography(cli, db_target):
    from tests.helpers import run_process

    number = cli.add(person())
    probe = ("import sys, runpy; sys.argv = ['custarchive', '--db', %r, 'show', %r, '--json'];\n"
             "try:\n    runpy.run_module('custarchive', run_name='__main__')\nexcept SystemExit:\n    pass\n"
             "print('CRYPTO' if 'cryptography' in sys.modules else 'LEAN', file=sys.stderr)") % (db_target, number)
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.returncode == 0, result.stderr
    assert "LEAN" in result.stderr
    assert run_process("--db", db_target, "show", number, "--json").returncode == 0


def test_database_from_an_older_version_is_sealed_on_upgrade(tmp_path):
    """A database written before encryption (plain id_number, plain log) is encrypted and re-chained in place."""
    from sqlalchemy import create_engine

    from custarchive.store import migrations
    from custarchive.core.changelog import entry_hash
    from tests.helpers import Cli

    target = tmp_path / "old.db"
    engine = create_engine(f"sqlite:///{target}")
    rid = resident_id("19660606")
    with engine.begin() as conn:
        migrations.upgrade(conn, upto="m002_users")
        conn.exec_driver_sql(
            "INSERT INTO customers (archive_no, kind, category, template, name, id_number, extra, created_at, "
            "updated_at, created_by) VALUES ('C-2020-00001', 'individual', 'C', 'individual', '老客户', ?, "
            "'{\"annual_income\": 50000}', 't', 't', 'x')", (rid,))
        body = (1, "C-2020-00001", "t", "x", "create", "*",
                None, json.dumps({"id_number": rid, "name": "老客户", "template": "individual"}), None, "cli", None)
        digest = entry_hash("0" * 64, body)
        conn.exec_driver_sql(
            "INSERT INTO change_log (customer_id, archive_no, at, operator, action, field, old_value, new_value, "
            "reason, source, batch_id, prev_hash, hash) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", (*body, "0" * 64, digest))
        conn.exec_driver_sql("UPDATE chain_head SET last_hash = ?, last_id = 1", (digest,))
    engine.dispose()
    cli = Cli(str(target))
    assert cli.json("show", rid)["archive_no"] == "C-2020-00001"
    assert rid.encode() not in _raw_bytes(str(target))
    assert b"50000" not in _raw_bytes(str(target))
    assert cli.json("check")["ok"] is True
    assert json.loads(cli.ok("show", "C-2020-00001", "--json", "--reveal").stdout)["id_number"] == rid


def test_reveal_needs_permission(cli, db_target):
    number = cli.add(person(id_number=resident_id()))
    cli.ok("user", "add", "tester", "--role", "admin")
    cli.ok("user", "add", "clerk1", "--role", "clerk")
    cli.ok("assign", number, "--owner", "clerk1")  # (a clerk sees only their own archives)
    before = snapshot(db_target)
    result = cli("--as", "clerk1", "show", number, "--reveal")
    assert result.exit_code == 1 and "reveal" in result.stderr
    assert snapshot(db_target) == before


def test_key_export_opens_the_archive_from_another_machine(cli, db_target, tmp_path, monkeypatch):
    from tests.builders import person, resident_id

    rid = resident_id("19800101")
    number = cli.add(person(id_number=rid))
    key = cli.ok("key", "export").stdout.strip()
    assert rid not in cli.ok("key", "export").stderr
    assert len(key) >= 43 and rid not in key
    fresh = cli.ok("key", "new").stdout.strip()
    assert fresh != key and len(fresh) == len(key)
    cli.ok("user", "add", "tester", "--role", "admin")
    cli.ok("user", "add", "li", "--role", "clerk")
    # a colleague's machine: no key file beside the database, only $CUSTARCHIVE_KEY
    monkeypatch.setenv("CUSTARCHIVE_CONFIG_DIR", str(tmp_path / "elsewhere"))
    import os
    from pathlib import Path

    key_file = Path(db_target + ".key")
    if key_file.exists():
        os.rename(key_file, tmp_path / "moved.key")
    result = cli("show", number, "--json", "--reveal", env={"CUSTARCHIVE_KEY": key})
    assert result.exit_code == 0 and rid in result.stdout
    wrong = cli("show", number, "--json", "--reveal", env={"CUSTARCHIVE_KEY": fresh})
    assert wrong.exit_code == 1 and "key" in wrong.stderr
    refused = cli("--as", "li", "key", "export", env={"CUSTARCHIVE_KEY": key})
    assert refused.exit_code == 1 and "may not" in refused.stderr

"""The key apart from the data: in the per-user config directory, never beside a SQLite file unless asked;
an older database with its key beside it keeps working and ``check`` says so; ``key export`` / ``key import``
hand a team's key to its members."""
from __future__ import annotations

import os
import shutil
import sqlite3
import stat
from pathlib import Path

from tests.builders import person, resident_id
from tests.helpers import Cli, backend_of


def _fingerprint(target: str) -> str:
    conn = sqlite3.connect(target)
    try:
        return conn.execute("SELECT value FROM protection_meta WHERE name = 'key_fingerprint'").fetchone()[0]
    finally:
        conn.close()


def _keys_dir() -> Path:
    return Path(os.environ["CUSTARCHIVE_CONFIG_DIR"]) / "keys"


def _key_check(cli) -> dict:
    return next(item for item in cli.json("check")["checks"] if item["name"] == "key")


def test_a_new_sqlite_key_is_kept_apart_from_the_database(tmp_path, monkeypatch):
    target = str(tmp_path / "shop" / "archive.db")
    cli = Cli(target)
    rid = resident_id("19880808")
    number = cli.add(person(id_number=rid))
    assert not Path(target + ".key").exists()
    assert sorted(path.name for path in (tmp_path / "shop").iterdir() if path.name.endswith(".key")) == []
    kept = _keys_dir() / f"{_fingerprint(target)}.key"
    assert kept.exists() and stat.S_IMODE(kept.stat().st_mode) == 0o600
    check = _key_check(cli)
    assert check["ok"] and str(kept) in check["detail"] and "config directory" in check["detail"]

    # the folder copied to another machine (another config dir) reveals nothing without the key
    moved = tmp_path / "copied"
    shutil.copytree(tmp_path / "shop", moved)
    elsewhere = Cli(str(moved / "archive.db"))
    monkeypatch.setenv("CUSTARCHIVE_CONFIG_DIR", str(tmp_path / "other-machine"))
    refused = elsewhere("show", number, "--json", "--reveal")
    assert refused.exit_code == 1 and "no key" in refused.stderr and "Traceback" not in refused.stderr


def test_a_team_member_imports_the_key(tmp_path, monkeypatch):
    target = str(tmp_path / "archive.db")
    owner = Cli(target)
    rid = resident_id("19770707")
    number = owner.add(person(id_number=rid))
    exported = owner.ok("key", "export").stdout.strip()

    monkeypatch.setenv("CUSTARCHIVE_CONFIG_DIR", str(tmp_path / "member"))
    member = Cli(target)
    assert member("show", number, "--json", "--reveal").exit_code == 1
    wrong = member("key", "import", "-", input="bm90IGEga2V5\n")
    assert wrong.exit_code == 1 and "key" in wrong.stderr and not (tmp_path / "member" / "keys").exists()
    other = tmp_path / "other.db"
    Cli(str(other)).add(person(name="别家"))
    foreign = Cli(str(other)).ok("key", "export").stdout
    refused = member("key", "import", "-", input=foreign)
    assert refused.exit_code == 1 and "does not belong" in refused.stderr
    handed = tmp_path / "team.key"
    handed.write_text(exported + "\n", encoding="utf-8")
    member.ok("key", "import", str(handed))
    kept = tmp_path / "member" / "keys" / f"{_fingerprint(target)}.key"
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert member.json("show", number, "--reveal")["id_number"] == rid


def test_an_older_database_with_its_key_beside_it_keeps_working(tmp_path):
    target = str(tmp_path / "old.db")
    cli = Cli(target)
    rid = resident_id("19660606")
    number = cli.add(person(id_number=rid))
    kept = _keys_dir() / f"{_fingerprint(target)}.key"
    os.rename(kept, target + ".key")   # where an older version put it
    assert cli.json("show", number, "--reveal")["id_number"] == rid
    check = _key_check(cli)
    assert check["ok"] and "BESIDE the database" in check["detail"] and "key import" in check["detail"]
    assert cli.json("check")["ok"] is True

    # the way out the check names: keep it in the config directory, delete the file beside the data
    cli.ok("key", "import", target + ".key")
    os.unlink(target + ".key")
    assert cli.json("show", number, "--reveal")["id_number"] == rid
    assert "config directory" in _key_check(cli)["detail"]


def test_beside_the_database_only_when_asked(tmp_path):
    config = Path(os.environ["CUSTARCHIVE_CONFIG_DIR"])
    config.mkdir(parents=True, exist_ok=True)
    (config / "settings.toml").write_text("[key]\nbeside_database = true\n", encoding="utf-8")
    target = str(tmp_path / "asked.db")
    cli = Cli(target)
    cli.add(person(id_number=resident_id()))
    assert Path(target + ".key").exists() and not (config / "keys").exists()
    assert "as settings.toml asks" in _key_check(cli)["detail"]
    (config / "settings.toml").write_text("[key]\nbeside_database = \"yes\"\n", encoding="utf-8")
    result = Cli(str(tmp_path / "new.db"))("add", "--no-input", "--set", "name=乙")
    assert result.exit_code == 1 and "beside_database" in result.stderr and "Traceback" not in result.stderr


def test_check_names_where_the_key_came_from(cli, db_target):
    cli.add(person(id_number=resident_id()))
    detail = _key_check(cli)["detail"]
    assert "config directory" in detail if backend_of(db_target) == "sqlite" else str(_keys_dir()) in detail
    key = cli.ok("key", "export").stdout.strip()
    from_env = cli("check", "--json", env={"CUSTARCHIVE_KEY": key})
    assert from_env.exit_code == 0 and "$CUSTARCHIVE_KEY" in from_env.stdout

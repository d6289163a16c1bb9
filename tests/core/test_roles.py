"""Operators and roles: single-user mode, the permission table enforced on reads and writes, refusals logged."""
from __future__ import annotations

import os
from pathlib import Path

from tests.builders import person, set_args
from tests.helpers import backend_of, db_rows, snapshot


def _security_log(target: str) -> Path:
    """Beside a SQLite file; for a server database, in the data directory."""
    if backend_of(target) == "sqlite":
        return Path(target + ".security.log")
    from sqlalchemy.engine import make_url

    url = make_url(target)
    return Path(os.environ["CUSTARCHIVE_DATA_DIR"]) / f"security-{url.host}-{url.database}.log"


def test_single_user_mode_until_the_first_user(cli):
    number = cli.add(person())
    assert cli.json("user", "list") == []
    assert cli.json("--as", "anyone", "show", number)["archive_no"] == number
    result = cli.ok("user", "add", "li", "--role", "clerk")
    assert "tester registered as admin" in result.stderr
    users = {u["name"]: u["role"] for u in cli.json("user", "list")}
    assert users == {"tester": "admin", "li": "clerk"}
    refused = cli("--as", "anyone", "show", number)
    assert refused.exit_code == 1 and "not a registered user" in refused.stderr


def test_first_user_cannot_lock_everyone_out(cli, db_target):
    cli.add(person())
    before = snapshot(db_target)
    result = cli("user", "add", "tester", "--role", "viewer")
    assert result.exit_code == 1 and "admin" in result.stderr
    assert cli("user", "add", "x", "--role", "boss").exit_code == 1
    assert snapshot(db_target) == before


def test_permission_table_in_the_domain(cli, db_target):
    number = cli.add(person())
    cli.ok("user", "add", "tester", "--role", "admin")
    for name, role in (("viewer1", "viewer"), ("clerk1", "clerk"), ("manager1", "manager")):
        cli.ok("user", "add", name, "--role", role)
    cli.ok("assign", number, "--owner", "clerk1")  # a clerk works on their own archives (tests/cards/test_owners.py)
    before = snapshot(db_target)
    refused = [
        ("viewer1", ["add", "--no-input", *set_args(person(name="乙", phone="13800000001"))], "add"),
        ("viewer1", ["update", number, "--set", "city=上海"], "update"),
        ("clerk1", ["erase", number, "--reason", "x"], "erase"),
        ("clerk1", ["user", "add", "y", "--role", "admin"], "manage users"),
        ("manager1", ["user", "set-role", "clerk1", "admin"], "manage users"),
    ]
    if backend_of(db_target) == "sqlite":  # (a server database is backed up with pg_dump, not by custarchive)
        refused.append(("clerk1", ["backup", str(db_target) + ".bak"], "backup"))
    for operator, args, action in refused:
        result = cli("--as", operator, *args)
        assert result.exit_code == 1, (operator, args, result.stdout)
        assert f"may not {action}" in result.stderr and "Traceback" not in result.stderr
    assert snapshot(db_target) == before
    events = cli.json("user", "events")
    assert len(events) == len(refused)
    import stat

    assert stat.S_IMODE(_security_log(db_target).stat().st_mode) == 0o600
    assert {(e["operator"], e["action"], e["outcome"]) for e in events} >= {("viewer1", "add", "denied"),
                                                                             ("clerk1", "erase", "denied")}
    assert cli.json("--as", "viewer1", "show", number)["archive_no"] == number
    cli.ok("--as", "clerk1", "update", number, "--set", "city=上海")
    assert cli.json("history", number)["changes"][-1]["operator"] == "clerk1"


def test_reads_are_enforced_too(cli, db_target):
    number = cli.add(person())
    cli.ok("user", "add", "tester", "--role", "admin")
    cli.ok("user", "add", "gone", "--role", "viewer")  # (scope all: sees every archive)
    cli.ok("user", "disable", "gone")
    for args in (["show", number], ["list"], ["search", "张"], ["history", number], ["check"]):
        result = cli("--as", "gone", *args)
        assert result.exit_code == 1 and "not a registered user" in result.stderr, args
    events = cli.json("user", "events")
    assert {e["action"] for e in events} == {"read"} and len(events) == 5
    cli.ok("user", "enable", "gone")
    assert cli.json("--as", "gone", "show", number)["archive_no"] == number


def test_library_callers_get_the_same_refusal(cli, db_target):
    """The permission check is in the domain layer, not only in the CLI."""
    import pytest

    from custarchive.cards import archive
    from custarchive.core.changelog import Actor
    from custarchive.store.db import open_database
    from custarchive.errors import PermissionDenied

    cli.add(person())
    cli.ok("user", "add", "tester", "--role", "admin")
    cli.ok("user", "add", "v", "--role", "viewer")
    db = open_database(db_target, create=False)
    try:
        with pytest.raises(PermissionDenied):
            with db.write() as conn:
                archive.add_card(conn, person(name="丙", phone="13800000002"), Actor("v"))
    finally:
        db.dispose()


def test_last_admin_is_kept(cli):
    cli.add(person())
    cli.ok("user", "add", "tester", "--role", "admin")
    assert cli("user", "disable", "tester").exit_code == 1
    assert cli("user", "set-role", "tester", "clerk").exit_code == 1
    cli.ok("user", "add", "second", "--role", "admin")
    cli.ok("user", "set-role", "tester", "manager")
    assert cli("--as", "second", "user", "set-role", "tester", "manager").exit_code == 1
    assert cli("--as", "tester", "user", "add", "z", "--role", "viewer").exit_code == 1
    actions = [e["action"] for e in cli.json("--as", "second", "user", "events")]
    assert actions == ["manage_users"]


def test_user_changes_are_in_the_change_log(cli, db_target):
    cli.add(person())
    cli.ok("user", "add", "tester", "--role", "admin")
    cli.ok("user", "add", "wang", "--role", "viewer")
    cli.ok("user", "set-role", "wang", "clerk")
    rows = db_rows(db_target, "SELECT action, field, old_value, new_value, operator FROM change_log "
                              "WHERE customer_id IS NULL ORDER BY id")
    assert rows == [("user-add", "tester", None, "admin", "tester"), ("user-add", "wang", None, "viewer", "tester"),
                    ("user-role", "wang", "viewer", "clerk", "tester")]
    assert cli.json("check")["ok"]

"""Owners, teams, collaborators and the pool, through the CLI, on both backends: the domain layer's
data scopes (own / team / all), which on SQLite are the only guard (tests/store/test_pg_team.py shows
the PostgreSQL server enforcing the same with row-level security)."""
from __future__ import annotations

import json

import pytest

from tests.builders import resident_id

from tests.helpers import db_exec, db_rows, snapshot


@pytest.fixture
def team(cli):
    """boss (admin), mgr (manager, 华东), c1 (clerk, 华东), c2 (clerk, 华北), v (viewer); one archive each
    for c1 and c2, with the same phone."""
    cli.ok("--as", "boss", "user", "add", "boss", "--role", "admin")
    cli.ok("--as", "boss", "user", "add", "mgr", "--role", "manager", "--team", "华东")
    cli.ok("--as", "boss", "user", "add", "c1", "--role", "clerk", "--team", "华东")
    cli.ok("--as", "boss", "user", "add", "c2", "--role", "clerk", "--team", "华北")
    cli.ok("--as", "boss", "user", "add", "v", "--role", "viewer")
    a = cli.ok("--as", "c1", "add", "--no-input", "--set", "name=张三", "--set", "phone=13912345678",
               "--set", f"id_number={resident_id()}").stdout.strip()
    b = cli.ok("--as", "c2", "add", "--no-input", "--set", "name=李四", "--set", "phone=13912345678").stdout.strip()
    return cli, a, b


def numbers(cli, *args):
    return [card["archive_no"] for card in cli.json(*args)]


def test_new_archives_belong_to_whoever_enters_them_in_their_team(team):
    cli, a, b = team
    card = cli.json("--as", "boss", "show", a)
    assert (card["owner"], card["team"]) == ("c1", "华东")
    assert (cli.json("--as", "boss", "show", b)["owner"], cli.json("--as", "boss", "show", b)["team"]) == ("c2", "华北")


def test_each_role_sees_its_scope_in_list_show_search_and_export(team):
    cli, a, b = team
    assert numbers(cli, "--as", "c1", "list") == [a]
    assert numbers(cli, "--as", "c2", "list") == [b]
    assert numbers(cli, "--as", "mgr", "list") == [a]          # team 华东
    assert numbers(cli, "--as", "boss", "list") == [a, b]
    assert numbers(cli, "--as", "v", "list") == [a, b]         # viewer: all, but no sensitive column
    assert numbers(cli, "--as", "c1", "search", "李四") == []
    assert numbers(cli, "--as", "c1", "search", "1391234") == [a]
    refused = cli("--as", "c1", "show", b)
    assert refused.exit_code == 1 and "no archive matches" in refused.stderr
    assert cli("--as", "c1", "update", b, "--set", "city=上海").exit_code == 1
    assert cli("--as", "c1", "log", "add", b, "--type", "visit", "拜访").exit_code == 1
    assert cli("--as", "c1", "timeline", b).exit_code == 1
    exported = cli.ok("--as", "mgr", "export", "--format", "json").stdout
    assert [card["archive_no"] for card in json.loads(exported)] == [a]


def test_list_mine_owner_and_team_filters(team):
    cli, a, b = team
    assert numbers(cli, "--as", "c1", "list", "--mine") == [a]
    assert numbers(cli, "--as", "boss", "list", "--mine") == []
    assert numbers(cli, "--as", "boss", "list", "--owner", "c2") == [b]
    assert numbers(cli, "--as", "boss", "list", "--team", "华东") == [a]
    assert numbers(cli, "--as", "c1", "list", "--owner", "c2") == []   # a filter never widens the scope


def test_viewer_reads_no_sensitive_column(team):
    cli, a, _b = team
    card = cli.json("--as", "v", "show", a)
    assert card["id_number"] is None and card["phone"] == "13912345678"


def test_duplicate_warning_names_another_owners_archive_by_number_name_and_owner_only(team):
    cli, a, _b = team
    result = cli.ok("--as", "c2", "add", "--no-input", "--set", "name=王五", "--set", "phone=13912345678")
    assert f"related archive {a} 张三 (same phone, address or e-mail; owner c1)" in result.stderr
    assert "110105" not in result.stderr


def test_assign_reassign_and_the_change_log(team):
    cli, a, b = team
    moved = cli.json("--as", "boss", "assign", a, "--owner", "c2")
    assert moved[0]["owner"] == "c2" and moved[0]["team"] == "华北" and moved[0]["previous_owner"] == "c1"
    assert numbers(cli, "--as", "c1", "list") == []
    assert numbers(cli, "--as", "c2", "list") == [a, b]
    entries = [e for e in cli.json("--as", "boss", "history", a)["changes"] if e["action"] == "assign"]
    assert [(e["field"], e["old"], e["new"], e["operator"]) for e in entries] == [
        ("owner", "c1", "c2", "boss"), ("team", "华东", "华北", "boss")]
    # c2 leaves: everything goes to c1
    assert [m["archive_no"] for m in cli.json("--as", "boss", "reassign", "--from", "c2", "--to", "c1")] == [a, b]
    assert numbers(cli, "--as", "c1", "list") == [a, b]


def test_assign_is_refused_to_clerks_and_a_manager_stays_in_the_team(team, db_target):
    cli, a, _b = team
    before = snapshot(db_target)
    assert cli("--as", "c1", "assign", a, "--owner", "c2").exit_code == 1
    refused = cli("--as", "mgr", "assign", a, "--owner", "c2")
    assert refused.exit_code == 1 and "team 华东" in refused.stderr
    assert cli("--as", "boss", "assign", a, "--owner", "nobody").exit_code == 1
    assert snapshot(db_target) == before


def test_collaborators_see_the_archive_and_its_linked_rows(team):
    cli, a, b = team
    cli.ok("--as", "c2", "log", "add", b, "--type", "visit", "首次拜访")
    assert cli("--as", "c1", "collab", "add", b, "c1").exit_code == 1   # not c1's archive to share
    cli.ok("--as", "c2", "collab", "add", b, "c1")
    assert numbers(cli, "--as", "c1", "list") == [a, b]
    assert "首次拜访" in cli.ok("--as", "c1", "timeline", b).stdout
    assert cli.json("--as", "c1", "collab", "list", b)["collaborators"] == ["c1"]
    cli.ok("--as", "c2", "collab", "remove", b, "c1")
    assert numbers(cli, "--as", "c1", "list") == [a]


def test_pool_claim_and_sweep(team, db_target):
    cli, a, b = team
    # a has a recent follow-up; b was taken long ago and never followed up
    db_exec(db_target, "UPDATE customers SET owner_since = '2025-01-01T09:00:00+08:00'")
    cli.ok("--as", "c1", "log", "add", a, "--type", "call", "回访")
    dry = cli.json("--as", "boss", "pool", "sweep", "--days", "30", "--dry-run")
    assert [i["archive_no"] for i in dry["returned"]] == [b]
    assert db_rows(db_target, "SELECT owner FROM customers WHERE archive_no = :n", n=b) == [("c2",)]
    done = cli.json("--as", "boss", "pool", "sweep", "--days", "30")
    assert [(i["archive_no"], i["owner"]) for i in done["returned"]] == [(b, "c2")]
    assert db_rows(db_target, "SELECT owner, team FROM customers WHERE archive_no = :n", n=b) == [(None, None)]
    told = [e for e in cli.json("--as", "boss", "history", b)["changes"] if e["action"] == "pool-return"]
    assert told[0]["old"] == "c2" and "no follow-up for 30 days" in told[0]["reason"]
    # the pool: seen by those who may claim (c1), not taken twice; a viewer cannot claim
    assert numbers(cli, "--as", "c1", "pool", "list") == [b]
    assert cli("--as", "v", "claim", b).exit_code == 1
    cli.ok("--as", "c1", "claim", b)
    assert cli("--as", "c2", "claim", b).exit_code == 1
    assert numbers(cli, "--as", "c1", "list", "--mine") == [a, b]
    assert [e["operator"] for e in cli.json("--as", "boss", "history", b)["changes"] if e["action"] == "claim"] == ["c1", "c1"]
    # the default rule comes from permissions.toml (90 days): nothing is that stale now
    assert cli.json("--as", "boss", "pool", "sweep", "--dry-run")["returned"] == []


def test_due_follow_ups_are_the_operators_own(team):
    cli, a, b = team
    cli.ok("--as", "c1", "log", "add", a, "--type", "call", "回电", "--follow-up", "2020-01-02")
    cli.ok("--as", "c2", "log", "add", b, "--type", "call", "回电", "--follow-up", "2020-01-02")
    due = lambda who: [item["archive_no"] for item in cli.json("--as", who, "due")]  # noqa: E731
    assert due("c1") == [a]
    assert due("c2") == [b]
    assert due("boss") == [a, b]


def test_dedupe_pairs_only_archives_the_operator_sees(team):
    cli, a, b = team                                   # a (c1's) and b (c2's) share a phone

    def seen(operator: str) -> set[frozenset]:
        found = cli.json("--as", operator, "dedupe", "--related")
        return {frozenset((p["a"], p["b"])) for p in found["pairs"] + found["related"]}

    assert seen("boss") == {frozenset((a, b))}
    assert seen("c1") == set()
    c = cli.ok("--as", "c1", "add", "--no-input", "--set", "name=张三丰", "--set", "phone=13912345678").stdout.strip()
    assert seen("c1") == {frozenset((a, c))}


def test_imported_archives_belong_to_the_importing_clerk(team, tmp_path):
    """Import writes through COPY on PostgreSQL (batches of 50 rows or more): the owner, team and
    owner_since must be filled there too, or the archives would land in the pool."""
    cli, a, _b = team
    path = tmp_path / "clients.csv"
    path.write_text("name,phone\n" + "".join(f"导入客户{n},1380000{n:04d}\n" for n in range(120)), encoding="utf-8")
    cli.ok("--as", "c1", "import", str(path))
    mine = numbers(cli, "--as", "c1", "list", "--mine", "--limit", "1000")
    assert len(mine) == 121 and a in mine
    owners = db_rows(cli.target, "SELECT owner, team, COUNT(*) FROM customers WHERE name LIKE '导入客户%' "
                             "AND owner_since IS NOT NULL GROUP BY owner, team")
    assert [tuple(row) for row in owners] == [("c1", "华东", 120)]
    assert numbers(cli, "--as", "c2", "list", "--limit", "1000") == [_b]

"""A team on one PostgreSQL server (``db roles``): identity from the login, rights enforced by the server.

Each test builds its own database (the append-only triggers would stop the shared archive's reset)
and its own logins (roles are cluster-wide: names carry the database's number). Every check is made
through custarchive *and* through ``psql`` with the person's own login.
"""
from __future__ import annotations

import glob
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.builders import resident_id
from tests.helpers import Cli, db_exec, run_process


def _psql_binary() -> str:
    found = shutil.which("psql") or next(iter(sorted(glob.glob("/usr/lib/postgresql/*/bin/psql"), reverse=True)), None)
    assert found, "psql not found (installed with the PostgreSQL cluster binaries: see .ci/pg-cluster)"
    return found


class Team:
    """One archive database, its owner's URL, and a login per person."""

    def __init__(self, owner_url: str):
        from sqlalchemy.engine import make_url

        self.owner_url = owner_url
        self.url = make_url(owner_url)
        self.tag = self.url.database.rsplit("_", 2)[-2] + "_" + self.url.database.rsplit("_", 1)[-1]
        self.logins: list[str] = []

    def name(self, short: str) -> str:
        return f"{short}_{self.tag}"

    def target(self, login: str) -> str:
        return self.url.set(username=login).render_as_string(hide_password=False)

    def cli(self, login: str) -> Cli:
        return Cli(self.target(login))

    def psql(self, login: str, sql: str) -> subprocess.CompletedProcess:
        return subprocess.run([_psql_binary(), "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", self.url.host,
                               "-p", str(self.url.port), "-U", login, "-d", self.url.database, "-c", sql],
                              capture_output=True, text=True, timeout=60)

    def rows(self, login: str, sql: str) -> list[str]:
        result = self.psql(login, sql)
        assert result.returncode == 0, result.stderr
        return [line for line in result.stdout.splitlines() if line]


@pytest.fixture
def team(pg_empty, monkeypatch):
    """An archive set up by its owner (the server's superuser), ``db roles`` run, and logins for an admin,
    a manager of team 华东, clerks c1 (华东) and c2 (华北) and a viewer; c1 and c2 add one archive each."""
    monkeypatch.delenv("CUSTARCHIVE_USER")
    t = Team(pg_empty())
    owner = Cli(t.owner_url)
    owner.ok("add", "--no-input", "--set", "name=开户测试", "--set", "phone=13800000000")
    owner.ok("db", "roles")
    for short, role, team_name in (("boss", "admin", None), ("mgr", "manager", "华东"), ("c1", "clerk", "华东"),
                                   ("c2", "clerk", "华北"), ("v", "viewer", None)):
        owner.ok("user", "add", t.name(short), "--role", role, *(("--team", team_name) if team_name else ()))
        t.logins.append(t.name(short))
    t.first = owner.json("list")[0]["archive_no"]
    t.rid = resident_id()
    t.a = t.cli(t.name("c1")).ok("add", "--no-input", "--set", "name=张三", "--set", "phone=13912345678",
                                 "--set", f"id_number={t.rid}").stdout.strip()
    t.b = t.cli(t.name("c2")).ok("add", "--no-input", "--set", "name=李四", "--set", "phone=13912345679").stdout.strip()
    t.cli(t.name("c1")).ok("log", "add", t.a, "--type", "visit", "张三拜访")
    t.cli(t.name("c2")).ok("log", "add", t.b, "--type", "visit", "李四拜访")
    yield t
    from sqlalchemy import create_engine, text

    engine = create_engine(t.owner_url.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() "
                          "AND pid <> pg_backend_pid()"))
        for login in t.logins:
            conn.execute(text(f'DROP OWNED BY "{login}"'))
            conn.execute(text(f'DROP ROLE IF EXISTS "{login}"'))
    engine.dispose()


def _numbers(cli: Cli, *args: str) -> list[str]:
    return [card["archive_no"] for card in cli.json(*args)]


def test_each_login_sees_its_scope_through_custarchive_and_psql(team):
    c1, c2, mgr, boss, v = (team.name(n) for n in ("c1", "c2", "mgr", "boss", "v"))
    everyone = [team.first, team.a, team.b]
    assert _numbers(team.cli(c1), "list") == [team.a]
    assert _numbers(team.cli(c2), "list") == [team.b]
    assert _numbers(team.cli(mgr), "list") == [team.a]
    assert _numbers(team.cli(boss), "list") == everyone
    refused = team.cli(c1)("show", team.b)
    assert refused.exit_code == 1 and "no archive matches" in refused.stderr
    # the same through psql: customers and every linked table follow the login's scope
    assert team.rows(c1, "SELECT archive_no FROM customers ORDER BY 1") == [team.a]
    assert team.rows(c1, "SELECT body FROM timeline ORDER BY 1") == ["张三拜访"]
    assert team.rows(c1, "SELECT DISTINCT archive_no FROM change_log WHERE customer_id IS NOT NULL") == [team.a]
    assert team.rows(c1, "SELECT count(*) FROM name_grams WHERE customer_id NOT IN "
                         f"(SELECT id FROM customers WHERE archive_no = '{team.a}')") == ["0"]
    assert team.rows(c2, "SELECT archive_no FROM customers ORDER BY 1") == [team.b]
    assert team.rows(c2, "SELECT body FROM timeline") == ["李四拜访"]
    assert team.rows(mgr, "SELECT archive_no FROM customers ORDER BY 1") == [team.a]
    assert team.rows(boss, "SELECT archive_no FROM customers ORDER BY 1") == everyone
    # nor make themselves an admin (the policy reads roles from users)
    assert team.psql(c1, f"UPDATE users SET role = 'admin' WHERE name = '{c1}'").returncode != 0
    # a clerk cannot give their archive away or take another's behind custarchive's back
    assert team.psql(c1, f"UPDATE customers SET owner = '{c2}' WHERE archive_no = '{team.a}'").returncode != 0
    assert team.rows(c1, f"UPDATE customers SET city = 'x' WHERE archive_no = '{team.b}' RETURNING id") == ["UPDATE 0"]


def test_viewer_cannot_read_sensitive_columns(team):
    v = team.name("v")
    denied = team.psql(v, "SELECT id_number FROM customers")
    assert denied.returncode != 0 and "permission denied" in denied.stderr
    assert team.rows(v, f"SELECT phone FROM customers WHERE archive_no = '{team.a}'") == ["13912345678"]
    card = team.cli(v).json("show", team.a)
    assert card["id_number"] is None and card["phone"] == "13912345678"
    assert team.psql(v, "UPDATE customers SET city = 'x'").returncode != 0
    assert team.cli(v)("update", team.a, "--set", "city=上海").exit_code == 1
    # a path that reads a column the server withholds is refused in one line, never a traceback
    refused = team.cli(v)("audit")
    assert refused.exit_code == 1 and "the server refused: permission denied" in refused.stderr
    assert team.cli(team.name("mgr")).ok("audit").exit_code == 0   # no false numbering gaps from others' archives


def test_nobody_updates_or_deletes_the_change_log(team):
    assert team.cli(team.name("c1"))("--as", team.name("boss"), "list").exit_code == 1   # a security_log row
    for login in [team.name(n) for n in ("c1", "mgr", "boss")] + [team.url.username]:   # the owner too
        for sql in ("UPDATE change_log SET operator = 'x'", "DELETE FROM change_log", "TRUNCATE change_log",
                    "UPDATE security_log SET detail = 'x'", "DELETE FROM security_log"):
            result = team.psql(login, sql)
            assert result.returncode != 0, (login, sql)
            assert "append-only" in result.stderr or "permission denied" in result.stderr, result.stderr
    assert team.cli(team.name("boss")).json("check")["ok"] is True
    # erase still blanks an erased customer's values (the one UPDATE the trigger lets through)
    team.cli(team.name("boss")).ok("erase", team.b, "--reason", "客户要求删除", "--yes")
    assert team.rows(team.url.username, "SELECT count(*) FROM change_log WHERE customer_id = "
                     f"(SELECT id FROM customers WHERE archive_no = '{team.b}') AND new_value IS NOT NULL") == ["0"]
    assert team.cli(team.name("boss")).json("check")["ok"] is True


def test_the_operator_is_the_login(team):
    c1 = team.name("c1")
    refused = team.cli(c1)("--as", team.name("boss"), "list")
    assert refused.exit_code == 1 and "does not match the server login" in refused.stderr
    assert team.cli(c1)("list", env={"CUSTARCHIVE_USER": team.name("boss")}).exit_code == 1
    assert team.cli(c1).ok("--as", c1, "list").exit_code == 0
    assert _numbers(team.cli(c1), "list", "--mine") == [team.a]
    history = team.cli(team.name("boss")).json("history", team.a)["changes"]
    assert history[0]["operator"] == c1
    events = team.cli(team.name("boss")).json("user", "events")
    assert events[0]["login"] == c1 and events[0]["action"] == "login"   # on the server, not a client file
    assert team.rows(team.name("boss"), "SELECT login FROM security_log") == [c1, c1]


def test_duplicate_check_finds_another_owners_customer_showing_only_number_name_and_owner(team):
    c2 = team.name("c2")
    added = team.cli(c2).ok("add", "--no-input", "--set", "name=王五", "--set", "phone=13912345678")
    assert f"possible duplicate of {team.a} 张三 (same phone; owner {team.name('c1')})" in added.stderr
    # an identity key stays unique across every owner's archives, though c2 cannot see c1's
    refused = team.cli(c2)("add", "--no-input", "--set", "name=王六", "--set", "phone=13700000000",
                           "--set", f"id_number={team.rid}")
    assert refused.exit_code == 1 and f"already held by archive {team.a}" in refused.stderr
    assert "Traceback" not in refused.stderr


def test_pool_sweep_moves_exactly_the_stale_archives_and_a_clerk_claims(team):
    boss, c1, c2 = team.name("boss"), team.name("c1"), team.name("c2")
    db_exec(team.owner_url, "UPDATE customers SET owner_since = '2025-01-01T09:00:00+08:00'")
    db_exec(team.owner_url, "UPDATE timeline SET at = '2025-02-01T09:00:00+08:00' WHERE body = '李四拜访'")
    dry = team.cli(boss).json("pool", "sweep", "--days", "30", "--dry-run")
    assert sorted(i["archive_no"] for i in dry["returned"]) == [team.first, team.b]
    done = team.cli(boss).json("pool", "sweep", "--days", "30")
    assert sorted(i["archive_no"] for i in done["returned"]) == [team.first, team.b]
    assert team.rows(boss, "SELECT archive_no FROM customers WHERE owner IS NULL ORDER BY 1") == [team.first, team.b]
    # the pool is visible to those who may claim (clerks), not a clerk's other archives
    assert team.rows(c1, "SELECT archive_no FROM customers ORDER BY 1") == [team.first, team.a, team.b]
    team.cli(c1).ok("claim", team.b)
    assert team.cli(c2)("claim", team.b).exit_code == 1
    assert team.rows(c2, "SELECT archive_no FROM customers ORDER BY 1") == [team.first]
    told = [e for e in team.cli(boss).json("history", team.b)["changes"] if e["action"] == "pool-return"]
    assert told[0]["old"] == c2


@pytest.mark.slow
def test_eight_logins_adding_at_once_keep_numbers_gap_free(team, pg_server):
    owner = Cli(team.owner_url)
    clerks = [team.name(f"k{n}") for n in range(8)]
    for clerk in clerks:
        owner.ok("user", "add", clerk, "--role", "clerk")
        team.logins.append(clerk)
    def adds(i: int, clerk: str) -> list:
        return [run_process("--db", team.target(clerk), "add", "--no-input", "--set", f"name=客户{i}{n}",
                            "--set", f"phone=13900{i:03d}{n:03d}") for n in range(3)]

    with ThreadPoolExecutor(8) as pool:
        results = [r for batch in pool.map(adds, range(8), clerks) for r in batch]
    assert all(r.returncode == 0 for r in results), [r.stderr for r in results if r.returncode]
    prefix = team.first.rsplit("-", 1)[0]
    numbers = sorted(team.rows(team.name("boss"), "SELECT archive_no FROM customers"))
    assert numbers == [f"{prefix}-{n:05d}" for n in range(1, 4 + 24)]
    for clerk in clerks:
        assert len(team.rows(clerk, "SELECT archive_no FROM customers")) == 3
    assert run_process("--db", team.target(team.name("boss")), "check").returncode == 0


def test_check_by_a_login_that_sees_part_of_the_archive_says_so(team):
    full = team.cli(team.name("boss")).json("check")
    assert full["ok"] is True and "hash chain intact" in str(full["checks"])
    for short in ("c1", "v"):
        partial = team.cli(team.name(short)).json("check")
        assert partial["ok"] is True and "run check as an admin" in str(partial["checks"])

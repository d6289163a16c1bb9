"""The timeline through the CLI: entries, complaint states, follow-ups and the due list."""
from __future__ import annotations

import datetime
import json

import pytest

from tests.builders import person
from tests.helpers import snapshot


@pytest.fixture
def number(cli):
    return cli.add(person())


def test_entries_of_every_type_in_time_order(cli, number):
    for index, kind in enumerate(("visit", "call", "email", "service", "complaint", "request", "incident",
                                  "violation")):
        cli.ok("log", "add", number, "--type", kind, f"记录{index}", "--at", f"2024-01-{10 + index:02d} 09:30")
    cli.ok("log", "add", number, "--type", "visit", "最早的走访", "--at", "2023年12月1日")
    data = cli.json("timeline", number)
    assert data["archive_no"] == number
    assert data["entries"][0]["text"] == "最早的走访"
    assert [e["type"] for e in data["entries"][1:]] == ["visit", "call", "email", "service", "complaint", "request",
                                                        "incident", "violation"]
    assert data["entries"][1]["at"].startswith("2024-01-10T09:30")
    only = cli.json("timeline", number, "--type", "call")["entries"]
    assert len(only) == 1 and only[0]["text"] == "记录1"


def test_add_prints_the_entry_id_and_logs_it(cli, number):
    entry_id = cli.ok("log", "add", number, "--type", "call", "询问报价").stdout.strip()
    assert entry_id.isdigit()
    changes = cli.json("history", number)["changes"]
    assert any(c["action"] == "log" and c["field"] == f"timeline#{entry_id}" and "询问报价" in c["new"] for c in changes)


def test_complaint_is_open_until_resolved_with_who_and_how(cli, number):
    entry_id = cli.ok("log", "add", number, "--type", "complaint", "菜品太咸").stdout.strip()
    entry = cli.json("timeline", number)["entries"][0]
    assert entry["state"] == "open" and entry["resolution"] is None
    cli.ok("--as", "经理王", "log", "resolve", entry_id, "--resolution", "赠送果盘并道歉")
    entry = cli.json("timeline", number)["entries"][0]
    assert entry["state"] == "resolved" and entry["resolution"] == "赠送果盘并道歉"
    assert entry["resolved_by"] == "经理王" and entry["resolved_at"]
    again = cli("log", "resolve", entry_id, "--resolution", "again")
    assert again.exit_code == 1 and "already resolved" in again.stderr
    changes = cli.json("history", number)["changes"]
    assert any(c["action"] == "resolve" and c["operator"] == "经理王" for c in changes)


def test_only_complaints_have_a_state(cli, number):
    entry_id = cli.ok("log", "add", number, "--type", "visit", "拜访").stdout.strip()
    assert cli.json("timeline", number)["entries"][0]["state"] is None
    result = cli("log", "resolve", entry_id, "--resolution", "x")
    assert result.exit_code == 1 and "no state" in result.stderr


def test_due_lists_due_and_overdue_follow_ups_only(cli, number):
    other = cli.add(person(name="李娜", phone="13800000001"))
    cli.ok("log", "add", number, "--type", "visit", "回访", "--follow-up", "2024-05-01")
    cli.ok("log", "add", other, "--type", "call", "报价跟进", "--follow-up", "2024-05-10")
    cli.ok("log", "add", other, "--type", "call", "以后再说", "--follow-up", "2024-06-30")
    cli.ok("log", "add", number, "--type", "call", "无跟进")
    items = cli.json("due", "--as-of", "2024-05-10")
    assert [(i["archive_no"], i["text"], i["days_overdue"]) for i in items] == [(number, "回访", 9), (other, "报价跟进", 0)]
    assert items[0]["phone"] == "13912345678"
    ahead = cli.json("due", "--as-of", "2024-05-10", "--within", "60")
    assert [i["text"] for i in ahead] == ["回访", "报价跟进", "以后再说"]


def test_done_and_resolved_follow_ups_leave_the_due_list(cli, number):
    visit = cli.ok("log", "add", number, "--type", "visit", "回访", "--follow-up", "2024-05-01").stdout.strip()
    complaint = cli.ok("log", "add", number, "--type", "complaint", "噪音", "--follow-up", "2024-05-02").stdout.strip()
    assert len(cli.json("due", "--as-of", "2024-06-01")) == 2
    cli.ok("log", "done", visit)
    cli.ok("log", "resolve", complaint, "--resolution", "已协调楼上住户")
    assert cli.json("due", "--as-of", "2024-06-01") == []
    assert cli("log", "done", visit).exit_code == 1


def test_due_exits_0_with_nothing_due_and_speaks_to_a_script(cli, number):
    result = cli("due")
    assert result.exit_code == 0 and result.stdout == ""
    assert json.loads(cli.ok("due", "--json").stdout) == []
    cli.ok("log", "add", number, "--type", "call", "今天回电", "--follow-up", datetime.date.today().isoformat())
    human = cli.ok("due").stdout
    assert "今天回电" in human and number in human


def test_closed_archives_are_not_due(cli, number):
    cli.ok("log", "add", number, "--type", "visit", "回访", "--follow-up", "2024-05-01")
    cli.ok("close", number)
    assert cli.json("due", "--as-of", "2024-06-01") == []


@pytest.mark.parametrize("args, field", [
    (["--type", "gossip", "x"], "--type"),
    (["--type", "visit", "x", "--at", "2024-13-01"], "--at"),
    (["--type", "visit", "x", "--at", "2024-01-01 25:00"], "--at"),
    (["--type", "visit", "x", "--follow-up", "tomorrow"], "--follow-up"),
    (["--type", "visit", "   "], "TEXT"),
])
def test_bad_input_changes_nothing(cli, number, db_target, args, field):
    before = snapshot(db_target)
    result = cli("log", "add", number, *args)
    assert result.exit_code == 1 and field in result.stderr and "Traceback" not in result.stderr
    assert snapshot(db_target) == before


def test_unknown_ref_and_unknown_entry(cli, number, db_target):
    before = snapshot(db_target)
    assert cli("log", "add", "C-1999-00009", "--type", "visit", "x").exit_code == 1
    assert cli("log", "resolve", "999", "--resolution", "x").exit_code == 1
    assert cli("timeline", "nobody").exit_code == 1
    assert snapshot(db_target) == before


def test_chinese_labels(cli, number):
    cli.ok("log", "add", number, "--type", "投诉", "停车位被占")
    out = cli.ok("--lang", "zh", "timeline", number).stdout
    assert "投诉" in out and "未解决" in out

"""Values that cannot be real yet are refused on every path (add --no-input, update, import), with one
line and exit 1, the database unchanged; odd-but-possible ones (a past follow-up) are only warned about."""
from __future__ import annotations

import datetime as _dt

import pytest

from tests.builders import set_args
from tests.helpers import snapshot

NEXT_YEAR = _dt.date.today().year + 1
REFUSED = [  # template, field, value, reason
    ("individual", "birth_date", f"{NEXT_YEAR}-01-01", "is in the future"),
    ("enterprise", "founded_date", f"{NEXT_YEAR}-06-30", "is in the future"),
    ("individual", "children_count", "-2", "must be at least 0"),
    ("individual", "household_size", "0", "must be at least 1"),
    ("individual", "graduation_year", "1800", "must be at least 1930"),
    ("individual", "graduation_year", str(NEXT_YEAR + 20), f"must be at most {NEXT_YEAR + 9}"),
    ("enterprise", "employees", "-5", "must be at least 0"),
    ("enterprise", "annual_revenue", "-1万", "must be at least 0"),
    ("property-owner", "vehicle_count", "-1", "must be at least 0"),
]


BASE = {"individual": {"name": "样本客户", "phone": "13912345678"},
        "enterprise": {"name": "样本公司"},
        "property-owner": {"name": "样本业主", "phone": "13912345678", "room_number": "1-101"}}


@pytest.mark.parametrize("template, field, value, reason", REFUSED)
def test_implausible_values_are_refused_on_add_and_update(cli, db_target, template, field, value, reason):
    number = cli.add(BASE[template], "-t", template)
    before = snapshot(db_target)
    for args in (("add", "--no-input", "-t", template, *set_args(BASE[template]), "--set", f"{field}={value}"),
                 ("update", number, "--set", f"{field}={value}")):
        result = cli(*args)
        assert result.exit_code == 1, result.output
        assert f"{field}: {reason}" in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1
        assert snapshot(db_target) == before


def test_the_edges_are_accepted(cli):
    today = _dt.date.today()
    number = cli.add({**BASE["individual"], "birth_date": today.isoformat()}, "-t", "individual")
    cli.ok("update", number, "--set", "children_count=0", "--set", f"graduation_year={today.year + 10}",
           "--set", "graduation_year=1930")
    shown = cli.json("show", number)
    assert shown["birth_date"] == today.isoformat() and shown["children_count"] == 0


def test_import_refuses_the_row_naming_field_and_value(cli, tmp_path):
    path = tmp_path / "in.csv"
    path.write_text(f"姓名,手机,出生日期\n王一,13912345671,1990-01-01\n王二,13912345672,{NEXT_YEAR}-02-03\n",
                    encoding="utf-8")
    result = cli("import", str(path), "-t", "individual", "--json")
    assert result.exit_code == 1
    import json

    data = json.loads(result.stdout)
    assert data["inserted"] == 1
    [row] = data["rejected_rows"]
    assert (row["field"], row["value"], row["reason"]) == ("birth_date", f"{NEXT_YEAR}-02-03", "is in the future")


def test_zh_reason_is_chinese(cli):
    number = cli.add(BASE["individual"], "-t", "individual")
    result = cli("--lang", "zh", "update", number, "--set", f"birth_date={NEXT_YEAR}-01-01")
    assert result.exit_code == 1 and "不能晚于今天" in result.stderr


def test_timeline_entry_in_the_future_is_refused_a_past_follow_up_is_warned(cli, db_target):
    number = cli.add(BASE["individual"])
    before = snapshot(db_target)
    result = cli("log", "add", number, "--type", "call", "未来的电话", "--at", f"{NEXT_YEAR}-01-01 10:00")
    assert result.exit_code == 1 and "--at: is in the future" in result.stderr
    assert snapshot(db_target) == before
    past = (_dt.date.today() - _dt.timedelta(days=3)).isoformat()
    result = cli("log", "add", number, "--type", "call", "补记", "--at", past, "--follow-up", past)
    assert result.exit_code == 0 and f"follow-up date {past} has passed" in result.stderr

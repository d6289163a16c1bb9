"""export --format jsonl --reveal (and the default CSV file), then import --keep-numbers into an empty
database: the same archives."""
from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings, strategies as st

from tests.builders import credit_code, resident_id
from tests.helpers import Cli

VOLATILE = ("created_at", "updated_at", "created_by")
NAME_CHARS = "张王李赵钱孙周吴郑冯陈伟芳娜敏静强磊军洋勇艳杰涛明超秀英华"
# Free text comes back exactly: line breaks, tabs, full-width punctuation and compatibility
# characters (①, ㈱, full-width digits) are never normalised away.
TEXT = st.text(alphabet=NAME_CHARS + "abcXYZ 0123456789-=+@,;'\"\n\t（），。：１２３①㈱…　", min_size=1,
               max_size=20).filter(str.strip)


@st.composite
def card(draw, index):
    kind = draw(st.sampled_from(["individual", "enterprise", "hotel-guest"]))
    values = {"name": draw(st.text(alphabet=NAME_CHARS, min_size=2, max_size=6)),
              "phone": f"139{index:08d}", "category": draw(st.sampled_from(["A", "B", "C"]))}
    if kind == "enterprise":
        values["credit_code"] = credit_code(10_000 + index)
        values["registered_capital"] = draw(st.integers(0, 10 ** 9))
        values["contact_name"] = draw(st.none() | TEXT)
        values["employees"] = draw(st.none() | st.integers(0, 100_000))
    else:
        values["id_number"] = draw(st.none() | st.just(resident_id("19900101", seq=index)))
        values["annual_spend"] = draw(st.none() | st.decimals(0, 10 ** 6, places=2).map(str))
        if kind == "individual":
            values["hobbies"] = draw(st.none() | st.sampled_from(["travel", "tea,reading"]))
    values["notes"] = draw(st.none() | TEXT)
    values["email"] = draw(st.none() | st.sampled_from(["a@example.com", "b.c@qq.com"]))
    return kind, {key: value for key, value in values.items() if value is not None}


def archives(cli):
    rows = [json.loads(line) for line in cli.ok("export", "--format", "jsonl", "--reveal").stdout.splitlines()]
    return [{key: value for key, value in row.items() if key not in VOLATILE} for row in rows]


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(data=st.data())
def test_export_import_round_trip(tmp_path_factory, data):
    base = tmp_path_factory.mktemp("rt")
    source = Cli(str(base / "source.db"))
    count = data.draw(st.integers(1, 6))
    given = []
    for index in range(count):
        kind, values = data.draw(card(index))
        template = kind
        args = [f"{key}={value}" for key, value in values.items()]
        source.ok("add", "--no-input", "--template", template, *[part for a in args for part in ("--set", a)])
        given.append(values)
    expected = archives(source)
    by_phone = {row["phone"]: row for row in expected}
    for values in given:   # stored as typed: only the blank margins go
        stored = by_phone[values["phone"]]
        for key in ("notes", "contact_name"):
            if key in values:
                assert stored[key] == values[key].strip(), key
    dump = base / "dump.jsonl"
    source.ok("export", "--format", "jsonl", "--reveal", "-o", str(dump))
    target = Cli(str(base / "target.db"))
    result = target("import", str(dump), "--keep-numbers", "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["inserted"] == count
    assert archives(target) == expected
    # The default CSV file (long digits as ="…" for a spreadsheet) brings back the same archives too.
    sheet = base / "dump.csv"
    source.ok("export", "--reveal", "-o", str(sheet))
    from_csv = Cli(str(base / "from_csv.db"))
    result = from_csv("import", str(sheet), "--keep-numbers", "--json")
    assert result.exit_code == 0, result.stderr
    assert archives(from_csv) == expected
    again = Cli(str(base / "again.db"))
    result = again("import", str(dump), "--json")  # without --keep-numbers the numbers are refused, not invented
    assert result.exit_code == 1 and json.loads(result.stdout)["rejected"] == count

"""report through the CLI: the tables as JSON, terminal bar charts, and an Excel workbook with native charts."""
from __future__ import annotations

import json
import zipfile

import pytest

from tests.builders import company, person
from tests.helpers import db_exec


@pytest.fixture
def archive(cli, db_target):
    cli.add(person(name="甲", phone="13900000001", city="北京", province="北京", annual_spend="15万"), "--category", "A")
    cli.add(person(name="乙", phone="13900000002", city="上海", province="上海", annual_spend="3万"), "--category", "B")
    cli.add(person(name="丙", phone="13900000003", city="上海", province="上海"), "--category", "C")
    big = cli.add(company(name="华信科技", phone="010-62345671", industry="软件", city="北京", province="北京"),
                  "--category", "A")
    cli.ok("txn", "add", big, "--type", "order", "--amount", "50万", "--date", "2024-05-01")
    closed = cli.add(company(name="已关闭公司", phone="010-62345672", industry="物流"), "--category", "B")
    cli.ok("close", closed)
    db_exec(db_target, "UPDATE customers SET grade = 'AA' WHERE archive_no = :n", {"n": big})
    db_exec(db_target, "UPDATE customers SET created_at = '2025-12-03T10:00:00+08:00' WHERE name = '甲'")
    return big


def _rows(table):
    return {row["key"]: row for row in table}


def test_report_json_tables(cli, archive):
    data = cli.json("report", "--as-of", "2024-12-31")
    assert set(data) == {"by_category", "by_kind", "by_industry", "by_province", "by_city", "by_grade",
                         "spend_by_category", "new_per_month"}
    category = _rows(data["by_category"])
    assert category["A"]["count"] == 2 and category["B"]["count"] == 1 and category["C"]["count"] == 1
    assert category["A"]["share"] == 0.5
    assert _rows(data["by_kind"])["enterprise"]["count"] == 1
    assert _rows(data["by_industry"])["软件"]["count"] == 1 and _rows(data["by_industry"])[None]["count"] == 3
    assert [(r["key"], r["count"]) for r in data["by_city"]] == [("上海", 2), ("北京", 2)]
    assert _rows(data["by_grade"])["AA"]["count"] == 1 and _rows(data["by_grade"])[None]["count"] == 3
    spend = _rows(data["spend_by_category"])
    assert spend["A"]["spend"] == 650000 and spend["A"]["archives"] == 2 and spend["A"]["average"] == 325000
    assert spend["B"]["spend"] == 30000 and spend["C"]["spend"] == 0
    months = _rows(data["new_per_month"])
    assert months["2025-12"]["count"] == 1 and sum(r["count"] for r in data["new_per_month"]) == 4


def test_closed_archives_only_with_all(cli, archive):
    assert sum(r["count"] for r in cli.json("report", "--all")["by_category"]) == 5
    assert _rows(cli.json("report", "--all")["by_industry"])["物流"]["count"] == 1


def test_terminal_report_has_bar_charts(cli, archive):
    out = cli.ok("--lang", "zh", "report").stdout
    assert "按客户类别" in out and "每月新建档案" in out and "信用等级分布" in out
    assert "█" in out


def test_xlsx_has_the_tables_and_native_charts(cli, archive, tmp_path):
    path = tmp_path / "report.xlsx"
    result = cli.ok("report", "--xlsx", str(path))
    assert result.stdout == ""
    from openpyxl import load_workbook

    book = load_workbook(path)
    assert book.sheetnames == ["by_category", "by_kind", "by_industry", "by_province", "by_city", "by_grade",
                               "spend_by_category", "new_per_month"]
    sheet = book["by_category"]
    assert sheet["A3"].value == "Item" and sheet["B4"].value == 2
    with zipfile.ZipFile(path) as archive_zip:
        charts = [name for name in archive_zip.namelist() if name.startswith("xl/charts/chart")]
        kinds = "".join(archive_zip.read(name).decode() for name in charts)
    assert len(charts) == 8
    assert "<c:barChart>" in kinds and "<c:pieChart>" in kinds and "<c:lineChart>" in kinds


def test_xlsx_to_an_unwritable_place(cli, archive, tmp_path):
    result = cli("report", "--xlsx", str(tmp_path / "no" / "such" / "dir" / "r.xlsx"))
    assert result.exit_code == 1 and "--xlsx" in result.stderr and "Traceback" not in result.stderr


def test_report_json_on_an_empty_archive(cli):
    cli.add(person())
    data = json.loads(cli.ok("report", "--json").stdout)
    assert data["by_grade"][0]["key"] is None and data["spend_by_category"][0]["spend"] == 0

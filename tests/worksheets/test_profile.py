"""The key-customer profile (大客户分析) through the CLI: --set, --json, panels, export, history."""
from __future__ import annotations

import json

import pytest

from tests.builders import company
from tests.helpers import snapshot

MISSION = "OK 保险公司希望为它的客户提供各种各样的保险产品,提供一站式购物保险和该市场领域最好的服务"


def ok_archive(cli) -> str:
    return cli.add(company(name="OK保险公司", industry="保险"), "--category", "A")


def fill(cli, ref: str) -> None:
    cli.ok("profile", ref, "--set", "products=人寿保险、养老保险、财产保险",
           "--set", "1.1.2 企业=大企业联合的一部分;官僚传统;总部和一些地区办事处",
           "--set", f"任务={MISSION}", "--set", "annual_goals=开发人寿保险/养老保险产品;向市场宣传产品",
           "--set", "expected_revenue=1.2亿", "--set", "预期利润=¥1,500,000", "--set", "relationship=直接联系人")


def test_set_and_json(cli):
    ref = ok_archive(cli)
    fill(cli, ref)
    sheet = cli.json("profile", ref)
    profile = sheet["profile"]
    assert profile["mission"] == MISSION and profile["organisation"].startswith("大企业联合")
    assert profile["expected_revenue"] == 120000000 and profile["expected_profit"] == 1500000
    assert profile["success_factors"] is None
    sections = [section["id"] for section in sheet["sections"]]
    assert sections == ["company", "financial", "strategy", "relationship"]
    assert cli.json("profile", ref, "show") == sheet


def test_panels_follow_the_seed_sections(cli):
    ref = ok_archive(cli)
    fill(cli, ref)
    out = cli.ok("--lang", "zh", "profile", ref).stdout
    for label in ("1.1 客户所在企业", "1.1.1 产品与业务", "1.1.3 任务", "1.1.4 本年度目标", "1.2.1 预期营业额",
                  "120,000,000.00", "1.4 客户公司策略", "1.5 我们与客户的关系", "直接联系人"):
        assert label in out, label


def test_unset_and_history(cli):
    ref = ok_archive(cli)
    fill(cli, ref)
    cli.ok("profile", ref, "--unset", "relationship", "--set", "expected_profit=200万", "--reason", "年报更新")
    profile = cli.json("profile", ref)["profile"]
    assert profile["relationship"] is None and profile["expected_profit"] == 2000000
    log = json.loads(cli.ok("history", ref, "--json").stdout)["changes"]
    entries = [(e["action"], e["field"], e["old"], e["new"]) for e in log if e["action"] == "profile_set"]
    assert ("profile_set", "mission", None, MISSION) in entries
    assert ("profile_set", "relationship", "直接联系人", None) in entries
    assert ("profile_set", "expected_profit", "1500000", "2000000") in entries
    assert next(e for e in log if e["field"] == "relationship" and e["new"] is None)["reason"] == "年报更新"


def test_setting_the_same_value_logs_nothing(cli):
    ref = ok_archive(cli)
    fill(cli, ref)
    before = len(json.loads(cli.ok("history", ref, "--json").stdout)["changes"])
    result = cli.ok("profile", ref, "--set", f"mission={MISSION}")
    assert "nothing changed" in result.stderr
    assert len(json.loads(cli.ok("history", ref, "--json").stdout)["changes"]) == before


@pytest.mark.parametrize("args,code,message", [
    (("--set", "favourite_colour=blue"), 1, "favourite_colour"),
    (("--set", "expected_revenue=lots"), 1, "expected_revenue"),
    (("--set", "mission"), 2, "FIELD=VALUE"),
    (("--unset", "nonsense"), 1, "nonsense"),
    (("frobnicate",), 2, "frobnicate"),
    (("edit",), 2, "terminal"),
    (("export", "--set", "mission=x"), 2, "--set"),
    (("show", "-o", "x.md"), 2, "export"),
    (("export", "-o", "out.docx"), 2, "format"),
    (("export", "--format", "xlsx"), 2, "XLSX"),
])
def test_bad_input_is_refused_and_changes_nothing(cli, db_target, args, code, message):
    ref = ok_archive(cli)
    fill(cli, ref)
    before = snapshot(db_target)
    result = cli("profile", ref, *args)
    assert result.exit_code == code, (args, result.stdout, result.stderr)
    assert message in result.stderr and "Traceback" not in result.stderr
    assert snapshot(db_target) == before


def test_export_markdown_joins_indices_and_swot(cli, tmp_path):
    ref = ok_archive(cli)
    fill(cli, ref)
    cli.ok("swot", ref, "compete", "add", "X")
    cli.ok("swot", ref, "compete", "index", "self", "market_share=15")
    cli.ok("swot", ref, "compete", "index", "X", "market_share=35")
    cli.ok("swot", ref, "add", "O", "由政府提供的社会福利/养老金情况恶化", "-i", "5", "-p", "4",
           "-m", "人们要自己考虑年老的问题")
    target = tmp_path / "profile.md"
    cli.ok("--lang", "zh", "profile", ref, "export", "-o", str(target))
    text = target.read_text(encoding="utf-8")
    assert text.startswith("# 大客户分析 — ")
    assert f"| 1.1 客户所在企业 | 1.1.3 任务 | {MISSION} |" in text
    assert "| 1.2 客户财务业绩 | 1.2.1 预期营业额 | 120000000 |" in text
    assert "| 市场占有率 (%) | 15 | 35 |" in text
    assert "O1 [5/4] 由政府提供的社会福利/养老金情况恶化<br>  这意味着:人们要自己考虑年老的问题" in text
    assert cli.ok("profile", ref, "export").stdout.startswith("# Key-customer analysis — ")


def test_export_xlsx(cli, tmp_path):
    import openpyxl

    ref = ok_archive(cli)
    fill(cli, ref)
    target = tmp_path / "profile.xlsx"
    cli.ok("profile", ref, "export", "-o", str(target))
    book = openpyxl.load_workbook(target)
    assert book.sheetnames == ["Profile", "1.1.5 Indices", "1.3 SWOT"]
    rows = [row for row in book["Profile"].iter_rows(values_only=True)]
    assert ("1.1 The customer's company", "1.1.3 Mission", MISSION) in rows
    assert ("1.2 The customer's financial performance", "1.2.1 Expected revenue", 120000000) in rows


def test_viewer_may_read_but_not_write(cli, db_target):
    ref = ok_archive(cli)
    fill(cli, ref)
    cli.ok("--as", "boss", "user", "add", "tester", "--role", "viewer")
    before = snapshot(db_target)
    assert cli.json("profile", ref)["profile"]["mission"] == MISSION
    result = cli("profile", ref, "--set", "mission=改")
    assert result.exit_code == 1 and "may not update" in result.stderr
    assert snapshot(db_target) == before

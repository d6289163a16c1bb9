"""Financial statements per period and ratio analysis, through the CLI (finance add / finance show)."""
from __future__ import annotations

import json

import pytest

from tests.builders import company
from tests.helpers import snapshot


@pytest.fixture
def firm(cli) -> str:
    return cli.add(company())


def _ratio(data: dict, name: str, period: str) -> dict:
    return next(r for r in data["ratios"] if r["name"] == name)["periods"][period]


def test_amount_forms_and_ratios_by_hand(cli, firm):
    cli.ok("finance", "add", firm, "--period", "2024", "--set", "revenue=1000万", "--set", "net_profit=50万",
           "--set", "total_assets=2,000万", "--set", "total_liabilities=1100万", "--set", "equity=900万",
           "--set", "current_assets=800万", "--set", "current_liabilities=500万", "--set", "inventory=200万",
           "--set", "accounts_receivable=250万", "--set", "cost_of_sales=700万")
    cli.ok("finance", "add", firm, "--period", "2025", "--set", "revenue=12,000,000.00", "--set", "净利润=¥960000",
           "--set", "total assets=24000000", "--set", "total_liabilities=12000000", "--set", "equity=12000000",
           "--set", "current_assets=9000000", "--set", "current_liabilities=4500000", "--set", "inventory=1800000",
           "--set", "interest_expense=240000", "--set", "operating_cash_flow=1,200.50")
    data = cli.json("finance", "show", firm)
    assert data["periods"] == ["2024", "2025"]
    assert data["statements"]["2024"]["revenue"] == 10_000_000
    assert data["statements"]["2025"]["operating_cash_flow"] == 1200.5
    assert data["statements"]["2025"]["accounts_receivable"] is None      # not reported, not zero
    # 2024: current 8,000,000 / 5,000,000 = 1.6; quick (8,000,000 - 2,000,000) / 5,000,000 = 1.2
    assert _ratio(data, "current_ratio", "2024")["value"] == 1.6
    assert _ratio(data, "quick_ratio", "2024")["value"] == 1.2
    # debt-to-asset 11,000,000 / 20,000,000 = 0.55 then 12,000,000 / 24,000,000 = 0.5: trend down
    assert _ratio(data, "debt_to_asset", "2025")["value"] == 0.5
    assert next(r for r in data["ratios"] if r["name"] == "debt_to_asset")["trend"] == "down"
    assert _ratio(data, "debt_to_asset", "2025")["change"] == -0.05
    # net margin 960,000 / 12,000,000 = 0.08; ROA 960,000 / 24,000,000 = 0.04; ROE 960,000 / 12,000,000 = 0.08
    assert _ratio(data, "net_margin", "2025")["value"] == 0.08
    assert _ratio(data, "roa", "2025")["value"] == 0.04
    assert _ratio(data, "roe", "2025")["value"] == 0.08
    # interest coverage (960,000 + 240,000) / 240,000 = 5
    assert _ratio(data, "interest_coverage", "2025")["value"] == 5
    # receivable turnover 2024: 10,000,000 / 2,500,000 = 4; gross margin (10,000,000 - 7,000,000) / 10,000,000 = 0.3
    assert _ratio(data, "receivable_turnover", "2024")["value"] == 4
    assert _ratio(data, "gross_margin", "2024")["value"] == 0.3
    # revenue growth (12,000,000 - 10,000,000) / 10,000,000 = 0.2; first period has no previous one
    assert _ratio(data, "revenue_growth", "2025")["value"] == 0.2
    assert "no previous period" in _ratio(data, "revenue_growth", "2024")["reason"]
    # operating cash-flow ratio 1,200.50 / 4,500,000 = 0.000266... → 0.0003 (4 places)
    assert _ratio(data, "operating_cash_flow_ratio", "2025")["value"] == 0.0003
    assert "current_ratio" in {r["name"] for r in data["ratios"]}
    assert all(r["formula"] for r in data["ratios"])


def test_zero_and_negative_denominators_are_not_computable(cli, firm):
    cli.ok("finance", "add", firm, "--period", "2024", "--set", "revenue=0", "--set", "net_profit=-10万")
    cli.ok("finance", "add", firm, "--period", "2025", "--set", "revenue=100万", "--set", "net_profit=-20万",
           "--set", "equity=-50万", "--set", "current_assets=30万", "--set", "current_liabilities=0",
           "--set", "total_assets=0", "--set", "interest_expense=0", "--set", "operating_cash_flow=-5万")
    result = cli.ok("finance", "show", firm, "--json")
    assert "Infinity" not in result.stdout and "NaN" not in result.stdout
    data = json.loads(result.stdout)
    cases = {"current_ratio": "current liabilities is zero", "roe": "equity is negative",
             "roa": "total assets is zero", "debt_to_asset": "missing total liabilities",
             "interest_coverage": "interest expense is zero", "revenue_growth": "previous period revenue is zero",
             "operating_cash_flow_ratio": "current liabilities is zero"}
    for name, reason in cases.items():
        item = _ratio(data, name, "2025")
        assert item["value"] is None and reason in item["reason"], (name, item)
    assert _ratio(data, "net_margin", "2025")["value"] == -0.2            # -200,000 / 1,000,000
    assert _ratio(data, "net_margin", "2024")["value"] is None            # revenue 0
    human = cli.ok("finance", "show", firm).stdout
    assert "—" in human and "2025" in human and "current ratio" in human


def test_readding_a_period_updates_it_and_is_logged(cli, firm):
    cli.ok("finance", "add", firm, "--period", "2025", "--set", "revenue=100万", "--set", "net_profit=5万")
    out = json.loads(cli.ok("finance", "add", firm, "--period", "2025", "--set", "revenue=120万",
                            "--set", "net_profit=5万", "--reason", "audited figures", "--json").stdout)
    assert out == {"archive_no": firm, "period": "2025", "created": False,
                   "changes": [{"line": "revenue", "old": 1_000_000, "new": 1_200_000}]}
    data = cli.json("finance", "show", firm)
    assert data["periods"] == ["2025"] and data["statements"]["2025"]["revenue"] == 1_200_000
    assert data["statements"]["2025"]["net_profit"] == 50_000
    cli.ok("finance", "add", firm, "--period", "2025", "--unset", "net_profit")
    assert cli.json("finance", "show", firm)["statements"]["2025"]["net_profit"] is None
    log = [e for e in cli.json("history", firm)["changes"] if e["action"] == "finance"]
    assert [(e["field"], e["old"], e["new"]) for e in log] == [
        ("finance.2025.revenue", None, "1000000"), ("finance.2025.net_profit", None, "50000"),
        ("finance.2025.revenue", "1000000", "1200000"), ("finance.2025.net_profit", "50000", None)]
    assert log[2]["reason"] == "audited figures"


def test_period_forms_are_normalised(cli, firm):
    cli.ok("finance", "add", firm, "--period", "2025q1", "--set", "revenue=10万")
    cli.ok("finance", "add", firm, "--period", "2025-Q2", "--set", "revenue=12万")
    data = cli.json("finance", "show", firm)
    assert data["periods"] == ["2025-Q1", "2025-Q2"]
    assert _ratio(data, "revenue_growth", "2025-Q2")["value"] == 0.2


@pytest.mark.parametrize("args, code, word", [
    (["--period", "2025", "--set", "turnover=5"], 1, "turnover"),
    (["--period", "2025", "--set", "revenue=-5"], 1, "revenue"),
    (["--period", "2025", "--set", "revenue=abc"], 1, "revenue"),
    (["--period", "25", "--set", "revenue=5"], 1, "period"),
    (["--period", "2025-13", "--set", "revenue=5"], 1, "month"),
    (["--period", "2025-Q1", "--set", "revenue=5"], 1, "mixing"),
    (["--period", "2023", "--unset", "revenue"], 1, "at least one line"),
    (["--period", "2025"], 2, "nothing to record"),
    (["--set", "revenue=5"], 2, "period"),
])
def test_bad_input_changes_nothing(cli, firm, db_target, args, code, word):
    cli.ok("finance", "add", firm, "--period", "2024", "--set", "revenue=5")
    before = snapshot(db_target)
    result = cli("finance", "add", firm, *args)
    assert result.exit_code == code, result.output
    assert word in result.stderr and "Traceback" not in result.stderr
    assert snapshot(db_target) == before


def test_show_without_statements_and_unknown_archive(cli, firm):
    data = cli.json("finance", "show", firm)
    assert data["periods"] == [] and data["statements"] == {}
    assert all(r["periods"] == {} for r in data["ratios"])
    assert cli("finance", "show", "X-0000-99999").exit_code == 1


def test_finance_add_needs_update_permission(cli, firm, db_target):
    cli.ok("--as", "boss", "user", "add", "tester", "--role", "viewer")
    before = snapshot(db_target)
    result = cli("finance", "add", firm, "--period", "2025", "--set", "revenue=5")
    assert result.exit_code == 1 and "may not update" in result.stderr
    assert snapshot(db_target) == before

"""ABC classification through the CLI: thresholds, Pareto shares, spend source, logging, dry run."""
from __future__ import annotations

import pytest

from tests.builders import person
from tests.helpers import snapshot


def _settings(tmp_path, body: str) -> None:
    (tmp_path / "config").mkdir(exist_ok=True)
    (tmp_path / "config" / "settings.toml").write_text(body, encoding="utf-8")


@pytest.fixture
def archive(cli):
    """Four customers by card spend (no transactions): 15万, 5万, 8千, and one with no figure."""
    return {
        "big": cli.add(person(name="大客户", phone="13900000001", annual_spend="15万")),
        "mid": cli.add(person(name="单位客户", phone="13900000002", annual_spend="50000")),
        "small": cli.add(person(name="散客", phone="13900000003", annual_spend="8000"), "--category", "A"),
        "unknown": cli.add(person(name="新客户", phone="13900000004"), "--category", "B"),
    }


def _category(cli, ref):
    return cli.json("show", ref)["category"]


def test_amount_thresholds_and_numbers_never_change(cli, archive):
    result = cli.json("classify")
    assert {c["archive_no"]: c["new"] for c in result["changes"]} == {archive["big"]: "A", archive["mid"]: "B",
                                                                     archive["small"]: "C"}
    assert _category(cli, archive["big"]) == "A" and _category(cli, archive["small"]) == "C"
    assert _category(cli, archive["unknown"]) == "B"
    assert [s["archive_no"] for s in result["skipped"]] == [archive["unknown"]]
    assert cli.json("show", archive["big"])["archive_no"] == archive["big"]
    assert archive["big"].startswith("C-") and archive["small"].startswith("A-")


def test_every_change_is_logged_with_source_classify(cli, archive):
    cli.ok("classify")
    entries = [e for e in cli.json("history", archive["mid"])["changes"] if e["field"] == "category"]
    assert len(entries) == 1
    assert (entries[0]["old"], entries[0]["new"], entries[0]["source"]) == ("C", "B", "classify")
    second = cli.json("classify")
    assert second["changes"] == []


def test_dry_run_changes_nothing(cli, archive, db_target):
    before = snapshot(db_target)
    result = cli.json("classify", "--dry-run")
    assert result["dry_run"] and len(result["changes"]) == 3
    assert snapshot(db_target) == before
    assert "C-" in cli.ok("classify", "--dry-run").stdout


def test_thresholds_come_from_settings(cli, archive, tmp_path):
    _settings(tmp_path, "[classify.amount]\nA = 200000\nB = 5000\n")
    result = cli.json("classify", "--dry-run")
    assert {c["archive_no"]: c["new"] for c in result["results"]} == {archive["big"]: "B", archive["mid"]: "B",
                                                                     archive["small"]: "B"}


def test_pareto_shares(cli, tmp_path):
    spends = [70000, 15000, 8000, 4000, 2000, 1000]
    numbers = [cli.add(person(name=f"客户{n}", phone=f"1390000001{n}", annual_spend=str(s)))
               for n, s in enumerate(spends)]
    result = cli.json("classify", "--method", "share", "--dry-run")
    got = {r["archive_no"]: r["new"] for r in result["results"]}
    # cumulative share before each: 0, .70, .85, .93, .97, .99 → A while < .80, B while < .95
    assert [got[n] for n in numbers] == ["A", "A", "B", "B", "C", "C"]
    _settings(tmp_path, '[classify]\nmethod = "share"\n[classify.share]\nA = 0.5\nB = 0.9\n')
    got = {r["archive_no"]: r["new"] for r in cli.json("classify", "--dry-run")["results"]}
    assert [got[n] for n in numbers] == ["A", "B", "B", "C", "C", "C"]


def test_transactions_of_the_last_12_months_beat_the_card(cli, archive):
    cli.ok("txn", "add", archive["small"], "--type", "order", "--amount", "12万", "--date", "2024-03-01")
    cli.ok("txn", "add", archive["big"], "--type", "order", "--amount", "100", "--date", "2022-03-01")
    result = cli.json("classify", "--as-of", "2024-06-30")
    rows = {r["archive_no"]: r for r in result["results"]}
    assert rows[archive["small"]]["spend"] == 120000 and rows[archive["small"]]["spend_source"] == "transactions"
    assert rows[archive["small"]]["new"] == "A"
    assert rows[archive["big"]]["spend"] == 0 and rows[archive["big"]]["new"] == "C"
    assert rows[archive["mid"]]["spend_source"] == "card"


def test_user_categories_are_left_alone(cli):
    cli.ok("category", "add", "P", "--name", "业主")
    owner = cli.add(person(name="业主甲", annual_spend="50万"), "--category", "P")
    result = cli.json("classify")
    assert owner not in {r["archive_no"] for r in result["results"]}
    assert _category(cli, owner) == "P"


@pytest.mark.parametrize("body", [
    '[classify]\nmethod = "magic"\n',
    "[classify.amount]\nA = 100\nB = 5000\n",
    "[classify.amount]\nA = 100\n",
    "[classify.share]\nA = 0.9\nB = 0.5\n",
])
def test_bad_configuration_is_refused(cli, archive, tmp_path, db_target, body):
    _settings(tmp_path, body + ('[classify]\nmethod = "share"\n' if "share" in body and "method" not in body else ""))
    before = snapshot(db_target)
    result = cli("classify")
    assert result.exit_code == 1 and "classify" in result.stderr and "Traceback" not in result.stderr
    assert snapshot(db_target) == before


def test_bad_method_option(cli, archive):
    result = cli("classify", "--method", "magic")
    assert result.exit_code == 1 and "--method" in result.stderr

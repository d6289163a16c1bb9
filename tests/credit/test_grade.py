"""Credit evaluation through the CLI: grade, --history, --all, --export-scorecard, saved assessments."""
from __future__ import annotations

import importlib
import os
import sys

import pexpect
import pytest

from custarchive.scoring import builtin_scorecard_text, parse_scorecard
from tests.builders import SCORECARD_ANCHORS as ANCHORS, company, person
from tests.helpers import ROOT, snapshot


# finance 40 (current_ratio), pay 40 (on_time_rate 50 + longest_delay_days 50), trust 20 (one question)
CARD = """format = 1
name = "mini"
label_zh = "小卡"
label_en = "Mini card"

[[factors]]
name = "finance"
label_zh = "财务"
label_en = "Finance"
weight = 40

[[factors.indicators]]
name = "current_ratio"
type = "quantitative"
weight = 100
table = [ { at = 2, score = 100 }, { at = CR_AT, score = CR_SCORE } ]

[[factors]]
name = "pay"
label_zh = "付款"
label_en = "Payment"
weight = 40

[[factors.indicators]]
name = "on_time_rate"
type = "quantitative"
weight = 50
table = [ { at = 0.95, score = 100 }, { at = 0.80, score = 60 } ]
otherwise = 10

[[factors.indicators]]
name = "longest_delay_days"
type = "quantitative"
weight = 50
better = "lower"
table = [ { at = 0, score = 100 }, { at = 30, score = 50 } ]

[[factors]]
name = "trust"
label_zh = "诚信"
label_en = "Trust"
weight = 20

[[factors.indicators]]
name = "integrity"
type = "qualitative"
weight = 100
label_zh = "诚信"
label_en = "Integrity"
question_zh = "诚信如何？"
question_en = "How trustworthy is the customer?"
ANCHORS
"""


def write_card(tmp_path, name="mini.toml", cr_at="1", cr_score="50") -> str:
    path = tmp_path / name
    path.write_text(CARD.replace("CR_AT", cr_at).replace("CR_SCORE", cr_score).replace("ANCHORS", ANCHORS),
                    encoding="utf-8")
    return str(path)


@pytest.fixture
def firm(cli) -> str:
    number = cli.add(company(credit_limit="10万"))
    # current ratio 1,500,000 / 1,000,000 = 1.5
    cli.ok("finance", "add", number, "--period", "2025", "--set", "current_assets=150万",
           "--set", "current_liabilities=100万")
    return number


PAY = ("--input", "on_time_rate=0.9", "--input", "longest_delay_days=0")


def test_hand_computed_score_grade_and_limit(cli, firm, tmp_path):
    card = write_card(tmp_path)
    result = cli.json("grade", firm, "--model", card, *PAY, "--score", "integrity=4", "--dry-run")
    # finance: current ratio 1.5 ≥ 1 → 50
    # pay: on_time 0.9 ≥ 0.80 → 60, longest delay 0 ≤ 0 → 100; 0.5×60 + 0.5×100 = 80
    # trust: answer 4 → 75
    # total 0.4×50 + 0.4×80 + 0.2×75 = 20 + 32 + 15 = 67 → BBB (≥ 60)
    assert result["archive_no"] == firm and result["model"] == "mini"
    assert result["score"] == 67 and result["grade"] == "BBB"
    assert [(f["name"], f["weight"], f["score"]) for f in result["factors"]] == [
        ("finance", 40, 50), ("pay", 40, 80), ("trust", 20, 75)]
    # limit (mini has no [limit]: limit.toml's bases): no equity; working capital 1,500,000 - 1,000,000
    # = 500,000 × 0.20 = 100,000 × BBB multiplier 1.0 = 100,000; the current limit 100,000 only compared
    assert result["recommended_credit_limit"] == 100_000
    assert result["credit_limit"]["base_source"] == "working_capital" and result["credit_limit"]["change"] == 0
    assert result["partial"] is False and result["missing"] == []
    pay = result["factors"][1]["indicators"]
    assert pay[0]["value"] == 0.9 and pay[0]["contribution"] == 12       # 40% × 50% × 60
    assert "1,500,000" in result["factors"][0]["indicators"][0]["evidence"]
    assert "2025" in result["factors"][0]["indicators"][0]["evidence"]


def test_unanswered_question_is_missing_not_zero(cli, firm, tmp_path):
    card = write_card(tmp_path)
    result = cli.json("grade", firm, "--model", card, *PAY, "--no-input", "--dry-run")
    # trust has no data: its 20 goes to finance and pay in proportion 40:40 → 0.5×50 + 0.5×80 = 65 → BBB
    assert result["score"] == 65 and result["grade"] == "BBB"
    assert result["missing"] == ["trust.integrity"] and result["partial"] is False   # 20% missing ≤ 30%
    trust = result["factors"][2]
    assert trust["missing"] is True and trust["score"] is None
    # also no on-time rate: missing 20 + 40×50% = 40% > 30% → partial
    # finance 50, pay = longest delay alone 100: 0.5×50 + 0.5×100 = 75 → A, but the A multiplier 1.15 is
    # capped at 1.0 for a partial result: working capital 500,000 × 0.20 × 1.0 = 100,000
    result = cli.json("grade", firm, "--model", card, "--input", "longest_delay_days=0", "--dry-run")
    assert result["score"] == 75 and result["grade"] == "A" and result["partial"] is True
    assert result["missing_share"] == 40
    assert result["recommended_credit_limit"] == 100_000
    human = cli.ok("grade", firm, "--model", card, "--input", "longest_delay_days=0", "--dry-run").stdout
    assert "missing" in human and "capped" in human and "nothing saved" in human


def test_edited_scorecard_changes_the_result(cli, firm, tmp_path):
    base = cli.json("grade", firm, "--model", write_card(tmp_path), *PAY, "--score", "trust=4", "--dry-run")
    edited = cli.json("grade", firm, "--model", write_card(tmp_path, "edited.toml", "1.5", "90"), *PAY,
                      "--score", "trust=4", "--dry-run")
    # current ratio 1.5 now scores 90: 0.4×90 + 32 + 15 = 83 → AA; limit 500,000 × 0.20 × 1.3 = 130,000
    assert base["score"] == 67 and edited["score"] == 83 and edited["grade"] == "AA"
    assert edited["recommended_credit_limit"] == 130_000
    assert base["scorecard"]["sha256"] != edited["scorecard"]["sha256"]


def test_saving_history_change_log_and_apply_limit(cli, firm, tmp_path, db_target):
    card = write_card(tmp_path)
    first = cli.json("grade", firm, "--model", card, *PAY, "--score", "integrity=4")
    assert first["saved"] is True and first["previous"] is None
    assert first["card_changes"] == {"grade": {"old": None, "new": "BBB"}}
    assert cli.json("show", firm)["grade"] == "BBB"
    assert cli.json("show", firm)["credit_limit"] == 100_000                # unchanged without --apply-limit
    second = cli.json("grade", firm, "--model", write_card(tmp_path, "edited.toml", "1.5", "90"), *PAY,
                      "--score", "integrity=4", "--apply-limit")
    assert second["previous"]["grade"] == "BBB" and second["previous"]["score_change"] == 16   # 83 - 67
    assert second["card_changes"] == {"grade": {"old": "BBB", "new": "AA"},
                                      "credit_limit": {"old": 100_000, "new": 130_000}}
    shown = cli.json("show", firm)
    assert shown["grade"] == "AA" and shown["credit_limit"] == 130_000
    history = cli.json("grade", firm, "--history")["assessments"]
    assert [(h["model"], h["score"], h["grade"], h["recommended_credit_limit"]) for h in history] == [
        ("mini", 67, "BBB", 100_000), ("mini", 83, "AA", 130_000)]
    assert history[0]["operator"] == "tester" and len(history[0]["scorecard_sha256"]) == 64
    assert history[0]["scorecard_sha256"] != history[1]["scorecard_sha256"]
    assert history[0]["inputs"]["answers"] == {"integrity": 4}
    assert history[0]["inputs"]["measures"]["on_time_rate"]["value"] == 0.9
    assert history[0]["inputs"]["measures"]["current_ratio"]["value"] == 1.5
    assert history[0]["result"]["grade"] == "BBB"
    log = [(e["action"], e["field"], e["old"], e["new"]) for e in cli.json("history", firm)["changes"]
           if e["action"] == "grade"]
    assert log == [("grade", "grade", None, "BBB"), ("grade", "grade", "BBB", "AA"),
                   ("grade", "credit_limit", "100000", "130000")]
    assert "2 assessment(s)" in cli.ok("grade", firm, "--history").stdout
    # the grade is protected from ordinary updates
    assert cli("update", firm, "--set", "grade=AAA").exit_code == 1


def test_dry_run_saves_nothing(cli, firm, tmp_path, db_target):
    before = snapshot(db_target)
    cli.ok("grade", firm, "--model", write_card(tmp_path), *PAY, "--score", "integrity=5", "--dry-run",
           "--apply-limit")
    cli.ok("grade", firm, "--model", write_card(tmp_path), *PAY, "--dry-run", "--json")
    assert snapshot(db_target) == before


def test_contract_json_with_builtin_models_and_defaults(cli):
    firm = cli.add(company(registered_capital="600万"))
    result = cli.json("grade", firm, "--score", "operator_quality=4", "--dry-run")
    assert result["model"] == "enterprise"                              # default for enterprises
    for key in ("archive_no", "model", "score", "grade", "factors", "recommended_credit_limit", "partial",
                "missing", "rated", "coverage", "to_collect"):
        assert key in result
    assert all({"name", "weight", "score"} <= set(f) for f in result["factors"])
    # no payment history: 履约情况 (25%) has no data, so no grade and no limit
    assert result["rated"] is False and result["grade"] == "NR" and result["recommended_credit_limit"] is None
    individual = cli.add(person(annual_spend="8万"))
    result = cli.json("grade", individual, "--score", "character=4", "--score", "capacity=4",
                      "--score", "collateral=3", "--score", "condition=3", "--input", "on_time_rate=0.95",
                      "--input", "debt_to_asset=0.3", "--input", "current_ratio=1.5", "--dry-run")
    assert result["model"] == "5c" and result["rated"] is True          # default for individuals
    # 5c with only annual spend known: monthly purchases 80,000 / 12 × 30 days of terms / 30 = 6,666.67
    assert "monthly purchases = annual spend 80,000 / 12 = 6,666.67" in result["credit_limit"]["why_en"]
    refused = cli("grade", individual, "--model", "enterprise", "--score", "operator_quality=4", "--dry-run")
    assert refused.exit_code == 1 and "enterprise" in refused.stderr


def test_export_scorecard_round_trip(cli, firm, tmp_path):
    text = cli.ok("grade", "--export-scorecard", "5c").stdout
    assert text == builtin_scorecard_text("5c")
    path = tmp_path / "mine.toml"
    path.write_text(text, encoding="utf-8")
    mine = cli.json("grade", firm, "--model", str(path), *PAY, "--score", "character=3", "--dry-run")
    builtin = cli.json("grade", firm, "--model", "5c", *PAY, "--score", "character=3", "--dry-run")
    assert mine["score"] == builtin["score"] and mine["scorecard"]["sha256"] == builtin["scorecard"]["sha256"]
    assert parse_scorecard(text.encode(), "x").name == "5c"
    assert cli("grade", "--export-scorecard", "nosuch").exit_code == 1


def test_bad_inputs_are_refused_and_change_nothing(cli, firm, tmp_path, db_target):
    card = write_card(tmp_path)
    broken = tmp_path / "broken.toml"
    broken.write_text(CARD.replace("CR_AT", "1").replace("CR_SCORE", "50").replace("ANCHORS", ANCHORS)
                      .replace("weight = 40\n\n[[factors.indicators]]\nname = \"current_ratio\"",
                               "weight = 45\n\n[[factors.indicators]]\nname = \"current_ratio\""), encoding="utf-8")
    cli.ok("grade", firm, "--model", card, *PAY, "--score", "integrity=4")
    before = snapshot(db_target)
    cases = [
        (["--model", "nosuch"], 1, "nosuch"),
        (["--model", str(broken)], 1, "broken.toml"),
        (["--model", card, "--score", "integrity=6"], 1, "1 to 5"),
        (["--model", card, "--score", "integrity=0"], 1, "1 to 5"),
        (["--model", card, "--score", "nosuch=3"], 1, "nosuch"),
        (["--model", card, "--score", "current_ratio=3"], 1, "measured indicator"),
        (["--model", card, "--input", "nosuch=1"], 1, "nosuch"),
        (["--model", card, "--input", "on_time_rate=95"], 1, "fraction"),
        (["--model", card, "--input", "on_time_rate=abc"], 1, "on_time_rate"),
        (["--model", card, "--score", "integrity"], 2, "--score"),
    ]
    for args, code, word in cases:
        result = cli("grade", firm, *args)
        assert result.exit_code == code, (args, result.output)
        assert word in result.stderr and "Traceback" not in result.stderr, (args, result.stderr)
    assert "weights sum to 105" in cli("grade", firm, "--model", str(broken)).stderr
    assert snapshot(db_target) == before


@pytest.mark.parametrize("args", [
    [],
    ["REF", "--all"],
    ["--all", "--history"],
    ["--history"],
    ["--export-scorecard", "5c", "REF"],
    ["--export-scorecard", "5c", "--all"],
    ["REF", "--category", "A"],
    ["--all", "--score", "trust=3"],
    ["REF", "--history", "--score", "trust=3"],
])
def test_bad_combinations_are_usage_errors(cli, firm, args, db_target):
    before = snapshot(db_target)
    result = cli("grade", *[firm if a == "REF" else a for a in args])
    assert result.exit_code == 2, (args, result.output)
    assert snapshot(db_target) == before


def _paid_on_time(cli, number: str) -> None:
    """One order due 30 days ago, paid 40 days ago: on-time rate 100%, longest delay 0."""
    import datetime

    day = datetime.date.today()
    cli.ok("txn", "add", number, "--type", "order", "--amount", "1000",
           "--date", (day - datetime.timedelta(days=60)).isoformat(),
           "--due", (day - datetime.timedelta(days=30)).isoformat())
    cli.ok("txn", "add", number, "--type", "payment", "--amount", "1000",
           "--date", (day - datetime.timedelta(days=40)).isoformat())


def test_grade_all_distribution_and_moved(cli, tmp_path, db_target):
    card = write_card(tmp_path)
    firms = []
    for n, (assets, answer) in enumerate((("250万", "5"), ("150万", "4"), ("50万", "1"))):
        number = cli.add(company(name=f"公司{n}", credit_limit="10万"))
        cli.ok("finance", "add", number, "--period", "2025", "--set", f"current_assets={assets}",
               "--set", "current_liabilities=100万")
        _paid_on_time(cli, number)
        firms.append(number)
        cli.ok("grade", number, "--model", card, "--score", f"integrity={answer}")
    # pay = 100 for each (on time 100%, no delay):
    # 2.5 → 100, answer 5 → 100: 40 + 40 + 20 = 100 → AAA;  1.5 → 50, answer 4 → 75: 20 + 40 + 15 = 75 → A;
    # 0.5 → 0, answer 1 → 0: 0 + 40 + 0 = 40 → B
    grades = [cli.json("show", number)["grade"] for number in firms]
    assert grades == ["AAA", "A", "B"]
    person_no = cli.add(person())                                       # no data at all: not rated
    # the second firm's current ratio improves to 2.1 → 100: 40 + 40 + 15 = 95 → AAA
    cli.ok("finance", "add", firms[1], "--period", "2025", "--set", "current_assets=210万")
    before = snapshot(db_target)
    dry = cli.json("grade", "--all", "--model", card, "--dry-run")
    assert snapshot(db_target) == before
    summary = cli.json("grade", "--all", "--model", card)
    for out in (dry, summary):
        assert out["archives"] == 4 and out["graded"] == 3
        assert out["distribution"]["AAA"] == 2 and out["distribution"]["B"] == 1 and out["distribution"]["A"] == 0
        assert out["moved_count"] == 1
        assert [(m["archive_no"], m["old_grade"], m["grade"], m["score"]) for m in out["moved"]] == [
            (firms[1], "A", "AAA", 95)]
        assert out["not_rated_count"] == 1 and [n["archive_no"] for n in out["not_rated"]] == [person_no]
        assert out["reasons"] == [{"reason_en": "Finance, Payment without data", "reason_zh": "财务、付款无数据",
                                   "count": 1, "kind": "not_rated"}]
    assert summary["dry_run"] is False and dry["dry_run"] is True
    assert cli.json("show", firms[1])["grade"] == "AAA"
    assert cli.json("show", person_no).get("grade") is None             # not rated: nothing on the card
    latest = cli.json("grade", firms[1], "--history")["assessments"][-1]
    assert latest["inputs"]["answers"] == {"integrity": 4}              # stored answer reused
    human = cli.ok("grade", "--all", "--model", card, "--kind", "enterprise", "--dry-run").stdout
    assert "Grade distribution" in human and "3 graded" in human and firms[0] not in human
    verbose = cli.ok("grade", "--all", "--model", card, "--dry-run", "--verbose").stdout
    assert person_no in verbose and "Not rated" in verbose


def test_grade_scale_and_limit_rule_from_config_dir(cli, firm, tmp_path):
    config = tmp_path / "config"
    config.mkdir(exist_ok=True)
    (config / "scale.toml").write_text(
        'format = 1\ngrades = [ { grade = "GOOD", min = 66 }, { grade = "BAD", min = 0 } ]\n', encoding="utf-8")
    (config / "limit.toml").write_text(
        'format = 1\nround_down_to = 1000\nbases = [ { source = "working_capital", fraction = 0.5 } ]\n'
        '[multipliers]\nGOOD = 2\nBAD = 0\n', encoding="utf-8")
    result = cli.json("grade", firm, "--model", write_card(tmp_path), *PAY, "--score", "integrity=4", "--dry-run")
    # score 67 ≥ 66 → GOOD; working capital 500,000 × 0.5 × 2 = 500,000
    assert result["grade"] == "GOOD" and result["recommended_credit_limit"] == 500_000
    (config / "limit.toml").write_text('format = 1\nbases = [ { source = "equity", fraction = 1 } ]\n'
                                       '[multipliers]\nGOOD = 1\n', encoding="utf-8")
    refused = cli("grade", firm, "--model", write_card(tmp_path), *PAY, "--dry-run")
    assert refused.exit_code == 1 and "limit.toml" in refused.stderr and "BAD" in refused.stderr
    (config / "limit.toml").write_text('format = 1\nbases = [ { source = "credit_limit", fraction = 1 } ]\n'
                                       '[multipliers]\nGOOD = 1\nBAD = 0\n', encoding="utf-8")
    refused = cli("grade", firm, "--model", write_card(tmp_path), *PAY, "--dry-run")
    assert refused.exit_code == 1 and "no longer a limit base" in refused.stderr


def test_grade_needs_grade_permission(cli, firm, tmp_path, db_target):
    cli.ok("--as", "boss", "user", "add", "tester", "--role", "clerk")
    before = snapshot(db_target)
    result = cli("grade", firm, "--model", write_card(tmp_path), *PAY, "--score", "integrity=4")
    assert result.exit_code == 1 and "may not grade" in result.stderr
    assert snapshot(db_target) == before


def _fake_module(monkeypatch, name: str, **functions) -> None:
    module = importlib.import_module(name)
    for key, value in functions.items():
        monkeypatch.setattr(module, key, value)


def test_payment_and_complaint_data_are_used(cli, firm, tmp_path):
    import datetime

    today = datetime.date.today()

    def ago(days: int) -> str:
        return (today - datetime.timedelta(days=days)).isoformat()

    # order 1 due 100 days ago, paid on its due date; order 2 due 60 days ago, paid 20 days ago (40 days late)
    cli.ok("txn", "add", firm, "--type", "order", "--amount", "1000", "--date", ago(130), "--due", ago(100))
    cli.ok("txn", "add", firm, "--type", "payment", "--amount", "1000", "--date", ago(100))
    cli.ok("txn", "add", firm, "--type", "order", "--amount", "2000", "--date", ago(90), "--due", ago(60))
    cli.ok("txn", "add", firm, "--type", "payment", "--amount", "2000", "--date", ago(20))
    for days in (30, 31, 400):
        cli.ok("log", "add", firm, "客户投诉到货延迟", "--type", "complaint", "--at", ago(days))
    result = cli.json("grade", firm, "--model", write_card(tmp_path), "--score", "integrity=4", "--dry-run")
    pay = {i["name"]: i for i in result["factors"][1]["indicators"]}
    # on time 1 of 2 = 0.5 < 0.80 → otherwise 10; longest delay 40 > 30 → 0: pay 5
    # total 0.4×50 + 0.4×5 + 0.2×75 = 20 + 2 + 15 = 37 → CCC
    assert pay["on_time_rate"]["value"] == 0.5 and "transactions" in pay["on_time_rate"]["evidence"]
    assert pay["longest_delay_days"]["value"] == 40
    assert result["score"] == 37 and result["grade"] == "CCC"
    overridden = cli.json("grade", firm, "--model", write_card(tmp_path), "--score", "integrity=4",
                          "--input", "longest_delay_days=0", "--input", "on_time_rate=1", "--dry-run")
    assert overridden["score"] == 75                                    # --input wins: pay (100+100)/2
    from custarchive.credit import grade as credit
    from custarchive.store.db import open_database

    newcomer = cli.add(company(name="新客户有限公司", credit_limit="460万"))
    db = open_database(cli.target, create=False)
    with db.read() as conn:
        card = __import__("custarchive.cards.lookup", fromlist=["resolve"]).resolve(conn, firm)
        measures = credit.gather_inputs(conn, card)
        other = __import__("custarchive.cards.lookup", fromlist=["resolve"]).resolve(conn, newcomer)
        fresh = credit.gather_inputs(conn, other)
    db.dispose()
    assert measures["complaints_count"].value == 2                      # the 400-day-old one is outside 12 months
    assert measures["annual_spend"].value == 3000                       # from the orders
    # no transactions, no contact log: the payment indicators and the complaint count are missing, not perfect
    for key in ("on_time_rate", "longest_delay_days", "outstanding_to_limit", "complaints_count"):
        assert fresh[key].value is None, key
    assert fresh["outstanding_to_limit"].evidence_zh == "没有交易记录"


@pytest.mark.slow
def test_interactive_grade_in_a_terminal(cli, firm, tmp_path, db_target):
    card = write_card(tmp_path)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TERM": "xterm", "LANG": "en_US.UTF-8"}
    child = pexpect.spawn(sys.executable, ["-m", "custarchive", "--db", db_target, "grade", firm, "--model", card,
                                           *PAY], env=env, encoding="utf-8", timeout=30, dimensions=(40, 160))
    child.expect("Trust")
    child.expect("How trustworthy")
    child.send("4")
    child.send("\r")
    child.expect("67 / 100")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    history = cli.json("grade", firm, "--history")["assessments"]
    assert len(history) == 1 and history[0]["inputs"]["answers"] == {"integrity": 4}
    assert history[0]["grade"] == "BBB"
    # the previous answer is the default the next time: Enter keeps it
    child = pexpect.spawn(sys.executable, ["-m", "custarchive", "--db", db_target, "grade", firm, "--model", card,
                                           *PAY, "--dry-run", "--json"], env=env, encoding="utf-8", timeout=30,
                          dimensions=(40, 160))
    child.expect("How trustworthy")
    child.send("\r")
    child.expect('"score": 67')
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0


@pytest.mark.slow
@pytest.mark.parametrize("model", ["enterprise", "5c", "5p", "6a"])
def test_interactive_grade_skipping_every_question_exits_0(cli, firm, db_target, model):
    """跳过(暂无信息) is an explicit choice: skipping every question is missing data, never an error."""
    from custarchive.scoring import builtin_scorecard

    questions = builtin_scorecard(model).questions()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TERM": "xterm", "LANG": "zh_CN.UTF-8"}
    child = pexpect.spawn(sys.executable, ["-m", "custarchive", "--lang", "zh", "--db", db_target, "grade", firm,
                                           "--model", model, "--dry-run"],
                          env=env, encoding="utf-8", timeout=30, dimensions=(40, 200))
    for _factor, question in questions:
        child.expect_exact(question.question_zh[:10])
        child.expect_exact("跳过(暂无信息)")
        child.send("s")
        child.send("\r")
    child.expect(pexpect.EOF)
    output = child.before
    child.close()
    assert child.exitstatus == 0, output
    assert "answer must be" not in output and "Traceback" not in output


def test_no_evidence_no_grade_no_limit(cli, db_target):
    """The new user's case: registered capital and a typed-in limit, no statements, orders or answers."""
    firm = cli.add(company(registered_capital="100万", credit_limit="460万"))
    before = snapshot(db_target)
    for model in ("5c", "enterprise"):
        result = cli.json("grade", firm, "--model", model, "--no-input")
        assert result["rated"] is False and result["grade"] == "NR" and result["score"] is None
        assert result["recommended_credit_limit"] is None and result["saved"] is False
        assert result["credit_limit"]["current"] == 4_600_000            # shown, never scaled
        pay = {i["name"]: i for f in result["factors"] for i in f["indicators"]}
        # never traded: the payment indicators have no data, never the best score
        assert pay["on_time_rate"]["missing"] and pay["on_time_rate"]["score"] is None
        assert pay["on_time_rate"]["evidence_zh"] == "没有交易记录"
        assert result["to_collect"] and result["to_collect"][0]["share"] >= result["to_collect"][-1]["share"]
    assert pay["outstanding_to_limit"]["missing"] is True               # enterprise: 欠款占额度比 not 100
    assert snapshot(db_target) == before                                # no assessment, no grade on the card
    human = cli.ok("--lang", "zh", "grade", firm, "--model", "enterprise", "--no-input").stdout
    assert "未评级" in human and "履约情况" in human and "没有交易记录" in human and "需补充" in human
    assert "no data" not in human and "not answered" not in human and "未回答" in human
    assert "2,760,000" not in human and "4,600,000" in human


def test_finance_show_ratios_as_percentages_with_formula(cli):
    firm = cli.add(company())
    cli.ok("finance", "add", firm, "--period", "2024", "--set", "revenue=1000万", "--set", "total_assets=1100万",
           "--set", "total_liabilities=600万")
    cli.ok("finance", "add", firm, "--period", "2025", "--set", "revenue=1200万")
    zh = cli.ok("--lang", "zh", "finance", "show", firm).stdout
    # 6,000,000 / 11,000,000 = 54.55%; (12,000,000 - 10,000,000) / 10,000,000 = 20.00%
    assert "54.55%" in zh and "20.00%" in zh and "0.5455" not in zh
    assert "负债总额 / 资产总额" in zh
    en = cli.ok("--lang", "en", "finance", "show", firm).stdout
    assert "54.55%" in en and "total liabilities /" in en and "负债总额" not in en
    assert cli.json("finance", "show", firm)["ratios"][2]["periods"]["2024"]["value"] == 0.5455   # JSON: fractions


def test_grade_all_json_and_verbose_stream_each_batch_out(cli, monkeypatch):
    """Found at a million archives: ``grade --all --json`` kept every per-archive result as a dict until
    the end (5.8 GB). Each batch's results now leave for a spool before the next batch is read."""
    from custarchive.commands import render
    from custarchive.credit import evidence, grade

    numbers = [cli.add(person(name=f"客户{n}", phone=f"1390000{n:04d}")) for n in range(7)]
    events = []
    read_batch, add = evidence.cards, render.Spool.add
    monkeypatch.setattr(grade, "BATCH", 2)
    monkeypatch.setattr(evidence, "cards", lambda conn, ids: events.append("batch") or read_batch(conn, ids))
    monkeypatch.setattr(render.Spool, "add", lambda self, name, item: events.append(name) or add(self, name, item))
    out = cli.json("grade", "--all", "--model", "5c", "--dry-run")
    assert out["not_rated_count"] == 7 and [n["archive_no"] for n in out["not_rated"]] == numbers
    assert events == ["batch", "not_rated", "not_rated"] * 3 + ["batch", "not_rated"]
    events.clear()
    from custarchive.commands import credit_render

    monkeypatch.setattr(credit_render, "VERBOSE_ROWS", 3)       # tables of 3 rows: 3 + 3 + 1
    verbose = cli.ok("--lang", "en", "grade", "--all", "--model", "5c", "--dry-run", "--verbose").stdout
    assert all(number in verbose for number in numbers)
    assert "Not rated (1–3 / 7)" in verbose and "Not rated (7–7 / 7)" in verbose
    assert events.count("batch") == 4 and events.index("not_rated") < events.index("batch", 1)


@pytest.mark.parametrize("args", [("grade", "--all"), ("grade", "--all", "--dry-run"), ("classify",)])
def test_batch_changes_on_a_missing_archive_are_refused_not_created(tmp_path, args):
    """A mistyped --db: grade --all and classify change archives already there, so they refuse the
    missing file (exit 1, one line) instead of leaving an empty archive and a key behind."""
    from tests.helpers import Cli

    cli = Cli(str(tmp_path / "typo.db"))
    result = cli("--lang", "en", *args)
    assert result.exit_code == 1 and "no database at" in result.stderr and "Traceback" not in result.stderr
    assert list(tmp_path.iterdir()) == []

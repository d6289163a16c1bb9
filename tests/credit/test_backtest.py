"""grade --backtest on a seeded history whose answer is known by hand."""
from __future__ import annotations

import datetime

from custarchive.credit.backtest import auc, horizon_end, parse_horizon
from tests.builders import company
from tests.helpers import db_exec, db_rows

TODAY = datetime.date.today()


def ago(days: int) -> str:
    return (TODAY - datetime.timedelta(days=days)).isoformat()


def _assess(db_target, number: str, days_ago: int, score: float, grade: str, model: str = "enterprise") -> None:
    cid = db_rows(db_target, "SELECT id FROM customers WHERE archive_no = :n", n=number)[0][0]
    db_exec(db_target, "INSERT INTO assessments (customer_id, model, scorecard_sha256, scorecard_source, inputs, "
                       "result, score, grade, partial, recommended_limit, operator, at) VALUES (:c, :m, 'x', "
                       "'builtin', '{}', '{}', :s, :g, 0, NULL, 'tester', :t)",
            {"c": cid, "m": model, "s": score, "g": grade, "t": ago(days_ago) + "T09:00:00+08:00"})


def _order(cli, number: str, due_ago: int, paid_ago: int | None, amount: str = "1000") -> None:
    cli.ok("txn", "add", number, "--type", "order", "--amount", amount, "--date", ago(due_ago + 30),
           "--due", ago(due_ago))
    if paid_ago is not None:
        cli.ok("txn", "add", number, "--type", "payment", "--amount", amount, "--date", ago(paid_ago))


def test_backtest_hand_computed(cli, db_target):
    firms = {key: cli.add(company(name=f"回测{key}公司", phone=f"1390000000{n}"))
             for n, key in enumerate(("aaa", "aa", "a", "b", "c", "recent", "idle"))}
    # assessed 400 days ago; the 12-month window is (400 days ago, ~35 days ago]
    _assess(db_target, firms["aaa"], 400, 95, "AAA")
    _assess(db_target, firms["aa"], 400, 80, "AA")
    _assess(db_target, firms["a"], 400, 75, "A")
    _assess(db_target, firms["b"], 400, 45, "B")
    _assess(db_target, firms["c"], 400, 10, "C")
    _assess(db_target, firms["recent"], 100, 70, "A")              # horizon not over yet: too recent
    _assess(db_target, firms["idle"], 400, 60, "BBB")              # no order due in its window: no exposure
    _order(cli, firms["aaa"], due_ago=300, paid_ago=300)           # on time: good
    _order(cli, firms["aa"], due_ago=300, paid_ago=None)           # never paid, 300 days past due: defaulted
    _order(cli, firms["a"], due_ago=300, paid_ago=290)             # 10 days late: under 90, good
    _order(cli, firms["b"], due_ago=300, paid_ago=200)             # 100 days late: late, bad
    _order(cli, firms["c"], due_ago=200, paid_ago=None)            # defaulted
    _order(cli, firms["idle"], due_ago=10, paid_ago=None)          # due outside its window (too late)
    _order(cli, firms["recent"], due_ago=50, paid_ago=None)
    report = cli.json("grade", "--backtest", "--horizon", "12m", "--late-days", "90")
    assert report["observed"] == 5 and report["too_recent"] == 1 and report["no_exposure"] == 1
    rows = {r["grade"]: r for r in report["grades"]}
    assert [(g, rows[g]["archives"], rows[g]["bad"]) for g in ("AAA", "AA", "A", "BBB", "B", "C")] == [
        ("AAA", 1, 0), ("AA", 1, 1), ("A", 1, 0), ("BBB", 0, 0), ("B", 1, 1), ("C", 1, 1)]
    assert rows["AA"]["defaulted"] == 1 and rows["B"]["late"] == 1 and rows["C"]["defaulted"] == 1
    assert report["bad"] == 3 and report["bad_rate"] == 0.6
    # goods {95, 75}, bads {80, 45, 10}: pairs good > bad: 95 beats 3, 75 beats 45 and 10 = 5 of 6
    assert report["auc"] == 0.8333 and report["accuracy_ratio"] == 0.6667
    # AA (100% bad) above A (0%): the grades do not rank-order
    assert report["rank_ordered"] is False
    assert report["inversions"] == [{"better": "AA", "worse": "A", "better_bad_rate": 1.0, "worse_bad_rate": 0.0}]
    human = cli.ok("--lang", "zh", "grade", "--backtest").stdout
    assert "0.8333" in human and "AA 100.0% 高于 A 0.0%" in human
    # a stricter threshold: B's 100-day delay is no longer bad under --late-days 120; C and AA still are
    strict = cli.json("grade", "--backtest", "--late-days", "120")
    assert {r["grade"]: r["bad"] for r in strict["grades"]}["B"] == 0
    # only one model, and bad options are usage errors
    assert cli.json("grade", "--backtest", "--model", "5c")["observed"] == 0
    assert cli("grade", "--backtest", "--horizon", "soon").exit_code == 1
    assert cli("grade", "--backtest", "--all").exit_code == 2


def test_auc_and_horizon_by_hand():
    assert auc([3, 4], [1, 2]) == 1.0 and auc([1], [2]) == 0.0
    assert auc([2, 3], [2]) == 0.75                                  # one tie counts half: (0.5 + 1) / 2
    assert auc([1], []) is None
    assert horizon_end(datetime.date(2024, 1, 31), parse_horizon("1m")) == datetime.date(2024, 2, 29)
    assert horizon_end(datetime.date(2024, 3, 1), parse_horizon("365d")) == datetime.date(2025, 3, 1)
    assert horizon_end(datetime.date(2024, 3, 1), parse_horizon("1y")) == datetime.date(2025, 3, 1)

"""Orders and payments through the CLI: FIFO settlement, statistics, credit limit, refusals."""
from __future__ import annotations

import json

import pytest

from tests.builders import company, person
from tests.helpers import snapshot


@pytest.fixture
def number(cli):
    return cli.add(company(credit_limit="10000"))


def _txn(cli, number, kind, amount, date, due=None):
    args = ["txn", "add", number, "--type", kind, "--amount", amount, "--date", date]
    if due:
        args += ["--due", due]
    return cli.ok(*args)


def test_fifo_settlement_on_time_rate_and_longest_delay(cli, number):
    _txn(cli, number, "order", "3,000", "2024-01-05", "2024-02-05")
    _txn(cli, number, "order", "2000", "2024-02-01", "2024-03-01")
    _txn(cli, number, "order", "¥1000", "2024-03-01", "2024-03-31")
    _txn(cli, number, "payment", "3000", "2024-02-01")     # settles order 1, on time
    _txn(cli, number, "payment", "2500", "2024-03-11")     # settles order 2 ten days late, 500 of order 3
    data = cli.json("txn", "list", number, "--as-of", "2024-05-10")
    stats = data["stats"]
    orders = [t for t in data["transactions"] if t["type"] == "order"]
    assert [o["status"] for o in orders] == ["paid", "paid", "overdue"]
    assert orders[0]["settled_on"] == "2024-02-01" and orders[0]["delay_days"] == 0
    assert orders[1]["settled_on"] == "2024-03-11" and orders[1]["delay_days"] == 10
    assert orders[2]["open"] == 500
    assert stats["outstanding"] == 500 and stats["overdue"] == 500 and stats["overdue_orders"] == 1
    assert stats["on_time_rate"] == pytest.approx(1 / 3, abs=1e-4)
    assert stats["longest_delay_days"] == 40      # order 3, due 03-31, still open on 05-10
    assert stats["annual_spend"] == 6000 and stats["credit_limit"] == 10000
    assert stats["outstanding_to_limit"] == pytest.approx(0.05)
    assert data["transactions"][-1]["balance"] == 500


def test_as_of_ignores_later_transactions_and_a_year_window(cli, number):
    _txn(cli, number, "order", "1000", "2023-01-10", "2023-02-10")
    _txn(cli, number, "order", "4000", "2024-01-10", "2024-02-10")
    _txn(cli, number, "payment", "5000", "2024-02-01")
    early = cli.json("txn", "list", number, "--as-of", "2023-12-31")["stats"]
    assert early["outstanding"] == 1000 and early["annual_spend"] == 1000 and early["payments"] == 0
    later = cli.json("txn", "list", number, "--as-of", "2024-06-01")["stats"]
    assert later["annual_spend"] == 4000 and later["outstanding"] == 0
    assert later["longest_delay_days"] == 356   # order 1 settled 2024-02-01, due 2023-02-10
    assert later["on_time_rate"] == 0.5


def test_prepayment_settles_the_next_order(cli, number):
    _txn(cli, number, "payment", "800", "2024-01-01")
    _txn(cli, number, "order", "500", "2024-01-15", "2024-02-15")
    _txn(cli, number, "order", "500", "2024-01-20", "2024-02-20")
    stats = cli.json("txn", "list", number, "--as-of", "2024-03-01")["stats"]
    assert stats["outstanding"] == 200 and stats["prepaid"] == 0 and stats["overdue"] == 200
    first = cli.json("txn", "list", number, "--as-of", "2024-01-16")
    assert first["stats"]["prepaid"] == 300
    assert first["transactions"][1]["settled_on"] == "2024-01-15"


def test_default_due_date_from_terms(cli, tmp_path):
    number = cli.add(person())
    txn = json.loads(cli.ok("txn", "add", number, "--type", "order", "--amount", "100", "--date", "2024-01-01",
                            "--json").stdout)
    assert txn["due"] == "2024-01-31"
    (tmp_path / "config").mkdir(exist_ok=True)
    (tmp_path / "config" / "settings.toml").write_text("[money]\npayment_terms_days = 10\n", encoding="utf-8")
    txn = json.loads(cli.ok("txn", "add", number, "--type", "order", "--amount", "100", "--date", "2024-01-01",
                            "--json").stdout)
    assert txn["due"] == "2024-01-11"


def test_card_payment_terms_win(cli):
    number = cli.add(company(name="物流甲", payment_terms_days="45"), "--template", "logistics")
    txn = json.loads(cli.ok("txn", "add", number, "--type", "order", "--amount", "100", "--date", "2024-01-01",
                            "--json").stdout)
    assert txn["due"] == "2024-02-15"


def test_order_over_the_credit_limit_warns(cli, number):
    _txn(cli, number, "order", "8000", "2024-01-01")
    result = _txn(cli, number, "order", "3000", "2024-01-02")
    assert "credit limit" in result.stderr and "11,000.00" in result.stderr
    assert cli.json("txn", "list", number)["stats"]["outstanding"] == 11000


def test_block_mode_refuses_and_changes_nothing(cli, number, db_target, tmp_path):
    (tmp_path / "config").mkdir(exist_ok=True)
    (tmp_path / "config" / "settings.toml").write_text('[money]\ncredit_limit_mode = "block"\n', encoding="utf-8")
    _txn(cli, number, "order", "8000", "2024-01-01")
    before = snapshot(db_target)
    result = cli("txn", "add", number, "--type", "order", "--amount", "2001", "--date", "2024-01-02")
    assert result.exit_code == 1 and "credit limit" in result.stderr
    assert snapshot(db_target) == before
    _txn(cli, number, "payment", "5000", "2024-01-03")
    _txn(cli, number, "order", "2001", "2024-01-04")


def test_transactions_are_logged(cli, number):
    txn_id = _txn(cli, number, "payment", "1200.50", "2024-01-03").stdout.strip()
    changes = cli.json("history", number)["changes"]
    assert any(c["action"] == "transaction" and c["field"] == f"txn#{txn_id}" and "1200.5" in c["new"]
               for c in changes)


def test_no_orders_gives_empty_statistics(cli, number):
    stats = cli.json("txn", "list", number)["stats"]
    assert stats["on_time_rate"] is None and stats["longest_delay_days"] is None and stats["outstanding"] == 0


def test_human_statement(cli, number):
    _txn(cli, number, "order", "1000", "2024-01-01", "2024-01-31")
    out = cli.ok("--lang", "zh", "txn", "list", number, "--as-of", "2024-03-01").stdout
    assert "逾期" in out and "1,000.00" in out


@pytest.mark.parametrize("args, field", [
    (["--type", "order", "--amount", "-5"], "--amount"),
    (["--type", "order", "--amount", "0"], "--amount"),
    (["--type", "order", "--amount", "lots"], "--amount"),
    (["--type", "refund", "--amount", "5"], "--type"),
    (["--type", "order", "--amount", "5", "--date", "2024-02-31"], "--date"),
    (["--type", "order", "--amount", "5", "--date", "2024-03-01", "--due", "2024-02-01"], "--due"),
    (["--type", "payment", "--amount", "5", "--due", "2024-02-01"], "--due"),
])
def test_bad_input_changes_nothing(cli, number, db_target, args, field):
    before = snapshot(db_target)
    result = cli("txn", "add", number, *args)
    assert result.exit_code == 1 and field in result.stderr and "Traceback" not in result.stderr
    assert snapshot(db_target) == before


def test_unknown_ref(cli, number, db_target):
    before = snapshot(db_target)
    assert cli("txn", "add", "B-1990-00001", "--type", "order", "--amount", "5").exit_code == 1
    assert cli("txn", "list", "B-1990-00001").exit_code == 1
    assert snapshot(db_target) == before


def test_payment_stats_is_a_library_function(cli, number, db_target):
    _txn(cli, number, "order", "1000", "2024-01-01", "2024-01-31")
    _txn(cli, number, "payment", "1000", "2024-02-05")
    import datetime

    from custarchive.cards import lookup

    from custarchive.living import txn as money
    from custarchive.store.db import open_database

    db = open_database(db_target, create=False)
    try:
        with db.read() as conn:
            card = lookup.resolve(conn, number)
            stats = money.payment_stats(conn, card["id"], as_of=datetime.date(2024, 3, 1))
    finally:
        db.dispose()
    assert {"on_time_rate", "longest_delay_days", "outstanding", "overdue", "annual_spend", "credit_limit",
            "outstanding_to_limit"} <= set(stats)
    assert stats["longest_delay_days"] == 5 and stats["on_time_rate"] == 0.0

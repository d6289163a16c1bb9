"""What the database holds on a set of archives, loaded set-wise, turned into scorecard measures.

One query per kind of data for a whole batch of archives (statements,
transactions, contact log, stored answers) instead of several per archive:
``grade --all`` on 100,000 archives makes a few hundred queries, and holds one
batch at a time, so memory stays flat as the archive grows.

Missing is missing: an archive without transactions has no payment
indicators at all (never "paid everything on time"), a ratio whose lines are
absent or whose denominator is zero has no value, and an archive with no
contact-log entries has no complaint count (we have not been watching).

Where inputs come from, later sources overriding earlier:

1. the card: registered_capital, annual_spend, years_as_customer (since the
   archive was created), years_in_business (from a ``founded_date`` field);
2. finance statements: every ratio of the latest period plus equity, revenue
   and working capital;
3. transactions (``living.txn.stats_of``): on_time_rate and longest_delay_days
   once an order has fallen due, outstanding_to_limit once there are orders,
   annual_spend from the orders; the first transaction dates years_as_customer;
4. the contact log: complaint entries in the last 12 months;
5. ``--input ID=VALUE`` on the command line, which always wins.
"""
from __future__ import annotations

import datetime as _dt
import json
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import text

from custarchive.cards import lookup
from custarchive.core.crypto import open_card
from custarchive.credit import finance
from custarchive.living import txn
from custarchive.scoring import Measure, Statement, analyse, measures_from_analysis
from custarchive.scoring.indicators import to_decimal


@dataclass
class Evidence:
    """One archive's data beyond its card."""

    statements: list[Statement] = field(default_factory=list)
    payments: dict | None = None  # txn.stats_of figures; None without any transaction
    complaints: int | None = None  # in the last 12 months; None without any contact-log entry


CARD_FIELDS = ("id", "archive_no", "name", "kind", "grade", "credit_limit", "registered_capital", "annual_spend",
               "created_at", "extra")


def cards(conn, ids: list[int]) -> list[dict]:
    """The card fields grading reads, for a batch, in the order of ``ids`` (narrow: no sensitive columns)."""
    sql = f"SELECT {', '.join(CARD_FIELDS)} FROM customers WHERE id IN ({_marks(ids)})"
    # SQLite: the driver's cursor, plain tuples; elsewhere an ordinary (buffered) result
    rows = lookup.iter_rows(conn, sql, {}) if conn.dialect.name == "sqlite" else conn.execute(text(sql))
    found = {}
    for row in rows:
        card = dict(zip(CARD_FIELDS, row))
        card["extra"] = json.loads(card["extra"]) if card["extra"] else {}
        found[card["id"]] = open_card(conn, card)
    return [found[i] for i in ids if i in found]


def _marks(ids) -> str:
    return ", ".join(str(int(i)) for i in ids)  # ids are integers from the database


def load(conn, cards: list[dict], as_of: _dt.date) -> dict[int, Evidence]:
    """Evidence for every card of the batch: three queries, whatever the batch size."""
    out = {card["id"]: Evidence() for card in cards}
    if not cards:
        return out
    marks = _marks(out)
    rows = conn.execute(text(f"SELECT customer_id, period, {', '.join(finance.LINES)} FROM finance_statements "
                             f"WHERE customer_id IN ({marks}) ORDER BY customer_id, period"))
    for row in rows:
        out[row[0]].statements.append(Statement.from_mapping(
            row[1], {line: finance.exact(value) for line, value in zip(finance.LINES, row[2:])}))
    limits = {card["id"]: card.get("credit_limit") for card in cards}
    for cid, stats in txn.payment_stats_many(conn, limits, as_of).items():
        out[cid].payments = stats
    since = (as_of - _dt.timedelta(days=365)).isoformat()
    rows = conn.execute(text(
        "SELECT customer_id, SUM(CASE WHEN entry_type = 'complaint' AND SUBSTR(at, 1, 10) > :s "
        f"AND SUBSTR(at, 1, 10) <= :e THEN 1 ELSE 0 END) FROM timeline WHERE customer_id IN ({marks}) "
        "GROUP BY customer_id"), {"s": since, "e": as_of.isoformat()})
    for cid, complaints in rows:
        out[cid].complaints = int(complaints or 0)
    return out


def stored_answers(conn, ids: list[int], model: str) -> dict[int, dict[str, int]]:
    """The answers of each archive's latest assessment with ``model``: one query for the batch."""
    if not ids:
        return {}
    rows = conn.execute(text(
        "SELECT customer_id, inputs FROM assessments WHERE id IN (SELECT MAX(id) FROM assessments "
        f"WHERE model = :m AND customer_id IN ({_marks(ids)}) GROUP BY customer_id)"), {"m": model})
    return {cid: dict(json.loads(inputs).get("answers") or {}) for cid, inputs in rows}


def _years_since(start: str, as_of: _dt.date) -> Decimal:
    days = (as_of - _dt.date.fromisoformat(start[:10])).days
    return max(Decimal(days) / Decimal("365.25"), Decimal(0)).quantize(Decimal("0.01"))


def _card(card: dict, as_of: _dt.date) -> dict[str, Measure]:
    out: dict[str, Measure] = {}
    labels = {"registered_capital": "注册资本", "annual_spend": "年消费额"}
    for key in ("registered_capital", "annual_spend"):
        if card.get(key) is not None:
            out[key] = Measure(to_decimal(key, card[key]), f"card: {key} {card[key]:,.2f}",
                               f"客户卡片：{labels[key]} {card[key]:,.2f}")
    created = card["created_at"][:10]
    out["years_as_customer"] = Measure(_years_since(card["created_at"], as_of), f"archive created {created}",
                                       f"建档日期 {created}")
    founded = (card.get("extra") or {}).get("founded_date")
    if founded:
        out["years_in_business"] = Measure(_years_since(str(founded), as_of), f"card: founded {founded}",
                                           f"客户卡片：成立日期 {founded}")
    return out


_PAYMENT_LABELS = {"on_time_rate": "按期付款率", "longest_delay_days": "最长逾期天数",
                   "outstanding_to_limit": "欠款占额度比"}


def _payments(stats: dict | None, as_of: _dt.date) -> dict[str, Measure]:
    """From the archive's transactions; without orders (or none fallen due) the indicators stay absent."""
    if stats is None:
        return {key: Measure(None, "no transactions recorded", "没有交易记录") for key in _PAYMENT_LABELS}
    where, where_zh = f"transactions as of {stats['as_of']}", f"截至 {stats['as_of']} 的交易"
    out: dict[str, Measure] = {}
    fallen_due = stats["assessed_orders"] > 0
    known = {"on_time_rate": fallen_due, "longest_delay_days": fallen_due, "outstanding_to_limit": stats["orders"] > 0}
    for key, label in _PAYMENT_LABELS.items():
        value = stats.get(key)
        if known[key] and value is not None:
            shown = f"{value:.2%}" if key != "longest_delay_days" else f"{value}"
            out[key] = Measure(to_decimal(key, value), f"{where}: {key} {shown}", f"{where_zh}：{label} {shown}")
        elif not stats["orders"]:
            out[key] = Measure(None, f"{where}: no orders", f"{where_zh}：没有订单")
        elif key == "outstanding_to_limit":
            out[key] = Measure(None, "no credit limit on the card", "卡片未设信用额度")
        else:
            out[key] = Measure(None, f"{where}: no order has fallen due yet", f"{where_zh}：尚无到期订单")
    if stats["orders"]:
        spend = stats["annual_spend"]
        out["annual_spend"] = Measure(to_decimal("annual_spend", spend),
                                      f"{where}: orders in the last 12 months {spend:,.2f}",
                                      f"{where_zh}：近 12 个月订单 {spend:,.2f}")
    first = stats.get("first_txn_date")
    if first:
        out["years_as_customer"] = Measure(_years_since(first, as_of), f"first transaction {first}",
                                           f"首笔交易 {first}")
    return out


def _complaints(count: int | None, as_of: _dt.date) -> dict[str, Measure]:
    since = (as_of - _dt.timedelta(days=365)).isoformat()
    if count is None:
        return {"complaints_count": Measure(None, "no contact-log entries", "没有联系记录")}
    return {"complaints_count": Measure(Decimal(count), f"contact log: {count} complaint(s) {since} – {as_of}",
                                        f"联系记录：{since} 至 {as_of} 投诉 {count} 次")}


def measures(card: dict, evidence: Evidence, as_of: _dt.date) -> dict[str, Measure]:
    """Every indicator value this archive has, each with its evidence in English and Chinese."""
    out = _card(card, as_of)
    out.update(measures_from_analysis(analyse(evidence.statements)))
    out.update(_payments(evidence.payments, as_of))
    out.update(_complaints(evidence.complaints, as_of))
    return out

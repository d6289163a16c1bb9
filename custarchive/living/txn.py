"""Orders and payments per archive, and what they say about the customer (欠款还款).

Amounts are settled in whole fen (integer cents) so a long history never
drifts by float rounding. A payment settles the oldest open orders first
(FIFO); a payment larger than what is open is held as a prepayment and
settles the next orders as they arrive. An order is on time when it is
fully settled on or before its due date.
"""
from __future__ import annotations

import datetime as _dt
from typing import Any

from sqlalchemy import select, text

from custarchive.cards import lookup
from custarchive.core import authz
from custarchive.core.changelog import Actor, ChangeEntry, record
from custarchive.core.settings import choice, number, section
from custarchive.core.sqlutil import now
from custarchive.core.values import normalize_text, parse_amount, parse_date
from custarchive.errors import NotFound, ValidationError
from custarchive.models import transactions as _transactions


TYPES = ("order", "payment")
_TYPE_ALIASES = {"order": "order", "invoice": "order", "订单": "order", "发票": "order", "payment": "payment",
                 "pay": "payment", "收款": "payment", "付款": "payment", "还款": "payment"}
REFERENCE_MAX = 100  # transactions.reference


def _cents(amount: float) -> int:
    return int(round(amount * 100))


def _date(value: str) -> _dt.date:
    return _dt.date.fromisoformat(value)


def year_before(day: _dt.date) -> _dt.date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:
        return day.replace(year=day.year - 1, day=28)


def money_settings() -> dict:
    settings = section("money")
    choice(settings, "credit_limit_mode", "money", ("warn", "block"))
    number(settings, "payment_terms_days", "money")
    return settings


def terms_days(card: dict, settings: dict) -> int:
    own = (card.get("extra") or {}).get("payment_terms_days")
    if isinstance(own, (int, float)) and not isinstance(own, bool) and own >= 0:
        return int(own)
    return int(settings["payment_terms_days"])


def transactions(conn, customer_id: int) -> list[dict]:
    t = _transactions.c
    rows = conn.execute(select(_transactions).where(t.customer_id == customer_id).order_by(t.txn_date, t.id))
    return [dict(row._mapping) for row in rows]


def settle(txns: list[dict], as_of: _dt.date | None = None) -> tuple[list[dict], int]:
    """Apply payments to orders FIFO; returns each order's settlement and the unapplied prepayment (fen).

    Only transactions dated on or before ``as_of`` count. Orders dated the same
    day as a payment are settled by it (orders are applied first within a day).
    """
    cutoff = (as_of or _dt.date.max).isoformat()
    events = sorted((t for t in txns if t["txn_date"] <= cutoff),
                    key=lambda t: (t["txn_date"], 0 if t["txn_type"] == "order" else 1, t["id"]))
    orders: list[dict] = []
    open_orders: list[dict] = []
    credit = 0
    for txn in events:
        cents = _cents(txn["amount"])
        if txn["txn_type"] == "order":
            order = {"id": txn["id"], "date": txn["txn_date"], "due": txn["due_date"] or txn["txn_date"],
                     "amount": cents, "open": cents, "settled_on": None}
            orders.append(order)
            open_orders.append(order)
        else:
            credit += cents
        while open_orders and credit > 0:
            order = open_orders[0]
            applied = min(order["open"], credit)
            order["open"] -= applied
            credit -= applied
            if order["open"] == 0:
                order["settled_on"] = txn["txn_date"]
                open_orders.pop(0)
    return orders, credit


def payment_stats(conn, customer_id: int, as_of: _dt.date | None = None) -> dict[str, Any]:
    """Payment behaviour of one archive as of a date (default today), from its orders and payments.

    Keys (amounts in yuan, 2 decimals):
      as_of               ISO date the figures are for; transactions after it are ignored
      annual_spend        total of orders dated in the 12 months up to as_of
      total_ordered, total_paid   all orders / payments up to as_of
      outstanding         what is still owed on orders (never negative)
      prepaid             payments not yet used by any order
      overdue             the part of ``outstanding`` whose due date has passed
      overdue_orders      how many orders are (partly) unpaid past their due date
      orders, payments    counts
      assessed_orders     orders that are settled or already past due: the base of on_time_rate
      on_time_rate        share (0-1) of assessed orders settled by their due date; None with none assessed
      late_orders         assessed orders not settled by their due date
      longest_delay_days  most days any order was (or still is) paid after its due date; 0 if never late,
                          None without orders
      credit_limit        the card's credit limit (None if not set)
      outstanding_to_limit  outstanding / credit_limit (None without a positive limit)
    """
    today = as_of or _dt.date.today()
    card = lookup.fetch_by_ids(conn, [customer_id])
    if not card:
        raise NotFound(f"no archive with id {customer_id}")
    return stats_of(transactions(conn, customer_id), card[0]["credit_limit"], today)


def payment_stats_many(conn, limits: dict[int, float | None], as_of: _dt.date | None = None) -> dict[int, dict]:
    """``payment_stats`` for many archives (id → credit limit) with one query; archives without
    transactions are left out (they have no payment history, which is not a perfect one)."""
    today = as_of or _dt.date.today()
    ids = list(limits)
    if not ids:
        return {}
    marks = ", ".join(str(int(i)) for i in ids)
    sql = ("SELECT id, customer_id, txn_type, amount, txn_date, due_date FROM transactions "
           f"WHERE customer_id IN ({marks}) AND txn_date <= :d ORDER BY customer_id, txn_date, id")
    # SQLite: the driver's cursor, plain tuples (a batch is small, so no server-side cursor is needed elsewhere)
    rows = (lookup.iter_rows(conn, sql, {"d": today.isoformat()}) if conn.dialect.name == "sqlite"
            else conn.execute(text(sql), {"d": today.isoformat()}))
    grouped: dict[int, list[dict]] = {}
    for tid, cid, kind, amount, day, due in rows:
        grouped.setdefault(cid, []).append({"id": tid, "txn_type": kind, "amount": amount, "txn_date": day,
                                            "due_date": due})
    return {cid: stats_of(txns, limits[cid], today) for cid, txns in grouped.items()}


def stats_of(all_txns: list[dict], limit: float | None, today: _dt.date) -> dict[str, Any]:
    """The figures of ``payment_stats`` from one archive's transactions (pure)."""
    txns = [t for t in all_txns if t["txn_date"] <= today.isoformat()]
    orders, credit = settle(txns, today)
    start = year_before(today).isoformat()
    annual = sum(o["amount"] for o in orders if o["date"] > start)
    outstanding = sum(o["open"] for o in orders)
    overdue_list = [o for o in orders if o["open"] and _date(o["due"]) < today]
    assessed, late, longest = 0, 0, 0
    for order in orders:
        due = _date(order["due"])
        if order["settled_on"] is not None:
            delay = (_date(order["settled_on"]) - due).days
        elif due < today:
            delay = (today - due).days
        else:
            continue
        assessed += 1
        if delay > 0:
            late += 1
            longest = max(longest, delay)
    return {
        "as_of": today.isoformat(),
        "annual_spend": annual / 100,
        "total_ordered": sum(o["amount"] for o in orders) / 100,
        "total_paid": sum(_cents(t["amount"]) for t in txns if t["txn_type"] == "payment") / 100,
        "outstanding": outstanding / 100,
        "prepaid": credit / 100,
        "overdue": sum(o["open"] for o in overdue_list) / 100,
        "overdue_orders": len(overdue_list),
        "orders": len(orders),
        "payments": sum(1 for t in txns if t["txn_type"] == "payment"),
        "assessed_orders": assessed,
        "on_time_rate": round((assessed - late) / assessed, 4) if assessed else None,
        "late_orders": late,
        "longest_delay_days": longest if orders else None,
        "credit_limit": limit,
        "first_txn_date": txns[0]["txn_date"] if txns else None,
        "outstanding_to_limit": round(outstanding / 100 / limit, 4) if limit else None,
    }


def parse_type(raw: str) -> str:
    value = _TYPE_ALIASES.get(normalize_text(raw or "").lower())
    if value is None:
        raise ValidationError("--type", raw, "must be order or payment")
    return value


def add_transaction(conn, ref: str, txn_type: str, amount: str, actor: Actor, *, date: str | None = None,
                    due: str | None = None, reference: str | None = None, notes: str | None = None,
                    today: _dt.date | None = None) -> dict:
    """Record an order or payment; an order past the credit limit warns, or is refused in ``block`` mode."""
    authz.require(conn, actor, "update")
    card = lookup.resolve(conn, ref)
    kind = parse_type(txn_type)
    value = parse_amount(str(amount), "--amount")
    if value <= 0:
        raise ValidationError("--amount", amount, "must be more than 0")
    day = parse_date(date, "--date") if date else (today or _dt.date.today()).isoformat()
    settings = money_settings()
    due_day = None
    if kind == "payment" and due:
        raise ValidationError("--due", due, "only an order has a due date")
    if kind == "order":
        if due:
            due_day = parse_date(due, "--due")
            if due_day < day:
                raise ValidationError("--due", due, f"is before the order date {day}")
        else:
            due_day = (_date(day) + _dt.timedelta(days=terms_days(card, settings))).isoformat()
    reference = normalize_text(reference) if reference else None
    if reference and len(reference) > REFERENCE_MAX:
        raise ValidationError("--ref", reference[:20] + "…", f"longer than {REFERENCE_MAX} characters")
    warnings = []
    limit = card["credit_limit"]
    if kind == "order" and limit is not None:
        orders, credit = settle(transactions(conn, card["id"]))
        after = (sum(o["open"] for o in orders) - credit + _cents(value)) / 100
        if after > limit:
            message = (f"{card['archive_no']}: outstanding balance would be {after:,.2f}, "
                       f"over the credit limit {limit:,.2f}")
            if settings["credit_limit_mode"] == "block":
                raise ValidationError("--amount", amount, message + " (credit_limit_mode = block)")
            warnings.append(message)
    txn_id = conn.execute(text(
        "INSERT INTO transactions (customer_id, txn_type, amount, txn_date, due_date, reference, notes, created_at, "
        "created_by) VALUES (:c, :t, :a, :d, :u, :r, :n, :at, :by) RETURNING id"),
        {"c": card["id"], "t": kind, "a": value, "d": day, "u": due_day, "r": reference, "n": notes,
         "at": now(), "by": actor.operator}).scalar_one()
    logged = {"type": kind, "amount": value, "date": day, "due": due_day, "reference": reference}
    record(conn, [ChangeEntry(card["id"], card["archive_no"], "transaction", f"txn#{txn_id}", None,
                              {k: v for k, v in logged.items() if v is not None})], actor)
    return {"id": txn_id, "archive_no": card["archive_no"], **logged, "warnings": warnings}


def statement(conn, card: dict, as_of: _dt.date | None = None) -> list[dict]:
    """Every transaction with a running balance; orders with when (and whether) they were settled."""
    txns = transactions(conn, card["id"])
    today = as_of or _dt.date.today()
    orders, _credit = settle(txns, today)
    by_id = {o["id"]: o for o in orders}
    balance = 0
    lines = []
    for txn in sorted(txns, key=lambda t: (t["txn_date"], 0 if t["txn_type"] == "order" else 1, t["id"])):
        cents = _cents(txn["amount"])
        counted = txn["txn_date"] <= today.isoformat()
        if counted:
            balance += cents if txn["txn_type"] == "order" else -cents
        line = {"id": txn["id"], "type": txn["txn_type"], "date": txn["txn_date"], "amount": txn["amount"],
                "due": txn["due_date"], "reference": txn["reference"], "notes": txn["notes"],
                "balance": balance / 100 if counted else None}
        order = by_id.get(txn["id"])
        if order:
            line["settled_on"] = order["settled_on"]
            line["open"] = order["open"] / 100
            if order["settled_on"]:
                line["status"] = "paid"
                line["delay_days"] = max(0, (_date(order["settled_on"]) - _date(order["due"])).days)
            else:
                line["status"] = "overdue" if _date(order["due"]) < today else "open"
                line["delay_days"] = max(0, (today - _date(order["due"])).days)
        elif txn["txn_type"] == "order":
            line["status"] = "future"
        lines.append(line)
    return lines


def annual_spend_sql(as_of: _dt.date | None = None) -> tuple[str, str, str, dict]:
    """The annual spend of archive ``c`` as SQL: ``(join, spend, source, params)``.

    An archive with orders recorded is measured by its order totals over the
    12 months up to ``as_of`` (even if none fall in them); the others fall back
    to the card's ``annual_spend``. The join aggregates the transactions once
    (GROUP BY), so reports and classify read a million archives in one query
    instead of holding them in Python.
    """
    today = as_of or _dt.date.today()
    join = ("LEFT JOIN (SELECT customer_id, SUM(CASE WHEN txn_date > :spend_from AND txn_date <= :spend_to "
            "THEN amount ELSE 0 END) AS total FROM transactions WHERE txn_type = 'order' GROUP BY customer_id) o "
            "ON o.customer_id = c.id")
    spend = "CASE WHEN o.customer_id IS NOT NULL THEN COALESCE(o.total, 0) ELSE c.annual_spend END"
    source = "CASE WHEN o.customer_id IS NOT NULL THEN 'transactions' ELSE 'card' END"
    return join, spend, source, {"spend_from": year_before(today).isoformat(), "spend_to": today.isoformat()}

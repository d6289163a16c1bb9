"""Financial statements (财务报表) per period, stored per archive, and their ratio analysis.

Each period keeps only the lines the customer reported: an absent line is
NULL, never 0, because the ratio library treats "not reported" as "not
computable" while a real 0 is a number. Every recorded or changed line goes to
the change log as ``finance`` / ``finance.PERIOD.LINE`` so ``history REF``
shows who entered which figure.
"""
from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from sqlalchemy import text

from custarchive.core import authz

from custarchive.cards import lookup
from custarchive.core.changelog import Actor, ChangeEntry, record
from custarchive.errors import ValidationError
from custarchive.scoring import LINE_LABELS, RATIO_NAMES, PeriodAnalysis, Statement, analyse, compute_ratio
from custarchive.core.sqlutil import now
from custarchive.core.values import normalize_text, parse_amount

LINES: tuple[str, ...] = tuple(LINE_LABELS)
# Lines that may legitimately be below zero: a loss, negative net worth, a cash outflow,
# or net interest income booked as negative finance cost. Balances and sales cannot.
SIGNED_LINES = frozenset({"equity", "net_profit", "ebit", "operating_cash_flow", "interest_expense"})

_PERIOD = re.compile(r"^(\d{4})(?:年)?(?:[-/.]?(?:(Q[1-4])|(H[12])|(\d{1,2})月?))?$")
_GRANULARITY = {1: "quarter", 2: "half-year", 3: "month"}


def parse_period(raw: str) -> str:
    """``2025``, ``2025-Q1``, ``2025-H1`` or ``2025-06``: labels that sort in time order as text."""
    compact = normalize_text(raw).replace(" ", "").upper()
    match = _PERIOD.match(compact)
    if not match:
        raise ValidationError("--period", raw, "not a period (use 2025, 2025-Q1, 2025-H1 or 2025-06)")
    year, quarter, half, month = match.groups()
    if month is not None:
        if not 1 <= int(month) <= 12:
            raise ValidationError("--period", raw, "month must be 01-12")
        return f"{year}-{int(month):02d}"
    return f"{year}-{quarter or half}" if (quarter or half) else year


def granularity(period: str) -> str:
    if len(period) == 4:
        return "year"
    tail = period[5:]
    return "quarter" if tail.startswith("Q") else "half-year" if tail.startswith("H") else "month"


def resolve_line(name: str) -> str:
    """A statement line by id (``net_profit``), English label (``net profit``) or Chinese label (净利润)."""
    key = normalize_text(name)
    folded = key.lower().replace(" ", "_").replace("-", "_")
    for line, (zh, en) in LINE_LABELS.items():
        if folded in (line, en.lower().replace(" ", "_")) or key == zh:
            return line
    raise ValidationError(name, None, "unknown statement line; known: " + ", ".join(LINES))


def parse_line_value(line: str, raw: str) -> float:
    return parse_amount(raw, line, minimum=None if line in SIGNED_LINES else 0)


def _period_rows(conn, customer_id: int) -> list[dict[str, Any]]:
    rows = conn.execute(text(f"SELECT period, {', '.join(LINES)} FROM finance_statements "
                             "WHERE customer_id = :c ORDER BY period"), {"c": customer_id})
    return [dict(zip(("period", *LINES), row)) for row in rows]


def record_period(conn, ref: str, period: str, sets: dict[str, str], unsets: list[str],
                  actor: Actor) -> tuple[dict, str, dict[str, tuple[Any, Any]], bool]:
    """Add or update one period's lines; returns (card, period, line → (old, new), created).

    Everything is validated before the first write, so a refused command leaves
    the database as it was.
    """
    authz.require(conn, actor, "update")
    card = lookup.resolve(conn, ref)
    period = parse_period(period)
    values: dict[str, float | None] = {}
    for name, raw in sets.items():
        line = resolve_line(name)
        values[line] = parse_line_value(line, raw)
    for name in unsets:
        line = resolve_line(name)
        if line in values:
            raise ValidationError(line, None, "cannot be both set and unset")
        values[line] = None
    existing = {row["period"]: row for row in _period_rows(conn, card["id"])}
    current = existing.get(period)
    if current is None:
        if not any(value is not None for value in values.values()):
            raise ValidationError("--set", None, f"period {period} is new: give at least one line with --set")
        kinds = {granularity(p) for p in existing}
        if kinds and granularity(period) not in kinds:
            raise ValidationError("--period", period, f"{card['archive_no']} keeps {kinds.pop()} periods; "
                                  "mixing period lengths would make growth and trends meaningless")
    old = current or {line: None for line in LINES}
    changes = {line: (old[line], new) for line, new in values.items() if old[line] != new}
    if not changes:
        return card, period, {}, False
    stamp = now()
    if current is None:
        columns = ", ".join(values)
        marks = ", ".join(f":{line}" for line in values)
        conn.execute(text(f"INSERT INTO finance_statements (customer_id, period, {columns}, created_at, "
                          f"updated_at, updated_by) VALUES (:c, :p, {marks}, :t, :t, :o)"),
                     {**values, "c": card["id"], "p": period, "t": stamp, "o": actor.operator})
    else:
        assignments = ", ".join(f"{line} = :{line}" for line in changes)
        conn.execute(text(f"UPDATE finance_statements SET {assignments}, updated_at = :t, updated_by = :o "
                          "WHERE customer_id = :c AND period = :p"),
                     {**{line: new for line, (_old, new) in changes.items()}, "c": card["id"], "p": period,
                      "t": stamp, "o": actor.operator})
    record(conn, [ChangeEntry(card["id"], card["archive_no"], "finance", f"finance.{period}.{line}", before, after)
                  for line, (before, after) in changes.items()], actor)
    return card, period, changes, current is None


def exact(value: float | None) -> int | float | None:
    """Whole amounts as int so evidence reads 8,000,000 rather than 8,000,000.0."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def statements(conn, customer_id: int) -> list[Statement]:
    return [Statement.from_mapping(row["period"], {line: exact(row[line]) for line in LINES})
            for row in _period_rows(conn, customer_id)]


def analysis(conn, customer_id: int) -> list[PeriodAnalysis]:
    return analyse(statements(conn, customer_id))


def ratio_description(name: str):
    """Label and formula of a ratio, even when there are no periods to compute it on."""
    return compute_ratio(name, Statement(period="-"))


def number(value: Decimal | None) -> int | float | None:
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def trend(values: list[Decimal | None]) -> str | None:
    """Direction of the last two computable values: up, down or flat (no judgement of good/bad)."""
    known = [value for value in values if value is not None]
    if len(known) < 2:
        return None
    return "up" if known[-1] > known[-2] else "down" if known[-1] < known[-2] else "flat"


def analysis_to_dict(card: dict, periods: list[PeriodAnalysis]) -> dict:
    """The JSON of ``finance show``: statements per period, then each ratio across periods."""
    ratios = []
    for name in RATIO_NAMES:
        results = [p.ratios[name] for p in periods]
        described = ratio_description(name)
        ratios.append({
            "name": name, "label_zh": described.label_zh, "label_en": described.label_en,
            "formula": described.formula,
            "trend": trend([r.value for r in results]),
            "periods": {p.period: {"value": number(r.value), "reason": r.reason, "evidence": r.evidence,
                                   "change": number(p.changes.get(name))}
                        for p, r in zip(periods, results)},
        })
    return {
        "archive_no": card["archive_no"], "name": card["name"],
        "periods": [p.period for p in periods],
        "statements": {p.period: {line: number(value) for line, value in p.statement.lines().items()}
                       for p in periods},
        "ratios": ratios,
    }

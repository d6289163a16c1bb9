"""Do the grades work? Saved assessments against the payments that followed them (回测).

A scorecard is only worth signing if a better grade really means better
payment. For every archive, the latest saved assessment whose horizon has
fully passed (assessed on day T, horizon H: T + H is today or earlier) is
compared with the orders that fell due in (T, T + H]:

* **bad** when any of those orders was paid more than ``late_days`` days
  after its due date (*late*), or is still unpaid more than ``late_days``
  days after it (*defaulted*), as of today;
* **good** otherwise;
* archives with no order due in the window had no exposure and are left out
  (counted), as are assessments too recent to judge (counted).

Reported: per grade (best first) the number of archives, bad ones and the bad
rate with a 95% Wilson interval; the scorecard's discrimination as AUC (the
chance that a random good customer scored higher than a random bad one, ties
half) and accuracy ratio AR = 2 × AUC - 1 (0 = no better than chance,
1 = perfect); and calibration as rank order: each pair of neighbouring grades
(with observations) where the better grade had the higher bad rate is listed
as an inversion. Scores predict no probabilities, so "calibration" here means
that bad rates rise as grades fall.
"""
from __future__ import annotations

import datetime as _dt
import math
import re

from sqlalchemy import text

from custarchive.core import authz
from custarchive.core.changelog import Actor
from custarchive.errors import ValidationError
from custarchive.living import txn

_HORIZON = re.compile(r"^\s*(\d+)\s*([dmy])\s*$", re.IGNORECASE)


def parse_horizon(raw: str) -> tuple[int, str]:
    """``12m``, ``365d`` or ``1y`` → (number, unit)."""
    match = _HORIZON.match(raw or "")
    if not match or int(match.group(1)) == 0:
        raise ValidationError("--horizon", raw, "give a length such as 12m, 6m, 365d or 1y")
    return int(match.group(1)), match.group(2).lower()


def horizon_end(start: _dt.date, horizon: tuple[int, str]) -> _dt.date:
    number, unit = horizon
    if unit == "d":
        return start + _dt.timedelta(days=number)
    months = number * (12 if unit == "y" else 1)
    year, month = divmod(start.month - 1 + months, 12)
    year, month = start.year + year, month + 1
    for day in (start.day, 30, 29, 28):
        try:
            return _dt.date(year, month, day)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def auc(goods: list[float], bads: list[float]) -> float | None:
    """P(score of a good > score of a bad), ties counting half (Mann-Whitney U / (n_good × n_bad))."""
    if not goods or not bads:
        return None
    ranked = sorted([(s, 1) for s in goods] + [(s, 0) for s in bads])
    rank_sum, n = 0.0, 0
    while n < len(ranked):
        end = n
        while end + 1 < len(ranked) and ranked[end + 1][0] == ranked[n][0]:
            end += 1
        average = (n + end) / 2 + 1
        rank_sum += average * sum(1 for k in range(n, end + 1) if ranked[k][1])
        n = end + 1
    u = rank_sum - len(goods) * (len(goods) + 1) / 2
    return u / (len(goods) * len(bads))


def wilson(bad: int, n: int, z: float = 1.959964) -> tuple[float, float]:
    if n == 0:
        return 0.0, 1.0
    p = bad / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def _outcome(txns: list[dict], start: _dt.date, end: _dt.date, late_days: int, as_of: _dt.date) -> dict | None:
    """How the orders due in (start, end] were paid, as of ``as_of``; None without any such order."""
    orders, _credit = txn.settle(txns, as_of)
    due = [o for o in orders if start.isoformat() < o["due"] <= end.isoformat()]
    if not due:
        return None
    late = defaulted = 0
    worst = 0
    for order in due:
        due_day = _dt.date.fromisoformat(order["due"])
        if order["settled_on"] is not None:
            delay = (_dt.date.fromisoformat(order["settled_on"]) - due_day).days
            late += delay > late_days
        else:
            delay = (as_of - due_day).days
            defaulted += delay > late_days
        worst = max(worst, delay)
    return {"orders": len(due), "late": late, "defaulted": defaulted, "worst_delay_days": worst,
            "bad": bool(late or defaulted)}


def run(conn, actor: Actor, *, model: str | None, horizon: tuple[int, str], late_days: int,
        grades: tuple[str, ...], as_of: _dt.date | None = None) -> dict:
    """The backtest report (see the module docstring); ``grades`` is the scale, best first."""
    authz.require(conn, actor, "read")
    as_of = as_of or _dt.date.today()
    sql = "SELECT id, customer_id, model, at, score, grade FROM assessments"
    params: dict = {}
    if model:
        sql += " WHERE model = :m"
        params["m"] = model
    latest: dict[tuple[int, str], tuple] = {}
    too_recent: set[tuple[int, str]] = set()
    for row in conn.execute(text(sql + " ORDER BY id"), params):
        key = (row[1], row[2])
        assessed = _dt.date.fromisoformat(str(row[3])[:10])
        if horizon_end(assessed, horizon) <= as_of:
            latest[key] = row
            too_recent.discard(key)
        elif key not in latest:
            too_recent.add(key)
    observations, no_exposure = [], 0
    by_customer: dict[int, list[dict]] = {}
    keys_of: dict[int, list[tuple[int, str]]] = {}
    for key in latest:
        keys_of.setdefault(key[0], []).append(key)
    ids = sorted(keys_of)
    for start in range(0, len(ids), 1000):
        part = ", ".join(str(int(i)) for i in ids[start:start + 1000])
        for row in conn.execute(text("SELECT id, customer_id, txn_type, amount, txn_date, due_date FROM transactions "
                                     f"WHERE customer_id IN ({part}) ORDER BY customer_id, txn_date, id")):
            by_customer.setdefault(row[1], []).append(
                {"id": row[0], "txn_type": row[2], "amount": row[3], "txn_date": row[4], "due_date": row[5]})
        for cid in (int(i) for i in ids[start:start + 1000]):
            for key in keys_of[cid]:
                _id, _cid, name, at, score, grade = latest[key]
                assessed = _dt.date.fromisoformat(str(at)[:10])
                outcome = _outcome(by_customer.get(cid, []), assessed, horizon_end(assessed, horizon), late_days,
                                   as_of)
                if outcome is None:
                    no_exposure += 1
                    continue
                observations.append({"assessment_id": _id, "customer_id": cid, "model": name, "at": at,
                                     "score": score, "grade": grade, **outcome})
            by_customer.pop(cid, None)
    order = list(grades) + sorted({o["grade"] for o in observations} - set(grades))
    rows = []
    for grade in order:
        members = [o for o in observations if o["grade"] == grade]
        bad = sum(o["bad"] for o in members)
        low, high = wilson(bad, len(members))
        rows.append({"grade": grade, "archives": len(members), "bad": bad,
                     "late": sum(1 for o in members if o["late"]), "defaulted": sum(1 for o in members if o["defaulted"]),
                     "bad_rate": round(bad / len(members), 4) if members else None,
                     "bad_rate_95": [round(low, 4), round(high, 4)] if members else None})
    area = auc([o["score"] for o in observations if not o["bad"]], [o["score"] for o in observations if o["bad"]])
    seen = [r for r in rows if r["archives"]]
    inversions = [{"better": a["grade"], "worse": b["grade"], "better_bad_rate": a["bad_rate"],
                   "worse_bad_rate": b["bad_rate"]} for a, b in zip(seen, seen[1:]) if a["bad_rate"] > b["bad_rate"]]
    bads = sum(o["bad"] for o in observations)
    return {
        "as_of": as_of.isoformat(), "model": model, "horizon": f"{horizon[0]}{horizon[1]}", "late_days": late_days,
        "observed": len(observations), "bad": bads,
        "bad_rate": round(bads / len(observations), 4) if observations else None,
        "too_recent": len(too_recent), "no_exposure": no_exposure,
        "grades": rows, "auc": None if area is None else round(area, 4),
        "accuracy_ratio": None if area is None else round(2 * area - 1, 4),
        "rank_ordered": not inversions, "inversions": inversions,
    }

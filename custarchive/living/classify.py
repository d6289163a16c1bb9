"""ABC classification of customers by annual spend (客户分类).

The hotel seed sorts its customers by yearly spend into A (大客户/VIP),
B (普通单位客户) and C (散客/新客户). Thresholds are data: absolute amounts,
or shares of total spend as in Pareto ABC. A category change is an ordinary
card change (plan_update/apply_changes, source "classify"), so it is logged
and the archive number, which carries the category it was created in, never changes.
"""
from __future__ import annotations

import datetime as _dt

from custarchive.cards import archive, lookup
from custarchive.cards.numbering import category_pattern
from custarchive.core import authz
from custarchive.core.changelog import Actor
from custarchive.core.settings import section
from custarchive.errors import ConfigError, ValidationError
from custarchive.living import txn as money


METHODS = ("amount", "share")


def classify_settings(method: str | None = None) -> dict:
    """``data/living/abc.toml`` overlaid by ``[classify]`` in settings.toml, checked."""
    settings = section("classify", "abc.toml")
    if method is not None:
        if method not in METHODS:
            raise ValidationError("--method", method, "must be amount or share")
        settings["method"] = method
    if settings.get("method") not in METHODS:
        raise ConfigError(f"settings.toml [classify] method must be amount or share, not {settings.get('method')!r}")
    codes = settings.get("categories")
    if not isinstance(codes, list) or len(codes) < 2 or not all(isinstance(c, str) and c for c in codes):
        raise ConfigError("settings.toml [classify] categories must list at least two category codes, highest first")
    codes = [c.upper() for c in codes]
    settings["categories"] = codes
    limits = settings.get(settings["method"])
    if not isinstance(limits, dict) or set(limits) != set(codes[:-1]):
        raise ConfigError(f"settings.toml [classify.{settings['method']}] needs one threshold for each of "
                          f"{', '.join(codes[:-1])} (the last category, {codes[-1]}, takes the rest)")
    values = [limits[c] for c in codes[:-1]]
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) and v >= 0 for v in values):
        raise ConfigError(f"settings.toml [classify.{settings['method']}] thresholds must be numbers >= 0")
    if settings["method"] == "amount" and values != sorted(values, reverse=True):
        raise ConfigError("settings.toml [classify.amount] thresholds must fall from the first category to the last")
    if settings["method"] == "share" and (values != sorted(values) or values[-1] > 1):
        raise ConfigError("settings.toml [classify.share] shares must rise from the first category and be <= 1")
    return settings


def plan(conn, *, as_of: _dt.date | None = None, method: str | None = None) -> dict:
    """Every classifiable archive with its spend and the category it belongs in; nothing is written."""
    settings = classify_settings(method)
    codes = settings["categories"]
    for code in codes:
        category_pattern(conn, code)
    measured, has_orders = money.spend_by_customer(conn, as_of)
    cards = [c for c in lookup.list_cards(conn, {}) if c["category"] in codes]
    rated, skipped = [], []
    for card in cards:
        spend = money.annual_spend(card, measured, has_orders)
        if spend is None:
            skipped.append(card)
        else:
            rated.append((card, spend, "transactions" if card["id"] in has_orders else "card"))
    limits = settings[settings["method"]]
    if settings["method"] == "amount":
        def target(spend, _before):
            return next((code for code in codes[:-1] if spend >= limits[code]), codes[-1])
    else:
        total = sum(spend for _card, spend, _src in rated)

        def target(spend, before):
            if spend <= 0 or total <= 0:
                return codes[-1]
            return next((code for code in codes[:-1] if before / total < limits[code]), codes[-1])

    rated.sort(key=lambda item: (-item[1], item[0]["archive_no"]))
    results, before = [], 0.0
    for card, spend, source in rated:
        results.append({"card": card, "archive_no": card["archive_no"], "name": card["name"], "spend": spend,
                        "spend_source": source, "old": card["category"], "new": target(spend, before),
                        "share_before": round(before / total, 4) if settings["method"] == "share" and total else None})
        before += spend
    return {"method": settings["method"], "thresholds": dict(limits), "categories": codes,
            "as_of": (as_of or _dt.date.today()).isoformat(), "results": results,
            "skipped": [{"archive_no": c["archive_no"], "name": c["name"], "category": c["category"]} for c in skipped]}


def classify(conn, actor: Actor, *, dry_run: bool = False, as_of: _dt.date | None = None,
             method: str | None = None) -> dict:
    """Plan, then (unless ``dry_run``) move each archive whose category changes; every move is logged."""
    authz.require(conn, actor, "read" if dry_run else "update")
    result = plan(conn, as_of=as_of, method=method)
    for item in result["results"]:
        card = item.pop("card")
        if item["new"] != item["old"] and not dry_run:
            changes = archive.plan_update(conn, card, {"category": item["new"]})
            archive.apply_changes(conn, card, changes, actor, action="classify")
    result["changes"] = [item for item in result["results"] if item["new"] != item["old"]]
    counts = {code: 0 for code in result["categories"]}
    for item in result["results"]:
        counts[item["new"]] += 1
    result["counts"] = counts
    result["dry_run"] = dry_run
    return result

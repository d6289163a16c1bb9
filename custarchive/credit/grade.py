"""Credit evaluation (信用评估) against the database: inputs, assessments, grade history, batch grading.

The scoring itself is pure (``custarchive.scoring``); this module gathers what
it needs from an archive, stores each assessment with the exact scorecard
(sha256), every input and answer and the result, and moves the card's grade
(and, when asked, its credit limit) through ``archive.apply_changes`` so the
change log shows who graded whom, when and with which result.

Where inputs come from (``gather_inputs``), later sources overriding earlier:

1. the card: registered_capital, annual_spend, years_as_customer (since the
   archive was created), years_in_business (from a ``founded_date`` field);
2. finance statements: every ratio of the latest period plus equity and revenue;
3. transactions (``living.txn.payment_stats``):
   gives on_time_rate, longest_delay_days, outstanding_to_limit and (if there
   are orders) annual_spend; the first transaction dates years_as_customer;
4. the contact log (``living.timeline``): complaint
   entries in the last 12 months;
5. ``--input ID=VALUE`` on the command line, which always wins.
"""
from __future__ import annotations

import datetime as _dt
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Mapping

from sqlalchemy import text

from custarchive.cards import archive, lookup
from custarchive.config import config_dir, load_settings
from custarchive.core import authz
from custarchive.core.changelog import Actor
from custarchive.core.sqlutil import now
from custarchive.core.values import normalize_text, parse_amount
from custarchive.credit import finance
from custarchive.errors import ValidationError
from custarchive.living import timeline, txn
from custarchive.scoring import (
    CATALOGUE, Evaluation, GradeScale, LimitRule, Measure, Scorecard, check_compatible, evaluate, load_limit_rule,
    load_scale, measures_from_analysis, resolve_scorecard,
)
from custarchive.scoring.indicators import check_range, to_decimal


DEFAULT_MODELS = {"enterprise": "enterprise", "individual": "5c"}
CLI_EVIDENCE = "given on the command line (--input)"


@dataclass(frozen=True)
class Policy:
    """Grade scale, credit-limit rule and partial threshold: built-in or from the config directory."""

    scale: GradeScale
    limit_rule: LimitRule
    partial_threshold: Decimal

    def describe(self) -> dict:
        return {"scale": self.scale.source, "limit_rule": self.limit_rule.source,
                "partial_threshold": _plain(self.partial_threshold)}


def load_policy() -> Policy:
    """``<config>/scale.toml`` and ``<config>/limit.toml`` when present; ``[credit] partial_threshold``
    in ``<config>/settings.toml``."""
    folder = config_dir()
    scale_path, limit_path = folder / "scale.toml", folder / "limit.toml"
    scale = load_scale(scale_path if scale_path.exists() else None)
    rule = load_limit_rule(limit_path if limit_path.exists() else None)
    check_compatible(scale, rule)
    raw = (load_settings().get("credit") or {}).get("partial_threshold", 30)
    threshold = to_decimal("settings.toml: credit.partial_threshold", raw)
    if threshold is None or not 0 <= threshold <= 100:
        raise ValidationError("settings.toml: credit.partial_threshold", raw, "must be a number from 0 to 100")
    return Policy(scale, rule, threshold)


def choose_scorecard(card: dict, model: str | None) -> Scorecard:
    """``--model`` or the default for the archive's kind; refuses a card made for the other kind."""
    scorecard = resolve_scorecard(model or DEFAULT_MODELS[card["kind"]])
    if card["kind"] not in scorecard.applies_to:
        raise ValidationError("--model", model, f"scorecard {scorecard.name!r} applies to "
                              f"{' and '.join(scorecard.applies_to)} customers, not {card['kind']} ones")
    return scorecard


def parse_inputs(given: Mapping[str, str]) -> dict[str, Measure]:
    """``--input ID=VALUE``: amounts accept 12万 / 1,200.50, ratios accept 95%; an empty value means unknown."""
    out: dict[str, Measure] = {}
    for key, raw in given.items():
        spec = CATALOGUE.get(key)
        if spec is None:
            raise ValidationError(key, raw, "unknown indicator id for --input; known: " + ", ".join(sorted(CATALOGUE)))
        textual = normalize_text(raw).replace(" ", "")
        if not textual:
            out[key] = Measure(None, "set to unknown on the command line (--input)")
            continue
        if spec.unit == "CNY":
            value = to_decimal(key, repr(parse_amount(textual, key)))
        elif textual.endswith("%"):
            value = to_decimal(key, textual[:-1]) / 100
        else:
            value = to_decimal(key, textual)
        check_range(spec, value)
        out[key] = Measure(value, CLI_EVIDENCE)
    return out


def _years_since(start: str, as_of: _dt.date) -> Decimal:
    days = (as_of - _dt.date.fromisoformat(start[:10])).days
    return max(Decimal(days) / Decimal("365.25"), Decimal(0)).quantize(Decimal("0.01"))


def _card_measures(card: dict, as_of: _dt.date) -> dict[str, Measure]:
    out: dict[str, Measure] = {}
    for key in ("registered_capital", "annual_spend"):
        if card.get(key) is not None:
            out[key] = Measure(to_decimal(key, card[key]), f"card: {key} {card[key]:,.2f}")
    out["years_as_customer"] = Measure(_years_since(card["created_at"], as_of),
                                       f"archive created {card['created_at'][:10]}")
    founded = (card.get("extra") or {}).get("founded_date")
    if founded:
        out["years_in_business"] = Measure(_years_since(str(founded), as_of), f"card: founded {founded}")
    return out


def _finance_measures(conn, card: dict) -> dict[str, Measure]:
    return measures_from_analysis(finance.analysis(conn, card["id"]))


def _payment_measures(conn, card: dict, as_of: _dt.date) -> dict[str, Measure]:
    """From the archive's transactions; absent values stay absent (missing, not 0)."""
    stats = txn.payment_stats(conn, card["id"], as_of=as_of)
    where = f"transactions as of {stats.get('as_of', as_of.isoformat())}"
    out: dict[str, Measure] = {}
    for key in ("on_time_rate", "longest_delay_days", "average_delay_days", "outstanding_to_limit", "spend_growth"):
        if stats.get(key) is not None:
            out[key] = Measure(to_decimal(key, stats[key]), f"{where}: {key} {stats[key]}")
    if stats.get("annual_spend") is not None and stats.get("orders", 1):
        out["annual_spend"] = Measure(to_decimal("annual_spend", stats["annual_spend"]),
                                      f"{where}: orders in the last 12 months {stats['annual_spend']:,.2f}")
    dates = [t["txn_date"] for t in txn.transactions(conn, card["id"]) if t.get("txn_date")]
    if dates:
        out["years_as_customer"] = Measure(_years_since(min(dates), as_of), f"first transaction {min(dates)}")
    return out


def _complaint_measures(conn, card: dict, as_of: _dt.date) -> dict[str, Measure]:
    """Complaint entries of the contact log (the timeline) in the 12 months up to as_of."""
    since = (as_of - _dt.timedelta(days=365)).isoformat()
    found = [e for e in timeline.entries(conn, card, "complaint") if since < str(e["at"])[:10] <= as_of.isoformat()]
    return {"complaints_count": Measure(Decimal(len(found)), f"contact log: {len(found)} complaint(s) "
                                                             f"{since} – {as_of.isoformat()}")}


def gather_inputs(conn, card: dict, overrides: Mapping[str, Measure] | None = None,
                  as_of: _dt.date | None = None) -> dict[str, Measure]:
    """Every indicator value this archive has, each with its evidence; ``overrides`` (--input) win."""
    as_of = as_of or _dt.date.today()
    measures = _card_measures(card, as_of)
    measures.update(_finance_measures(conn, card))
    measures.update(_payment_measures(conn, card, as_of))
    measures.update(_complaint_measures(conn, card, as_of))
    measures.update(overrides or {})
    return measures


def limit_basis(card: dict) -> dict[str, Any]:
    return {"credit_limit": card.get("credit_limit")}


def assess(scorecard: Scorecard, measures: Mapping[str, Measure], answers: Mapping[str, object], card: dict,
           policy: Policy) -> Evaluation:
    return evaluate(scorecard, measures, answers, scale=policy.scale, limit_rule=policy.limit_rule,
                    basis=limit_basis(card), partial_threshold=policy.partial_threshold)


def answered(evaluation: Evaluation) -> dict[str, int]:
    """The answer per question actually used, whatever form (factor, factor.question) it was given in."""
    return {i.name: int(i.value) for f in evaluation.factors for i in f.indicators
            if i.kind == "qualitative" and i.value is not None}


def result_dict(card: dict, evaluation: Evaluation) -> dict:
    return {"archive_no": card["archive_no"], "name": card["name"], **evaluation.to_dict()}


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def inputs_record(measures: Mapping[str, Measure], evaluation: Evaluation, given_scores: Mapping[str, str],
                  given_inputs: Mapping[str, str], card: dict, policy: Policy) -> dict:
    """Everything needed to reproduce an assessment by hand."""
    return {
        "measures": {key: {"value": _plain(m.value), "evidence": m.evidence} for key, m in sorted(measures.items())},
        "answers": answered(evaluation), "given_scores": dict(given_scores), "given_inputs": dict(given_inputs),
        "basis": {key: _plain(value) for key, value in limit_basis(card).items()}, **policy.describe(),
    }


def _assessment_rows(conn, customer_id: int, model: str | None = None, limit: int | None = None) -> list[dict]:
    sql = ("SELECT id, at, operator, model, scorecard_source, scorecard_sha256, score, grade, partial, "
           "recommended_limit, inputs, result FROM assessments WHERE customer_id = :c")
    params: dict[str, Any] = {"c": customer_id}
    if model:
        sql += " AND model = :m"
        params["m"] = model
    sql += " ORDER BY id DESC" + (f" LIMIT {int(limit)}" if limit else "")
    keys = ("id", "at", "operator", "model", "scorecard_source", "scorecard_sha256", "score", "grade", "partial",
            "recommended_credit_limit", "inputs", "result")
    out = []
    for row in conn.execute(text(sql), params):
        item = dict(zip(keys, row))
        item["partial"] = bool(item["partial"])
        item["inputs"], item["result"] = json.loads(item["inputs"]), json.loads(item["result"])
        out.append(item)
    return out


def latest_assessment(conn, customer_id: int, model: str | None = None) -> dict | None:
    rows = _assessment_rows(conn, customer_id, model, limit=1)
    return rows[0] if rows else None


def history(conn, card: dict, actor: Actor) -> list[dict]:
    """All assessments of one archive, oldest first."""
    authz.require(conn, actor, "read")
    return list(reversed(_assessment_rows(conn, card["id"])))


def stored_answers(conn, customer_id: int, model: str) -> dict[str, int]:
    previous = latest_assessment(conn, customer_id, model)
    return dict(previous["inputs"].get("answers") or {}) if previous else {}


def comparison(previous: dict | None, evaluation: Evaluation) -> dict | None:
    """The change against the archive's previous assessment (of any model)."""
    if previous is None:
        return None
    before = Decimal(str(previous["score"]))
    return {"assessment_id": previous["id"], "at": previous["at"], "model": previous["model"],
            "score": previous["score"], "grade": previous["grade"],
            "recommended_credit_limit": previous["recommended_credit_limit"],
            "score_change": _plain(evaluation.score - before),
            "grade_changed": previous["grade"] != evaluation.grade}


def save(conn, card: dict, evaluation: Evaluation, inputs: dict, actor: Actor, *,
         apply_limit: bool = False) -> tuple[int, dict[str, tuple[Any, Any]]]:
    """Store the assessment; set the card's grade (always) and credit limit (only with ``apply_limit``).

    Returns the assessment id and the card changes written to the change log.
    """
    authz.require(conn, actor, "grade")
    fresh = lookup.fetch_by_ids(conn, [card["id"]])[0]
    score = float(evaluation.score)
    limit = evaluation.recommended_credit_limit
    conn.execute(text("INSERT INTO assessments (customer_id, model, scorecard_sha256, scorecard_source, inputs, "
                      "result, score, grade, partial, recommended_limit, operator, at) VALUES (:c, :m, :h, :s, :i, "
                      ":r, :score, :g, :p, :l, :o, :t)"),
                 {"c": fresh["id"], "m": evaluation.model, "h": evaluation.scorecard_sha256,
                  "s": evaluation.scorecard_source, "i": json.dumps(inputs, ensure_ascii=False, sort_keys=True),
                  "r": json.dumps(result_dict(fresh, evaluation), ensure_ascii=False), "score": score,
                  "g": evaluation.grade, "p": int(evaluation.partial),
                  "l": None if limit is None else float(limit), "o": actor.operator, "t": now()})
    assessment_id = conn.execute(text("SELECT MAX(id) FROM assessments WHERE customer_id = :c"),
                                 {"c": fresh["id"]}).scalar_one()
    changes: dict[str, tuple[Any, Any]] = {}
    if fresh.get("grade") != evaluation.grade:
        changes["grade"] = (fresh.get("grade"), evaluation.grade)
    if apply_limit and limit is not None:
        changes.update(archive.plan_update(conn, fresh, {"credit_limit": f"{limit:f}"}))
    labelled = Actor(actor.operator, actor.source, actor.batch_id,
                     actor.reason or f"assessment #{assessment_id}: {evaluation.model} score {evaluation.score}")
    archive.apply_changes(conn, fresh, changes, labelled, action="grade")
    return assessment_id, changes


def grade_all(conn, cards: list[dict], model: str | None, policy: Policy, actor: Actor, *, dry_run: bool,
              apply_limit: bool = False, as_of: _dt.date | None = None) -> dict:
    """Re-grade many archives without questions: computable data plus each archive's stored answers.

    An archive the scorecard does not apply to, or with no data at all, is skipped
    (listed with the reason) instead of stopping the batch.
    """
    authz.require(conn, actor, "grade")
    chosen: dict[str, Scorecard | ValidationError] = {}
    results, skipped, moved = [], [], []
    distribution = {grade: 0 for grade in policy.scale.grades}
    for card in cards:
        try:
            if card["kind"] not in chosen:
                try:
                    chosen[card["kind"]] = choose_scorecard(card, model)
                except ValidationError as exc:
                    chosen[card["kind"]] = exc
            scorecard = chosen[card["kind"]]
            if isinstance(scorecard, ValidationError):
                raise scorecard
            measures = gather_inputs(conn, card, as_of=as_of)
            answers = stored_answers(conn, card["id"], scorecard.name)
            evaluation = assess(scorecard, measures, answers, card, policy)
        except ValidationError as exc:
            skipped.append({"archive_no": card["archive_no"], "name": card["name"], "reason": exc.message})
            continue
        if not dry_run:
            save(conn, card, evaluation, inputs_record(measures, evaluation, {}, {}, card, policy), actor,
                 apply_limit=apply_limit)
        distribution[evaluation.grade] = distribution.get(evaluation.grade, 0) + 1
        entry = {"archive_no": card["archive_no"], "name": card["name"], "model": evaluation.model,
                 "score": _plain(evaluation.score), "grade": evaluation.grade, "partial": evaluation.partial,
                 "recommended_credit_limit": _plain(evaluation.recommended_credit_limit)}
        results.append(entry)
        if card.get("grade") != evaluation.grade:
            moved.append({**entry, "old_grade": card.get("grade")})
    return {"model": model, "dry_run": dry_run, "graded": len(results), "distribution": distribution,
            "moved": moved, "skipped": skipped, "results": results}

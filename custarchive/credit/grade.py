"""Credit evaluation (信用评估) against the database: inputs, assessments, grade history, batch grading.

The scoring itself is pure (``custarchive.scoring``); this module gathers what
it needs from an archive, stores each assessment with the exact scorecard
(sha256), every input and answer and the result, and moves the card's grade
(and, when asked, its credit limit) through ``archive.apply_changes`` so the
change log shows who graded whom, when and with which result.

Where inputs come from: ``credit.evidence`` (loaded set-wise, so ``grade --all``
makes a few queries per batch of archives, not several per archive).
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
from custarchive.credit import evidence
from custarchive.errors import ValidationError
from custarchive.living import txn
from custarchive.scoring import (
    CATALOGUE, Evaluation, GradeScale, Screen, LimitRule, Measure, Scorecard, check_compatible, evaluate, load_limit_rule,
    load_scale, resolve_scorecard, screen,
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


def choose_model_name(model: str | None) -> str | None:
    """The scorecard name ``--model`` stands for (a file's own name), or None for every model."""
    return None if model is None else resolve_scorecard(model).name


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


def gather_inputs(conn, card: dict, overrides: Mapping[str, Measure] | None = None,
                  as_of: _dt.date | None = None) -> dict[str, Measure]:
    """Every indicator value this archive has, each with its evidence; ``overrides`` (--input) win."""
    as_of = as_of or _dt.date.today()
    found = evidence.load(conn, [card], as_of)[card["id"]]
    measures = evidence.measures(card, found, as_of)
    measures.update(overrides or {})
    return measures


def limit_basis(card: dict, terms_days: int | None = None) -> dict[str, Any]:
    """What the limit rule needs beyond the measures: the payment terms, and the current limit to compare."""
    if terms_days is None:
        terms_days = txn.terms_days(card, txn.money_settings())
    return {"credit_limit": card.get("credit_limit"), "payment_terms_days": terms_days}


def assess(scorecard: Scorecard, measures: Mapping[str, Measure], answers: Mapping[str, object], card: dict,
           policy: Policy, basis: Mapping[str, Any] | None = None) -> Evaluation:
    return evaluate(scorecard, measures, answers, scale=policy.scale, limit_rule=policy.limit_rule,
                    basis=basis if basis is not None else limit_basis(card),
                    partial_threshold=policy.partial_threshold)


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
        "measures": {key: {"value": _plain(m.value), "evidence": m.evidence, "evidence_zh": m.evidence_zh}
                     for key, m in sorted(measures.items())},
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
    if evaluation.score is None:
        return {"assessment_id": previous["id"], "at": previous["at"], "model": previous["model"],
                "score": previous["score"], "grade": previous["grade"],
                "recommended_credit_limit": previous["recommended_credit_limit"], "score_change": None,
                "grade_changed": False}
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
    return _save(conn, lookup.fetch_by_ids(conn, [card["id"]])[0], evaluation, inputs, actor, apply_limit)


def _save(conn, fresh: dict, evaluation: Evaluation, inputs: dict, actor: Actor,
          apply_limit: bool) -> tuple[int, dict[str, tuple[Any, Any]]]:
    """``save`` for a card just read in full, by a caller that checked the permission."""
    if not evaluation.rated or evaluation.score is None:
        raise ValidationError("grade", evaluation.grade, "a result that is not rated is not saved")
    limit = evaluation.recommended_credit_limit
    assessment_id = conn.execute(text(
        "INSERT INTO assessments (customer_id, model, scorecard_sha256, scorecard_source, inputs, result, score, "
        "grade, partial, recommended_limit, operator, at) VALUES (:c, :m, :h, :s, :i, :r, :score, :g, :p, :l, :o, "
        ":t) RETURNING id"),
        {"c": fresh["id"], "m": evaluation.model, "h": evaluation.scorecard_sha256,
         "s": evaluation.scorecard_source, "i": json.dumps(inputs, ensure_ascii=False, sort_keys=True),
         "r": json.dumps(result_dict(fresh, evaluation), ensure_ascii=False), "score": float(evaluation.score),
         "g": evaluation.grade, "p": int(evaluation.partial),
         "l": None if limit is None else float(limit), "o": actor.operator, "t": now()}).scalar_one()
    changes: dict[str, tuple[Any, Any]] = {}
    if fresh.get("grade") != evaluation.grade:
        changes["grade"] = (fresh.get("grade"), evaluation.grade)
    if apply_limit and limit is not None:
        changes.update(archive.plan_update(conn, fresh, {"credit_limit": f"{limit:f}"}))
    labelled = Actor(actor.operator, actor.source, actor.batch_id,
                     actor.reason or f"assessment #{assessment_id}: {evaluation.model} score {evaluation.score}")
    archive.apply_changes(conn, fresh, changes, labelled, action="grade")
    return assessment_id, changes


BATCH = 1000  # archives loaded and graded together: memory stays flat, queries stay few


def _not_rated_key(checked: Screen) -> tuple[str, str]:
    """Why a result was not rated, as a tally key: the factors without data, or too little weight."""
    if checked.empty_factors:
        return (", ".join(en for en, _zh in checked.empty_factors) + " without data",
                "、".join(zh for _en, zh in checked.empty_factors) + "无数据")
    return "too little of the weight has data", "有数据的权重不足"


def grade_all(conn, filters: Mapping[str, str | None], model: str | None, policy: Policy, actor: Actor, *,
              dry_run: bool, apply_limit: bool = False, as_of: _dt.date | None = None, keep=None,
              progress=None) -> dict:
    """Re-grade many archives without questions: computable data plus each archive's stored answers.

    Archives are loaded in batches with one query per kind of data. An archive the
    scorecard does not apply to is skipped, one with too little evidence is not
    rated (nothing saved); both are counted by reason. Per-archive results go to
    ``keep(list_name, entry)`` as they are made (``--json`` / ``--verbose``: the
    caller spools them), never into a list here, so memory does not grow with the
    archive; list names: results, moved, not_rated, skipped.
    ``progress(done, total)`` is called after each batch.
    """
    authz.require(conn, actor, "grade")
    as_of = as_of or _dt.date.today()
    where, params = lookup.list_where(dict(filters), conn)
    ids = [row[0] for row in conn.execute(text(f"SELECT id FROM customers{where} ORDER BY archive_no"), params)]
    chosen: dict[str, Scorecard | ValidationError] = {}
    settings = txn.money_settings()
    reasons: dict[str, dict] = {}
    moved_count = graded = 0
    distribution = {grade: 0 for grade in policy.scale.grades}
    for start in range(0, len(ids), BATCH):
        cards = evidence.cards(conn, ids[start:start + BATCH])
        found = evidence.load(conn, cards, as_of)
        by_model: dict[str, list[int]] = {}
        for card in cards:
            if card["kind"] not in chosen:
                try:
                    chosen[card["kind"]] = choose_scorecard(card, model)
                except ValidationError as exc:
                    chosen[card["kind"]] = exc
            scorecard = chosen[card["kind"]]
            if isinstance(scorecard, Scorecard):
                by_model.setdefault(scorecard.name, []).append(card["id"])
        answers = {name: evidence.stored_answers(conn, members, name) for name, members in by_model.items()}
        to_save: list[tuple[int, Evaluation, dict]] = []
        for card in cards:
            scorecard = chosen[card["kind"]]
            head = {"archive_no": card["archive_no"], "name": card["name"]}
            if isinstance(scorecard, ValidationError):
                key = scorecard.message
                reasons.setdefault(key, {"reason_en": key, "reason_zh": key, "count": 0, "kind": "skipped"})
                reasons[key]["count"] += 1
                if keep:
                    keep("skipped", {**head, "reason": key})
                continue
            measures = evidence.measures(card, found[card["id"]], as_of)
            given = answers[scorecard.name].get(card["id"], {})
            try:
                checked = screen(scorecard, measures, given, policy.scale)
                if not checked.rated:
                    en, zh = _not_rated_key(checked)
                    reasons.setdefault(en, {"reason_en": en, "reason_zh": zh, "count": 0, "kind": "not_rated"})
                    reasons[en]["count"] += 1
                    if keep:
                        keep("not_rated", {
                            **head, "model": scorecard.name, "grade": checked.grade,
                            "coverage": _plain((100 - checked.missing_share).quantize(Decimal("0.01"))),
                            "why": [{"en": e, "zh": z} for e, z in checked.why]})
                    continue
                if dry_run and not keep:
                    graded += 1
                    distribution[checked.grade] = distribution.get(checked.grade, 0) + 1
                    moved_count += card.get("grade") != checked.grade
                    continue
                evaluation = assess(scorecard, measures, given, card, policy,
                                    limit_basis(card, txn.terms_days(card, settings)))
            except ValidationError as exc:
                reasons.setdefault(exc.message, {"reason_en": exc.message, "reason_zh": exc.message, "count": 0,
                                                 "kind": "skipped"})
                reasons[exc.message]["count"] += 1
                if keep:
                    keep("skipped", {**head, "reason": exc.message})
                continue
            if not dry_run:
                to_save.append((card["id"], evaluation, inputs_record(measures, evaluation, {}, {}, card, policy)))
            graded += 1
            distribution[evaluation.grade] = distribution.get(evaluation.grade, 0) + 1
            entry = {**head, "model": evaluation.model, "score": _plain(evaluation.score), "grade": evaluation.grade,
                     "partial": evaluation.partial,
                     "recommended_credit_limit": _plain(evaluation.recommended_credit_limit)}
            if keep:
                keep("results", entry)
            if card.get("grade") != evaluation.grade:
                moved_count += 1
                if keep:
                    keep("moved", {**entry, "old_grade": card.get("grade")})
        full = {c["id"]: c for c in lookup.fetch_by_ids(conn, [cid for cid, _e, _i in to_save])}
        for cid, evaluation, record in to_save:
            _save(conn, full[cid], evaluation, record, actor, apply_limit)
        if progress is not None:
            progress(min(start + BATCH, len(ids)), len(ids))
    not_rated_count = sum(r["count"] for r in reasons.values() if r["kind"] == "not_rated")
    skipped_count = sum(r["count"] for r in reasons.values() if r["kind"] == "skipped")
    summary = {"model": model, "dry_run": dry_run, "as_of": as_of.isoformat(), "archives": len(ids),
               "graded": graded, "distribution": distribution, "moved_count": moved_count,
               "not_rated_count": not_rated_count, "skipped_count": skipped_count,
               "reasons": sorted(reasons.values(), key=lambda r: -r["count"])}
    return summary

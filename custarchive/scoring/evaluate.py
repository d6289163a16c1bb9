"""Score one customer against a scorecard, from plain data.

``evaluate`` takes numbers and answers, not database rows, so it can be
tested by hand and called from anywhere (CLI, batch ``grade --all``, reports).

Scoring: each indicator scores 0-100 (quantitative: the first matching row of
its table; qualitative: the score of the chosen answer 1-5). A factor's score
is the weighted mean of its indicators; the total is the weighted mean of the
factors, rounded to 2 decimals, and the grade comes from the rounded total.

Missing-data rule - a missing value is never scored as zero, because "we do not
know" is not "bad":

1. An indicator without data (value None / absent, or a question not answered)
   is listed as missing with its reason.
2. Its weight is spread over the indicators of the same factor that have data,
   in proportion to their weights (effective weight = weight / sum of weights
   with data × 100).
3. A factor with no data at all is missing; its weight is spread the same way
   over the factors that have data.
4. ``missing_share`` is the share of the card's total weight that was missing
   (sum of factor weight × indicator weight / 100 over missing indicators). When
   it is above ``partial_threshold`` (default 30%) the result is ``partial``:
   shown as such, and the credit-limit rule may cap it.
5. If nothing at all has data, evaluation is refused (ValidationError).

Each indicator's ``contribution`` is its share of the total in points, so the
contributions add up to the total score (up to display rounding).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Mapping

from custarchive.errors import ValidationError
from custarchive.scoring.grades import (GradeScale, LimitRecommendation, LimitRule,
                                        check_compatible, load_limit_rule, load_scale,
                                        recommend_limit)
from custarchive.scoring.indicators import CATALOGUE, Measure, check_range, to_decimal
from custarchive.scoring.scorecard import QUALITATIVE, IndicatorSpec, Scorecard

HUNDRED = Decimal(100)
DEFAULT_PARTIAL_THRESHOLD = Decimal(30)
_CENT = Decimal("0.01")


def _r2(value: Decimal) -> Decimal:
    return value.quantize(_CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class IndicatorResult:
    name: str
    label_zh: str
    label_en: str
    kind: str  # quantitative | qualitative
    indicator: str | None  # catalogue id, for quantitative ones
    weight: Decimal  # nominal, within the factor
    effective_weight: Decimal  # within the factor after spreading missing weight; 0 if missing
    share: Decimal  # effective share of the total score, in percent
    value: Decimal | None  # measured value (quantitative) or the answer 1-5 (qualitative)
    score: Decimal | None  # 0-100; None when missing
    contribution: Decimal | None  # points of the total score
    rule: str  # the table row or answer mapping that produced the score
    evidence: str
    missing: bool


@dataclass(frozen=True)
class FactorResult:
    name: str
    label_zh: str
    label_en: str
    weight: Decimal
    effective_weight: Decimal
    score: Decimal | None
    contribution: Decimal | None
    missing: bool
    indicators: tuple[IndicatorResult, ...]


@dataclass(frozen=True)
class Evaluation:
    model: str
    model_label_zh: str
    model_label_en: str
    scorecard_source: str
    scorecard_sha256: str
    score: Decimal
    grade: str
    grade_label_zh: str
    grade_label_en: str
    partial: bool
    missing_share: Decimal  # percent of total weight without data
    missing: tuple[str, ...]  # "factor.indicator"
    factors: tuple[FactorResult, ...]
    recommended_credit_limit: Decimal | None
    limit: LimitRecommendation = field(repr=False)

    @property
    def credit_limit_why(self) -> str:
        return self.limit.why_en

    @property
    def credit_limit_why_zh(self) -> str:
        return self.limit.why_zh

    def to_dict(self) -> dict:
        """JSON-ready: Decimals become int or float, nothing else needs converting."""
        lim = self.limit
        return {
            "model": self.model, "model_label_zh": self.model_label_zh,
            "model_label_en": self.model_label_en,
            "scorecard": {"source": self.scorecard_source, "sha256": self.scorecard_sha256},
            "score": _json(self.score), "grade": self.grade,
            "grade_label_zh": self.grade_label_zh, "grade_label_en": self.grade_label_en,
            "partial": self.partial, "missing_share": _json(_r2(self.missing_share)),
            "missing": list(self.missing),
            "factors": [_factor_dict(f) for f in self.factors],
            "recommended_credit_limit": _json(self.recommended_credit_limit),
            "credit_limit": {
                "amount": _json(lim.amount), "base_source": lim.base_source,
                "base_value": _json(lim.base_value), "fraction": _json(lim.fraction),
                "multiplier": _json(lim.multiplier), "why_en": lim.why_en, "why_zh": lim.why_zh,
            },
        }


def _json(value: Decimal | None) -> int | float | None:
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def _factor_dict(f: FactorResult) -> dict:
    return {
        "name": f.name, "label_zh": f.label_zh, "label_en": f.label_en,
        "weight": _json(f.weight), "effective_weight": _json(f.effective_weight),
        "score": _json(f.score), "contribution": _json(f.contribution), "missing": f.missing,
        "indicators": [{
            "name": i.name, "label_zh": i.label_zh, "label_en": i.label_en, "type": i.kind,
            "indicator": i.indicator, "weight": _json(i.weight),
            "effective_weight": _json(i.effective_weight), "share": _json(i.share),
            "value": _json(i.value), "score": _json(i.score),
            "contribution": _json(i.contribution), "rule": i.rule, "evidence": i.evidence,
            "missing": i.missing,
        } for i in f.indicators],
    }


def _measures(inputs: Mapping[str, object]) -> dict[str, Measure]:
    """Accept a number, None, a Measure or a (value, evidence) pair per indicator id."""
    out: dict[str, Measure] = {}
    for key, raw in inputs.items():
        if key not in CATALOGUE:
            raise ValidationError(key, None, "unknown indicator id; known: "
                                  + ", ".join(sorted(CATALOGUE)))
        if isinstance(raw, Measure):
            value, evidence = raw.value, raw.evidence
        elif isinstance(raw, tuple) and len(raw) == 2:
            value, evidence = raw
        else:
            value, evidence = raw, ""
        number = to_decimal(key, value)
        if number is not None:
            check_range(CATALOGUE[key], number)
        out[key] = Measure(number, str(evidence or ""))
    return out


def _answer_number(key: str, raw: object) -> int | None:
    if raw is None:
        return None
    if isinstance(raw, str) and raw.strip().isdigit():
        raw = int(raw.strip())
    if isinstance(raw, bool) or not isinstance(raw, int) or not 1 <= raw <= 5:
        raise ValidationError(key, raw, "answer must be a whole number from 1 to 5")
    return raw


def _answers(card: Scorecard, answers: Mapping[str, object]) -> dict[str, int | None]:
    """Map answers to question names; a factor name answers all its unanswered questions."""
    questions = card.questions()
    direct: dict[str, int | None] = {}
    by_factor: dict[str, int | None] = {}
    for key, raw in answers.items():
        number = _answer_number(key, raw)
        found = card.find(key)
        if found and found[1].kind == QUALITATIVE:
            direct[found[1].name] = number
            continue
        factor_questions = [i.name for f, i in questions if f.name == key]
        if factor_questions:
            by_factor[key] = number
            continue
        hint = ", ".join(f"{f.name}.{i.name}" for f, i in questions) or "none"
        what = "a measured indicator, not a question" if found else "not a question"
        raise ValidationError(key, raw, f"{what} of scorecard {card.name!r}; questions: {hint}")
    resolved: dict[str, int | None] = {}
    for f, i in questions:
        if i.name in direct:
            resolved[i.name] = direct[i.name]
        elif f.name in by_factor:
            resolved[i.name] = by_factor[f.name]
    return resolved


@dataclass
class _Scored:
    spec: IndicatorSpec
    value: Decimal | None
    score: Decimal | None
    rule: str
    evidence: str


def _score_indicator(spec: IndicatorSpec, measures: dict[str, Measure],
                     answers: dict[str, int | None]) -> _Scored:
    if spec.kind == QUALITATIVE:
        answer = answers.get(spec.name)
        if answer is None:
            return _Scored(spec, None, None, "", "not answered")
        zh, en = spec.anchors[answer - 1]
        score = spec.score_answer(answer)
        return _Scored(spec, Decimal(answer), score, f"answer {answer} → {score}",
                       f"answer {answer}: {zh} ({en})")
    measure = measures.get(spec.indicator or "")
    if measure is None or measure.value is None:
        reason = measure.evidence if measure and measure.evidence else "no data"
        return _Scored(spec, None, None, "", reason)
    score, rule = spec.score_value(measure.value)
    return _Scored(spec, measure.value, score, rule, measure.evidence)


def evaluate(scorecard: Scorecard, inputs: Mapping[str, object] | None = None,
             answers: Mapping[str, object] | None = None, *,
             scale: GradeScale | None = None, limit_rule: LimitRule | None = None,
             basis: Mapping[str, object] | None = None,
             partial_threshold: Decimal | int | float = DEFAULT_PARTIAL_THRESHOLD,
             ) -> Evaluation:
    """Score, grade and recommend a credit limit.

    ``inputs``: indicator id → number / None / Measure / (value, evidence).
    ``answers``: question name, ``factor.question`` or factor name → 1..5 (None = unanswered).
    ``basis``: amounts for the credit-limit base (credit_limit, annual_spend, equity…);
    values also found in ``inputs`` are used when ``basis`` lacks them.
    """
    scale = scale or load_scale()
    limit_rule = limit_rule or load_limit_rule()
    check_compatible(scale, limit_rule)
    measures = _measures(inputs or {})
    resolved = _answers(scorecard, answers or {})
    threshold = to_decimal("partial_threshold", partial_threshold)

    scored = [[_score_indicator(i, measures, resolved) for i in f.indicators]
              for f in scorecard.factors]
    present_factor_weight = sum((f.weight for f, row in zip(scorecard.factors, scored)
                                 if any(s.score is not None for s in row)), Decimal(0))
    if present_factor_weight == 0:
        raise ValidationError("inputs", None, f"no data for any indicator of scorecard "
                              f"{scorecard.name!r}: give at least one measured value or answer")

    total = Decimal(0)
    missing: list[str] = []
    missing_share = Decimal(0)
    factors: list[FactorResult] = []
    for factor, row in zip(scorecard.factors, scored):
        have = sum((s.spec.weight for s in row if s.score is not None), Decimal(0))
        f_eff = factor.weight / present_factor_weight * HUNDRED if have else Decimal(0)
        f_score = Decimal(0)
        results: list[IndicatorResult] = []
        for s in row:
            spec = s.spec
            if s.score is None:
                missing.append(f"{factor.name}.{spec.name}")
                missing_share += factor.weight * spec.weight / HUNDRED
                results.append(IndicatorResult(
                    spec.name, spec.label_zh, spec.label_en, spec.kind, spec.indicator,
                    spec.weight, Decimal(0), Decimal(0), None, None, None, "", s.evidence, True))
                continue
            eff = spec.weight / have * HUNDRED
            f_score += eff * s.score / HUNDRED
            contribution = f_eff * eff * s.score / HUNDRED / HUNDRED
            results.append(IndicatorResult(
                spec.name, spec.label_zh, spec.label_en, spec.kind, spec.indicator,
                spec.weight, _r2(eff), _r2(f_eff * eff / HUNDRED), s.value, s.score,
                _r2(contribution), s.rule, s.evidence, False))
        if have:
            total += f_eff * f_score / HUNDRED
        factors.append(FactorResult(
            factor.name, factor.label_zh, factor.label_en, factor.weight, _r2(f_eff),
            _r2(f_score) if have else None, _r2(f_eff * f_score / HUNDRED) if have else None,
            not have, tuple(results)))

    score = _r2(total)
    band = scale.band_for(score)
    partial = missing_share > threshold
    pool = {k: m.value for k, m in measures.items()}
    pool.update({k: v for k, v in (basis or {}).items() if v is not None})
    limit = recommend_limit(limit_rule, band.grade, pool, partial)
    return Evaluation(
        model=scorecard.name, model_label_zh=scorecard.label_zh,
        model_label_en=scorecard.label_en, scorecard_source=scorecard.source,
        scorecard_sha256=scorecard.sha256, score=score, grade=band.grade,
        grade_label_zh=band.label_zh, grade_label_en=band.label_en, partial=partial,
        missing_share=missing_share, missing=tuple(missing), factors=tuple(factors),
        recommended_credit_limit=limit.amount, limit=limit)

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
5. Coverage rule (the grade scale's ``[coverage]``): when less than
   ``min_coverage`` percent of the weight has data, or a factor weighing at
   least ``factor_weight_needing_data`` has no data at all, the result is *not
   rated* (``rated`` False, grade NR, score None): no credit limit, and
   ``to_collect`` lists every missing indicator with what to collect, heaviest first.

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
                                        no_limit, recommend_limit)
from custarchive.scoring.indicators import CATALOGUE, COLLECT, Measure, check_range, to_decimal
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
    evidence_zh: str = ""


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
    score: Decimal | None  # None when not rated
    grade: str
    grade_label_zh: str
    grade_label_en: str
    partial: bool
    missing_share: Decimal  # percent of total weight without data
    missing: tuple[str, ...]  # "factor.indicator"
    factors: tuple[FactorResult, ...]
    recommended_credit_limit: Decimal | None
    limit: LimitRecommendation = field(repr=False)
    rated: bool = True
    not_rated_why: tuple[tuple[str, str], ...] = ()  # (en, zh) per broken coverage rule
    to_collect: tuple[dict, ...] = ()  # missing indicators, heaviest first, with what to collect
    redistributed: tuple[dict, ...] = ()  # factors whose weight moved, and where

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
            "score": _json(self.score), "grade": self.grade, "rated": self.rated,
            "grade_label_zh": self.grade_label_zh, "grade_label_en": self.grade_label_en,
            "partial": self.partial, "missing_share": _json(_r2(self.missing_share)),
            "coverage": _json(_r2(HUNDRED - self.missing_share)),
            "missing": list(self.missing),
            "not_rated_why": [{"en": en, "zh": zh} for en, zh in self.not_rated_why],
            "to_collect": list(self.to_collect),
            "factors": [_factor_dict(f) for f in self.factors],
            "recommended_credit_limit": _json(self.recommended_credit_limit),
            "credit_limit": {
                "amount": _json(lim.amount), "base_source": lim.base_source,
                "base_value": _json(lim.base_value), "fraction": _json(lim.fraction),
                "multiplier": _json(lim.multiplier), "why_en": lim.why_en, "why_zh": lim.why_zh,
                "steps_en": list(lim.steps_en), "steps_zh": list(lim.steps_zh),
                "current": _json(lim.current), "change": _json(lim.change),
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
            "evidence_zh": i.evidence_zh or i.evidence, "missing": i.missing,
        } for i in f.indicators],
    }


def _measures(inputs: Mapping[str, object]) -> dict[str, Measure]:
    """Accept a number, None, a Measure or a (value, evidence) pair per indicator id."""
    out: dict[str, Measure] = {}
    for key, raw in inputs.items():
        if key not in CATALOGUE:
            raise ValidationError(key, None, "unknown indicator id; known: "
                                  + ", ".join(sorted(CATALOGUE)))
        evidence_zh = ""
        if isinstance(raw, Measure):
            value, evidence, evidence_zh = raw.value, raw.evidence, raw.evidence_zh
        elif isinstance(raw, tuple) and len(raw) == 2:
            value, evidence = raw
        else:
            value, evidence = raw, ""
        number = to_decimal(key, value)
        if number is not None:
            check_range(CATALOGUE[key], number)
        out[key] = Measure(number, str(evidence or ""), evidence_zh)
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
    evidence_zh: str = ""


def _score_indicator(spec: IndicatorSpec, measures: dict[str, Measure],
                     answers: dict[str, int | None]) -> _Scored:
    if spec.kind == QUALITATIVE:
        answer = answers.get(spec.name)
        if answer is None:
            return _Scored(spec, None, None, "", "not answered", "未回答")
        zh, en = spec.anchors[answer - 1]
        score = spec.score_answer(answer)
        return _Scored(spec, Decimal(answer), score, f"answer {answer} → {score}",
                       f"answer {answer}: {en}", f"回答 {answer}：{zh}")
    measure = measures.get(spec.indicator or "")
    if measure is None or measure.value is None:
        if measure and measure.evidence:
            return _Scored(spec, None, None, "", measure.evidence, measure.evidence_zh)
        return _Scored(spec, None, None, "", "no data", "无数据")
    score, rule = spec.score_value(measure.value)
    return _Scored(spec, measure.value, score, rule, measure.evidence, measure.evidence_zh)


def _collect(factor, spec: IndicatorSpec) -> dict:
    """One missing indicator and what a credit manager should collect to fill it."""
    if spec.kind == QUALITATIVE:
        source = "question"
        en, zh = f"answer: {spec.question_en}", f"回答：{spec.question_zh}"
    else:
        source = CATALOGUE[spec.indicator or ""].source
        en, zh = COLLECT[source]
        en = f"{en}: {CATALOGUE[spec.indicator or ''].needs}"
    return {"indicator": f"{factor.name}.{spec.name}", "label_zh": spec.label_zh, "label_en": spec.label_en,
            "factor_zh": factor.label_zh, "factor_en": factor.label_en,
            "share": _json(_r2(factor.weight * spec.weight / HUNDRED)), "source": source,
            "collect_en": en, "collect_zh": zh}


@dataclass(frozen=True)
class Screen:
    """What the coverage rule and the total say, without the per-indicator detail: cheap, and memoised."""

    rated: bool
    score: Decimal | None  # None when not rated
    grade: str
    missing_share: Decimal
    why: tuple[tuple[str, str], ...]  # (en, zh) per broken coverage rule
    empty_factors: tuple[tuple[str, str], ...]  # (en, zh) labels of heavy factors without data


_SCREENS: dict[tuple, Screen] = {}
_SCALES: dict[int, tuple[GradeScale, int]] = {}  # id → (scale, serial): hashing a scale per archive costs
_DISTINCT_SCALES: list[GradeScale] = []


def _scale_key(scale: GradeScale) -> int:
    """A small number per distinct (by equality) scale; the stored reference keeps an id from being reused."""
    known = _SCALES.get(id(scale))
    if known is None or known[0] is not scale:
        if len(_DISTINCT_SCALES) > 64:
            _SCALES.clear()
            _DISTINCT_SCALES.clear()
            _SCREENS.clear()
        serial = next((n for n, other in enumerate(_DISTINCT_SCALES) if other == scale), None)
        if serial is None:
            serial = len(_DISTINCT_SCALES)
            _DISTINCT_SCALES.append(scale)
        known = _SCALES[id(scale)] = (scale, serial)
    return known[1]
_SCREENS_MAX = 50_000  # distinct score patterns kept; a batch has few, the bound keeps memory flat


def _screen(scorecard: Scorecard, scores: tuple[tuple[Decimal | None, ...], ...], scale: GradeScale) -> Screen:
    """Total score, missing share and coverage rule from each indicator's score (None = missing).

    Archives with the same pattern of indicator scores get the same result, so
    ``grade --all`` computes each pattern once.
    """
    key = (scorecard.sha256, scorecard.source, _scale_key(scale), scores)
    found = _SCREENS.get(key)
    if found is not None:
        return found
    present = sum((f.weight for f, row in zip(scorecard.factors, scores) if any(x is not None for x in row)),
                  Decimal(0))
    total = missing_share = Decimal(0)
    empty: list[tuple[str, str]] = []
    why: list[tuple[str, str]] = []
    for factor, row in zip(scorecard.factors, scores):
        have = sum((i.weight for i, x in zip(factor.indicators, row) if x is not None), Decimal(0))
        missing_share += sum((factor.weight * i.weight / HUNDRED for i, x in zip(factor.indicators, row)
                              if x is None), Decimal(0))
        if not have:
            if factor.weight >= scale.factor_weight_needing_data:
                empty.append((factor.label_en, factor.label_zh))
                why.append((f"factor {factor.label_en} ({_show(factor.weight)}%) has no data; every factor of "
                            f"{_show(scale.factor_weight_needing_data)}% or more needs at least one indicator",
                            f"因素「{factor.label_zh}」（{_show(factor.weight)}%）无任何数据；权重不低于 "
                            f"{_show(scale.factor_weight_needing_data)}% 的因素至少需要一项数据"))
            continue
        f_score = sum((i.weight / have * HUNDRED * x / HUNDRED for i, x in zip(factor.indicators, row)
                       if x is not None), Decimal(0))
        total += factor.weight / present * HUNDRED * f_score / HUNDRED
    coverage = HUNDRED - missing_share
    if coverage < scale.min_coverage:
        why.insert(0, (f"only {_show(coverage)}% of the scorecard's weight has data; at least "
                       f"{_show(scale.min_coverage)}% is needed",
                       f"仅 {_show(coverage)}% 的权重有数据，至少需要 {_show(scale.min_coverage)}%"))
    if why:
        result = Screen(False, None, scale.not_rated.grade, missing_share, tuple(why), tuple(empty))
    else:
        score = _r2(total)
        result = Screen(True, score, scale.grade_for(score), missing_share, (), ())
    if len(_SCREENS) >= _SCREENS_MAX:
        _SCREENS.clear()
    _SCREENS[key] = result
    return result


def screen(scorecard: Scorecard, measures: Mapping[str, Measure], answers: Mapping[str, object],
           scale: GradeScale) -> Screen:
    """The coverage rule and total for already checked measures (``grade --all``); ``evaluate`` gives
    the same score and grade, with every detail."""
    resolved = _answers(scorecard, answers) if answers else {}
    scores = []
    for factor in scorecard.factors:
        row = []
        for spec in factor.indicators:
            if spec.kind == QUALITATIVE:
                answer = resolved.get(spec.name)
                row.append(None if answer is None else spec.score_answer(answer))
            else:
                measure = measures.get(spec.indicator or "")
                row.append(None if measure is None or measure.value is None else spec.score_value(measure.value)[0])
        scores.append(tuple(row))
    return _screen(scorecard, tuple(scores), scale)


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

    to_collect: list[dict] = []
    missing: list[str] = []
    missing_share = Decimal(0)
    factors: list[FactorResult] = []
    for factor, row in zip(scorecard.factors, scored):
        have = sum((s.spec.weight for s in row if s.score is not None), Decimal(0))
        f_eff = factor.weight / present_factor_weight * HUNDRED if have else Decimal(0)
        collect: list[dict] = []
        f_score = Decimal(0)
        results: list[IndicatorResult] = []
        for s in row:
            spec = s.spec
            if s.score is None:
                missing.append(f"{factor.name}.{spec.name}")
                missing_share += factor.weight * spec.weight / HUNDRED
                to_collect.append(_collect(factor, spec))
                results.append(IndicatorResult(
                    spec.name, spec.label_zh, spec.label_en, spec.kind, spec.indicator,
                    spec.weight, Decimal(0), Decimal(0), None, None, None, "", s.evidence, True,
                    s.evidence_zh))
                continue
            eff = spec.weight / have * HUNDRED
            f_score += eff * s.score / HUNDRED
            contribution = f_eff * eff * s.score / HUNDRED / HUNDRED
            results.append(IndicatorResult(
                spec.name, spec.label_zh, spec.label_en, spec.kind, spec.indicator,
                spec.weight, _r2(eff), _r2(f_eff * eff / HUNDRED), s.value, s.score,
                _r2(contribution), s.rule, s.evidence, False, s.evidence_zh))
        factors.append(FactorResult(
            factor.name, factor.label_zh, factor.label_en, factor.weight, _r2(f_eff),
            _r2(f_score) if have else None, _r2(f_eff * f_score / HUNDRED) if have else None,
            not have, tuple(results)))

    checked = _screen(scorecard, tuple(tuple(x.score for x in row) for row in scored), scale)
    why = list(checked.why)
    redistributed = tuple({"factor": f.name, "label_zh": f.label_zh, "label_en": f.label_en,
                           "weight": _json(f.weight), "effective_weight": _json(f.effective_weight),
                           "missing": f.missing} for f in factors if f.effective_weight != f.weight)
    pool = {k: m.value for k, m in measures.items()}
    pool.update({k: v for k, v in (basis or {}).items() if v is not None})
    collect = tuple(sorted(to_collect, key=lambda c: -c["share"]))
    common = dict(model=scorecard.name, model_label_zh=scorecard.label_zh,
                  model_label_en=scorecard.label_en, scorecard_source=scorecard.source,
                  scorecard_sha256=scorecard.sha256, missing_share=missing_share,
                  missing=tuple(missing), factors=tuple(factors), to_collect=collect,
                  redistributed=redistributed, partial=missing_share > threshold)
    if why:
        nr = scale.not_rated
        limit = no_limit("no recommendation: not rated, the evidence is too thin",
                         "不建议额度：证据不足，未评级", to_decimal("credit_limit", pool.get("credit_limit")))
        return Evaluation(score=None, grade=nr.grade, grade_label_zh=nr.label_zh, grade_label_en=nr.label_en,
                          recommended_credit_limit=None, limit=limit, rated=False, not_rated_why=tuple(why),
                          **common)
    score = checked.score
    band = scale.band_for(score)
    limit = recommend_limit(limit_rule, band.grade, pool, common["partial"], scorecard.limit_bases or None,
                            scorecard.limit_maximum)
    return Evaluation(score=score, grade=band.grade, grade_label_zh=band.label_zh,
                      grade_label_en=band.label_en, recommended_credit_limit=limit.amount, limit=limit,
                      **common)


def _show(number: Decimal) -> str:
    number = _r2(number)
    return f"{int(number)}" if number == number.to_integral_value() else f"{number.normalize():f}"

"""Credit scoring (信用评估): ratios, scorecards, grades and credit limits.

Pure functions over plain data - no database, no printing - so the CLI, batch
grading and tests all share one implementation. The pieces, in the order data
flows through them:

1. ``ratios``: statement lines per period (``Statement``) → ``analyse`` gives
   every ratio per period with formula, evidence or the reason it is not
   computable, plus the change against the previous period.
   ``measures_from_analysis`` turns the latest period into scorecard inputs.
2. ``indicators``: the ``CATALOGUE`` of quantitative indicator ids a scorecard
   may use and what the caller must supply for each (finance, payments, card,
   contact log). ``Measure`` pairs a value with its evidence.
3. ``scorecard``: TOML scorecards (built-in 5c, 5p, 6a, enterprise, or a user's
   file) validated into ``Scorecard`` objects; factors and indicators with
   weights summing to 100, quantitative scoring tables and qualitative
   questions with five anchored answers.
4. ``grades``: the grade scale (AAA…C) and the credit-limit rule, both TOML.
5. ``evaluate``: scorecard + inputs + answers → ``Evaluation`` (per factor and
   indicator scores, total, grade, partial flag, missing list, recommended
   credit limit with its explanation, ``to_dict()`` for JSON).

Typical use::

    card = resolve_scorecard("5c")
    inputs = measures_from_analysis(analyse(statements))
    inputs["on_time_rate"] = Measure(Decimal("0.93"), "41 of 44 payments on time")
    result = evaluate(card, inputs, {"integrity": 4}, basis={"credit_limit": 200000})
"""
from custarchive.scoring.evaluate import (DEFAULT_PARTIAL_THRESHOLD, Evaluation, FactorResult,
                                          IndicatorResult, Screen, evaluate, screen)
from custarchive.scoring.grades import (GradeBand, GradeScale, LimitBase, LimitRecommendation,
                                        LimitRule, check_compatible, load_limit_rule,
                                        load_scale, recommend_limit)
from custarchive.scoring.indicators import CATALOGUE, IndicatorDef, Measure
from custarchive.scoring.ratios import (LINE_LABELS, RATIO_NAMES, PeriodAnalysis, RatioResult,
                                        Statement, analyse, compute_ratio,
                                        measures_from_analysis)
from custarchive.scoring.scorecard import (BUILTIN_MODELS, Band, Factor, IndicatorSpec,
                                           Scorecard, builtin_scorecard, builtin_scorecard_text,
                                           load_scorecard_file, parse_scorecard,
                                           resolve_scorecard)

__all__ = [
    "BUILTIN_MODELS", "CATALOGUE", "DEFAULT_PARTIAL_THRESHOLD", "LINE_LABELS", "RATIO_NAMES",
    "Band", "Evaluation", "Factor", "FactorResult", "GradeBand", "GradeScale", "IndicatorDef",
    "IndicatorResult", "IndicatorSpec", "LimitBase", "LimitRecommendation", "LimitRule",
    "Measure", "PeriodAnalysis", "RatioResult", "Scorecard", "Screen", "Statement", "analyse",
    "builtin_scorecard", "builtin_scorecard_text", "check_compatible", "compute_ratio",
    "evaluate", "load_limit_rule", "load_scale", "load_scorecard_file",
    "measures_from_analysis", "parse_scorecard", "recommend_limit", "resolve_scorecard", "screen",
]

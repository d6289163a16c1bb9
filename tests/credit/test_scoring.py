"""Tests for the pure credit-scoring library (custarchive.scoring)."""
from __future__ import annotations

import dataclasses
import hashlib
import json
import math
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from custarchive.errors import ConfigError, ValidationError
from custarchive.scoring import (BUILTIN_MODELS, CATALOGUE, RATIO_NAMES, Measure, Statement,
                                 analyse, builtin_scorecard, builtin_scorecard_text,
                                 compute_ratio, evaluate, load_limit_rule, load_scale,
                                 load_scorecard_file, measures_from_analysis, parse_scorecard,
                                 resolve_scorecard)
from custarchive.scoring.indicators import HIGHER

from tests.builders import SCORECARD_ANCHORS as ANCHORS  # noqa: E402

D = Decimal

# --------------------------------------------------------------------------------------
# A tiny scorecard: 2 factors x 2 indicators, small enough to compute by hand.
# --------------------------------------------------------------------------------------


TINY = f"""
format = 1
name = "tiny"
label_zh = "小卡"
label_en = "Tiny card"

[[factors]]
name = "pay"
label_zh = "付款"
label_en = "Payment"
weight = 60

[[factors.indicators]]
name = "on_time_rate"
type = "quantitative"
weight = 75
table = [ {{ at = 0.95, score = 100 }}, {{ at = 0.80, score = 60 }} ]
otherwise = 10

[[factors.indicators]]
name = "longest_delay_days"
type = "quantitative"
weight = 25
better = "lower"
table = [ {{ at = 0, score = 100 }}, {{ at = 30, score = 50 }} ]

[[factors]]
name = "soft"
label_zh = "定性"
label_en = "Soft"
weight = 40

[[factors.indicators]]
name = "honesty"
type = "qualitative"
weight = 50
label_zh = "诚信"
label_en = "Honesty"
question_zh = "诚信如何？"
question_en = "How honest?"
{ANCHORS}

[[factors.indicators]]
name = "outlook"
type = "qualitative"
weight = 50
label_zh = "前景"
label_en = "Outlook"
question_zh = "前景如何？"
question_en = "What outlook?"
{ANCHORS}
scores = [0, 20, 40, 80, 100]
"""


def tiny(text: str = TINY, source: str = "tiny.toml"):
    return parse_scorecard(text.encode("utf-8"), source)


def test_tiny_card_hand_computed():
    # on_time_rate 0.90: not >= 0.95, but >= 0.80            -> 60
    # longest_delay_days 10: not <= 0, but <= 30             -> 50
    # pay  = 75% x 60 + 25% x 50 = 45 + 12.5                 = 57.5
    # honesty answer 4 (default scores 0/25/50/75/100)       -> 75
    # outlook answer 5 (custom scores 0/20/40/80/100)        -> 100
    # soft = 50% x 75 + 50% x 100                            = 87.5
    # total = 60% x 57.5 + 40% x 87.5 = 34.5 + 35            = 69.5 -> BBB (60 <= 69.5 < 70)
    # limit (tiny has no [limit]: limit.toml's bases; no equity, no working capital):
    # monthly purchases 480,000 / 12 = 40,000 x terms 45 / 30 = 60,000 x 1.0 x BBB 1.0 = 60,000
    result = evaluate(tiny(), {"on_time_rate": 0.90, "longest_delay_days": 10},
                      {"honesty": 4, "outlook": 5},
                      basis={"annual_spend": 480000, "payment_terms_days": 45, "credit_limit": 100000})
    assert result.score == D("69.50")
    assert result.grade == "BBB"
    assert not result.partial and result.missing == ()
    pay, soft = result.factors
    assert pay.score == D("57.5") and soft.score == D("87.5")
    assert [i.score for i in pay.indicators] == [60, 50]
    assert pay.indicators[0].rule == "≥ 80% → 60"
    # contributions in points: 0.6 x 0.75 x 60 = 27, 0.6 x 0.25 x 50 = 7.5,
    # 0.4 x 0.5 x 75 = 15, 0.4 x 0.5 x 100 = 20; sum 69.5
    contributions = [i.contribution for f in result.factors for i in f.indicators]
    assert contributions == [D("27"), D("7.5"), D("15"), D("20")]
    assert sum(contributions) == result.score
    assert result.recommended_credit_limit == 60000
    assert "480,000 / 12 = 40,000" in result.credit_limit_why and "45 days" in result.credit_limit_why
    assert "BBB" in result.credit_limit_why
    # the current limit is only compared with: 60,000 - 100,000 = -40,000
    assert result.limit.current == 100000 and result.limit.change == -40000
    assert "change -40,000" in result.credit_limit_why


def test_otherwise_score_below_every_threshold():
    # on_time_rate 0.5 -> below 0.80 -> otherwise 10; delay 31 -> above 30 -> default 0
    # pay = 0.75 x 10 + 0.25 x 0 = 7.5; soft answers 1,1 -> 0
    # total = 0.6 x 7.5 = 4.5 -> C, limit multiplier 0
    result = evaluate(tiny(), {"on_time_rate": 0.5, "longest_delay_days": 31},
                      {"honesty": 1, "outlook": 1}, basis={"equity": 500000})
    assert result.score == D("4.50") and result.grade == "C"
    assert result.factors[0].indicators[0].rule == "< 80% → 10"
    assert result.recommended_credit_limit == 0


def test_missing_indicator_weight_goes_to_same_factor_and_partial_flag():
    # longest_delay_days missing -> on_time_rate carries all of "pay": 100% x 60 = 60
    # honesty unanswered          -> outlook carries all of "soft": answer 5 -> 100
    # total = 0.6 x 60 + 0.4 x 100 = 76 -> A
    # missing share = 60 x 25% + 40 x 50% = 15 + 20 = 35% > 30% -> partial
    # limit: equity 1,000,000 x 0.10 = 100,000; A multiplier 1.15 capped at 1.0 (partial) -> 100,000
    result = evaluate(tiny(), {"on_time_rate": 0.85, "longest_delay_days": None},
                      {"outlook": 5}, basis={"equity": 1000000})
    assert result.score == D("76.00") and result.grade == "A"
    assert result.missing == ("pay.longest_delay_days", "soft.honesty")
    assert result.missing_share == D(35)
    assert result.partial
    ind = result.factors[0].indicators
    assert ind[0].effective_weight == 100 and ind[1].missing and ind[1].score is None
    assert ind[1].contribution is None  # never a silent zero
    assert result.recommended_credit_limit == 100000
    assert "capped at 1.0" in result.credit_limit_why


def test_missing_factor_weight_goes_to_other_factors():
    # nothing answered: "soft" is missing, "pay" carries 100% of the score
    # on_time_rate 0.99 -> 100, delay 45 (> 30) -> 0; pay = 75 -> total 75
    # missing share = 40 -> partial
    lenient = dataclasses.replace(load_scale(), factor_weight_needing_data=D(100))
    result = evaluate(tiny(), {"on_time_rate": 0.99, "longest_delay_days": 45}, scale=lenient)
    assert result.rated and result.score == D("75.00")
    assert result.factors[1].missing and result.factors[1].score is None
    assert result.factors[0].effective_weight == 100
    assert result.partial and result.missing_share == 40


def test_partial_threshold_is_strictly_more_than():
    # only longest_delay_days missing: 60 x 25% = 15% missing
    data = ({"on_time_rate": 0.99}, {"honesty": 3, "outlook": 3})
    assert not evaluate(tiny(), *data, partial_threshold=15).partial
    assert evaluate(tiny(), *data, partial_threshold=14.99).partial
    assert not evaluate(tiny(), *data).partial  # default 30


def test_everything_missing_is_not_rated():
    result = evaluate(tiny(), {"on_time_rate": None}, {"honesty": None})
    assert not result.rated and result.grade == "NR" and result.score is None
    assert len(result.to_collect) == 4


def test_inputs_carry_evidence_and_not_computable_reasons():
    card = tiny()
    result = evaluate(card, {"on_time_rate": Measure(D("0.96"), "48 of 50 paid on time"),
                             "longest_delay_days": (None, "no payment fell due")},
                      {"honesty": 3, "outlook": 3})
    on_time, delay = result.factors[0].indicators
    assert on_time.evidence == "48 of 50 paid on time" and on_time.score == 100
    assert delay.missing and delay.evidence == "no payment fell due"
    qualitative = result.factors[1].indicators[0]
    assert qualitative.evidence == "answer 3: fair" and qualitative.evidence_zh == "回答 3：一般"


def test_answers_by_qualified_name_and_by_factor():
    # "soft=4" answers both soft questions: honesty 75, outlook 80 -> soft 77.5
    # an explicit answer wins over the factor-wide one
    result = evaluate(tiny(), {"on_time_rate": 0.99}, {"soft": 4})
    assert result.factors[1].score == D("77.5")
    result = evaluate(tiny(), {"on_time_rate": 0.99}, {"soft": 4, "soft.outlook": "5"})
    assert [i.score for i in result.factors[1].indicators] == [75, 100]


@pytest.mark.parametrize("bad", [0, 6, -1, 2.5, "x", "", True, 3.0])
def test_bad_answer_value_is_refused(bad):
    with pytest.raises(ValidationError) as info:
        evaluate(tiny(), {"on_time_rate": 0.9}, {"honesty": bad})
    assert info.value.field == "honesty"


def test_answer_for_unknown_or_quantitative_indicator_is_refused():
    with pytest.raises(ValidationError, match="not a question"):
        evaluate(tiny(), {"on_time_rate": 0.9}, {"honesy": 3})
    with pytest.raises(ValidationError, match="measured indicator"):
        evaluate(tiny(), {"on_time_rate": 0.9}, {"on_time_rate": 3})


@pytest.mark.parametrize("key,value,match", [
    ("on_time_rate", 95, "at most 1"),  # a percent given instead of a fraction
    ("on_time_rate", float("nan"), "finite"),
    ("on_time_rate", float("inf"), "finite"),
    ("longest_delay_days", -3, "at least 0"),
    ("curent_ratio", 1.2, "unknown indicator"),
    ("current_ratio", "abc", "not a number"),
    ("current_ratio", True, "not a yes/no"),
])
def test_bad_inputs_are_refused(key, value, match):
    with pytest.raises(ValidationError, match=match):
        evaluate(tiny(), {key: value}, {"honesty": 3})


def test_to_dict_is_json_with_required_keys():
    result = evaluate(tiny(), {"on_time_rate": 0.9, "longest_delay_days": 10},
                      {"honesty": 4, "outlook": 5}, basis={"equity": 1000000})
    data = json.loads(json.dumps(result.to_dict(), ensure_ascii=False))
    for key in ("model", "score", "grade", "factors", "recommended_credit_limit", "partial",
                "missing"):
        assert key in data
    assert data["model"] == "tiny" and data["score"] == 69.5 and data["grade"] == "BBB"
    assert data["recommended_credit_limit"] == 100000
    factor = data["factors"][0]
    assert {"name", "weight", "score", "indicators"} <= set(factor)
    assert factor["indicators"][0]["value"] == 0.9
    assert data["scorecard"]["sha256"] == hashlib.sha256(TINY.encode()).hexdigest()


# --------------------------------------------------------------------------------------
# Editing a scorecard file changes the result
# --------------------------------------------------------------------------------------

def test_edited_scorecard_file_changes_result(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text(TINY, encoding="utf-8")
    inputs, answers = {"on_time_rate": 0.90, "longest_delay_days": 10}, {"honesty": 4,
                                                                          "outlook": 5}
    before = evaluate(load_scorecard_file(path), inputs, answers)
    assert before.score == D("69.50") and before.grade == "BBB"
    # re-weight the factors 60/40 -> 20/80:
    # total = 0.2 x 57.5 + 0.8 x 87.5 = 11.5 + 70 = 81.5 -> AA
    edited = TINY.replace("weight = 60", "weight = 20").replace("weight = 40", "weight = 80")
    path.write_text(edited, encoding="utf-8")
    card = resolve_scorecard(str(path))
    after = evaluate(card, inputs, answers)
    assert after.score == D("81.50") and after.grade == "AA"
    assert card.sha256 != before.scorecard_sha256
    assert card.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    # loosen the table: 0.90 now reaches the top row -> on_time 100
    # pay = 0.75 x 100 + 0.25 x 50 = 87.5; total = 0.2 x 87.5 + 0.8 x 87.5 = 87.5
    path.write_text(edited.replace("at = 0.95", "at = 0.90"), encoding="utf-8")
    assert evaluate(load_scorecard_file(path), inputs, answers).score == D("87.50")


# --------------------------------------------------------------------------------------
# Bad scorecards
# --------------------------------------------------------------------------------------

def test_factor_weights_not_100_names_factors():
    bad = TINY.replace("weight = 40", "weight = 30")
    with pytest.raises(ConfigError) as info:
        tiny(bad, "bad.toml")
    message = str(info.value)
    assert "bad.toml" in message and "factor weights sum to 90" in message
    assert "pay 60" in message and "soft 30" in message


def test_indicator_weights_not_100_names_the_factor():
    bad = TINY.replace("weight = 25", "weight = 20")
    with pytest.raises(ConfigError, match=r"factor 'pay': indicator weights sum to 95"):
        tiny(bad)


def test_unknown_indicator_names_file_factor_and_indicator(tmp_path):
    path = tmp_path / "typo.toml"
    path.write_text(TINY.replace('name = "on_time_rate"', 'name = "on_time_ratio"'),
                    encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_scorecard_file(path)
    message = str(info.value)
    assert str(path) in message and "factor 'pay'" in message
    assert "indicator 'on_time_ratio'" in message and "unknown indicator" in message


@pytest.mark.parametrize("old,new,match", [
    ("{ at = 0.80, score = 60 }", "{ at = 0.80, score = 100 }", None),  # equal score: ok
    ("{ at = 0.80, score = 60 }", "{ at = 0.96, score = 60 }", "strictly decreasing"),
    ("{ at = 0.95, score = 100 }", "{ at = 0.95, score = 50 }", "must not rise"),
    ("otherwise = 10", "otherwise = 70", "may not exceed"),
    ("{ at = 30, score = 50 }", "{ at = 30, score = 150 }", "outside 0..100"),
    ('better = "lower"', 'better = "smaller"', "'better' must be"),
    ('type = "qualitative"', 'type = "qualitive"', "'type' must be"),
    ("weight = 75", "wieght = 75", "unknown key 'wieght'"),
    ("scores = [0, 20, 40, 80, 100]", "scores = [0, 20, 90, 80, 100]", "must not decrease"),
    ('  { zh = "很好", en = "very good" },\n]', "]", "exactly 5"),
    ('label_en = "Tiny card"', 'label_en = "Tiny card', "not valid TOML"),
    ('name = "outlook"', 'name = "honesty"', "must be unique"),
    ('name = "outlook"', 'name = "pay"', "both a factor and an indicator"),
    ("format = 1", "format = 2", "unsupported format"),
])
def test_invalid_scorecards_are_refused(old, new, match):
    assert old in TINY
    text = TINY.replace(old, new, 1)
    if match is None:
        tiny(text)
        return
    with pytest.raises(ConfigError, match=match):
        tiny(text)


def test_missing_file_and_unknown_model():
    with pytest.raises(ConfigError, match="neither a built-in model"):
        resolve_scorecard("7z")
    with pytest.raises(ConfigError, match="cannot read"):
        load_scorecard_file("/nonexistent/card.toml")
    with pytest.raises(ConfigError, match="no built-in scorecard"):
        builtin_scorecard_text("7z")


# --------------------------------------------------------------------------------------
# Built-in scorecards, scale and limit rule
# --------------------------------------------------------------------------------------

@pytest.mark.parametrize("model", BUILTIN_MODELS)
def test_builtin_scorecards_load_and_validate(model):
    card = resolve_scorecard(model)
    assert card.name == model and card.source == f"builtin:{model}"
    assert sum(f.weight for f in card.factors) == 100
    for factor in card.factors:
        assert sum(i.weight for i in factor.indicators) == 100
        for ind in factor.indicators:
            if ind.kind == "quantitative":
                assert ind.indicator in CATALOGUE and ind.table
            else:
                assert len(ind.anchors) == 5 and ind.question_zh and ind.question_en
    text = builtin_scorecard_text(model)
    assert text.startswith("# ") and f'name = "{model}"' in text
    assert card.sha256 == hashlib.sha256(text.encode("utf-8")).hexdigest()
    # the exported text, reloaded from a user file, is the same card
    assert parse_scorecard(text.encode(), "copy.toml").factors == card.factors
    # answering every question "3" with no numbers still works, flagged as partial
    result = evaluate(card, {}, {i.name: 3 for _, i in card.questions()},
                      basis={"credit_limit": 100000})
    assert result.grade and result.partial == (result.missing_share > 30)


def test_builtin_models_have_the_documented_factors():
    names = {m: [f.name for f in builtin_scorecard(m).factors] for m in BUILTIN_MODELS}
    assert names["5c"] == ["character", "capacity", "capital", "collateral", "condition"]
    assert names["5p"] == ["personal", "purpose", "payment", "protection", "perspective"]
    assert names["6a"] == ["economic", "technical", "managerial", "organizational",
                           "commercial", "financial"]
    assert [f.label_zh for f in builtin_scorecard("enterprise").factors] == [
        "经营者素质", "经济实力", "资金结构", "履约情况", "经营效益", "发展前景"]


@pytest.mark.parametrize("score,grade", [
    (100, "AAA"), (90, "AAA"), ("89.99", "AA"), (80, "AA"), (70, "A"), (60, "BBB"),
    (50, "BB"), (40, "B"), (30, "CCC"), (20, "CC"), ("19.99", "C"), (0, "C")])
def test_default_grade_scale(score, grade):
    assert load_scale().grade_for(D(score)) == grade


def test_user_scale_and_limit_files(tmp_path):
    scale = tmp_path / "scale.toml"
    scale.write_text('grades = [ { grade = "GOOD", min = 60 }, { grade = "BAD", min = 0 } ]\n')
    limit = tmp_path / "limit.toml"
    limit.write_text('round_down_to = 500\nbases = [ { source = "equity", fraction = 0.2 } ]\n'
                     "[multipliers]\nGOOD = 1.2\nBAD = 0\n")
    # tiny card, answers 4/5 and on-time 0.9, delay 10 -> 69.5 (see above) -> GOOD
    # limit: equity 1,234,567 x 0.2 = 246,913.4 x 1.2 = 296,296.08 -> rounded down to 500
    result = evaluate(tiny(), {"on_time_rate": 0.9, "longest_delay_days": 10,
                               "equity": 1234567}, {"honesty": 4, "outlook": 5},
                      scale=load_scale(scale), limit_rule=load_limit_rule(limit))
    assert result.grade == "GOOD"
    assert result.recommended_credit_limit == 296000
    assert "296,296.08" in result.credit_limit_why


def test_inconsistent_scale_or_limit_is_refused(tmp_path):
    scale = tmp_path / "scale.toml"
    scale.write_text('grades = [ { grade = "X", min = 50 }, { grade = "Y", min = 60 } ]\n')
    with pytest.raises(ConfigError, match="must decrease"):
        load_scale(scale)
    scale.write_text('grades = [ { grade = "X", min = 50 }, { grade = "Y", min = 10 } ]\n')
    with pytest.raises(ConfigError, match="min = 0"):
        load_scale(scale)
    limit = tmp_path / "limit.toml"
    limit.write_text('bases = [ { source = "equity", fraction = 1 } ]\n'
                     "[multipliers]\nAAA = 1\n")
    with pytest.raises(ConfigError, match="no multiplier for grade AA"):
        evaluate(tiny(), {"on_time_rate": 0.9}, limit_rule=load_limit_rule(limit))
    limit.write_text('bases = [ { source = "salary", fraction = 1 } ]\n[multipliers]\nC = 0\n')
    with pytest.raises(ConfigError, match="'source' must be one of"):
        load_limit_rule(limit)


def test_limit_falls_back_through_bases_and_explains():
    # no equity; working capital 100,000 - 300,000 = -200,000 (not positive, skipped);
    # monthly purchases 600,000 / 12 = 50,000 x terms 60 / 30 = 100,000 x 1.0 x BBB 1.0 = 100,000
    result = evaluate(tiny(), {"on_time_rate": 0.9, "longest_delay_days": 10}, {"honesty": 4, "outlook": 5},
                      basis={"current_assets": 100000, "current_liabilities": 300000, "annual_spend": 600000,
                             "payment_terms_days": 60, "credit_limit": 4600000})
    assert result.recommended_credit_limit == 100000
    why = result.credit_limit_why
    assert "net worth (equity): unknown" in why and "working capital -200,000 not positive" in why
    assert "600,000 / 12 = 50,000" in why and "60 days / 30 = 100,000" in why
    assert "current limit 4,600,000 (for comparison only): change -4,500,000" in why
    assert "等级 BBB" in result.credit_limit_why_zh and "月采购额" in result.credit_limit_why_zh
    assert result.limit.steps_en[-1].startswith("current limit")
    nothing = evaluate(tiny(), {"on_time_rate": 0.9}, {"honesty": 4}, basis={"credit_limit": 4600000})
    assert nothing.recommended_credit_limit is None               # the old limit alone is no base
    assert nothing.credit_limit_why.startswith("no recommendation")


@pytest.mark.parametrize("source,basis,amount", [
    # equity 3,000,000 x 0.10 = 300,000 x BBB 1.0
    ("equity", {"equity": 3000000}, 300000),
    # working capital 900,000 - 400,000 = 500,000 x 0.20 = 100,000
    ("working_capital", {"current_assets": 900000, "current_liabilities": 400000}, 100000),
    # 360,000 / 12 = 30,000 x 90 / 30 = 90,000 x 1.0
    ("purchases_on_terms", {"annual_spend": 360000, "payment_terms_days": 90}, 90000),
])
def test_each_limit_base_hand_computed(source, basis, amount):
    from custarchive.scoring import load_limit_rule
    from custarchive.scoring.grades import LimitBase

    fraction = {"equity": D("0.10"), "working_capital": D("0.20"), "purchases_on_terms": D(1)}[source]
    card = dataclasses.replace(tiny(), limit_bases=(LimitBase(source, fraction),))
    result = evaluate(card, {"on_time_rate": 0.9, "longest_delay_days": 10}, {"honesty": 4, "outlook": 5},
                      basis=basis, limit_rule=load_limit_rule())
    assert result.grade == "BBB" and result.recommended_credit_limit == amount
    assert result.limit.base_source == source


def test_limit_table_in_scorecard_toml():
    text = TINY.replace('label_en = "Tiny card"\n', 'label_en = "Tiny card"\n\n[limit]\n'
                        'bases = [ { source = "working_capital", fraction = 0.5 } ]\nmaximum = 30000\n')
    card = tiny(text)
    # working capital 200,000 x 0.5 = 100,000 x BBB 1.0, capped at 30,000
    result = evaluate(card, {"on_time_rate": 0.9, "longest_delay_days": 10}, {"honesty": 4, "outlook": 5},
                      basis={"working_capital": 200000})
    assert result.recommended_credit_limit == 30000 and "maximum 30,000" in result.credit_limit_why
    with pytest.raises(ConfigError, match="no longer a limit base"):
        tiny(text.replace('"working_capital"', '"credit_limit"'))


def test_coverage_rule_at_its_boundary(tmp_path):
    # tiny: pay 60 (on_time 75 -> 45%, delay 25 -> 15%), soft 40 (honesty 20%, outlook 20%)
    no_factor_rule = dataclasses.replace(load_scale(), factor_weight_needing_data=D(100))
    # pay complete = exactly 60% with data: rated (the minimum is inclusive)
    at = evaluate(tiny(), {"on_time_rate": 0.99, "longest_delay_days": 45}, scale=no_factor_rule,
                  basis={"equity": 1000000})
    assert at.rated and at.grade == "A" and at.recommended_credit_limit is not None
    # delay 15% + honesty 20% + outlook 20% = 55% < 60%: not rated, no limit, what to collect
    below = evaluate(tiny(), {"longest_delay_days": 0}, {"honesty": 5, "outlook": 5}, scale=no_factor_rule,
                     basis={"equity": 1000000, "credit_limit": 50000})
    assert not below.rated and below.grade == "NR" and below.score is None
    assert below.recommended_credit_limit is None and below.limit.current == 50000
    assert "only 55% of the scorecard's weight has data; at least 60% is needed" in below.not_rated_why[0][0]
    assert [(c["indicator"], c["share"]) for c in below.to_collect] == [("pay.on_time_rate", 45)]
    assert "txn add" in below.to_collect[0]["collect_en"] and "txn add" in below.to_collect[0]["collect_zh"]
    data = below.to_dict()
    assert data["rated"] is False and data["grade"] == "NR" and data["coverage"] == 55
    # the factor rule of the default scale: soft (40% >= 20%) has no data at all
    heavy = evaluate(tiny(), {"on_time_rate": 0.99, "longest_delay_days": 45})
    assert not heavy.rated and "factor Soft (40%) has no data" in heavy.not_rated_why[0][0]
    assert "因素「定性」（40%）无任何数据" in heavy.not_rated_why[0][1]
    assert {c["indicator"] for c in heavy.to_collect} == {"soft.honesty", "soft.outlook"}
    assert heavy.to_collect[0]["collect_en"] == "answer: How honest?"
    # the rule is data: a scale file asking for 65% refuses exactly 60%
    scale = tmp_path / "scale.toml"
    scale.write_text('grades = [ { grade = "GOOD", min = 60 }, { grade = "BAD", min = 0 } ]\n'
                     '[coverage]\nmin_weight_with_data = 65\nfactor_weight_needing_data = 100\n')
    assert load_scale(scale).min_coverage == 65 and load_scale(scale).factor_weight_needing_data == 100
    strict = dataclasses.replace(load_scale(), min_coverage=D(65), factor_weight_needing_data=D(100))
    assert not evaluate(tiny(), {"on_time_rate": 0.99, "longest_delay_days": 45}, scale=strict).rated
    # on_time 45% + honesty 20% = 65%: rated
    assert evaluate(tiny(), {"on_time_rate": 0.99}, {"honesty": 3}, scale=strict).rated
    # nothing at all: not rated either, never an error
    assert evaluate(tiny(), {}).grade == "NR"


def test_partial_but_sufficient_says_which_weight_moved():
    result = evaluate(tiny(), {"on_time_rate": 0.85}, {"outlook": 5})
    assert result.rated and result.partial
    assert result.missing == ("pay.longest_delay_days", "soft.honesty")
    assert [i.effective_weight for i in result.factors[0].indicators] == [100, 0]
    assert [i.effective_weight for i in result.factors[1].indicators] == [0, 100]


# --------------------------------------------------------------------------------------
# Property: improving any single indicator never lowers the total score
# --------------------------------------------------------------------------------------

def _value_strategy(indicator_id: str):
    spec = CATALOGUE[indicator_id]
    low = float(spec.minimum) if spec.minimum is not None else -5.0
    high = float(spec.maximum) if spec.maximum is not None else {
        "CNY": 3e8, "days": 200.0, "count": 10.0, "years": 20.0}.get(spec.unit, 20.0)
    return st.one_of(st.none(), st.floats(low, high, allow_nan=False).map(
        lambda x: D(repr(x))))


@st.composite
def _case(draw):
    card = builtin_scorecard(draw(st.sampled_from(BUILTIN_MODELS)))
    inputs = {i: draw(_value_strategy(i)) for i in sorted(set(card.quantitative_ids()))}
    answers = {i.name: draw(st.one_of(st.none(), st.integers(1, 5)))
               for _, i in card.questions()}
    present = [k for k, v in inputs.items() if v is not None] + \
        [k for k, v in answers.items() if v is not None]
    if not present:
        answers[card.questions()[0][1].name] = 1
        present = [card.questions()[0][1].name]
    target = draw(st.sampled_from(sorted(present)))
    step = draw(st.floats(0, 1e6, allow_nan=False))
    return card, inputs, answers, target, step


@pytest.mark.slow
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_case())
def test_improving_one_indicator_never_lowers_score(case):
    card, inputs, answers, target, step = case
    lenient = dataclasses.replace(load_scale(), min_coverage=D(0), factor_weight_needing_data=D(101))
    before = evaluate(card, inputs, answers, scale=lenient)
    if target in answers:
        answers = {**answers, target: min(5, answers[target] + 1 + int(step) % 4)}
    else:
        spec = CATALOGUE[target]
        sign = 1 if spec.better == HIGHER else -1
        moved = inputs[target] + sign * D(repr(step))
        if spec.maximum is not None:
            moved = min(moved, spec.maximum)
        if spec.minimum is not None:
            moved = max(moved, spec.minimum)
        inputs = {**inputs, target: moved}
    after = evaluate(card, inputs, answers, scale=lenient)
    assert after.score >= before.score
    # the cheap screen of grade --all agrees with the full evaluation, under any coverage rule
    from custarchive.scoring import screen
    from custarchive.scoring.evaluate import _measures

    for scale in (lenient, load_scale()):
        full = evaluate(card, inputs, answers, scale=scale)
        quick = screen(card, _measures(inputs), answers, scale)
        assert (quick.rated, quick.score, quick.grade, quick.why) == (full.rated, full.score, full.grade,
                                                                      full.not_rated_why)
    assert after.missing == before.missing


# --------------------------------------------------------------------------------------
# Ratios
# --------------------------------------------------------------------------------------

FULL = dict(current_assets=1_200_000, inventory=300_000, total_assets=5_000_000,
            current_liabilities=800_000, total_liabilities=2_000_000, equity=3_000_000,
            revenue=6_000_000, cost_of_sales=4_500_000, net_profit=300_000,
            interest_expense=50_000, operating_cash_flow=400_000, accounts_receivable=750_000)


def test_every_ratio_on_a_full_statement():
    previous = Statement.from_mapping("2024", {"revenue": 5_000_000})
    current = Statement.from_mapping("2025", FULL)
    got = {n: compute_ratio(n, current, previous) for n in RATIO_NAMES}
    expected = {
        "current_ratio": "1.5",               # 1,200,000 / 800,000
        "quick_ratio": "1.125",               # (1,200,000 - 300,000) / 800,000
        "debt_to_asset": "0.4",               # 2,000,000 / 5,000,000
        "interest_coverage": "7",             # (300,000 + 50,000) / 50,000
        "net_margin": "0.05",                 # 300,000 / 6,000,000
        "gross_margin": "0.25",               # (6,000,000 - 4,500,000) / 6,000,000
        "roa": "0.06",                        # 300,000 / 5,000,000
        "roe": "0.1",                         # 300,000 / 3,000,000
        "receivable_turnover": "8",           # 6,000,000 / 750,000
        "revenue_growth": "0.2",              # (6,000,000 - 5,000,000) / 5,000,000
        "operating_cash_flow_ratio": "0.5",   # 400,000 / 800,000
    }
    for name, value in expected.items():
        assert got[name].value == D(value), name
        assert got[name].reason is None and got[name].evidence
    assert got["current_ratio"].formula == "流动资产 / 流动负债 (current assets / current liabilities)"
    assert got["current_ratio"].evidence == (
        "2025: current assets 1,200,000 / current liabilities 800,000 = 1.5000")
    assert got["current_ratio"].label_zh == "流动比率"


def test_interest_coverage_prefers_an_ebit_line():
    s = Statement.from_mapping("2025", {**FULL, "ebit": 400_000})
    assert compute_ratio("interest_coverage", s).value == D(8)  # 400,000 / 50,000


@pytest.mark.parametrize("sign", [0, -1])
def test_zero_and_negative_denominators_are_not_computable(sign):
    lines = {**FULL, **{k: sign * 1000 for k in (
        "current_liabilities", "total_assets", "revenue", "equity", "accounts_receivable",
        "interest_expense")}}
    previous = Statement.from_mapping("2024", {"revenue": sign * 1000})
    current = Statement.from_mapping("2025", lines)
    for name in RATIO_NAMES:
        result = compute_ratio(name, current, previous)
        assert result.value is None, name
        assert result.reason.startswith("not computable"), name
        word = "zero" if sign == 0 else "negative"
        assert word in result.reason, (name, result.reason)


def test_missing_lines_are_named():
    s = Statement.from_mapping("2025", {"current_assets": 100})
    for name in RATIO_NAMES:
        result = compute_ratio(name, s)
        assert result.value is None and result.reason.startswith("not computable"), name
    assert compute_ratio("current_ratio", s).reason == \
        "not computable: missing current liabilities"
    assert "inventory" in compute_ratio("quick_ratio", s).reason
    assert compute_ratio("revenue_growth", s).reason == "not computable: no previous period"


_line = st.one_of(st.none(), st.integers(-10**9, 10**9), st.sampled_from([0, -1, 1]))


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from(sorted(FULL)), _line),
       st.dictionaries(st.sampled_from(sorted(FULL)), _line))
def test_ratios_never_raise_or_return_infinity(prev_lines, lines):
    periods = [Statement.from_mapping("2024", prev_lines), Statement.from_mapping("2025", lines)]
    for period in analyse(periods):
        for result in period.ratios.values():
            if result.value is None:
                assert result.reason
            else:
                assert result.value.is_finite() and math.isfinite(float(result.value))


def test_analyse_sorts_periods_and_reports_trend():
    newer = Statement.from_mapping("2025", FULL)
    older = Statement.from_mapping("2024", {**FULL, "current_liabilities": 1_000_000,
                                            "revenue": 5_000_000})
    first, second = analyse([newer, older])
    assert (first.period, second.period) == ("2024", "2025")
    assert first.changes == {}
    # current ratio 1.2 -> 1.5: change +0.3
    assert first.ratios["current_ratio"].value == D("1.2")
    assert second.changes["current_ratio"] == D("0.3")
    assert second.ratios["revenue_growth"].value == D("0.2")
    assert second.changes["revenue_growth"] is None  # not computable for the first period
    with pytest.raises(ValidationError, match="twice"):
        analyse([newer, newer])


def test_statement_refuses_unknown_lines_and_bad_numbers():
    with pytest.raises(ValidationError, match="unknown statement line"):
        Statement.from_mapping("2025", {"turnover": 1})
    with pytest.raises(ValidationError, match="finite"):
        Statement.from_mapping("2025", {"revenue": float("inf")})


def test_measures_from_analysis_feed_evaluate():
    periods = analyse([Statement.from_mapping("2024", {"revenue": 5_000_000}),
                       Statement.from_mapping("2025", {**FULL, "current_liabilities": 0})])
    measures = measures_from_analysis(periods)
    assert measures["current_ratio"].value is None
    assert measures["current_ratio"].evidence == \
        "2025: not computable: current liabilities is zero"
    assert measures["revenue_growth"].value == D("0.2")
    assert measures["equity"].value == 3_000_000
    result = evaluate(builtin_scorecard("enterprise"), measures, {"operator_quality": 4})
    capital = next(f for f in result.factors if f.name == "capital_structure")
    current = next(i for i in capital.indicators if i.name == "current_ratio")
    assert current.missing and "current liabilities is zero" in current.evidence
    debt = next(i for i in capital.indicators if i.name == "debt_to_asset")
    assert debt.value == D("0.4") and debt.score == 100  # 0.40 <= 0.40 -> 100


def test_statement_built_directly_from_floats():
    s = Statement("2025", current_assets=1.5, current_liabilities="1")
    assert compute_ratio("current_ratio", s).value == D("1.5")

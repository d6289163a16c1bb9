"""Grade scale (信用等级), coverage rule and recommended credit limit (信用额度), all as TOML data.

Both are policy, not code: a company that grades more strictly or lends more
cautiously edits ``scale.toml`` / ``limit.toml`` (or passes its own file)
instead of waiting for a release. The built-in files document their format.

Coverage rule (``[coverage]`` in ``scale.toml``): a grade is only given when
enough of the scorecard's weight has data, and every heavy factor has at
least one indicator with data. Below it the result is *not rated* (NR): no
grade on the card and no credit limit, because a grade made of one indicator
is a guess a credit manager cannot defend.

Credit-limit rule:

    limit = base amount × fraction × grade multiplier, capped, rounded down to ``round_down_to``

The bases are the customer's own finances, chosen per scorecard (``[limit]``
in the scorecard's TOML; ``bases`` in ``limit.toml`` is the default for a
scorecard without one); the first base that is known and greater than zero is
used:

* ``equity``             net worth of the latest statement;
* ``working_capital``    current assets - current liabilities;
* ``purchases_on_terms`` expected monthly purchases (annual spend / 12) ×
                         payment terms in months (days / 30): what the
                         customer owes us at any time if it pays on terms.

The card's current credit limit is never a base (a recommendation that
scales whatever someone typed before proves nothing); it is shown next to the
recommendation for comparison. Multipliers (``limit.toml``) run from 1.5 for
AAA down to 0 for C; a *partial* evaluation caps the multiplier at
``partial_cap``. Every number used goes into the explanation, line by line.
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal
from importlib import resources
from pathlib import Path
from typing import Mapping

from custarchive.errors import ConfigError
from custarchive.scoring.indicators import to_decimal

GRADE_MAX = 4  # customers.grade

LIMIT_SOURCES: dict[str, tuple[str, str]] = {
    "equity": ("净资产", "net worth (equity)"),
    "working_capital": ("营运资金", "working capital"),
    "purchases_on_terms": ("月采购额 × 账期", "monthly purchases × payment terms"),
}
DEFAULT_MIN_COVERAGE = Decimal(60)
DEFAULT_FACTOR_WEIGHT_NEEDING_DATA = Decimal(25)


@dataclass(frozen=True)
class GradeBand:
    grade: str
    min_score: Decimal
    label_zh: str = ""
    label_en: str = ""


@dataclass(frozen=True)
class GradeScale:
    bands: tuple[GradeBand, ...]  # best first; the last starts at 0
    source: str = "builtin:scale"
    # coverage rule: below it the result is not rated
    min_coverage: Decimal = DEFAULT_MIN_COVERAGE  # percent of the scorecard's weight with data
    factor_weight_needing_data: Decimal = DEFAULT_FACTOR_WEIGHT_NEEDING_DATA  # factors this heavy need data
    not_rated: GradeBand = GradeBand("NR", Decimal(0), "未评级", "Not rated")

    def band_for(self, score: Decimal) -> GradeBand:
        for band in self.bands:
            if score >= band.min_score:
                return band
        return self.bands[-1]

    def grade_for(self, score: Decimal) -> str:
        return self.band_for(score).grade

    @property
    def grades(self) -> tuple[str, ...]:
        return tuple(b.grade for b in self.bands)


@dataclass(frozen=True)
class LimitBase:
    source: str  # "credit_limit" or a CNY indicator id
    fraction: Decimal


@dataclass(frozen=True)
class LimitRule:
    bases: tuple[LimitBase, ...]  # default bases, for a scorecard without its own [limit]
    multipliers: dict[str, Decimal]
    round_down_to: Decimal = Decimal(1000)
    partial_cap: Decimal | None = Decimal(1)
    maximum: Decimal | None = None
    source: str = "builtin:limit"


@dataclass(frozen=True)
class LimitRecommendation:
    amount: Decimal | None  # None when no base is known or the result is not rated
    base_source: str | None
    base_value: Decimal | None
    fraction: Decimal | None
    multiplier: Decimal | None
    why_en: str
    why_zh: str
    current: Decimal | None = None  # the card's limit today, for comparison only
    steps_en: tuple[str, ...] = ()
    steps_zh: tuple[str, ...] = ()

    @property
    def change(self) -> Decimal | None:
        if self.amount is None or self.current is None:
            return None
        return self.amount - self.current


def _read(path: str | Path | None, builtin: str) -> tuple[dict, str]:
    if path is None:
        data, source = (resources.files("custarchive.scoring") / "scorecards"
                        / builtin).read_bytes(), f"builtin:{builtin.removesuffix('.toml')}"
    else:
        source = str(path)
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            raise ConfigError(f"{source}: cannot read: {exc.strerror or exc}") from None
    try:
        return tomllib.loads(data.decode("utf-8"), parse_float=Decimal), source
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{source}: not valid UTF-8 TOML: {exc}") from None


def _num(value: object, where: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
        raise ConfigError(f"{where} must be a number, got {value!r}")
    return Decimal(value)


def load_scale(path: str | Path | None = None) -> GradeScale:
    """The grade scale from ``path``, or the built-in AAA…C scale."""
    raw, source = _read(path, "scale.toml")
    rows = raw.get("grades")
    if not isinstance(rows, list) or not rows:
        raise ConfigError(f"{source}: needs a 'grades' list, best grade first")
    bands: list[GradeBand] = []
    for n, row in enumerate(rows, 1):
        where = f"{source}: grades row {n}"
        if not isinstance(row, dict) or not {"grade", "min"} <= set(row):
            raise ConfigError(f"{where}: needs 'grade' and 'min'")
        grade = row["grade"]
        if not isinstance(grade, str) or not grade.strip():
            raise ConfigError(f"{where}: 'grade' must be a non-empty string")
        if len(grade.strip()) > GRADE_MAX:
            raise ConfigError(f"{where}: 'grade' is at most {GRADE_MAX} characters (it is stored on the card), "
                              f"got {grade.strip()!r}")
        band = GradeBand(grade.strip(), _num(row["min"], f"{where}: 'min'"),
                         str(row.get("label_zh", "")), str(row.get("label_en", "")))
        if not 0 <= band.min_score <= 100:
            raise ConfigError(f"{where}: 'min' must be within 0..100")
        if bands and band.min_score >= bands[-1].min_score:
            raise ConfigError(f"{where}: 'min' must decrease down the list "
                              f"({bands[-1].grade} {bands[-1].min_score}, {band.grade} "
                              f"{band.min_score})")
        if any(b.grade == band.grade for b in bands):
            raise ConfigError(f"{where}: grade {band.grade!r} appears twice")
        bands.append(band)
    if bands[-1].min_score != 0:
        raise ConfigError(f"{source}: the last grade must have min = 0 so every score gets one")
    coverage = raw.get("coverage", {})
    if not isinstance(coverage, dict):
        raise ConfigError(f"{source}: [coverage] must be a table")
    unknown = sorted(set(coverage) - {"min_weight_with_data", "factor_weight_needing_data", "not_rated_grade",
                                      "not_rated_label_zh", "not_rated_label_en"})
    if unknown:
        raise ConfigError(f"{source}: unknown key in [coverage]: {', '.join(unknown)}")
    minimum = _num(coverage.get("min_weight_with_data", DEFAULT_MIN_COVERAGE),
                   f"{source}: coverage.min_weight_with_data")
    heavy = _num(coverage.get("factor_weight_needing_data", DEFAULT_FACTOR_WEIGHT_NEEDING_DATA),
                 f"{source}: coverage.factor_weight_needing_data")
    if not 0 <= minimum <= 100 or not 0 <= heavy <= 100:
        raise ConfigError(f"{source}: [coverage] values are percentages within 0..100")
    nr = str(coverage.get("not_rated_grade", "NR")).strip()
    if not nr or len(nr) > GRADE_MAX or any(b.grade == nr for b in bands):
        raise ConfigError(f"{source}: coverage.not_rated_grade must be 1-{GRADE_MAX} characters and not a grade")
    return GradeScale(tuple(bands), source, minimum, heavy,
                      GradeBand(nr, Decimal(0), str(coverage.get("not_rated_label_zh", "未评级")),
                                str(coverage.get("not_rated_label_en", "Not rated"))))


def load_limit_rule(path: str | Path | None = None) -> LimitRule:
    """The credit-limit rule from ``path``, or the built-in one."""
    raw, source = _read(path, "limit.toml")
    bases = parse_bases(raw.get("bases"), source)
    multipliers_raw = raw.get("multipliers")
    if not isinstance(multipliers_raw, dict) or not multipliers_raw:
        raise ConfigError(f"{source}: needs a [multipliers] table, one number per grade")
    multipliers = {g: _num(m, f"{source}: multipliers.{g}") for g, m in multipliers_raw.items()}
    if any(m < 0 for m in multipliers.values()):
        raise ConfigError(f"{source}: multipliers may not be negative")
    round_to = _num(raw.get("round_down_to", 1), f"{source}: 'round_down_to'")
    if round_to <= 0:
        raise ConfigError(f"{source}: 'round_down_to' must be greater than 0")
    cap = raw.get("partial_cap")
    maximum = raw.get("maximum")
    return LimitRule(tuple(bases), multipliers, round_to,
                     None if cap is None else _num(cap, f"{source}: 'partial_cap'"),
                     None if maximum is None else _num(maximum, f"{source}: 'maximum'"),
                     source)


def parse_bases(bases_raw: object, source: str) -> tuple[LimitBase, ...]:
    """``bases = [ { source = "equity", fraction = 0.10 }, … ]`` of limit.toml or a scorecard's [limit]."""
    if not isinstance(bases_raw, list) or not bases_raw:
        raise ConfigError(f"{source}: needs a 'bases' list")
    bases = []
    for n, row in enumerate(bases_raw, 1):
        where = f"{source}: bases row {n}"
        if isinstance(row, dict) and row.get("source") in ("credit_limit", "annual_spend", "revenue",
                                                           "registered_capital"):
            raise ConfigError(f"{where}: {row['source']!r} is no longer a limit base (the limit follows the "
                              "customer's finances); use one of " + ", ".join(LIMIT_SOURCES))
        if not isinstance(row, dict) or row.get("source") not in LIMIT_SOURCES:
            raise ConfigError(f"{where}: 'source' must be one of " + ", ".join(LIMIT_SOURCES))
        fraction = _num(row.get("fraction", 1), f"{where}: 'fraction'")
        if fraction <= 0:
            raise ConfigError(f"{where}: 'fraction' must be greater than 0")
        bases.append(LimitBase(row["source"], fraction))
    return tuple(bases)


def check_compatible(scale: GradeScale, rule: LimitRule) -> None:
    """A multiplier for every grade, never larger for a worse grade."""
    absent = [g for g in scale.grades if g not in rule.multipliers]
    if absent:
        raise ConfigError(f"{rule.source}: no multiplier for grade " + ", ".join(absent)
                          + f" of {scale.source}")
    ordered = [rule.multipliers[g] for g in scale.grades]
    for better, worse, g in zip(ordered, ordered[1:], scale.grades[1:]):
        if worse > better:
            raise ConfigError(f"{rule.source}: multiplier for {g} ({worse}) is larger than "
                              f"for the grade above it ({better})")


def _money(amount: Decimal) -> str:
    return f"{amount.quantize(Decimal('0.01')).normalize():,f}"


def _base_value(source: str, basis: Mapping[str, object]) -> tuple[Decimal | None, str, str]:
    """The base amount and how it was obtained (en, zh); None when an input is unknown."""
    if source == "purchases_on_terms":
        spend = to_decimal("annual_spend", basis.get("annual_spend"))
        days = to_decimal("payment_terms_days", basis.get("payment_terms_days"))
        if spend is None or days is None:
            absent = [w for w, v in (("annual spend", spend), ("payment terms", days)) if v is None]
            absent_zh = [w for w, v in (("年采购额", spend), ("账期", days)) if v is None]
            return None, " and ".join(absent) + " unknown", "、".join(absent_zh) + "未知"
        monthly = spend / 12
        value = monthly * days / 30
        return (value,
                f"monthly purchases = annual spend {_money(spend)} / 12 = {_money(monthly)}; "
                f"× payment terms {_show(days)} days / 30 = {_money(value)}",
                f"月采购额 = 年采购额 {_money(spend)} / 12 = {_money(monthly)}；"
                f"× 账期 {_show(days)} 天 / 30 = {_money(value)}")
    if source == "working_capital":
        assets = to_decimal("current_assets", basis.get("current_assets"))
        debts = to_decimal("current_liabilities", basis.get("current_liabilities"))
        if assets is None or debts is None:
            given = to_decimal(source, basis.get(source))
            if given is None:
                return None, "unknown", "未知"
            return given, f"working capital {_money(given)}", f"营运资金 {_money(given)}"
        value = assets - debts
        return (value, f"working capital = current assets {_money(assets)} - current liabilities "
                       f"{_money(debts)} = {_money(value)}",
                f"营运资金 = 流动资产 {_money(assets)} - 流动负债 {_money(debts)} = {_money(value)}")
    value = to_decimal(source, basis.get(source))
    if value is None:
        return None, "unknown", "未知"
    zh, en = LIMIT_SOURCES[source]
    return value, f"{en} {_money(value)}", f"{zh} {_money(value)}"


def _show(number: Decimal) -> str:
    return f"{int(number):,}" if number == number.to_integral_value() else f"{number.normalize():,f}"


def no_limit(why_en: str, why_zh: str, current: Decimal | None = None) -> LimitRecommendation:
    return LimitRecommendation(None, None, None, None, None, why_en, why_zh, current, (why_en,), (why_zh,))


def recommend_limit(rule: LimitRule, grade: str, basis: Mapping[str, object],
                    partial: bool = False, bases: tuple[LimitBase, ...] | None = None,
                    maximum: Decimal | None = None) -> LimitRecommendation:
    """Apply the rule; ``basis`` holds the customer's amounts (equity, current_assets, annual_spend,
    payment_terms_days…) and the current ``credit_limit``, which is only compared with."""
    current = to_decimal("credit_limit", basis.get("credit_limit"))
    skipped_en: list[str] = []
    skipped_zh: list[str] = []
    chosen = None
    for base in bases or rule.bases:
        value, how_en, how_zh = _base_value(base.source, basis)
        zh, en = LIMIT_SOURCES[base.source]
        if value is None:
            skipped_en.append(f"{en}: {how_en}")
            skipped_zh.append(f"{zh}：{how_zh}")
        elif value <= 0:
            skipped_en.append(f"{en} {_money(value)} not positive")
            skipped_zh.append(f"{zh} {_money(value)} 不为正")
        else:
            chosen = base, value, how_en, how_zh
            break
    skipped_en_text = f"not used: {'; '.join(skipped_en)}" if skipped_en else ""
    skipped_zh_text = f"未采用：{'；'.join(skipped_zh)}" if skipped_zh else ""
    if chosen is None:
        return no_limit("no recommendation: none of the scorecard's limit bases is known"
                        + (f" ({'; '.join(skipped_en)})" if skipped_en else ""),
                        "无法建议额度：评分卡的额度基数均未知" + (f"（{'；'.join(skipped_zh)}）" if skipped_zh else ""),
                        current)
    base, value, how_en, how_zh = chosen
    zh, en = LIMIT_SOURCES[base.source]
    multiplier = rule.multipliers[grade]
    steps_en = [s for s in (skipped_en_text, how_en) if s]
    steps_zh = [s for s in (skipped_zh_text, how_zh) if s]
    steps_en.append(f"base = {en} {_money(value)} × {base.fraction} = {_money(value * base.fraction)}")
    steps_zh.append(f"基数 = {zh} {_money(value)} × {base.fraction} = {_money(value * base.fraction)}")
    if partial and rule.partial_cap is not None and multiplier > rule.partial_cap:
        steps_en.append(f"grade {grade} multiplier {multiplier} capped at {rule.partial_cap} "
                        "because the evaluation is partial")
        steps_zh.append(f"等级 {grade} 系数 {multiplier}，因评估数据不完整按 {rule.partial_cap} 计")
        multiplier = rule.partial_cap
    amount = value * base.fraction * multiplier
    steps_en.append(f"× grade {grade} multiplier {multiplier} = {_money(amount)}")
    steps_zh.append(f"× 等级 {grade} 系数 {multiplier} = {_money(amount)}")
    caps = [c for c in (maximum, rule.maximum) if c is not None]
    cap = min(caps) if caps else None
    if cap is not None and amount > cap:
        amount = cap
        steps_en.append(f"capped at the maximum {_money(cap)}")
        steps_zh.append(f"不超过上限 {_money(cap)}")
    rounded = (amount / rule.round_down_to).to_integral_value(ROUND_FLOOR) * rule.round_down_to
    steps_en.append(f"rounded down to a multiple of {_money(rule.round_down_to)} = {_money(rounded)}")
    steps_zh.append(f"按 {_money(rule.round_down_to)} 向下取整 = {_money(rounded)}")
    if current is not None:
        change = rounded - current
        steps_en.append(f"current limit {_money(current)} (for comparison only): change "
                        f"{'+' if change >= 0 else '-'}{_money(abs(change))}")
        steps_zh.append(f"现有额度 {_money(current)}（仅作比较）：变动 {'+' if change >= 0 else '-'}{_money(abs(change))}")
    return LimitRecommendation(rounded, base.source, value, base.fraction, multiplier,
                               "; ".join(steps_en), "；".join(steps_zh), current, tuple(steps_en), tuple(steps_zh))

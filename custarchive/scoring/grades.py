"""Grade scale (信用等级) and recommended credit limit (信用额度), both as TOML data.

Both are policy, not code: a company that grades more strictly or lends more
cautiously edits ``scale.toml`` / ``limit.toml`` (or passes its own file)
instead of waiting for a release. The built-in files document their format.

Credit-limit rule (defaults in ``scorecards/limit.toml``):

    limit = base × fraction × grade multiplier, rounded down to ``round_down_to``

where the base is the first of these that is known and greater than zero: the
card's current credit_limit (× 1.0), annual spend with us (× 0.25, about one
quarter of purchases on credit), net worth / equity (× 0.10) and annual revenue
(× 0.05). Multipliers run from 1.5 for AAA down to 0 for C. When the evaluation
is *partial* (too much data missing), the multiplier is capped at 1.0 so an
incomplete file never raises a limit. Every number used goes into the
explanation, so the recommendation can be checked by hand.
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal
from importlib import resources
from pathlib import Path
from typing import Mapping

from custarchive.errors import ConfigError
from custarchive.scoring.indicators import CATALOGUE, to_decimal

GRADE_MAX = 4  # customers.grade

LIMIT_SOURCES: dict[str, tuple[str, str]] = {
    "credit_limit": ("现有信用额度", "current credit limit"),
    **{i.id: (i.label_zh, i.label_en[:1].lower() + i.label_en[1:])
       for i in CATALOGUE.values() if i.unit == "CNY"},
}


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
    bases: tuple[LimitBase, ...]
    multipliers: dict[str, Decimal]
    round_down_to: Decimal = Decimal(1000)
    partial_cap: Decimal | None = Decimal(1)
    maximum: Decimal | None = None
    source: str = "builtin:limit"


@dataclass(frozen=True)
class LimitRecommendation:
    amount: Decimal | None  # None when no base is known
    base_source: str | None
    base_value: Decimal | None
    fraction: Decimal | None
    multiplier: Decimal | None
    why_en: str
    why_zh: str


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
    return GradeScale(tuple(bands), source)


def load_limit_rule(path: str | Path | None = None) -> LimitRule:
    """The credit-limit rule from ``path``, or the built-in one."""
    raw, source = _read(path, "limit.toml")
    bases_raw = raw.get("bases")
    if not isinstance(bases_raw, list) or not bases_raw:
        raise ConfigError(f"{source}: needs a 'bases' list")
    bases = []
    for n, row in enumerate(bases_raw, 1):
        where = f"{source}: bases row {n}"
        if not isinstance(row, dict) or row.get("source") not in LIMIT_SOURCES:
            raise ConfigError(f"{where}: 'source' must be one of " + ", ".join(LIMIT_SOURCES))
        fraction = _num(row.get("fraction"), f"{where}: 'fraction'")
        if fraction <= 0:
            raise ConfigError(f"{where}: 'fraction' must be greater than 0")
        bases.append(LimitBase(row["source"], fraction))
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


def recommend_limit(rule: LimitRule, grade: str, basis: Mapping[str, object],
                    partial: bool = False) -> LimitRecommendation:
    """Apply the rule; ``basis`` maps base sources (credit_limit, annual_spend…) to amounts."""
    skipped_en: list[str] = []
    skipped_zh: list[str] = []
    chosen: tuple[LimitBase, Decimal] | None = None
    for base in rule.bases:
        value = to_decimal(base.source, basis.get(base.source))
        zh, en = LIMIT_SOURCES[base.source]
        if value is None:
            skipped_en.append(f"{en} unknown")
            skipped_zh.append(f"{zh}未知")
        elif value <= 0:
            skipped_en.append(f"{en} {_money(value)} not positive")
            skipped_zh.append(f"{zh} {_money(value)} 不为正")
        else:
            chosen = base, value
            break
    skipped_en_text = f" ({'; '.join(skipped_en)})" if skipped_en else ""
    skipped_zh_text = f"（{'；'.join(skipped_zh)}）" if skipped_zh else ""
    if chosen is None:
        return LimitRecommendation(
            None, None, None, None, None,
            "no recommendation: no base amount is known" + skipped_en_text,
            "无法建议额度：没有可用的基数" + skipped_zh_text)
    base, value = chosen
    zh, en = LIMIT_SOURCES[base.source]
    multiplier = rule.multipliers[grade]
    steps_en = [f"base = {en} {_money(value)} × {base.fraction} = "
                f"{_money(value * base.fraction)}{skipped_en_text}"]
    steps_zh = [f"基数 = {zh} {_money(value)} × {base.fraction} = "
                f"{_money(value * base.fraction)}{skipped_zh_text}"]
    if partial and rule.partial_cap is not None and multiplier > rule.partial_cap:
        steps_en.append(f"grade {grade} multiplier {multiplier} capped at {rule.partial_cap} "
                        "because the evaluation is partial")
        steps_zh.append(f"等级 {grade} 系数 {multiplier}，因评估数据不完整按 {rule.partial_cap} 计")
        multiplier = rule.partial_cap
    amount = value * base.fraction * multiplier
    steps_en.append(f"× grade {grade} multiplier {multiplier} = {_money(amount)}")
    steps_zh.append(f"× 等级 {grade} 系数 {multiplier} = {_money(amount)}")
    if rule.maximum is not None and amount > rule.maximum:
        amount = rule.maximum
        steps_en.append(f"capped at the maximum {_money(rule.maximum)}")
        steps_zh.append(f"不超过上限 {_money(rule.maximum)}")
    rounded = (amount / rule.round_down_to).to_integral_value(ROUND_FLOOR) * rule.round_down_to
    steps_en.append(f"rounded down to a multiple of {_money(rule.round_down_to)} = "
                    f"{_money(rounded)}")
    steps_zh.append(f"按 {_money(rule.round_down_to)} 向下取整 = {_money(rounded)}")
    return LimitRecommendation(rounded, base.source, value, base.fraction, multiplier,
                               "; ".join(steps_en), "；".join(steps_zh))

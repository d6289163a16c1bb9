"""Loading and validating scorecards (评分卡) written as TOML.

Scorecards are data so a credit manager can read, defend and change them
without touching code; the price is that everything a program would check at
compile time must be checked here, with a message that says *where* (file,
factor, indicator) so the person editing the file can fix it. The file format
is documented at the top of each built-in card in ``scorecards/``.

Numbers are parsed as Decimal so that weights like 33.3 + 33.3 + 33.4 sum to
exactly 100 and scores are reproducible to the cent.
"""
from __future__ import annotations

import hashlib
import tomllib
from dataclasses import dataclass
from decimal import Decimal
from importlib import resources
from pathlib import Path

from custarchive.errors import ConfigError
from custarchive.scoring.grades import parse_bases
from custarchive.scoring.indicators import CATALOGUE, HIGHER, LOWER

BUILTIN_MODELS: tuple[str, ...] = ("5c", "5p", "6a", "enterprise")
QUANTITATIVE = "quantitative"
QUALITATIVE = "qualitative"
DEFAULT_ANSWER_SCORES: tuple[Decimal, ...] = tuple(Decimal(n) for n in (0, 25, 50, 75, 100))
HUNDRED = Decimal(100)


def _show(number: Decimal) -> str:
    """Thresholds as a person writes them: 1,000,000 and 0.95, not 1E+6."""
    if number == number.to_integral_value():
        return f"{int(number):,}"
    return str(number)


@dataclass(frozen=True)
class Band:
    at: Decimal  # threshold
    score: Decimal


@dataclass(frozen=True)
class IndicatorSpec:
    name: str
    label_zh: str
    label_en: str
    kind: str  # QUANTITATIVE or QUALITATIVE
    weight: Decimal  # within its factor; the factor's indicators sum to 100
    indicator: str | None = None  # catalogue id (quantitative)
    better: str | None = None  # HIGHER or LOWER (quantitative)
    table: tuple[Band, ...] = ()
    otherwise: Decimal = Decimal(0)  # score when the value passes no threshold
    question_zh: str = ""
    question_en: str = ""
    anchors: tuple[tuple[str, str], ...] = ()  # (zh, en) for answers 1..5
    answer_scores: tuple[Decimal, ...] = DEFAULT_ANSWER_SCORES

    def score_value(self, value: Decimal) -> tuple[Decimal, str]:
        """Score a measured value; also return the table row used, for the "why"."""
        for band in self.table:
            hit = value >= band.at if self.better == HIGHER else value <= band.at
            if hit:
                sign = "≥" if self.better == HIGHER else "≤"
                return band.score, f"{sign} {self._threshold(band.at)} → {_show(band.score)}"
        last = self.table[-1].at
        sign = "<" if self.better == HIGHER else ">"
        return self.otherwise, f"{sign} {self._threshold(last)} → {_show(self.otherwise)}"

    def _threshold(self, at: Decimal) -> str:
        """Shares as percentages (≥ 80%), as the value column shows them; other units as written."""
        if CATALOGUE[self.indicator or ""].unit == "ratio":
            return f"{_show((at * 100).normalize())}%"
        return _show(at)

    def score_answer(self, answer: int) -> Decimal:
        return self.answer_scores[answer - 1]


@dataclass(frozen=True)
class Factor:
    name: str
    label_zh: str
    label_en: str
    weight: Decimal  # factors of a card sum to 100
    indicators: tuple[IndicatorSpec, ...]


@dataclass(frozen=True)
class Scorecard:
    name: str
    label_zh: str
    label_en: str
    factors: tuple[Factor, ...]
    source: str  # "builtin:5c" or the file path
    sha256: str  # of the TOML bytes, so a stored grade can say exactly which card made it
    description_zh: str = ""
    description_en: str = ""
    applies_to: tuple[str, ...] = ("individual", "enterprise")
    limit_bases: tuple = ()  # LimitBase rows of its [limit] table; empty: limit.toml's default bases
    limit_maximum: Decimal | None = None

    def find(self, key: str) -> tuple[Factor, IndicatorSpec] | None:
        """Look up an indicator by ``name`` or ``factor.name``."""
        factor_name, _, ind_name = key.rpartition(".")
        for factor in self.factors:
            if factor_name and factor.name != factor_name:
                continue
            for ind in factor.indicators:
                if ind.name == ind_name:
                    return factor, ind
        return None

    def questions(self) -> list[tuple[Factor, IndicatorSpec]]:
        return [(f, i) for f in self.factors for i in f.indicators if i.kind == QUALITATIVE]

    def quantitative_ids(self) -> list[str]:
        return [i.indicator for f in self.factors for i in f.indicators
                if i.kind == QUANTITATIVE and i.indicator]


# --- parsing helpers: each raises ConfigError prefixed with where it happened -------------

class _Where:
    def __init__(self, source: str, *parts: str):
        self.source, self.parts = source, parts

    def at(self, part: str) -> "_Where":
        return _Where(self.source, *self.parts, part)

    def fail(self, message: str) -> ConfigError:
        return ConfigError(": ".join((self.source, *self.parts, message)))


def _keys(table: object, where: _Where, required: set[str], optional: set[str]) -> dict:
    if not isinstance(table, dict):
        raise where.fail("expected a table")
    problems = []
    missing = sorted(required - set(table))
    if missing:
        problems.append("missing key " + ", ".join(repr(m) for m in missing))
    unknown = sorted(set(table) - required - optional)
    if unknown:  # reported together with "missing" so a misspelt key is obvious
        problems.append("unknown key " + ", ".join(repr(u) for u in unknown)
                        + " (allowed: " + ", ".join(sorted(required | optional)) + ")")
    if problems:
        raise where.fail("; ".join(problems))
    return table


def _text(table: dict, key: str, where: _Where, default: str | None = None) -> str:
    value = table.get(key, default)
    if not isinstance(value, str) or not value.strip():
        raise where.fail(f"{key!r} must be a non-empty string")
    return value.strip()


def _number(value: object, label: str, where: _Where, low=None, high=None) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
        raise where.fail(f"{label} must be a number, got {value!r}")
    number = Decimal(value)
    if not number.is_finite():
        raise where.fail(f"{label} must be finite")
    if low is not None and number < low or high is not None and number > high:
        raise where.fail(f"{label} {number} is outside {low}..{high}")
    return number


def _weight(table: dict, where: _Where) -> Decimal:
    weight = _number(table["weight"], "weight", where)
    if weight <= 0:
        raise where.fail(f"weight must be greater than 0, got {weight}")
    return weight


def _check_sum(weights: list[tuple[str, Decimal]], what: str, where: _Where) -> None:
    total = sum((w for _, w in weights), Decimal(0))
    if total != HUNDRED:
        listed = ", ".join(f"{n} {w}" for n, w in weights)
        raise where.fail(f"{what} weights sum to {total}, must be 100 ({listed})")


_COMMON = {"name", "type", "weight"}
_QUANT_OPTIONAL = {"indicator", "label_zh", "label_en", "better", "otherwise"}
_QUAL_REQUIRED = {"label_zh", "label_en", "question_zh", "question_en", "anchors"}


def _quantitative(raw: dict, name: str, where: _Where) -> IndicatorSpec:
    _keys(raw, where, _COMMON | {"table"}, _QUANT_OPTIONAL)
    ref = raw.get("indicator", name)
    if ref not in CATALOGUE:
        raise where.fail(f"unknown indicator {ref!r}; known ids: " + ", ".join(sorted(CATALOGUE)))
    known = CATALOGUE[ref]
    better = raw.get("better", known.better)
    if better not in (HIGHER, LOWER):
        raise where.fail(f"'better' must be {HIGHER!r} or {LOWER!r}, got {better!r}")
    rows = raw["table"]
    if not isinstance(rows, list) or not rows:
        raise where.fail("'table' must be a non-empty list of { at = …, score = … }")
    table: list[Band] = []
    for n, row in enumerate(rows, 1):
        row_where = where.at(f"table row {n}")
        _keys(row, row_where, {"at", "score"}, set())
        band = Band(_number(row["at"], "at", row_where),
                    _number(row["score"], "score", row_where, 0, 100))
        if table:
            prev = table[-1]
            ordered = band.at < prev.at if better == HIGHER else band.at > prev.at
            if not ordered:
                order = "decreasing" if better == HIGHER else "increasing"
                raise row_where.fail(f"thresholds must be strictly {order} when "
                                     f"{better} is better ({prev.at} then {band.at})")
            if band.score > prev.score:
                raise row_where.fail("scores must not rise further down the table "
                                     f"({prev.score} then {band.score}): a worse value "
                                     "may not score better")
        table.append(band)
    otherwise = _number(raw.get("otherwise", 0), "otherwise", where, 0, 100)
    if otherwise > table[-1].score:
        raise where.fail(f"'otherwise' ({otherwise}) may not exceed the last row's score")
    return IndicatorSpec(
        name=name, label_zh=_text(raw, "label_zh", where, known.label_zh),
        label_en=_text(raw, "label_en", where, known.label_en), kind=QUANTITATIVE,
        weight=_weight(raw, where), indicator=ref, better=better, table=tuple(table),
        otherwise=otherwise)


def _qualitative(raw: dict, name: str, where: _Where) -> IndicatorSpec:
    _keys(raw, where, _COMMON | _QUAL_REQUIRED, {"scores"})
    anchors = raw["anchors"]
    if not isinstance(anchors, list) or len(anchors) != 5:
        raise where.fail("'anchors' must list exactly 5 answers (1 = worst … 5 = best)")
    texts = []
    for n, anchor in enumerate(anchors, 1):
        anchor_where = where.at(f"anchor {n}")
        _keys(anchor, anchor_where, {"zh", "en"}, set())
        texts.append((_text(anchor, "zh", anchor_where), _text(anchor, "en", anchor_where)))
    raw_scores = raw.get("scores", list(DEFAULT_ANSWER_SCORES))
    if not isinstance(raw_scores, list) or len(raw_scores) != 5:
        raise where.fail("'scores' must list 5 numbers, for answers 1..5")
    scores = tuple(_number(s, f"score for answer {n}", where, 0, 100)
                   for n, s in enumerate(raw_scores, 1))
    if any(b < a for a, b in zip(scores, scores[1:])):
        raise where.fail("'scores' must not decrease from answer 1 to answer 5")
    return IndicatorSpec(
        name=name, label_zh=_text(raw, "label_zh", where), label_en=_text(raw, "label_en", where),
        kind=QUALITATIVE, weight=_weight(raw, where),
        question_zh=_text(raw, "question_zh", where), question_en=_text(raw, "question_en", where),
        anchors=tuple(texts), answer_scores=scores)


def _indicator(raw: object, where: _Where) -> IndicatorSpec:
    if not isinstance(raw, dict):
        raise where.fail("each indicator must be a table")
    name = _text(raw, "name", where)
    where = where.at(f"indicator {name!r}")
    kind = raw.get("type")
    if kind == QUANTITATIVE:
        return _quantitative(raw, name, where)
    if kind == QUALITATIVE:
        return _qualitative(raw, name, where)
    raise where.fail(f"'type' must be {QUANTITATIVE!r} or {QUALITATIVE!r}, got {kind!r}")


def _factor(raw: object, where: _Where) -> Factor:
    if not isinstance(raw, dict):
        raise where.fail("each factor must be a table")
    name = _text(raw, "name", where)
    where = where.at(f"factor {name!r}")
    _keys(raw, where, {"name", "label_zh", "label_en", "weight", "indicators"}, set())
    items = raw["indicators"]
    if not isinstance(items, list) or not items:
        raise where.fail("needs at least one [[factors.indicators]]")
    indicators = tuple(_indicator(item, where) for item in items)
    _check_sum([(i.name, i.weight) for i in indicators], "indicator", where)
    return Factor(name, _text(raw, "label_zh", where), _text(raw, "label_en", where),
                  _weight(raw, where), indicators)


def _limit(raw: object, where: _Where) -> tuple[tuple, Decimal | None]:
    """``[limit] bases = [...]``, optional ``maximum``: how this scorecard's credit limit is based."""
    if raw is None:
        return (), None
    table = _keys(raw, where.at("[limit]"), {"bases"}, {"maximum"})
    bases = parse_bases(table["bases"], f"{where.source}: [limit]")
    maximum = table.get("maximum")
    return bases, None if maximum is None else _number(maximum, "maximum", where.at("[limit]"), 0)


def parse_scorecard(data: bytes, source: str) -> Scorecard:
    """Validate a scorecard from its TOML bytes; ``source`` names it in error messages."""
    where = _Where(source)
    try:
        raw = tomllib.loads(data.decode("utf-8"), parse_float=Decimal)
    except UnicodeDecodeError:
        raise where.fail("not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise where.fail(f"not valid TOML: {exc}") from None
    _keys(raw, where, {"name", "label_zh", "label_en", "factors"},
          {"format", "description_zh", "description_en", "applies_to", "limit"})
    if raw.get("format", 1) != 1:
        raise where.fail(f"unsupported format {raw['format']!r} (this version reads format 1)")
    applies = raw.get("applies_to", ["individual", "enterprise"])
    if not isinstance(applies, list) or not applies or \
            not set(applies) <= {"individual", "enterprise"}:
        raise where.fail("'applies_to' must list 'individual' and/or 'enterprise'")
    if not isinstance(raw["factors"], list) or not raw["factors"]:
        raise where.fail("needs at least one [[factors]]")
    factors = tuple(_factor(f, where) for f in raw["factors"])
    _check_sum([(f.name, f.weight) for f in factors], "factor", where)
    seen_factors: set[str] = set()
    seen: dict[str, str] = {}
    for f in factors:
        if f.name in seen_factors:
            raise where.fail(f"factor {f.name!r} appears twice")
        seen_factors.add(f.name)
        for i in f.indicators:
            if i.name in seen:  # answers are keyed by indicator name, so names must be unique
                raise where.at(f"factor {f.name!r}").fail(
                    f"indicator {i.name!r} is already used in factor {seen[i.name]!r}; "
                    "indicator names must be unique in a scorecard (use 'indicator = …' "
                    "to measure the same id twice)")
            seen[i.name] = f.name
    clash = sorted(seen_factors & set(seen))
    if clash:  # a name must say unambiguously whether it means a factor or an indicator
        raise where.fail(f"{clash[0]!r} is both a factor and an indicator name")
    limit_bases, limit_maximum = _limit(raw.get("limit"), where)
    return Scorecard(
        limit_bases=limit_bases, limit_maximum=limit_maximum,
        name=_text(raw, "name", where), label_zh=_text(raw, "label_zh", where),
        label_en=_text(raw, "label_en", where), factors=factors, source=source,
        sha256=hashlib.sha256(data).hexdigest(),
        description_zh=str(raw.get("description_zh", "")).strip(),
        description_en=str(raw.get("description_en", "")).strip(),
        applies_to=tuple(applies))


def builtin_scorecard_bytes(name: str) -> bytes:
    if name not in BUILTIN_MODELS:
        raise ConfigError(f"no built-in scorecard {name!r}; built-in: "
                          + ", ".join(BUILTIN_MODELS))
    return (resources.files("custarchive.scoring") / "scorecards" / f"{name}.toml").read_bytes()


def builtin_scorecard_text(name: str) -> str:
    """The shipped TOML, comments included - what ``grade --export-scorecard`` prints."""
    return builtin_scorecard_bytes(name).decode("utf-8")


def builtin_scorecard(name: str) -> Scorecard:
    return parse_scorecard(builtin_scorecard_bytes(name), f"builtin:{name}")


def load_scorecard_file(path: str | Path) -> Scorecard:
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read scorecard: {exc.strerror or exc}") from None
    return parse_scorecard(data, str(path))


def resolve_scorecard(model: str | Path) -> Scorecard:
    """``--model`` semantics: a built-in name, else a path to a TOML file."""
    if isinstance(model, str) and model in BUILTIN_MODELS:
        return builtin_scorecard(model)
    path = Path(model)
    if not path.exists():
        raise ConfigError(f"{model}: neither a built-in model ({', '.join(BUILTIN_MODELS)}) "
                          "nor an existing scorecard file")
    return load_scorecard_file(path)

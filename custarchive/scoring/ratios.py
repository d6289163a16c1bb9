"""Financial statement ratios (比率分析) for one customer, period by period.

A ratio that cannot be computed is a *result*, not an error: a missing line or a
zero/negative denominator gives ``value=None`` plus a reason, because a credit
manager needs to see *why* a number is absent, and a scorecard treats it as
missing data (see evaluate.py) instead of crashing or scoring infinity.

Formulas (end-of-period balances, no averaging, so one period is enough):

* current_ratio            = current_assets / current_liabilities
* quick_ratio              = (current_assets - inventory) / current_liabilities
* debt_to_asset            = total_liabilities / total_assets
* interest_coverage        = EBIT / interest_expense, where EBIT is the ``ebit``
  line when given, else net_profit + interest_expense. The fallback ignores
  income tax, so it *understates* coverage - the conservative side for credit.
* net_margin               = net_profit / revenue
* gross_margin             = (revenue - cost_of_sales) / revenue
* roa                      = net_profit / total_assets
* roe                      = net_profit / equity (negative equity: not computable)
* receivable_turnover      = revenue / accounts_receivable
* revenue_growth           = (revenue - previous revenue) / previous revenue
* operating_cash_flow_ratio = operating_cash_flow / current_liabilities

Periods are ordered by their label as text, so use sortable labels
("2024", "2025" or "2025-Q1", "2025-Q2"); growth compares with the period
immediately before in that order.
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields
from decimal import Decimal
from typing import Callable, Iterable, Mapping

from custarchive.errors import ValidationError
from custarchive.scoring.indicators import Measure, to_decimal

LINE_LABELS: dict[str, tuple[str, str]] = {
    "current_assets": ("流动资产", "current assets"),
    "inventory": ("存货", "inventory"),
    "total_assets": ("资产总额", "total assets"),
    "current_liabilities": ("流动负债", "current liabilities"),
    "total_liabilities": ("负债总额", "total liabilities"),
    "equity": ("所有者权益", "equity"),
    "revenue": ("营业收入", "revenue"),
    "cost_of_sales": ("营业成本", "cost of sales"),
    "net_profit": ("净利润", "net profit"),
    "interest_expense": ("利息费用", "interest expense"),
    "ebit": ("息税前利润", "EBIT"),
    "operating_cash_flow": ("经营活动现金净流量", "operating cash flow"),
    "accounts_receivable": ("应收账款", "accounts receivable"),
}

_PLACES = Decimal("0.0001")


@dataclass(frozen=True)
class Statement:
    """One period's statement lines; ``None`` means "not reported", never zero."""

    period: str
    current_assets: Decimal | None = None
    inventory: Decimal | None = None
    total_assets: Decimal | None = None
    current_liabilities: Decimal | None = None
    total_liabilities: Decimal | None = None
    equity: Decimal | None = None
    revenue: Decimal | None = None
    cost_of_sales: Decimal | None = None
    net_profit: Decimal | None = None
    interest_expense: Decimal | None = None
    ebit: Decimal | None = None
    operating_cash_flow: Decimal | None = None
    accounts_receivable: Decimal | None = None

    def __post_init__(self) -> None:
        # Direct construction with floats or strings must behave like from_mapping.
        for name in LINE_LABELS:
            object.__setattr__(self, name, to_decimal(name, getattr(self, name)))

    @classmethod
    def from_mapping(cls, period: str, lines: Mapping[str, object]) -> "Statement":
        """Build from loose data (database rows, CLI ``--set``), refusing unknown line names."""
        if not str(period).strip():
            raise ValidationError("period", period, "period label is empty")
        unknown = sorted(set(lines) - set(LINE_LABELS))
        if unknown:
            raise ValidationError(unknown[0], lines[unknown[0]], "unknown statement line; known: "
                                  + ", ".join(LINE_LABELS))
        values = {name: to_decimal(name, value) for name, value in lines.items()}
        return cls(period=str(period).strip(), **values)

    def lines(self) -> dict[str, Decimal | None]:
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "period"}


@dataclass(frozen=True)
class RatioResult:
    name: str
    label_zh: str
    label_en: str
    formula: str
    period: str
    value: Decimal | None
    reason: str | None = None  # why value is None
    evidence: str = ""  # the numbers used, for a person to re-check

    @property
    def computable(self) -> bool:
        return self.value is not None


@dataclass(frozen=True)
class PeriodAnalysis:
    period: str
    statement: Statement
    ratios: dict[str, RatioResult]
    # value minus the previous period's value; None when either side is missing
    changes: dict[str, Decimal | None] = field(default_factory=dict)


def _fmt(amount: Decimal) -> str:
    return f"{amount:,}"


def _en(line: str) -> str:
    return LINE_LABELS[line][1]


def _zh(line: str) -> str:
    return LINE_LABELS[line][0]


# Simple quotients: name -> (label_zh, label_en, numerator lines, numerator function);
# the denominator line of each is in _DENOMINATOR.
_Spec = tuple[str, str, tuple[str, ...], Callable[[dict], Decimal]]


def _plain(line: str) -> tuple[tuple[str, ...], Callable[[dict], Decimal]]:
    return (line,), lambda v: v[line]


_SPECS: dict[str, _Spec] = {
    "current_ratio": ("流动比率", "current ratio", *_plain("current_assets")),
    "quick_ratio": ("速动比率", "quick ratio", ("current_assets", "inventory"),
                    lambda v: v["current_assets"] - v["inventory"]),
    "debt_to_asset": ("资产负债率", "debt-to-asset ratio", *_plain("total_liabilities")),
    "net_margin": ("销售净利率", "net profit margin", *_plain("net_profit")),
    "gross_margin": ("销售毛利率", "gross margin", ("revenue", "cost_of_sales"),
                     lambda v: v["revenue"] - v["cost_of_sales"]),
    "roa": ("总资产收益率", "return on assets", *_plain("net_profit")),
    "roe": ("净资产收益率", "return on equity", *_plain("net_profit")),
    "receivable_turnover": ("应收账款周转率", "receivable turnover", *_plain("revenue")),
    "operating_cash_flow_ratio": ("现金流动负债比", "operating cash flow ratio",
                                  *_plain("operating_cash_flow")),
}
_DENOMINATOR = {
    "current_ratio": "current_liabilities", "quick_ratio": "current_liabilities",
    "debt_to_asset": "total_assets", "net_margin": "revenue", "gross_margin": "revenue",
    "roa": "total_assets", "roe": "equity", "receivable_turnover": "accounts_receivable",
    "operating_cash_flow_ratio": "current_liabilities",
}
_NUM_TEXT = {
    "quick_ratio": ("(流动资产 - 存货)", "(current assets - inventory)"),
    "gross_margin": ("(营业收入 - 营业成本)", "(revenue - cost of sales)"),
}

RATIO_NAMES: tuple[str, ...] = (
    "current_ratio", "quick_ratio", "debt_to_asset", "interest_coverage", "net_margin",
    "gross_margin", "roa", "roe", "receivable_turnover", "revenue_growth",
    "operating_cash_flow_ratio",
)


def _formula(name: str) -> str:
    if name == "interest_coverage":
        return ("(净利润 + 利息费用) / 利息费用, 或 息税前利润 / 利息费用 "
                "((net profit + interest expense) / interest expense, or EBIT / interest expense)")
    if name == "revenue_growth":
        return ("(本期营业收入 - 上期营业收入) / 上期营业收入 "
                "((revenue - previous revenue) / previous revenue)")
    lines = _SPECS[name][2]
    den = _DENOMINATOR[name]
    num_zh, num_en = _NUM_TEXT.get(name, (_zh(lines[0]), _en(lines[0])))
    return f"{num_zh} / {_zh(den)} ({num_en} / {_en(den)})"


def _result(name: str, period: str, value: Decimal | None, reason: str | None = None,
            evidence: str = "") -> RatioResult:
    zh, en = _LABELS[name]
    return RatioResult(name, zh, en, _formula(name), period, value, reason, evidence)


def _divide(name: str, period: str, num: Decimal, num_text: str, den: Decimal,
            den_line: str) -> RatioResult:
    if den <= 0:
        word = "zero" if den == 0 else "negative"
        return _result(name, period, None, f"not computable: {_en(den_line)} is {word}",
                       f"{period}: {num_text}; {_en(den_line)} {_fmt(den)}")
    value = (num / den).quantize(_PLACES)
    return _result(name, period, value, None,
                   f"{period}: {num_text} / {_en(den_line)} {_fmt(den)} = {value}")


def _missing(name: str, period: str, absent: list[str]) -> RatioResult:
    return _result(name, period, None,
                   "not computable: missing " + ", ".join(_en(a) for a in absent))


def _growth(statement: Statement, previous: Statement | None) -> RatioResult:
    name, period = "revenue_growth", statement.period
    if previous is None:
        return _result(name, period, None, "not computable: no previous period")
    if statement.revenue is None:
        return _missing(name, period, ["revenue"])
    if previous.revenue is None:
        return _result(name, period, None,
                       f"not computable: missing revenue of previous period {previous.period}")
    text = (f"{period}: revenue {_fmt(statement.revenue)}, {previous.period} revenue "
            f"{_fmt(previous.revenue)}")
    if previous.revenue <= 0:
        word = "zero" if previous.revenue == 0 else "negative"
        return _result(name, period, None,
                       f"not computable: previous period revenue is {word}", text)
    value = ((statement.revenue - previous.revenue) / previous.revenue).quantize(_PLACES)
    return _result(name, period, value, None, f"{text}; growth = {value}")


def compute_ratio(name: str, statement: Statement,
                  previous: Statement | None = None) -> RatioResult:
    """One ratio for one period; never raises for bad numbers, only for an unknown name."""
    v = statement.lines()
    period = statement.period
    if name == "revenue_growth":
        return _growth(statement, previous)
    if name == "interest_coverage":
        needed = ["ebit" if v["ebit"] is not None else "net_profit", "interest_expense"]
        absent = [n for n in needed if v[n] is None]
        if absent:
            return _missing(name, period, absent)
        if v["ebit"] is not None:
            ebit, num_text = v["ebit"], f"EBIT {_fmt(v['ebit'])}"
        else:
            ebit = v["net_profit"] + v["interest_expense"]
            num_text = (f"EBIT (net profit {_fmt(v['net_profit'])} + interest expense "
                        f"{_fmt(v['interest_expense'])}) {_fmt(ebit)}")
        if v["interest_expense"] == 0:
            return _result(name, period, None,
                           "not computable: interest expense is zero (nothing to cover)",
                           f"{period}: {num_text}")
        return _divide(name, period, ebit, num_text, v["interest_expense"], "interest_expense")
    if name not in _SPECS:
        raise ValueError(f"unknown ratio {name!r}")
    lines, numerator = _SPECS[name][2:]
    den_line = _DENOMINATOR[name]
    absent = [n for n in (*lines, den_line) if v[n] is None]
    if absent:
        return _missing(name, period, list(dict.fromkeys(absent)))
    num_text = " - ".join(f"{_en(n)} {_fmt(v[n])}" for n in lines)
    if len(lines) > 1:
        num_text = f"({num_text})"
    return _divide(name, period, numerator(v), num_text, v[den_line], den_line)


_LABELS: dict[str, tuple[str, str]] = {
    **{n: (s[0], s[1]) for n, s in _SPECS.items()},
    "interest_coverage": ("利息保障倍数", "interest coverage"),
    "revenue_growth": ("营业收入增长率", "revenue growth"),
}


def analyse(statements: Iterable[Statement]) -> list[PeriodAnalysis]:
    """All ratios for every period, oldest first, with the change against the period before."""
    ordered = sorted(statements, key=lambda s: s.period)
    seen: set[str] = set()
    for s in ordered:
        if s.period in seen:
            raise ValidationError("period", s.period, "the same period is given twice")
        seen.add(s.period)
    out: list[PeriodAnalysis] = []
    previous: Statement | None = None
    for s in ordered:
        ratios = {n: compute_ratio(n, s, previous) for n in RATIO_NAMES}
        changes: dict[str, Decimal | None] = {}
        if out:
            before = out[-1].ratios
            for n, r in ratios.items():
                old = before[n].value
                changes[n] = None if r.value is None or old is None else r.value - old
        out.append(PeriodAnalysis(s.period, s, ratios, changes))
        previous = s
    return out


_PERCENT_RATIOS = frozenset({"debt_to_asset", "net_margin", "gross_margin", "roa", "roe", "revenue_growth",
                             "operating_cash_flow_ratio"})


def shown(name: str, value: Decimal) -> str:
    """A ratio as a person reads it: percentages for shares and growth, 2 decimals for multiples."""
    if name in _PERCENT_RATIOS:
        return f"{value * 100:.2f}%"
    return f"{value:.2f}"


def _reason_zh(reason: str | None) -> str:
    if not reason:
        return "无法计算"
    text = reason.removeprefix("not computable: ")
    for line, (zh, en) in LINE_LABELS.items():
        text = text.replace(en, zh)
    return "无法计算：" + (text.replace("missing ", "缺少").replace(" is zero", "为零")
                          .replace(" is negative", "为负").replace("no previous period", "没有上期报表")
                          .replace("previous period revenue", "上期营业收入").replace(", ", "、")
                          .replace(" (nothing to cover)", "（无需保障）").replace(" of previous period ", " 上期 "))


def measures_from_analysis(analysis: list[PeriodAnalysis]) -> dict[str, Measure]:
    """Scorecard inputs from the latest period, each with its evidence or its reason.

    A ratio that is not computable still appears (value None) so the scorecard
    shows the reason next to the missing indicator.
    """
    if not analysis:
        return {}
    latest = analysis[-1]
    measures = {n: Measure(r.value, r.evidence if r.computable else f"{r.period}: {r.reason}",
                           f"{r.period} 报表：{r.label_zh} = {shown(n, r.value)}（{r.formula.split(' (')[0]}）"
                           if r.computable else f"{r.period}：{_reason_zh(r.reason)}")
                for n, r in latest.ratios.items()}
    for line in ("equity", "revenue"):
        value = getattr(latest.statement, line)
        zh = LINE_LABELS[line][0]
        measures[line] = Measure(value, f"{latest.period}: {_en(line)} {_fmt(value)}"
                                 if value is not None else f"{latest.period}: {_en(line)} not reported",
                                 f"{latest.period} 报表：{zh} {_fmt(value)}" if value is not None
                                 else f"{latest.period} 报表未填{zh}")
    assets, debts = latest.statement.current_assets, latest.statement.current_liabilities
    if assets is not None and debts is not None:
        value = assets - debts
        measures["working_capital"] = Measure(
            value, f"{latest.period}: current assets {_fmt(assets)} - current liabilities {_fmt(debts)} = "
                   f"{_fmt(value)}",
            f"{latest.period} 报表：流动资产 {_fmt(assets)} - 流动负债 {_fmt(debts)} = {_fmt(value)}")
    return measures

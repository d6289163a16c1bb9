"""The catalogue of quantitative indicators a scorecard may refer to.

Scorecards are user-editable data, so a typo such as ``curent_ratio`` must be
caught when the card is loaded, not silently scored as "missing" forever. The
catalogue is the single list of ids the program knows how to measure; each
entry says what the caller has to supply, so whoever computes ``inputs`` from
the database (card, finance periods, transactions, contact log) has one place
to look.

Values are plain numbers in the unit shown: ratios are fractions (0.95, not
95), amounts are CNY, durations are days or years. The optional ``minimum`` /
``maximum`` bounds exist to refuse the classic unit mix-up (95 for 95%) at the
door instead of scoring it.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from custarchive.errors import ValidationError

HIGHER = "higher"
LOWER = "lower"


@dataclass(frozen=True)
class IndicatorDef:
    id: str
    label_zh: str
    label_en: str
    unit: str  # ratio | times | days | years | count | CNY
    better: str  # HIGHER or LOWER: the natural direction, used when a card omits it
    source: str  # finance | payments | card | log
    needs: str  # what the caller must compute, in plain English
    minimum: Decimal | None = None
    maximum: Decimal | None = None


@dataclass(frozen=True)
class Measure:
    """A measured value plus the sentence that lets a person check it."""

    value: Decimal | None
    evidence: str = ""
    evidence_zh: str = ""  # the same sentence in Chinese; empty: the English one is shown


def _d(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)


def _def(id, zh, en, unit, better, source, needs, minimum=None, maximum=None) -> IndicatorDef:
    return IndicatorDef(id, zh, en, unit, better, source, needs, _d(minimum), _d(maximum))


_LATEST = "latest finance period"
CATALOGUE: dict[str, IndicatorDef] = {d.id: d for d in (
    # -- financial statements (ratios.py computes these from finance periods) --
    _def("current_ratio", "流动比率", "Current ratio", "times", HIGHER, "finance",
         f"{_LATEST}: current_assets / current_liabilities", "0"),
    _def("quick_ratio", "速动比率", "Quick ratio", "times", HIGHER, "finance",
         f"{_LATEST}: (current_assets - inventory) / current_liabilities"),
    _def("debt_to_asset", "资产负债率", "Debt-to-asset ratio", "ratio", LOWER, "finance",
         f"{_LATEST}: total_liabilities / total_assets", "0"),
    _def("interest_coverage", "利息保障倍数", "Interest coverage", "times", HIGHER, "finance",
         f"{_LATEST}: (net_profit + interest_expense) / interest_expense"),
    _def("net_margin", "销售净利率", "Net profit margin", "ratio", HIGHER, "finance",
         f"{_LATEST}: net_profit / revenue"),
    _def("gross_margin", "销售毛利率", "Gross margin", "ratio", HIGHER, "finance",
         f"{_LATEST}: (revenue - cost_of_sales) / revenue"),
    _def("roa", "总资产收益率", "Return on assets", "ratio", HIGHER, "finance",
         f"{_LATEST}: net_profit / total_assets"),
    _def("roe", "净资产收益率", "Return on equity", "ratio", HIGHER, "finance",
         f"{_LATEST}: net_profit / equity (equity > 0)"),
    _def("receivable_turnover", "应收账款周转率", "Receivable turnover", "times", HIGHER,
         "finance", f"{_LATEST}: revenue / accounts_receivable", "0"),
    _def("revenue_growth", "营业收入增长率", "Revenue growth", "ratio", HIGHER, "finance",
         "latest vs previous period: (revenue - previous revenue) / previous revenue", "-1"),
    _def("operating_cash_flow_ratio", "现金流动负债比", "Operating cash flow ratio", "ratio",
         HIGHER, "finance", f"{_LATEST}: operating_cash_flow / current_liabilities"),
    _def("equity", "净资产", "Net worth (equity)", "CNY", HIGHER, "finance",
         f"{_LATEST}: equity (owners' equity, may be negative)"),
    _def("revenue", "营业收入", "Annual revenue", "CNY", HIGHER, "finance",
         f"{_LATEST}: revenue (periods are assumed to be years)", "0"),
    _def("working_capital", "营运资金", "Working capital", "CNY", HIGHER, "finance",
         f"{_LATEST}: current_assets - current_liabilities (may be negative)"),
    # -- the customer card --
    _def("registered_capital", "注册资本", "Registered capital", "CNY", HIGHER, "card",
         "card field registered_capital", "0"),
    _def("annual_spend", "年消费额", "Annual spend with us", "CNY", HIGHER, "card",
         "card field annual_spend, or the sum of the customer's purchases in the last 12 months",
         "0"),
    _def("years_as_customer", "合作年限", "Years as a customer", "years", HIGHER, "card",
         "years since the first transaction (else since the archive was created)", "0"),
    _def("years_in_business", "经营年限", "Years in business", "years", HIGHER, "card",
         "years since the customer's establishment / registration date", "0"),
    # -- payment behaviour (transactions / receivables) --
    _def("on_time_rate", "按期付款率", "On-time payment rate", "ratio", HIGHER, "payments",
         "share of payments due in the last 12 months that were settled on or before the due "
         "date (count of on-time / count due; a fraction 0-1); absent when nothing fell due",
         "0", "1"),
    _def("longest_delay_days", "最长逾期天数", "Longest payment delay", "days", LOWER,
         "payments", "largest days-past-due of any payment due in the last 24 months "
         "(0 when all were on time; absent when nothing fell due)", "0"),
    _def("average_delay_days", "平均逾期天数", "Average payment delay", "days", LOWER,
         "payments", "mean days-past-due over payments due in the last 12 months, on-time "
         "payments counting as 0; absent when nothing fell due", "0"),
    _def("outstanding_to_limit", "欠款占额度比", "Outstanding balance / credit limit", "ratio",
         LOWER, "payments", "current unpaid balance / card credit_limit (absent when the card "
         "has no credit_limit > 0)", "0"),
    _def("spend_growth", "采购额增长率", "Growth of purchases from us", "ratio", HIGHER,
         "payments", "(purchases in the last 12 months - purchases in the 12 months before) / "
         "purchases in the 12 months before; absent when the earlier total is 0", "-1"),
    # -- contact log --
    _def("complaints_count", "投诉纠纷次数", "Complaints and disputes", "count", LOWER, "log",
         "number of complaint / dispute entries in the contact log in the last 12 months", "0"),
)}


# What to collect for a missing indicator, by where its data comes from: (en, zh).
COLLECT: dict[str, tuple[str, str]] = {
    "finance": ("record the customer's financial statements (finance add)", "录入客户财务报表（finance add）"),
    "payments": ("record orders and payments (txn add), or a trade reference (--input)",
                 "录入订单与收款（txn add），或同业付款记录（--input）"),
    "card": ("fill in the card (update --set)", "补充客户卡片（update --set）"),
    "log": ("keep the contact log (log add)", "登记联系记录（log add）"),
}


def to_decimal(field: str, value: object) -> Decimal | None:
    """Turn a caller's number into an exact Decimal, refusing what would score silently wrong.

    bool is refused because ``True`` would quietly become 1; NaN and infinity
    because they cannot be placed in a scoring table.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValidationError(field, value, "must be a number, not a yes/no value")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            raise ValidationError(field, value, "must be a finite number")
        result = Decimal(repr(value))
    elif isinstance(value, str):
        try:
            result = Decimal(value.strip().replace(",", ""))
        except InvalidOperation:
            raise ValidationError(field, value, "is not a number") from None
    else:
        raise ValidationError(field, value, "must be a number")
    if not result.is_finite():
        raise ValidationError(field, value, "must be a finite number")
    return result


def check_range(indicator: IndicatorDef, value: Decimal) -> None:
    if indicator.minimum is not None and value < indicator.minimum:
        raise ValidationError(indicator.id, value, f"must be at least {indicator.minimum} "
                              f"({indicator.unit}: {indicator.needs})")
    if indicator.maximum is not None and value > indicator.maximum:
        hint = " - give a fraction, e.g. 0.95 for 95%" if indicator.unit == "ratio" else ""
        raise ValidationError(indicator.id, value,
                              f"must be at most {indicator.maximum}{hint}")

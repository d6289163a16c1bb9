"""Statistics over the archive (客户信息分析、报告): counts, grades, spend, growth.

One builder makes every table as plain data (rows of label and values);
the terminal view, JSON and the Excel workbook with native charts are all
renderings of the same tables, so they always agree.
"""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from typing import Callable

from sqlalchemy import text

from custarchive.errors import ValidationError
from custarchive.living import txn as money

GRADE_ORDER = ("AAA", "AA", "A", "BBB", "BB", "B", "CCC", "CC", "C")
NONE_LABEL = ("(未填)", "(none)")


@dataclass
class ReportTable:
    id: str
    title_zh: str
    title_en: str
    columns: list[tuple[str, str, str]]  # (key, zh, en); the first is the label column
    rows: list[dict] = field(default_factory=list)
    chart: str = "column"
    value: str = "count"

    def title(self, lang: str) -> str:
        return self.title_zh if lang == "zh" else self.title_en


def _count_table(table_id: str, zh: str, en: str, counts: dict, lang: str, *, order=None, labels=None,
                 chart: str = "column") -> ReportTable:
    """A count table from ``{value: count}`` (one GROUP BY in the database, never a row per archive)."""
    total = sum(counts.values()) or 1
    keys = list(order or []) + sorted((k for k in counts if k not in (order or []) and k is not None), key=str)
    if None in counts:
        keys.append(None)
    table = ReportTable(table_id, zh, en, [("label", "项目", "Item"), ("count", "数量", "Count"),
                                           ("share", "占比", "Share")], chart=chart)
    for key in keys:
        if key not in counts:
            continue
        label = (labels or {}).get(key, key) if key is not None else NONE_LABEL[0 if lang == "zh" else 1]
        table.rows.append({"key": key, "label": label, "count": counts[key], "share": round(counts[key] / total, 4)})
    return table


STEPS = 2  # queries ``build`` runs over the archive, for a progress bar


def build(conn, *, lang: str = "en", include_closed: bool = False, as_of: _dt.date | None = None,
          progress: Callable[[int, int], None] | None = None) -> list[ReportTable]:
    """Every table from two GROUP BY scans of the archive: memory does not grow with it.

    One scan groups by category, kind, grade and month (with the spend), the
    other by industry and place; the few hundred groups are added up here.
    ``progress(done, total)`` is called after each scan.
    """
    where = "status IN ('active', 'closed')" if include_closed else "status = 'active'"
    join, spent, _source, params = money.annual_spend_sql(as_of)
    by: dict[str, dict] = {name: {} for name in ("category", "kind", "grade", "month", "industry", "province",
                                                 "city")}
    sums: dict[str, list] = {}

    def add(name: str, key, count: int) -> None:
        by[name][key] = by[name].get(key, 0) + count

    rows = conn.execute(text(
        f"SELECT c.category, c.kind, c.grade, SUBSTR(c.created_at, 1, 7), COUNT(*), SUM(COALESCE({spent}, 0)) "
        f"FROM customers c {join} WHERE c.{where} GROUP BY c.category, c.kind, c.grade, SUBSTR(c.created_at, 1, 7)"),
        params)
    for category, kind, grade, month, count, total in rows:
        for name, key in (("category", category), ("kind", kind), ("grade", grade), ("month", month)):
            add(name, key, count)
        entry = sums.setdefault(category, [0, 0.0])
        entry[0] += count
        entry[1] += float(total or 0)
    if progress:
        progress(1, STEPS)
    for industry, province, city, count in conn.execute(text(
            f"SELECT industry, province, city, COUNT(*) FROM customers WHERE {where} GROUP BY industry, province, city")):
        for name, key in (("industry", industry), ("province", province), ("city", city)):
            add(name, key, count)
    if progress:
        progress(2, STEPS)

    categories = {code: (zh if lang == "zh" else en) for code, zh, en in
                  conn.execute(text("SELECT code, name_zh, name_en FROM categories ORDER BY code"))}
    kinds = {"individual": "个人客户" if lang == "zh" else "Individual",
             "enterprise": "企业客户" if lang == "zh" else "Enterprise"}
    tables = [
        _count_table("by_category", "按客户类别", "By category", by["category"], lang,
                     order=list(categories), labels={k: f"{k} {v}" for k, v in categories.items()}),
        _count_table("by_kind", "按客户类型", "By kind", by["kind"], lang, order=list(kinds),
                     labels=kinds, chart="pie"),
        _count_table("by_industry", "按行业", "By industry", by["industry"], lang, chart="bar"),
        _count_table("by_province", "按省份", "By province", by["province"], lang, chart="bar"),
        _count_table("by_city", "按城市", "By city", by["city"], lang, chart="bar"),
        _count_table("by_grade", "信用等级分布", "Grade distribution", by["grade"], lang,
                     order=list(GRADE_ORDER)),
    ]
    for table in tables[2:5]:
        named = [r for r in table.rows if r["key"] is not None]
        named.sort(key=lambda r: (-r["count"], str(r["key"])))
        table.rows = named + [r for r in table.rows if r["key"] is None]
    spend = ReportTable("spend_by_category", "各类别消费额", "Spend by category",
                        [("label", "类别", "Category"), ("archives", "档案数", "Archives"),
                         ("spend", "年消费额合计", "Annual spend"), ("average", "平均", "Average"),
                         ("share", "占比", "Share")], value="spend")
    grand = sum(total for _archives, total in sums.values()) or 1
    for code in list(categories) + sorted(set(sums) - set(categories)):
        if code in sums:
            archives, total = sums[code][0], round(sums[code][1], 2)
            spend.rows.append({"key": code, "label": f"{code} {categories.get(code, '')}".strip(),
                               "archives": archives, "spend": total,
                               "average": round(total / archives, 2), "share": round(total / grand, 4)})
    tables.append(spend)
    months = ReportTable("new_per_month", "每月新建档案", "New archives per month",
                         [("label", "月份", "Month"), ("count", "数量", "Count")], chart="line")
    for month, count in sorted(by["month"].items()):
        months.rows.append({"key": month, "label": month, "count": count})
    tables.append(months)
    return tables


def bar(value: float, biggest: float, width: int = 30) -> str:
    if biggest <= 0 or value <= 0:
        return ""
    cells = value / biggest * width
    return "█" * int(cells) + ("▌" if cells - int(cells) >= 0.5 else "")


def write_xlsx(tables: list[ReportTable], path: str, lang: str) -> None:
    """One worksheet per table, each with a native Excel chart of its main column."""
    import xlsxwriter
    import xlsxwriter.exceptions

    book = xlsxwriter.Workbook(path)
    head = book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    percent = book.add_format({"num_format": "0.0%"})
    amount = book.add_format({"num_format": "#,##0.00"})
    for table in tables:
        sheet = book.add_worksheet(table.id[:31])
        sheet.write(0, 0, table.title(lang), book.add_format({"bold": True, "font_size": 13}))
        for col, (_key, zh, en) in enumerate(table.columns):
            sheet.write(2, col, zh if lang == "zh" else en, head)
            sheet.set_column(col, col, 22 if col == 0 else 14)
        for row_index, row in enumerate(table.rows, start=3):
            for col, (key, _zh, _en) in enumerate(table.columns):
                value = row.get(key)
                style = percent if key == "share" else amount if key in ("spend", "average") else None
                sheet.write(row_index, col, "" if value is None else value, style)
        # printing: A4, one page wide, and the chart below the table (never beside it, where it would be cut)
        sheet.set_paper(9)
        sheet.set_portrait()
        sheet.fit_to_pages(1, 0)
        if not table.rows:
            continue
        value_col = [key for key, _zh, _en in table.columns].index(table.value)
        last = 2 + len(table.rows)
        chart = book.add_chart({"type": table.chart})
        chart.add_series({
            "name": table.title(lang),
            "categories": [sheet.name, 3, 0, last, 0],
            "values": [sheet.name, 3, value_col, last, value_col],
            **({"data_labels": {"percentage": True}} if table.chart == "pie" else {}),
        })
        chart.set_title({"name": table.title(lang)})
        if table.chart != "pie":
            chart.set_legend({"none": True})
        chart_row = last + 2
        sheet.insert_chart(chart_row, 0, chart, {"x_scale": 1.3, "y_scale": 1.2})
        if chart_row > 30:  # a long table: the chart starts a page of its own rather than being split
            sheet.set_h_pagebreaks([chart_row])
        sheet.print_area(0, 0, chart_row + 18, max(len(table.columns) - 1, 5))
    try:
        book.close()
    except (xlsxwriter.exceptions.FileCreateError, OSError) as exc:
        cause = exc.args[0] if exc.args and isinstance(exc.args[0], OSError) else exc
        raise ValidationError("--xlsx", path, f"cannot write: {getattr(cause, 'strerror', None) or cause}") from None

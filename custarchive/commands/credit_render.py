"""Rich output of a credit assessment and of a finance analysis (human form; --json bypasses this)."""
from __future__ import annotations

from typing import Any

NOT_COMPUTABLE = "—"
TREND_ARROWS = {"up": "↑", "down": "↓", "flat": "→", None: ""}


def _num(value: Any) -> str:
    if value is None:
        return NOT_COMPUTABLE
    if isinstance(value, float) or (isinstance(value, int) and abs(value) >= 10_000):
        return f"{value:,.2f}" if abs(value) >= 1000 else f"{value:g}"
    return str(value)


def _indicator_value(item: dict) -> str:
    if item["value"] is None:
        return NOT_COMPUTABLE
    if item["type"] == "qualitative":
        return f"{item['value']}/5"
    from custarchive.scoring import CATALOGUE

    spec = CATALOGUE.get(item["indicator"] or "")
    if spec is not None and spec.unit == "CNY":
        return f"{item['value']:,}" if isinstance(item["value"], int) else f"{item['value']:,.2f}"
    return f"{item['value']:g}" if isinstance(item["value"], float) else str(item["value"])


def _label(item: dict, lang: str) -> str:
    return item["label_zh"] if lang == "zh" else item["label_en"]


def _weight(nominal: Any, effective: Any) -> str:
    text = f"{nominal}%"
    return text if effective in (None, 0) or effective == nominal else f"{text} → {effective}%"


def render_result(app_ctx, card: dict, result: dict, *, dry_run: bool, apply_limit: bool) -> None:
    from rich.table import Table

    from custarchive.commands.render import console, panel

    t, lang = app_ctx.t, app_ctx.lang
    model_label = result["model_label_zh"] if lang == "zh" else result["model_label_en"]
    grid = Table(title=f"{card['archive_no']} {card['name']} — {model_label}", header_style="bold")
    for header in (t("因素 / 指标", "Factor / indicator"), t("权重", "Weight"), t("数值", "Value"),
                   t("得分", "Score"), t("加权得分", "Points"), t("依据", "Evidence")):
        grid.add_column(header, overflow="fold")
    missing_word = t("缺失", "missing")
    for factor in result["factors"]:
        grid.add_row(f"[bold]{_label(factor, lang)}[/bold]", _weight(factor["weight"], factor["effective_weight"]),
                     "", missing_word if factor["missing"] else _num(factor["score"]),
                     "" if factor["missing"] else _num(factor["contribution"]), "", end_section=False)
        for item in factor["indicators"]:
            rule = item["rule"] if item["type"] == "quantitative" else ""
            why = "; ".join(part for part in (item["evidence"], rule) if part)
            grid.add_row(f"  {_label(item, lang)}", _weight(item["weight"], item["effective_weight"]),
                         _indicator_value(item), f"[yellow]{missing_word}[/yellow]" if item["missing"]
                         else _num(item["score"]), "" if item["missing"] else _num(item["contribution"]), why)
        grid.add_section()
    console(app_ctx).print(grid)
    limit = result["credit_limit"]
    pairs = [
        (t("总分", "Score"), f"{result['score']} / 100"),
        (t("信用等级", "Grade"), f"{result['grade']} ({result['grade_label_zh' if lang == 'zh' else 'grade_label_en']})"),
        (t("数据不全", "Partial"), (t("是", "yes") if result["partial"] else t("否", "no"))
         + t(f":{result['missing_share']}% 的权重无数据", f": {result['missing_share']}% of the weight had no data")),
    ]
    if result["missing"]:
        pairs.append((t("缺失指标", "Missing"), ", ".join(result["missing"])))
    pairs.append((t("建议信用额度", "Recommended limit"),
                  NOT_COMPUTABLE if limit["amount"] is None else f"{limit['amount']:,}"))
    pairs.append((t("计算依据", "Why"), limit["why_zh"] if lang == "zh" else limit["why_en"]))
    previous = result["previous"]
    if previous:
        change = previous["score_change"]
        pairs.append((t("上次评估", "Previous"),
                      f"{previous['at'][:16]} {previous['model']} {previous['score']} {previous['grade']} → "
                      f"{result['score']} {result['grade']} ({'+' if change >= 0 else ''}{change})"))
    else:
        pairs.append((t("上次评估", "Previous"), t("首次评估", "first assessment")))
    if dry_run:
        pairs.append((t("保存", "Saved"), t("试算,未保存", "dry run: nothing saved")))
    else:
        changes = result["card_changes"]
        notes = [f"{key}: {c['old'] if c['old'] is not None else NOT_COMPUTABLE} → {c['new']}"
                 for key, c in changes.items()]
        if not apply_limit and limit["amount"] is not None:
            notes.append(t("信用额度未改(用 --apply-limit 采用建议额度)",
                           "credit limit unchanged (use --apply-limit to set the recommended one)"))
        pairs.append((t("保存", "Saved"), t(f"评估 #{result['assessment_id']}", f"assessment #{result['assessment_id']}")
                      + ("; " + "; ".join(notes) if notes else "")))
    panel(app_ctx, t("评估结果", "Result"), pairs)


def render_finance(app_ctx, data: dict) -> None:
    from custarchive.commands import render
    from custarchive.scoring import LINE_LABELS

    t, lang = app_ctx.t, app_ctx.lang
    periods = data["periods"]
    title = f"{data['archive_no']} {data['name']}"
    if not periods:
        app_ctx.warn(t(f"{data['archive_no']} 没有财务报表(用 finance add 录入)",
                       f"{data['archive_no']} has no statements (record them with: finance add)"))
        return
    index = 0 if lang == "zh" else 1
    lines = [line for line in LINE_LABELS if any(data["statements"][p][line] is not None for p in periods)]
    render.table(app_ctx, title + t(" 财务报表", " statements"), [t("项目", "Line"), *periods],
                 [(LINE_LABELS[line][index], *(_num(data["statements"][p][line]) for p in periods)) for line in lines])
    rows = []
    for ratio in data["ratios"]:
        values = [ratio["periods"][p]["value"] for p in periods]
        rows.append((ratio["label_zh"] if lang == "zh" else ratio["label_en"],
                     *(NOT_COMPUTABLE if v is None else f"{v:g}" for v in values),
                     TREND_ARROWS[ratio["trend"]], ratio["formula"]))
    render.table(app_ctx, title + t(" 比率分析", " ratios"),
                 [t("比率", "Ratio"), *periods, t("趋势", "Trend"), t("公式", "Formula")], rows,
                 caption=t("— = 无法计算(原因见 --json)", "— = not computable (reasons in --json)"))

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
    if spec is not None and spec.unit == "ratio":
        return f"{item['value'] * 100:.2f}%"
    return f"{item['value']:g}" if isinstance(item["value"], float) else str(item["value"])


def _money(value: Any) -> str:
    return NOT_COMPUTABLE if value is None else f"{value:,}"


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
            evidence = item.get("evidence_zh") or item["evidence"] if lang == "zh" else item["evidence"]
            why = "; ".join(part for part in (evidence, rule) if part)
            grid.add_row(f"  {_label(item, lang)}", _weight(item["weight"], item["effective_weight"]),
                         _indicator_value(item), f"[yellow]{missing_word}[/yellow]" if item["missing"]
                         else _num(item["score"]), "" if item["missing"] else _num(item["contribution"]), why)
        grid.add_section()
    console(app_ctx).print(grid)
    limit = result["credit_limit"]
    grade_label = result['grade_label_zh' if lang == 'zh' else 'grade_label_en']
    pairs = [
        (t("总分", "Score"), NOT_COMPUTABLE if result["score"] is None else f"{result['score']} / 100"),
        (t("信用等级", "Grade"), f"{result['grade']} ({grade_label})"),
        (t("证据覆盖", "Coverage"), t(f"{result['coverage']}% 的权重有数据", f"{result['coverage']}% of the weight has data")
         + (t("(数据不全)", " (partial)") if result["partial"] else "")),
    ]
    if not result["rated"]:
        for why in result["not_rated_why"]:
            pairs.append((t("未评级原因", "Not rated because"), why["zh" if lang == "zh" else "en"]))
        from custarchive.scoring.indicators import COLLECT

        groups: dict[str, list[dict]] = {}
        for item in result["to_collect"]:  # heaviest first; grouped by what to do
            groups.setdefault(item["source"], []).append(item)
        for source, items in groups.items():
            how = (t("回答问题(交互式 grade 或 --score)", "answer the questions (interactive grade or --score)")
                   if source == "question" else COLLECT[source][1 if lang == "zh" else 0])
            names = ", ".join(f"{i['label_zh' if lang == 'zh' else 'label_en']} {i['share']}%" for i in items)
            pairs.append((t("需补充", "To collect"), f"{how}: {names}"))
    elif result["missing"]:
        moved = [f"{f['label_zh' if lang == 'zh' else 'label_en']} {f['weight']}% → {f['effective_weight']}%"
                 for f in result["factors"] if f["effective_weight"] != f["weight"]]
        labels = [f"{_label(f, lang)}·{_label(i, lang)}" for f in result["factors"] for i in f["indicators"]
                  if i["missing"]]
        pairs.append((t("缺失指标", "Missing"), ", ".join(labels)))
        pairs.append((t("权重重新分配", "Weight redistributed"),
                      t("缺失指标的权重分给同一因素中有数据的指标,无数据因素的权重分给其他因素",
                        "the weight of missing indicators went to the indicators with data in the same factor, "
                        "that of factors without data to the other factors")
                      + ("; " + "; ".join(moved) if moved else "")))
    pairs.append((t("建议信用额度", "Recommended limit"), _money(limit["amount"])))
    if limit.get("current") is not None:
        change = limit.get("change")
        pairs.append((t("现有额度", "Current limit"), _money(limit["current"])
                      + ("" if change is None else f" ({'+' if change >= 0 else ''}{change:,})")))
    for n, step in enumerate(limit["steps_zh"] if lang == "zh" else limit["steps_en"]):
        pairs.append((t("计算依据", "Why") if n == 0 else "", step))
    previous = result["previous"]
    if previous:
        change = previous["score_change"]
        pairs.append((t("上次评估", "Previous"),
                      f"{previous['at'][:16]} {previous['model']} {previous['score']} {previous['grade']} → "
                      f"{_num(result['score'])} {result['grade']}"
                      + ("" if change is None else f" ({'+' if change >= 0 else ''}{change})")))
    else:
        pairs.append((t("上次评估", "Previous"), t("首次评估", "first assessment")))
    if dry_run:
        pairs.append((t("保存", "Saved"), t("试算,未保存", "dry run: nothing saved")))
    elif not result["rated"]:
        pairs.append((t("保存", "Saved"), t("未评级:不保存评估,卡片等级不变", "not rated: nothing saved, the card's "
                                                                         "grade is unchanged")))
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
    from decimal import Decimal

    from custarchive.commands import render
    from custarchive.scoring import LINE_LABELS
    from custarchive.scoring.ratios import shown

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
        formula = ratio["formula"]
        zh_formula, _, en_formula = formula.partition(" (")
        rows.append((ratio["label_zh"] if lang == "zh" else ratio["label_en"],
                     *(NOT_COMPUTABLE if v is None else shown(ratio["name"], Decimal(str(v))) for v in values),
                     TREND_ARROWS[ratio["trend"]], zh_formula if lang == "zh" else en_formula.removesuffix(")")))
    render.table(app_ctx, title + t(" 比率分析", " ratios"),
                 [t("比率", "Ratio"), *periods, t("趋势", "Trend"), t("公式", "Formula")], rows,
                 caption=t("— = 无法计算(原因见 --json)", "— = not computable (reasons in --json)"))


def render_batch(app_ctx, summary: dict, scale, spool=None) -> None:
    """The summary of ``grade --all``: distribution, how many moved, how many not rated and why; with
    ``spool`` (``--verbose``) every moved and not-rated archive too, read back from it in tables of
    VERBOSE_ROWS rows (one table of a million rows would hold them all in memory)."""
    from custarchive.commands import render

    t = app_ctx.t
    rows = [(grade, count) for grade, count in summary["distribution"].items()]
    rows.append((f"{scale.not_rated.grade} ({t(scale.not_rated.label_zh, scale.not_rated.label_en)})",
                 summary["not_rated_count"]))
    render.table(app_ctx, t("等级分布", "Grade distribution"), [t("等级", "Grade"), t("户数", "Archives")], rows)
    render.console(app_ctx).print(
        t(f"共 {summary['archives']} 户:评定 {summary['graded']},未评级 {summary['not_rated_count']},"
          f"跳过 {summary['skipped_count']};等级变动 {summary['moved_count']}",
          f"{summary['archives']} archives: {summary['graded']} graded, {summary['not_rated_count']} not rated, "
          f"{summary['skipped_count']} skipped; {summary['moved_count']} moved")
        + (t("(试算,未保存)", " (dry run: nothing saved)") if summary["dry_run"] else ""), markup=False)
    if summary["reasons"]:
        render.table(app_ctx, t("未评级与跳过的原因", "Not rated or skipped, why"),
                     [t("原因", "Reason"), t("户数", "Archives")],
                     [((t("未评级:", "not rated: ") if r["kind"] == "not_rated" else t("跳过:", "skipped: "))
                       + (r["reason_zh"] if app_ctx.lang == "zh" else r["reason_en"]), r["count"])
                      for r in summary["reasons"]])
    if not summary["moved_count"]:
        app_ctx.warn(t("没有等级变动", "no grade moved"))
    if spool is None:
        return
    lang = "zh" if app_ctx.lang == "zh" else "en"
    _chunked_tables(app_ctx, t("等级变动", "Grade moved"), spool.counts["moved"],
                    [t("档案编号", "Archive"), t("名称", "Name"), t("原等级", "Old"), t("新等级", "New"),
                     t("得分", "Score"), t("模型", "Model")],
                    ((m["archive_no"], m["name"], m["old_grade"], m["grade"], m["score"], m["model"])
                     for m in spool.items("moved")))
    _chunked_tables(app_ctx, t("未评级", "Not rated"), spool.counts["not_rated"],
                    [t("档案编号", "Archive"), t("名称", "Name"), t("证据覆盖", "Coverage"), t("原因", "Why")],
                    ((n["archive_no"], n["name"], f"{n['coverage']}%", "; ".join(w[lang] for w in n["why"]))
                     for n in spool.items("not_rated")))
    for item in spool.items("skipped"):
        app_ctx.warn(t(f"跳过 {item['archive_no']}: {item['reason']}",
                       f"skipped {item['archive_no']}: {item['reason']}"))


VERBOSE_ROWS = 1000


def _chunked_tables(app_ctx, title: str, total: int, headers: list[str], rows) -> None:
    """``rows`` as tables of VERBOSE_ROWS rows each; the title counts them when there is more than one."""
    from itertools import islice

    from custarchive.commands import render

    rows = iter(rows)
    start = 0
    while start < total:
        chunk = list(islice(rows, VERBOSE_ROWS))
        if not chunk:
            break
        label = title if total <= VERBOSE_ROWS else f"{title} ({start + 1}–{start + len(chunk)} / {total})"
        render.table(app_ctx, label, headers, chunk)
        start += len(chunk)


def render_backtest(app_ctx, report: dict) -> None:
    """Per grade: archives, bad ones, bad rate with its 95% interval; then AUC, AR and rank order."""
    from custarchive.commands import render

    t = app_ctx.t

    def pct(value):
        return NOT_COMPUTABLE if value is None else f"{value * 100:.1f}%"

    rows = [(r["grade"], r["archives"], r["bad"], r["late"], r["defaulted"], pct(r["bad_rate"]),
             NOT_COMPUTABLE if r["bad_rate_95"] is None else f"{pct(r['bad_rate_95'][0])}–{pct(r['bad_rate_95'][1])}")
            for r in report["grades"]]
    render.table(app_ctx, t(f"回测:评估后 {report['horizon']} 内到期订单,逾期超过 {report['late_days']} 天为坏",
                            f"Backtest: orders due within {report['horizon']} of the assessment; bad = over "
                            f"{report['late_days']} days late"),
                 [t("等级", "Grade"), t("户数", "Archives"), t("坏", "Bad"), t("逾期", "Late"),
                  t("未还", "Defaulted"), t("坏账率", "Bad rate"), t("95% 区间", "95% interval")], rows,
                 caption=t(f"观察 {report['observed']} 户;评估太近 {report['too_recent']},期内无到期订单 "
                           f"{report['no_exposure']}(不计)",
                           f"{report['observed']} observed; {report['too_recent']} too recent, "
                           f"{report['no_exposure']} without orders due in the window (left out)"))
    pairs = [
        ("AUC", NOT_COMPUTABLE if report["auc"] is None else f"{report['auc']:.4f}"),
        (t("准确率比 AR", "Accuracy ratio (AR)"),
         NOT_COMPUTABLE if report["accuracy_ratio"] is None else f"{report['accuracy_ratio']:.4f}"),
        (t("总坏账率", "Overall bad rate"), pct(report["bad_rate"])),
        (t("排序", "Rank order"), t("等级越差坏账率越高", "bad rates rise as grades fall") if report["rank_ordered"]
         else "; ".join(t(f"{i['better']} {pct(i['better_bad_rate'])} 高于 {i['worse']} {pct(i['worse_bad_rate'])}",
                          f"{i['better']} {pct(i['better_bad_rate'])} above {i['worse']} {pct(i['worse_bad_rate'])}")
                        for i in report["inversions"])),
    ]
    if report["auc"] is None:
        pairs.append(("", t("需要同时有好、坏客户才能计算 AUC", "AUC needs both good and bad customers")))
    render.panel(app_ctx, t("区分能力与校准", "Discrimination and calibration"), pairs)

"""Keeping the archive in order: classify, dedupe, merge, audit, report."""
from __future__ import annotations

import sys
from typing import Optional

import typer

from custarchive.commands.common import JSON_OPTION, app_context
from custarchive.commands.dedupe import dedupe


def register(app: typer.Typer) -> None:
    for command in (classify, dedupe, merge, audit, report):
        app.command(command.__name__)(command)


def _as_of(raw: Optional[str]):
    if not raw:
        return None
    import datetime

    from custarchive.core.values import parse_date

    return datetime.date.fromisoformat(parse_date(raw, "--as-of"))


def classify(
    ctx: typer.Context,
    dry_run: bool = typer.Option(False, "--dry-run", help="Show what would change; change nothing."),
    method: Optional[str] = typer.Option(None, "--method", help="amount or share (default from settings)."),
    as_of: Optional[str] = typer.Option(None, "--as-of", metavar="DATE", help="Annual spend up to DATE."),
    limit: int = typer.Option(20, "--limit", min=1, metavar="N", help="Changes shown on a terminal (default 20)."),
    show_all: bool = typer.Option(False, "--all", help="Show every change (--json always has all)."),
    json_: bool = JSON_OPTION,
) -> None:
    """Put customers in categories A/B/C by annual spend (every change is logged)."""
    import itertools

    from custarchive.living import classify as domain
    from custarchive.commands import render

    app_ctx = app_context(ctx)
    actor = app_ctx.actor(source="classify")
    day = _as_of(as_of)
    if dry_run:
        with app_ctx.database().read() as conn:
            result = domain.classify(conn, actor, dry_run=True, as_of=day, method=method)
    else:
        with _batch_progress(app_ctx, app_ctx.t("分类", "classifying")) as bar, \
                app_ctx.database(write=True, create=False).write() as conn:
            result = domain.classify(conn, actor, as_of=day, method=method, progress=bar.update)
    try:
        summary = result.summary()
        if json_:
            head = {key: summary[key] for key in ("method", "thresholds", "categories", "as_of", "dry_run", "counts")}
            render.stream_json(head, {"results": result.results(), "changes": result.changes(),
                                "skipped": result.skipped()})
            return
        t = app_ctx.t
        source = {"transactions": t("交易", "transactions"), "card": t("资料卡", "card")}
        shown = result.changes() if show_all else itertools.islice(result.changes(), limit)
        rows = [(c["archive_no"], c["name"], float(c["spend"]), source[c["spend_source"]], c["old"], c["new"])
                for c in shown]
        if rows:
            render.table(app_ctx, t("类别变更(预演)", "Category changes (dry run)") if dry_run
                         else t("类别变更", "Category changes"),
                         [t("档案编号", "Archive"), t("名称", "Name"), t("年消费额", "Annual spend"), t("依据", "From"),
                          t("原类别", "Old"), t("新类别", "New")], rows,
                         caption=None if len(rows) == summary["changed"] else
                         t(f"仅显示前 {len(rows)} 个(共 {summary['changed']} 个):--all 显示全部,--json 输出全部",
                           f"first {len(rows)} of {summary['changed']}: --all shows every one, --json has them all"))
        counts = ", ".join(f"{code}: {n}" for code, n in summary["counts"].items())
        app_ctx.warn(t(f"{summary['changed']} 个档案变更类别;分布 {counts};{summary['skipped_count']} 个无消费数据未分类",
                       f"{summary['changed']} archive(s) change category; now {counts}; "
                       f"{summary['skipped_count']} without spend data left as they are"))
    finally:
        result.close()


def merge(
    ctx: typer.Context,
    keep: str = typer.Argument(..., help="The archive that stays."),
    drop: str = typer.Argument(..., help="The archive merged into KEEP (kept as a tombstone)."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask (required without a terminal)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Only show the preview."),
    json_: bool = JSON_OPTION,
) -> None:
    """Merge DROP into KEEP: fill KEEP's empty fields, move documents, timeline and transactions."""
    from custarchive.cards import merge as domain
    from custarchive.commands import render
    from custarchive.errors import UsageError

    app_ctx = app_context(ctx)
    db = app_ctx.database(write=not dry_run)
    with db.read() as conn:
        plan = domain.preview(conn, keep, drop)
    if dry_run:
        if json_:
            render.emit_json({key: value for key, value in plan.items() if key != "fingerprint"})
        else:
            _show_preview(app_ctx, plan)
        return
    if not yes:
        if not sys.stdin.isatty():
            raise UsageError("merge asks for confirmation: run it on a terminal, or pass --yes")
        _show_preview(app_ctx, plan)
        import questionary

        question = questionary.confirm(app_ctx.t(f"把 {plan['drop']} 合并到 {plan['keep']}?",
                                                 f"Merge {plan['drop']} into {plan['keep']}?"), default=False)
        if not question.unsafe_ask():
            app_ctx.warn(app_ctx.t("已取消,未作任何修改", "cancelled: nothing changed"))
            raise typer.Exit(1)
    with db.write() as conn:
        result = domain.merge(conn, plan["keep"], plan["drop"], app_ctx.actor(source="merge"),
                              expect=plan["fingerprint"])
    if json_:
        render.emit_json(result)
    else:
        moved = ", ".join(f"{table} {n}" for table, n in result["moved"].items() if n) or "-"
        app_ctx.warn(app_ctx.t(f"{result['drop']} 已合并到 {result['keep']};移动:{moved};补充字段:{len(result['filled'])}",
                               f"{result['drop']} merged into {result['keep']}; moved: {moved}; "
                               f"fields filled: {len(result['filled'])}"))


def _show_preview(app_ctx, plan: dict) -> None:
    from custarchive.commands import render
    from custarchive.commands.common import mask

    t = app_ctx.t
    action = {"same": t("相同", "same"), "fill": t("补充", "fill"), "note": t("写入备注", "into notes"),
              "kept on drop": t("留在被合并档案", "stays on DROP"), "history only": t("仅记入历史", "history only")}
    render.table(app_ctx, t(f"合并预览:{plan['drop']} {plan['drop_name']} → {plan['keep']} {plan['keep_name']}",
                            f"Merge preview: {plan['drop']} {plan['drop_name']} → {plan['keep']} {plan['keep_name']}"),
                 [t("字段", "Field"), t("保留档案", "KEEP"), t("被合并档案", "DROP"), t("处理", "Action"),
                  t("结果", "Result")],
                 [(f["field"], mask(f["field"], f["keep"]) if f["field"] in ("id_number", "bank_account") else f["keep"],
                   mask(f["field"], f["drop"]) if f["field"] in ("id_number", "bank_account") else f["drop"],
                   action.get(f["action"], f["action"]),
                   mask(f["field"], f["result"]) if f["field"] in ("id_number", "bank_account") else f["result"])
                  for f in plan["fields"]])
    moves = ", ".join(f"{table}: {n}" for table, n in plan["moves"].items()) or "-"
    app_ctx.warn(t(f"将移动:{moves}", f"will move: {moves}"))


def audit(
    ctx: typer.Context,
    days: Optional[int] = typer.Option(None, "--days", min=0, help="Archives not updated for DAYS days (default 365)."),
    complaint_days: Optional[int] = typer.Option(None, "--complaint-days", min=0,
                                                 help="Open complaints older than this (default 30)."),
    as_of: Optional[str] = typer.Option(None, "--as-of", metavar="DATE", help="Pretend today is DATE."),
    limit: int = typer.Option(20, "--limit", min=1, metavar="N", help="Findings shown on a terminal (default 20)."),
    show_all: bool = typer.Option(False, "--all", help="Show every finding (--json always has all)."),
    json_: bool = JSON_OPTION,
) -> None:
    """Check archives for gaps and problems; exit 1 when anything needs attention."""
    from custarchive.living import audit as domain
    from custarchive.commands import render
    from custarchive.living.documents import store_for

    app_ctx = app_context(ctx)
    db = app_ctx.database()
    t = app_ctx.t
    names = {"missing_fields": t("缺少必填项", "missing fields"), "stale": t("长期未更新", "not updated"),
             "open_complaint": t("投诉未解决", "open complaint"), "attachment": t("附件异常", "attachment"),
             "numbering_gap": t("编号缺口", "numbering gap")}
    shown: list = []
    with db.read() as conn, _batch_progress(app_ctx, t("检查", "auditing")) as bar:
        progress = bar.update
        result = domain.run_audit(conn, store_for(db), stale_days=days, complaint_days=complaint_days,
                                  as_of=_as_of(as_of))
        if json_:
            render.stream_json(result.header(), {"findings": result.findings(progress)},
                         lambda: {"counts": result.counts, "ok": result.ok})
        else:
            for finding in result.findings(progress):
                if show_all or len(shown) < limit:
                    shown.append((names[finding["kind"]], finding["archive_no"], finding["detail"]))
    total = sum(result.counts.values())
    if not json_ and shown:
        render.table(app_ctx, t(f"档案检查 {result.as_of}", f"Audit {result.as_of}"),
                     [t("问题", "Problem"), t("档案编号", "Archive"), t("说明", "Detail")], shown,
                     caption=None if len(shown) == total else
                     t(f"仅显示前 {len(shown)} 项(共 {total} 项):--all 显示全部,--json 输出全部",
                       f"first {len(shown)} of {total}: --all shows every one, --json has them all"))
        app_ctx.warn(", ".join(f"{names[kind]}: {n}" for kind, n in result.counts.items() if n))
    elif not json_:
        app_ctx.warn(t("档案检查通过", "audit: nothing needs attention"))
    if total:
        raise typer.Exit(1)


def report(
    ctx: typer.Context,
    xlsx: Optional[str] = typer.Option(None, "--xlsx", metavar="FILE", help="Also write the tables with Excel charts."),
    include_closed: bool = typer.Option(False, "--all", help="Include closed archives."),
    as_of: Optional[str] = typer.Option(None, "--as-of", metavar="DATE", help="Annual spend up to DATE."),
    json_: bool = JSON_OPTION,
) -> None:
    """Counts by category, kind, industry, place and grade; spend by category; new archives per month."""
    from custarchive.commands import render
    from custarchive.living import reports

    app_ctx = app_context(ctx)
    with app_ctx.database().read() as conn, _batch_progress(app_ctx, app_ctx.t("统计", "counting")) as bar:
        progress = bar.update
        tables = reports.build(conn, lang=app_ctx.lang, include_closed=include_closed, as_of=_as_of(as_of),
                               progress=progress)
    if xlsx:
        reports.write_xlsx(tables, xlsx, app_ctx.lang)
        app_ctx.warn(app_ctx.t(f"已写入 {xlsx}", f"wrote {xlsx}"))
    if json_:
        render.emit_json({table.id: table.rows for table in tables})
        return
    if xlsx:
        return
    lang = app_ctx.lang
    for table in tables:
        if not table.rows:
            continue
        biggest = max(row[table.value] for row in table.rows)
        headers = [zh if lang == "zh" else en for _key, zh, en in table.columns] + [""]
        rows = []
        for row in table.rows:
            cells = [row.get(key) for key, _zh, _en in table.columns]
            cells = [f"{value:.1%}" if key == "share" else value
                     for (key, _zh, _en), value in zip(table.columns, cells)]
            rows.append(cells + [reports.bar(row[table.value], biggest)])
        render.table(app_ctx, table.title(lang), headers, rows)


def _batch_progress(app_ctx, label: str):
    from custarchive.commands.render import BatchProgress

    return BatchProgress(app_ctx, label)

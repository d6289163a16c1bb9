"""Questionnaire surveys (问卷调查): survey list, show, form, import, report."""
from __future__ import annotations

from typing import Optional

import typer

from custarchive.commands.common import JSON_OPTION, app_context
from custarchive.errors import UsageError

survey_app = typer.Typer(help="Questionnaire surveys: design, send out, import answers, report (问卷调查).",
                         no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(survey_app, name="survey")


class _RolledBack(Exception):
    """Raised inside the transaction to undo a dry run or a strict import with rejected rows."""


_TYPE_LABELS = {"choice": ("单选", "single choice"), "multi": ("多选", "multiple choice"), "scale": ("1-5 分", "1-5 scale"),
                "number": ("数字", "number"), "date": ("日期", "date"), "text": ("文字", "free text")}


@survey_app.command("list")
def survey_list(ctx: typer.Context, json_: bool = JSON_OPTION) -> None:
    """The questionnaires: built in, and yours in <config dir>/surveys."""
    from custarchive.commands import render
    from custarchive.surveys import questionnaire

    app_ctx = app_context(ctx)
    items = questionnaire.list_all()
    if json_:
        render.emit_json([{"name": q.name, "title": q.title(app_ctx.lang), "questions": len(q.questions),
                           "path": q.path} for q in items])
        return
    t = app_ctx.t
    render.table(app_ctx, None, [t("名称", "Name"), t("标题", "Title"), t("题数", "Questions")],
                 [(q.name, q.title(app_ctx.lang), len(q.questions)) for q in items])


@survey_app.command("show")
def survey_show(ctx: typer.Context, name: str = typer.Argument(..., help="Questionnaire name or a .toml file."),
                json_: bool = JSON_OPTION) -> None:
    """Every question of a questionnaire, with its type, options and the card field it fills."""
    from custarchive.commands import render
    from custarchive.surveys import questionnaire

    app_ctx = app_context(ctx)
    lang = app_ctx.lang
    q = questionnaire.load(name)
    if json_:
        render.emit_json({"name": q.name, "title": q.title(lang), "intro": q.intro(lang), "sections": [
            {"id": s.id, "label": s.label(lang), "questions": [
                {"id": qq.id, "number": qq.number, "type": qq.type, "text": qq.text(lang), "options": qq.options(lang)
                 if qq.type in ("choice", "multi", "scale") else [], "choices": [c["value"] for c in qq.choices],
                 "field": qq.field, "required": qq.required} for qq in s.questions]} for s in q.sections]})
        return
    t = app_ctx.t
    rows = []
    for section in q.sections:
        rows.append((section.label(lang), "", "", "", ""))
        for qq in section.questions:
            kind = _TYPE_LABELS[qq.type][0 if lang == "zh" else 1]
            rows.append((f"Q{qq.number}", qq.text(lang) + (" *" if qq.required else ""), kind,
                         " / ".join(qq.options(lang)), qq.field or ""))
    render.table(app_ctx, f"{q.title(lang)} ({q.name})", ["", t("问题", "Question"), t("类型", "Type"),
                                                           t("选项", "Options"), t("写入资料卡", "Card field")], rows,
                 caption=q.intro(lang) or None)


@survey_app.command("form")
def survey_form(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Questionnaire name or a .toml file."),
    output: str = typer.Option(..., "-o", "--output", metavar="FILE.xlsx|FILE.pdf",
                               help="A spreadsheet form (.xlsx) or a printable form (.pdf)."),
    category: Optional[str] = typer.Option(None, "--category", help="Pre-fill a row for every active archive of this category."),
    ref: Optional[list[str]] = typer.Option(None, "--ref", help="Pre-fill a row for this archive (repeatable)."),
    force: bool = typer.Option(False, "--force", help="Replace FILE if it exists."),
) -> None:
    """Send a questionnaire out: a spreadsheet with drop-down lists, or a printed form for mail or on site."""
    from pathlib import Path

    from custarchive.errors import ValidationError
    from custarchive.surveys import questionnaire

    app_ctx = app_context(ctx)
    q = questionnaire.load(name)
    target = Path(output).expanduser()
    suffix = target.suffix.lower()
    if suffix not in (".xlsx", ".pdf"):
        raise UsageError("-o must end in .xlsx (spreadsheet form) or .pdf (printable form)")
    if target.exists() and not force:
        raise ValidationError("-o", str(target), "exists already (use --force to replace it)")
    respondents = _respondents(app_ctx, category, ref or []) if (category or ref) else []
    try:
        if suffix == ".xlsx":
            from custarchive.surveys.workbook import write_form

            write_form(q, str(target), respondents, app_ctx.lang)
        else:
            from custarchive.paper.survey_form import write_form_pdf

            write_form_pdf(q, str(target), respondents, app_ctx.lang)
    except OSError as exc:
        raise ValidationError("-o", str(target), f"cannot write: {exc.strerror}") from None
    app_ctx.warn(app_ctx.t(f"已写入 {target}({len(respondents)} 位预填客户)",
                           f"wrote {target} ({len(respondents)} archive(s) pre-filled)"))


def _respondents(app_ctx, category: str | None, refs: list[str]) -> list[tuple[str, str]]:
    from custarchive.cards import lookup

    with app_ctx.database().read() as conn:
        found = {}
        if category:
            for card in lookup.iter_cards(conn, {"category": category.upper(), "status": "active"}):
                found[card["archive_no"]] = card["name"]
        for ref in refs:
            card = lookup.resolve(conn, ref)
            found[card["archive_no"]] = card["name"]
    return sorted(found.items())


@survey_app.command("import")
def survey_import(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Questionnaire the answers belong to."),
    file: str = typer.Argument(..., metavar="FILE|-", help="The filled form (XLSX), or CSV/XLSX from an online survey."),
    channel: str = typer.Option("mail", "--channel", help="mail, phone, onsite or online (rows without a 渠道 column)."),
    date: Optional[str] = typer.Option(None, "--date", help="Date answered, for rows without a 日期 column (else today)."),
    unmatched: str = typer.Option("anonymous", "--unmatched", help="Rows without an archive number: anonymous, new "
                                  "(create an archive from 姓名/电话) or reject."),
    category: Optional[str] = typer.Option(None, "--category", "-c", help="Category of archives made by --unmatched new."),
    map_: Optional[list[str]] = typer.Option(None, "--map", metavar="FILE.toml|HEADER=QUESTION",
                                             help="Their headers → question ids (or archive_no, name, phone, date, channel)."),
    sheet: Optional[str] = typer.Option(None, "--sheet", help="Only this worksheet of an XLSX file."),
    again: bool = typer.Option(False, "--again", help="Import a file that was imported before, a second time."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Do everything, then roll back: nothing is written."),
    strict: bool = typer.Option(False, "--strict", help="Import nothing if any row is rejected."),
    json_: bool = JSON_OPTION,
) -> None:
    """Store answers with their respondents' archives, in one transaction; mapped answers update the card."""
    from custarchive.surveys import questionnaire, responses
    from custarchive.transfer.io import open_rows

    app_ctx = app_context(ctx)
    q = questionnaire.load(name)
    options = responses.Options(channel=channel, date=date, unmatched=unmatched, category=category,
                                mapping=responses.load_mapping(map_ or []), again=again)
    digest = responses.file_digest(file)
    actor = app_ctx.actor(source="survey", batch_id=responses.new_batch_id())
    committed = False
    responses.parse_channel(channel)
    if date:
        from custarchive.core.values import parse_date

        parse_date(date, "--date")
    with open_rows(file, sheet=sheet) as source:
        if source.format != "xlsx":  # one table: a file answering nothing makes no database
            responses.Plan(q, source.headers, options.mapping)
        db = app_ctx.database(write=True)
        say = (lambda r: None) if json_ else (lambda r: app_ctx.warn(f"rejected: {r.message()}"))
        try:
            with db.write() as conn:
                summary = responses.Importer(conn, q, actor, options, on_reject=say).run(source, file, digest)
                if dry_run or (strict and summary.rejected):
                    raise _RolledBack()
            committed = True
        except _RolledBack:
            pass
    _report_import(app_ctx, summary, committed, dry_run, json_)
    if summary.rejected:
        raise typer.Exit(1)


def _report_import(app_ctx, summary, committed: bool, dry_run: bool, json_: bool) -> None:
    from custarchive.commands import render

    outcome = ("dry run: nothing was written" if dry_run else "committed" if committed
               else f"strict: {summary.rejected} row(s) rejected, nothing was imported")
    if json_:
        render.emit_json({**summary.as_dict(), "dry_run": dry_run, "committed": committed, "outcome": outcome})
        return
    for notice in summary.notices:
        app_ctx.warn(f"note: {notice}")
    t = app_ctx.t
    render.table(app_ctx, t("问卷导入结果", "Survey import"), [t("项目", "Item"), t("数量", "Value")], [
        (t("读取", "Read"), summary.read), (t("已存答卷", "Responses stored"), summary.stored),
        (t("有档案", "With an archive"), summary.with_archive), (t("匿名", "Anonymous"), summary.anonymous),
        (t("新建档案", "New archives"), summary.new_archives), (t("资料卡更新项", "Card changes"), summary.card_changes),
        (t("未作答(跳过)", "Not answered (skipped)"), summary.unanswered),
        (t("拒绝", "Rejected"), summary.rejected), (t("批次", "Batch id"), summary.batch_id),
        (t("结果", "Outcome"), outcome)])


@survey_app.command("ask")
def survey_ask(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Questionnaire name or a .toml file."),
    ref: str = typer.Argument(..., help="The archive being interviewed."),
    channel: str = typer.Option("phone", "--channel", help="phone (default), onsite, mail or online."),
    date: Optional[str] = typer.Option(None, "--date", help="Date of the interview (else today)."),
) -> None:
    """Run a questionnaire as a phone interview: each answer checked as it is typed, saved at the end."""
    import sys

    from custarchive.cards import lookup
    from custarchive.commands.prompts import ask_question, confirm
    from custarchive.errors import CustarchiveError
    from custarchive.surveys import questionnaire, responses

    app_ctx = app_context(ctx)
    t = app_ctx.t
    q = questionnaire.load(name)
    responses.parse_channel(channel)
    if not sys.stdin.isatty():
        raise UsageError("survey ask needs a terminal (use survey import for files)")
    db = app_ctx.database()
    with db.read() as conn:
        card = lookup.resolve(conn, ref)
    sys.stderr.write(f"{q.title(app_ctx.lang)} — {card['archive_no']} {card['name']}\n")
    if q.intro(app_ctx.lang):
        sys.stderr.write(q.intro(app_ctx.lang) + "\n")
    answers: dict = {}
    for section in q.sections:
        sys.stderr.write(f"\n== {section.label(app_ctx.lang)} ==\n")
        for question in section.questions:
            answer = ask_question(question, app_ctx.lang)
            if answer not in (None, "", []):
                answers[question.id] = answer
    if not answers:
        raise CustarchiveError(t("没有回答任何问题,未保存", "no question answered: nothing saved"))
    if not confirm(t(f"保存 {len(answers)} 个回答?", f"Save {len(answers)} answer(s)?"), app_ctx.lang):
        raise CustarchiveError(t("未保存", "not saved"))
    actor = app_ctx.actor(source="survey", batch_id=responses.new_batch_id())
    with app_ctx.database(write=True).write() as conn:
        summary = responses.record_interview(conn, q, actor, card["archive_no"], answers, channel, date)
    typer.echo(t(f"已保存:{card['archive_no']},资料卡更新 {summary.card_changes} 项",
                 f"saved: {card['archive_no']}, {summary.card_changes} card change(s)"))


@survey_app.command("report")
def survey_report(
    ctx: typer.Context,
    name: str = typer.Argument(...),
    by: Optional[str] = typer.Option(None, "--by", help="Cross-tab by category, city, grade, abc or industry."),
    since: Optional[str] = typer.Option(None, "--since", help="Only responses on or after this date."),
    until: Optional[str] = typer.Option(None, "--until", help="Only responses on or before this date."),
    texts: int = typer.Option(20, "--texts", min=0, help="Free-text answers listed per question (newest first)."),
    xlsx: Optional[str] = typer.Option(None, "--xlsx", metavar="FILE", help="Also write a workbook: one sheet and "
                                       "chart per question."),
    json_: bool = JSON_OPTION,
) -> None:
    """Response counts and rate, distributions, means and spread of scales, cross-tabs, free-text answers."""
    from custarchive.commands import render
    from custarchive.surveys import questionnaire
    from custarchive.surveys.report import DIMENSIONS, report

    app_ctx = app_context(ctx)
    if by is not None and by not in DIMENSIONS:
        raise UsageError(f"--by must be one of {', '.join(DIMENSIONS)}")
    q = questionnaire.load(name)
    with app_ctx.database().read() as conn:
        data = report(conn, q, by=by, since=since, until=until, texts=texts, lang=app_ctx.lang)
    if xlsx:
        from custarchive.surveys.workbook import write_report

        write_report(data, xlsx, app_ctx.lang)
        app_ctx.warn(app_ctx.t(f"已写入 {xlsx}", f"wrote {xlsx}"))
    if json_:
        render.emit_json(data)
        return
    _print_report(app_ctx, data)


def _bar(percent: float, width: int = 20) -> str:
    full = int(round(percent / 100 * width))
    return "█" * full + "·" * (width - full)


def _print_report(app_ctx, data: dict) -> None:
    from custarchive.commands import render

    t = app_ctx.t
    rate = f"{data['response_rate'] * 100:.1f}%" if data["response_rate"] is not None else "-"
    render.panel(app_ctx, f"{data['title']} ({data['survey']})", [
        (t("答卷", "Responses"), data["responses"]), (t("受访档案", "Respondents"), data["respondents"]),
        (t("匿名", "Anonymous"), data["anonymous"]), (t("回复率", "Response rate"), f"{rate} / {data['archives']}"),
        (t("期间", "Period"), f"{data['first'] or ''} – {data['last'] or ''}"),
        (t("渠道", "Channels"), ", ".join(f"{k} {v}" for k, v in data["channels"].items()))])
    if data.get("groups"):
        render.table(app_ctx, t(f"按 {data['by']}", f"By {data['by']}"),
                     [data["by"], t("答卷", "Responses"), t("受访档案", "Respondents"), t("档案", "Archives"),
                      t("回复率", "Rate")],
                     [(g["group"], g["responses"], g["respondents"], g["archives"],
                       f"{g['response_rate'] * 100:.1f}%" if g["response_rate"] is not None else "-")
                      for g in data["groups"]])
    groups = [g["group"] for g in data.get("groups", [])]
    for question in data["questions"]:
        title = f"Q{question['number']} {question['text']}"
        caption = t(f"回答 {question['answered']} 份", f"{question['answered']} answered")
        if question["type"] in ("scale", "number") and question.get("mean") is not None:
            caption += t(f";平均 {question['mean']},标准差 {question['stdev']},最小 {question['min']:g},"
                         f"最大 {question['max']:g}",
                         f"; mean {question['mean']}, sd {question['stdev']}, min {question['min']:g}, "
                         f"max {question['max']:g}")
        if "distribution" in question:
            headers = [t("选项", "Option"), t("人数", "Count"), "%", ""] + groups
            rows = [(d["label"], d["count"], f"{d['percent']:.1f}", _bar(d["percent"]),
                     *[f"{d['by_group'].get(g, {}).get('percent', 0.0):.1f}%" for g in groups]) for d in question["distribution"]]
            if question["type"] == "scale" and groups:
                rows.append((t("平均", "Mean"), "", "", "", *[question["by_group"][g]["mean"] for g in groups]))
            render.table(app_ctx, title, headers, rows, caption=caption)
        elif question["type"] == "number":
            rows = [(g, question["by_group"][g]["count"], question["by_group"][g]["mean"], question["by_group"][g]["stdev"])
                    for g in groups] if groups else []
            render.table(app_ctx, title, [data["by"] or "", t("人数", "Count"), t("平均", "Mean"), t("标准差", "SD")], rows,
                         caption=caption)
        else:
            render.table(app_ctx, title, [t("日期", "Date"), t("档案编号", "Archive no."), t("回答", "Answer")],
                         [(a["date"], a["archive_no"] or "", a["text"]) for a in question["answers"]], caption=caption)

"""Credit evaluation commands: ``grade`` (one archive, --history, --all, --export-scorecard) and ``finance``."""
from __future__ import annotations

import sys
from typing import List, Optional

import typer

from custarchive.commands.common import JSON_OPTION, app_context, parse_assignments
from custarchive.errors import UsageError

finance_app = typer.Typer(help="Financial statements per period and ratio analysis.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.command("grade")(grade)
    app.add_typer(finance_app, name="finance")


def grade(
    ctx: typer.Context,
    ref: Optional[str] = typer.Argument(None, help="Archive number, or a name/phone/ID matching one archive."),
    model: Optional[str] = typer.Option(None, "--model", "-m", metavar="5c|5p|6a|enterprise|FILE.toml",
                                        help="Scorecard (default: enterprise for enterprises, 5c for individuals)."),
    scores: Optional[List[str]] = typer.Option(None, "--score", metavar="FACTOR_OR_INDICATOR=N",
                                               help="Answer 1-5 to a question, or to all questions of a factor."),
    inputs: Optional[List[str]] = typer.Option(None, "--input", metavar="ID=VALUE",
                                               help="A measured value (e.g. on_time_rate=0.95); overrides the data."),
    no_input: bool = typer.Option(False, "--no-input", help="Never ask questions, even on a terminal."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Show the result, save nothing."),
    apply_limit: bool = typer.Option(False, "--apply-limit", help="Also set the card's credit limit to the "
                                                                  "recommended one."),
    show_history: bool = typer.Option(False, "--history", help="List the archive's assessments."),
    all_: bool = typer.Option(False, "--all", help="Re-grade every matching archive (no questions)."),
    export_scorecard: Optional[str] = typer.Option(None, "--export-scorecard", metavar="MODEL",
                                                   help="Print a built-in scorecard as TOML, to edit and use."),
    category: Optional[str] = typer.Option(None, "--category", help="With --all: only this category."),
    kind: Optional[str] = typer.Option(None, "--kind", help="With --all: individual or enterprise."),
    industry: Optional[str] = typer.Option(None, "--industry", help="With --all: only this industry."),
    city: Optional[str] = typer.Option(None, "--city", help="With --all: only this city."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="With --all: list every archive's result."),
    backtest: bool = typer.Option(False, "--backtest", help="How the saved grades predicted later payments."),
    horizon: str = typer.Option("12m", "--horizon", metavar="12m|365d",
                                help="With --backtest: how long after an assessment to watch payments."),
    late_days: int = typer.Option(90, "--late-days", min=1,
                                  help="With --backtest: paid (or still unpaid) this many days past due is bad."),
    json_: bool = JSON_OPTION,
) -> None:
    """Credit evaluation: score, grade and recommended credit limit of an archive."""
    app_ctx = app_context(ctx)
    filters = {"category": category, "kind": kind, "industry": industry, "city": city}
    used_filters = [f"--{key}" for key, value in filters.items() if value is not None]
    answering = [name for name, on in (("--score", scores), ("--input", inputs), ("--no-input", no_input)) if on]
    modes = [name for name, on in (("--history", show_history), ("--all", all_), ("--backtest", backtest),
                                   ("--export-scorecard", export_scorecard is not None)) if on]
    if len(modes) > 1:
        raise UsageError(f"{' and '.join(modes)} cannot be combined")
    mode = modes[0] if modes else None
    if mode == "--export-scorecard":
        extra = ([ref] if ref else []) + answering + used_filters + \
            [name for name, on in (("--model", model), ("--dry-run", dry_run), ("--apply-limit", apply_limit)) if on]
        if extra:
            raise UsageError(f"--export-scorecard takes no other argument or option ({', '.join(extra)})")
        from custarchive.scoring import builtin_scorecard_text

        sys.stdout.write(builtin_scorecard_text(export_scorecard))
        return
    if mode == "--backtest":
        extra = ([ref] if ref else []) + answering + used_filters + \
            [name for name, on in (("--dry-run", dry_run), ("--apply-limit", apply_limit)) if on]
        if extra:
            raise UsageError(f"--backtest reads saved assessments; {', '.join(extra)} do not apply")
        _backtest(app_ctx, model, horizon, late_days, json_)
        return
    if mode != "--all" and used_filters:
        raise UsageError(f"{', '.join(used_filters)} only go with --all")
    if mode != "--all" and verbose:
        raise UsageError("--verbose only goes with --all")
    if mode == "--all":
        if ref:
            raise UsageError("--all grades many archives: give no REF")
        if scores or inputs:
            raise UsageError("--all uses only computable data and stored answers: --score and --input are for one "
                             "archive")
        _grade_all(app_ctx, model, filters, dry_run, apply_limit, json_, verbose)
        return
    if not ref:
        raise UsageError("give REF (or --all, or --export-scorecard MODEL)")
    if mode == "--history":
        extra = answering + [name for name, on in (("--model", model), ("--dry-run", dry_run),
                                                   ("--apply-limit", apply_limit)) if on]
        if extra:
            raise UsageError(f"--history lists assessments; {', '.join(extra)} do not apply")
        _history(app_ctx, ref, json_)
        return
    _grade_one(app_ctx, ref, model, parse_assignments(scores, "--score"), parse_assignments(inputs, "--input"),
               interactive=not no_input and sys.stdin.isatty(), dry_run=dry_run,
               apply_limit=apply_limit, json_=json_)


def _grade_one(app_ctx, ref, model, given_scores, given_inputs, *, interactive, dry_run, apply_limit, json_):
    from custarchive.core import authz
    from custarchive.credit import grade as credit
    from custarchive.cards import lookup

    actor = app_ctx.actor()
    policy = credit.load_policy()
    overrides = credit.parse_inputs(given_inputs)
    db = app_ctx.database(write=not dry_run)
    with db.read() as conn:
        authz.require(conn, actor, "grade")
        card = lookup.resolve(conn, ref)
        scorecard = credit.choose_scorecard(card, model)
        measures = credit.gather_inputs(conn, card, overrides)
        previous = credit.latest_assessment(conn, card["id"])
        remembered = credit.stored_answers(conn, card["id"], scorecard.name)
    answers = dict(given_scores)
    if interactive and scorecard.questions():
        from custarchive.commands.credit_prompts import ask_answers

        answers.update(ask_answers(app_ctx, card, scorecard, measures, given_scores, remembered))
    evaluation = credit.assess(scorecard, measures, answers, card, policy)
    result = credit.result_dict(card, evaluation)
    result["previous"] = credit.comparison(previous, evaluation)
    result["saved"], result["assessment_id"], result["card_changes"] = False, None, {}
    if not dry_run and evaluation.rated:
        record = credit.inputs_record(measures, evaluation, given_scores, given_inputs, card, policy)
        with db.write() as conn:
            assessment_id, changes = credit.save(conn, card, evaluation, record, actor, apply_limit=apply_limit)
        result["saved"], result["assessment_id"] = True, assessment_id
        result["card_changes"] = {key: {"old": old, "new": new} for key, (old, new) in changes.items()}
    if json_:
        from custarchive.commands.render import emit_json

        emit_json(result)
        return
    from custarchive.commands.credit_render import render_result

    render_result(app_ctx, card, result, dry_run=dry_run, apply_limit=apply_limit)


def _history(app_ctx, ref, json_):
    from custarchive.credit import grade as credit
    from custarchive.cards import lookup
    from custarchive.commands import render

    with app_ctx.database().read() as conn:
        card = lookup.resolve(conn, ref)
        items = credit.history(conn, card, app_ctx.actor())
    if json_:
        render.emit_json({"archive_no": card["archive_no"], "name": card["name"], "assessments": items})
        return
    t = app_ctx.t
    render.table(app_ctx, f"{card['archive_no']} {card['name']}",
                 ["#", t("时间", "When"), t("操作人", "Who"), t("模型", "Model"), t("得分", "Score"),
                  t("等级", "Grade"), t("数据不全", "Partial"), t("建议额度", "Recommended limit"), "sha256"],
                 [(i["id"], i["at"], i["operator"], i["model"], i["score"], i["grade"], i["partial"],
                   i["recommended_credit_limit"], i["scorecard_sha256"][:12]) for i in items],
                 caption=t(f"共 {len(items)} 次评估", f"{len(items)} assessment(s)"))


def _grade_all(app_ctx, model, filters, dry_run, apply_limit, json_, verbose):
    from custarchive.commands import render
    from custarchive.commands.credit_render import render_batch
    from custarchive.commands.render import BatchProgress
    from custarchive.credit import grade as credit

    policy = credit.load_policy()
    db = app_ctx.database(write=not dry_run, create=False)
    lists = ("moved", "not_rated", "skipped", "results")
    spool = render.Spool(lists) if json_ or verbose else None
    try:
        with BatchProgress(app_ctx, app_ctx.t("评级中", "grading")) as bar, \
                (db.read() if dry_run else db.write()) as conn:
            summary = credit.grade_all(conn, filters, model, policy, app_ctx.actor(), dry_run=dry_run,
                                       apply_limit=apply_limit, keep=spool.add if spool else None,
                                       progress=bar.update)
        if json_ and spool:
            render.stream_json(summary, {name: map(render.Encoded, spool.texts(name)) for name in lists})
            return
        render_batch(app_ctx, summary, policy.scale, spool if verbose else None)
    finally:
        if spool:
            spool.close()


def _backtest(app_ctx, model, horizon, late_days, json_):
    from custarchive.commands import render
    from custarchive.commands.credit_render import render_backtest
    from custarchive.credit import backtest
    from custarchive.credit import grade as credit

    length = backtest.parse_horizon(horizon)
    scale = credit.load_policy().scale
    name = credit.choose_model_name(model)
    with app_ctx.database().read() as conn:
        report = backtest.run(conn, app_ctx.actor(), model=name, horizon=length, late_days=late_days,
                              grades=scale.grades)
    if json_:
        render.emit_json(report)
        return
    render_backtest(app_ctx, report)


@finance_app.command("add")
def finance_add(
    ctx: typer.Context,
    ref: str = typer.Argument(..., help="Archive number, or a name/phone/ID matching one archive."),
    period: str = typer.Option(..., "--period", "-p", help="2025, 2025-Q1, 2025-H1 or 2025-06."),
    sets: Optional[List[str]] = typer.Option(None, "--set", "-s", metavar="LINE=AMOUNT",
                                             help="A statement line, e.g. revenue=1200万; repeatable."),
    unsets: Optional[List[str]] = typer.Option(None, "--unset", metavar="LINE", help="Remove a line of the period."),
    reason: Optional[str] = typer.Option(None, "--reason", help="Why; kept in the change log."),
    json_: bool = JSON_OPTION,
) -> None:
    """Record (or correct) one period's balance-sheet and income-statement lines."""
    from custarchive.credit import finance
    from custarchive.commands import render

    app_ctx = app_context(ctx)
    values = parse_assignments(sets)
    if not values and not unsets:
        raise UsageError("nothing to record: give --set LINE=AMOUNT (lines: " + ", ".join(finance.LINES) + ")")
    with app_ctx.database(write=True).write() as conn:
        card, label, changes, created = finance.record_period(conn, ref, period, values, list(unsets or []),
                                                              app_ctx.actor(reason=reason))
    if json_:
        render.emit_json({"archive_no": card["archive_no"], "period": label, "created": created,
                          "changes": [{"line": k, "old": o, "new": n} for k, (o, n) in changes.items()]})
    elif not changes:
        app_ctx.warn(app_ctx.t(f"{card['archive_no']} {label}: 没有变化", f"{card['archive_no']} {label}: nothing changed"))
    else:
        from custarchive.scoring import LINE_LABELS

        index = 0 if app_ctx.lang == "zh" else 1
        render.table(app_ctx, f"{card['archive_no']} {label}",
                     [app_ctx.t("项目", "Line"), app_ctx.t("原值", "Old"), app_ctx.t("新值", "New")],
                     [(LINE_LABELS[k][index], o, n) for k, (o, n) in changes.items()])


@finance_app.command("show")
def finance_show(
    ctx: typer.Context,
    ref: str = typer.Argument(..., help="Archive number, or a name/phone/ID matching one archive."),
    json_: bool = JSON_OPTION,
) -> None:
    """Statements and ratios per period, with the formula behind each ratio and its trend."""
    from custarchive.credit import finance
    from custarchive.cards import lookup

    app_ctx = app_context(ctx)
    with app_ctx.database().read() as conn:
        card = lookup.resolve(conn, ref)
        data = finance.analysis_to_dict(card, finance.analysis(conn, card["id"]))
    if json_:
        from custarchive.commands.render import emit_json

        emit_json(data)
        return
    from custarchive.commands.credit_render import render_finance

    render_finance(app_ctx, data)

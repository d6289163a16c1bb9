"""``swot REF …``: the SWOT worksheet with its matrices, TOWS prompts and competition sheet.

REF comes before the action (``swot OK add O …``) as in the contract, so
``swot`` is a Typer group whose callback takes REF and whose commands are the
actions; Click then gives each action its own --help and exit code 2 on misuse.
"""
from __future__ import annotations

import sys
from typing import List, Optional

import typer

from typer.core import TyperGroup

from custarchive.commands.common import JSON_OPTION, app_context
from custarchive.errors import UsageError


class _RefFirstGroup(TyperGroup):
    """``swot REF show`` (the contract's order) and ``swot show REF`` (the order of ``finance show REF``,
    ``doc list REF``) both work: an action word first and a non-action second are swapped."""

    def parse_args(self, ctx, args):
        if len(args) >= 2 and args[0] in self.commands and args[1] not in self.commands \
                and not args[1].startswith("-"):
            args = [args[1], args[0], *args[2:]]
        return super().parse_args(ctx, args)


swot_app = typer.Typer(cls=_RefFirstGroup, no_args_is_help=True, help="SWOT worksheet of an archive: items, opportunity and threat "
                                                   "matrices, TOWS prompts, competitors (竞争优势分析).")
compete_app = typer.Typer(invoke_without_command=True, help="Competitors, performance indices, competitive "
                                                            "advantages and knowledge levels; shown without a command.")
advantage_app = typer.Typer(no_args_is_help=True, help="Rows of the competitive-advantage table.")

_REF_KEY = "custarchive.worksheet_ref"
IMPACT_THRESHOLD = typer.Option(None, "--impact-threshold", metavar="N",
                                help="Impact counted as strong from N up (default 3, or settings.toml).")
PROBABILITY_THRESHOLD = typer.Option(None, "--probability-threshold", metavar="N",
                                     help="Probability counted as likely from N up (default 3, or settings.toml).")
LANG_OPTION = typer.Option(None, "--lang", metavar="zh|en", help="Labels and zone names in this language.")


def register(app: typer.Typer) -> None:
    compete_app.add_typer(advantage_app, name="advantage")
    swot_app.add_typer(compete_app, name="compete")
    app.add_typer(swot_app, name="swot")


@swot_app.callback()
def _swot(ctx: typer.Context, ref: str = typer.Argument(..., metavar="REF", help="Archive number, or a name/phone/ID "
                                                                                 "matching one archive.")) -> None:
    ctx.meta[_REF_KEY] = ref


def _lang(ctx: typer.Context, lang: str | None):
    from custarchive.commands.worksheet_views import apply_lang

    return apply_lang(app_context(ctx), lang)


def _card(conn, ctx: typer.Context) -> dict:
    from custarchive.cards import lookup

    return lookup.resolve(conn, ctx.meta[_REF_KEY])


def _interactive_ok(no_input: bool) -> bool:
    return not no_input and sys.stdin.isatty()


@swot_app.command("add")
def add(
    ctx: typer.Context,
    quadrant: str = typer.Argument(..., metavar="S|W|O|T", help="Strength, weakness, opportunity or threat."),
    text: Optional[str] = typer.Argument(None, metavar="TEXT", help="The item; omit it on a terminal to be asked."),
    impact: Optional[str] = typer.Option(None, "--impact", "-i", metavar="1-5", help="Strength of the item (机会/威胁强度)."),
    probability: Optional[str] = typer.Option(None, "--probability", "-p", metavar="1-5",
                                              help="Probability (成功/发生概率); required with --impact for O and T."),
    implication: Optional[str] = typer.Option(None, "--implication", "-m", help="What it means for us (这意味着…)."),
    action: Optional[str] = typer.Option(None, "--action", "-a", help="What we will do about it."),
    date: Optional[str] = typer.Option(None, "--date", help="Date of the item (default today)."),
    no_input: bool = typer.Option(False, "--no-input", help="Never prompt, even on a terminal."),
    json_: bool = JSON_OPTION,
) -> None:
    """Add an item; prints its id (S1, O2 …). Without TEXT on a terminal, asks for it."""
    from custarchive.worksheets import spec, swot

    app_ctx = app_context(ctx)
    code = spec.parse_quadrant(quadrant)
    if text is None:
        if not _interactive_ok(no_input):
            raise UsageError("missing TEXT (or run on a terminal to be asked)")
        from custarchive.commands import worksheet_views

        db = app_ctx.database(write=True)
        with db.read() as conn:
            card = _card(conn, ctx)
            existing = swot.list_items(conn, card["id"])
        items = worksheet_views.ask_items(app_ctx, [code], existing)
        _save_items(app_ctx, db, card, items, json_)
        return
    if code in ("O", "T") and (impact is None or probability is None):
        raise UsageError(f"{'opportunities' if code == 'O' else 'threats'} need --impact and --probability (1-5)")
    with app_ctx.database(write=True).write() as conn:
        card = _card(conn, ctx)
        item = swot.add_item(conn, card, app_ctx.actor(), quadrant=code, text=text, impact=impact,
                             probability=probability, implication=implication, action=action, date=date)
    _echo_added(app_ctx, [item], json_)


def _save_items(app_ctx, db, card: dict, items: list[dict], json_: bool) -> None:
    from custarchive.worksheets import swot

    if not items:
        app_ctx.warn(app_ctx.t("没有新增条目", "nothing added"))
        return
    with db.write() as conn:
        added = swot.add_items(conn, card, app_ctx.actor(source="interactive"), items)
    _echo_added(app_ctx, added, json_)


def _echo_added(app_ctx, items: list[dict], json_: bool) -> None:
    if json_:
        from custarchive.commands.render import emit_json

        emit_json(items[0] if len(items) == 1 else items)
    else:
        typer.echo("\n".join(item["id"] for item in items))


@swot_app.command("interactive")
def interactive(ctx: typer.Context, json_: bool = JSON_OPTION) -> None:
    """Walk the four quadrants and add items, asking impact, probability and what each means for us."""
    from custarchive.commands import worksheet_views
    from custarchive.worksheets import spec, swot

    app_ctx = app_context(ctx)
    if not sys.stdin.isatty():
        raise UsageError("interactive needs a terminal; in scripts use: swot REF add S|W|O|T TEXT …")
    db = app_ctx.database(write=True)
    with db.read() as conn:
        card = _card(conn, ctx)
        existing = swot.list_items(conn, card["id"])
    done: list[dict] = []
    try:
        worksheet_views.ask_items(app_ctx, list(spec.QUADRANTS), existing, done)
    except (KeyboardInterrupt, EOFError):
        if not done:
            raise
        _save_items(app_ctx, db, card, done, json_)      # the finished items are kept; the one being typed is not
        app_ctx.warn(app_ctx.t(f"已中断:保存了已完成的 {len(done)} 条,正在输入的一条未保存",
                               f"interrupted: the {len(done)} finished item(s) were saved, the one being typed was not"))
        raise typer.Exit(130) from None
    _save_items(app_ctx, db, card, done, json_)


@swot_app.command("edit")
def edit(
    ctx: typer.Context,
    item_id: str = typer.Argument(..., metavar="ID", help="Item id, e.g. O1."),
    text: Optional[str] = typer.Option(None, "--text", "-t"),
    impact: Optional[str] = typer.Option(None, "--impact", "-i", metavar="1-5"),
    probability: Optional[str] = typer.Option(None, "--probability", "-p", metavar="1-5"),
    implication: Optional[str] = typer.Option(None, "--implication", "-m", help="Empty text clears it."),
    action: Optional[str] = typer.Option(None, "--action", "-a", help="Empty text clears it."),
    date: Optional[str] = typer.Option(None, "--date"),
    reason: Optional[str] = typer.Option(None, "--reason", help="Why; kept in the change log."),
    json_: bool = JSON_OPTION,
) -> None:
    """Change an item; each changed field goes to the change log."""
    from custarchive.worksheets import swot

    app_ctx = app_context(ctx)
    given = {"text": text, "impact": impact, "probability": probability, "implication": implication,
             "action": action, "date": date}
    changes = {key: value for key, value in given.items() if value is not None}
    if not changes:
        raise UsageError("nothing to change: give --text, --impact, --probability, --implication, --action or --date")
    with app_ctx.database(write=True).write() as conn:
        card = _card(conn, ctx)
        item, diff = swot.edit_item(conn, card, app_ctx.actor(reason=reason), item_id, changes)
    from custarchive.commands import render

    if json_:
        render.emit_json({"archive_no": card["archive_no"], "id": item["id"],
                          "changes": [{"field": k, "old": o, "new": n} for k, (o, n) in diff.items()]})
    elif not diff:
        app_ctx.warn(app_ctx.t(f"{item['id']}: 没有变化", f"{item['id']}: nothing changed"))
    else:
        t = app_ctx.t
        render.table(app_ctx, f"{card['archive_no']} {item['id']}", [t("字段", "Field"), t("原值", "Old"), t("新值", "New")],
                     [(k, o, n) for k, (o, n) in diff.items()])


@swot_app.command("remove")
def remove(ctx: typer.Context, item_id: str = typer.Argument(..., metavar="ID"),
           reason: Optional[str] = typer.Option(None, "--reason", help="Why; kept in the change log.")) -> None:
    """Remove an item (its content stays in the change log)."""
    from custarchive.worksheets import swot

    app_ctx = app_context(ctx)
    with app_ctx.database(write=True).write() as conn:
        card = _card(conn, ctx)
        item = swot.remove_item(conn, card, app_ctx.actor(reason=reason), item_id)
    app_ctx.warn(app_ctx.t(f"{card['archive_no']}: 已删除 {item['id']}", f"{card['archive_no']}: removed {item['id']}"))


def _worksheet(ctx, impact_threshold, probability_threshold, lang):
    from custarchive.worksheets import spec, swot

    app_ctx = _lang(ctx, lang)
    thresholds = spec.thresholds(impact_threshold, probability_threshold)
    with app_ctx.database().read() as conn:
        card = _card(conn, ctx)
        sheet = swot.worksheet(conn, card, app_ctx.actor(), thresholds, app_ctx.lang)
    return app_ctx, card, sheet


@swot_app.command("show")
def show(ctx: typer.Context, json_: bool = JSON_OPTION, impact_threshold: Optional[str] = IMPACT_THRESHOLD,
         probability_threshold: Optional[str] = PROBABILITY_THRESHOLD, lang: Optional[str] = LANG_OPTION) -> None:
    """The four quadrants, the opportunity and threat matrices with each item in its zone, and TOWS prompts."""
    app_ctx, _card_, sheet = _worksheet(ctx, impact_threshold, probability_threshold, lang)
    if json_:
        from custarchive.commands.render import emit_json

        emit_json(sheet)
        return
    from custarchive.commands import worksheet_views

    worksheet_views.show_swot(app_ctx, sheet)


@swot_app.command("export")
def export(
    ctx: typer.Context,
    output: Optional[str] = typer.Option(None, "--output", "-o", metavar="FILE",
                                         help="FILE.xlsx or FILE.md; Markdown to stdout when omitted."),
    format_: Optional[str] = typer.Option(None, "--format", "-f", metavar="xlsx|md", help="Else from the file name."),
    impact_threshold: Optional[str] = IMPACT_THRESHOLD,
    probability_threshold: Optional[str] = PROBABILITY_THRESHOLD,
    lang: Optional[str] = LANG_OPTION,
) -> None:
    """Export the SWOT worksheet and competition sheet: XLSX (one sheet per part) or Markdown."""
    from custarchive.worksheets import competition, exports

    fmt = exports.choose_format(output, format_)
    app_ctx, card, sheet = _worksheet(ctx, impact_threshold, probability_threshold, lang)
    with app_ctx.database().read() as conn:
        compete = competition.sheet(conn, card, app_ctx.actor(), app_ctx.lang)
    exports.write(fmt, output, exports.swot_document(sheet, compete, app_ctx.lang))
    if output:
        app_ctx.warn(app_ctx.t(f"已导出到 {output}", f"exported to {output}"))


@compete_app.callback()
def compete(ctx: typer.Context, json_: bool = JSON_OPTION, lang: Optional[str] = LANG_OPTION) -> None:
    """Competitors with knowledge levels, the performance-index table and the competitive-advantage table."""
    if ctx.invoked_subcommand is not None:
        return
    from custarchive.worksheets import competition

    app_ctx = _lang(ctx, lang)
    with app_ctx.database().read() as conn:
        sheet = competition.sheet(conn, _card(conn, ctx), app_ctx.actor(), app_ctx.lang)
    if json_:
        from custarchive.commands.render import emit_json

        emit_json(sheet)
        return
    from custarchive.commands import worksheet_views

    worksheet_views.show_compete(app_ctx, sheet)


def _write(ctx: typer.Context, fn, *args, reason: str | None = None, **kwargs):
    app_ctx = app_context(ctx)
    with app_ctx.database(write=True).write() as conn:
        card = _card(conn, ctx)
        return app_ctx, card, fn(conn, card, app_ctx.actor(reason=reason), *args, **kwargs)


@compete_app.command("add")
def compete_add(ctx: typer.Context, name: str = typer.Argument(..., help="Competitor name."),
                note: Optional[str] = typer.Option(None, "--note"),
                level: str = typer.Option("1", "--level", metavar="1-5", help="How well we know it (default 1).")) -> None:
    """Add a competitor."""
    from custarchive.worksheets import competition

    app_ctx, card, added = _write(ctx, competition.add_competitor, name, note=note, level=level)
    app_ctx.warn(app_ctx.t(f"{card['archive_no']}: 新增竞争对手 {added['name']}",
                           f"{card['archive_no']}: competitor {added['name']} added"))


@compete_app.command("remove")
def compete_remove(ctx: typer.Context, name: str = typer.Argument(...),
                   reason: Optional[str] = typer.Option(None, "--reason")) -> None:
    """Remove a competitor with its figures and the advantage rows measured against it."""
    from custarchive.worksheets import competition

    app_ctx, card, removed = _write(ctx, competition.remove_competitor, name, reason=reason)
    app_ctx.warn(app_ctx.t(f"{card['archive_no']}: 已删除竞争对手 {removed['name']}",
                           f"{card['archive_no']}: competitor {removed['name']} removed"))


@compete_app.command("level")
def compete_level(ctx: typer.Context, name: str = typer.Argument(...),
                  level: str = typer.Argument(..., metavar="1-5", help="1 can list it … 5 can steer its behaviour.")) -> None:
    """Set how well we know a competitor (竞争对手分析的层次, 1-5)."""
    from custarchive.worksheets import competition

    app_ctx, card, (old, new) = _write(ctx, competition.set_level, name, level)
    app_ctx.warn(f"{card['archive_no']}: {name} {old} → {new}")


@compete_app.command("index")
def compete_index(ctx: typer.Context,
                  subject: str = typer.Argument(..., help="'self' (the archive), or a competitor name."),
                  figures: List[str] = typer.Argument(..., metavar="METRIC=VALUE...",
                                                      help="market_share, profit_margin, share_growth, profit_growth, "
                                                           "new_products (or the Chinese labels); empty VALUE clears.")) -> None:
    """Set performance-index figures (业绩指数) for the archive or a competitor."""
    from custarchive.commands.common import parse_assignments
    from custarchive.worksheets import competition

    values = parse_assignments(figures, "METRIC=VALUE")
    app_ctx, card, changes = _write(ctx, competition.set_indices, subject, values)
    app_ctx.warn(app_ctx.t(f"{card['archive_no']}: 更新 {len(changes)} 项指数",
                           f"{card['archive_no']}: {len(changes)} figure(s) changed"))


@advantage_app.command("add")
def advantage_add(
    ctx: typer.Context,
    dimension: str = typer.Argument(..., help="What is compared, e.g. 价格, 服务网络."),
    standing: str = typer.Option(..., "--standing", "-s", metavar="better|equal|worse"),
    durability: str = typer.Option(..., "--durability", "-d", metavar="temporary|durable"),
    versus: Optional[str] = typer.Option(None, "--versus", metavar="COMPETITOR", help="Against one competitor only."),
    note: Optional[str] = typer.Option(None, "--note"),
) -> None:
    """Add a row to the competitive-advantage table; prints its id (A1 …)."""
    from custarchive.worksheets import competition

    _app, _card_, row = _write(ctx, competition.add_advantage, dimension, standing, durability, versus=versus, note=note)
    typer.echo(row["id"])


@advantage_app.command("remove")
def advantage_remove(ctx: typer.Context, advantage_id: str = typer.Argument(..., metavar="ID"),
                     reason: Optional[str] = typer.Option(None, "--reason")) -> None:
    """Remove a row of the competitive-advantage table."""
    from custarchive.worksheets import competition

    app_ctx, card, row = _write(ctx, competition.remove_advantage, advantage_id, reason=reason)
    number = card["archive_no"]
    app_ctx.warn(app_ctx.t(f"{number}: 已删除 A{row['seq']}", f"{number}: A{row['seq']} removed"))

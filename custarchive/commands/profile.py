"""``profile REF``: the key-customer analysis (大客户分析) — shown, set with --set, edited, exported."""
from __future__ import annotations

import sys
from typing import List, Optional

import typer

from custarchive.commands.common import JSON_OPTION, app_context
from custarchive.errors import UsageError

ACTIONS = ("show", "edit", "export")
_REF_KEY = "custarchive.profile_ref"


def register(app: typer.Typer) -> None:
    app.command("profile")(profile)


def profile(
    ctx: typer.Context,
    ref: str = typer.Argument(..., metavar="REF", help="Archive number, or a name/phone/ID matching one archive."),
    action: str = typer.Argument("show", metavar="[show|edit|export]",
                                 help="show (default), edit (interactive, on a terminal) or export (-o FILE)."),
    sets: Optional[List[str]] = typer.Option(None, "--set", "-s", metavar="FIELD=VALUE",
                                             help="products, organisation, mission, annual_goals, expected_revenue, "
                                                  "expected_profit, success_factors, strategy_points, relationship, "
                                                  "… (or the Chinese labels)."),
    unsets: Optional[List[str]] = typer.Option(None, "--unset", metavar="FIELD"),
    reason: Optional[str] = typer.Option(None, "--reason", help="Why; kept in the change log."),
    json_: bool = JSON_OPTION,
    output: Optional[str] = typer.Option(None, "--output", "-o", metavar="FILE",
                                         help="export: FILE.xlsx or FILE.md; Markdown to stdout when omitted."),
    format_: Optional[str] = typer.Option(None, "--format", "-f", metavar="xlsx|md", help="export: else from FILE."),
    lang: Optional[str] = typer.Option(None, "--lang", metavar="zh|en"),
) -> None:
    """Key-customer analysis (大客户分析): show as panels, change with --set/--unset, edit interactively, export."""
    if ref in ACTIONS and action not in ACTIONS:      # ``profile show REF``, the order of finance/doc/txn
        ref, action = action, ref
    ctx.meta[_REF_KEY] = ref
    if action not in ACTIONS:
        raise UsageError(f"unknown action {action!r} (use one of: {', '.join(ACTIONS)})")
    if (output or format_) and action != "export":
        raise UsageError("--output/--format go with: profile REF export")
    if (sets or unsets) and action != "show":
        raise UsageError(f"--set/--unset cannot be combined with {action}")
    if json_ and action != "show":
        raise UsageError(f"--json cannot be combined with {action}")
    app_ctx = _lang(ctx, lang)
    if action == "edit":
        _edit(ctx, app_ctx, reason)
    elif action == "export":
        _export(ctx, app_ctx, output, format_)
    else:
        if sets or unsets:
            from custarchive.commands.common import parse_assignments

            _save(ctx, parse_assignments(sets), list(unsets or []), reason)
        _show(ctx, app_ctx, json_)


def _lang(ctx: typer.Context, lang: str | None):
    from custarchive.commands.worksheet_views import apply_lang

    return apply_lang(app_context(ctx), lang)


def _save(ctx: typer.Context, sets: dict, unsets: list[str], reason: str | None, source: str = "cli") -> dict:
    from custarchive.cards import lookup
    from custarchive.worksheets import profile as domain

    app_ctx = app_context(ctx)
    with app_ctx.database(write=True).write() as conn:
        card = lookup.resolve(conn, ctx.meta[_REF_KEY])
        changes = domain.update(conn, card, app_ctx.actor(source=source, reason=reason), sets, unsets)
    if not changes:
        app_ctx.warn(app_ctx.t(f"{card['archive_no']}: 没有变化", f"{card['archive_no']}: nothing changed"))
    return changes


def _sheet(ctx: typer.Context, app_ctx) -> dict:
    from custarchive.cards import lookup
    from custarchive.worksheets import profile as domain

    with app_ctx.database().read() as conn:
        card = lookup.resolve(conn, ctx.meta[_REF_KEY])
        return domain.sheet(conn, card, app_ctx.actor(), app_ctx.lang)


def _show(ctx: typer.Context, app_ctx, json_: bool) -> None:
    sheet = _sheet(ctx, app_ctx)
    if json_:
        from custarchive.commands.render import emit_json

        emit_json(sheet)
        return
    from custarchive.commands import worksheet_views

    worksheet_views.show_profile(app_ctx, sheet)


def _edit(ctx: typer.Context, app_ctx, reason: str | None) -> None:
    from custarchive.commands import worksheet_views

    if not sys.stdin.isatty():
        raise UsageError("edit needs a terminal; in scripts use: profile REF --set FIELD=VALUE")
    sheet = _sheet(ctx, app_ctx)
    sets, unsets = worksheet_views.ask_profile(app_ctx, sheet["profile"])
    if sets or unsets:
        _save(ctx, sets, unsets, reason, source="interactive")
    _show(ctx, app_ctx, False)


def _export(ctx: typer.Context, app_ctx, output: str | None, format_: str | None) -> None:
    from custarchive.cards import lookup
    from custarchive.worksheets import competition, exports, spec, swot
    from custarchive.worksheets import profile as domain

    fmt = exports.choose_format(output, format_)
    with app_ctx.database().read() as conn:
        card = lookup.resolve(conn, ctx.meta[_REF_KEY])
        actor = app_ctx.actor()
        sheet = domain.sheet(conn, card, actor, app_ctx.lang)
        compete = competition.sheet(conn, card, actor, app_ctx.lang)
        items = swot.worksheet(conn, card, actor, spec.thresholds(), app_ctx.lang)
    exports.write(fmt, output, exports.profile_document(sheet, compete, items, app_ctx.lang))
    if output:
        app_ctx.warn(app_ctx.t(f"已导出到 {output}", f"exported to {output}"))

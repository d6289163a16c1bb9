"""The timeline: log add, log resolve, log done, timeline, due."""
from __future__ import annotations

from typing import Optional

import typer

from custarchive.commands.common import JSON_OPTION, WIDE_OPTION, app_context

log_app = typer.Typer(help="Visits, calls, service records, complaints (the archive's timeline).", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(log_app, name="log")
    app.command("timeline")(timeline)
    app.command("due")(due)


def _type_label(app_ctx, name: str) -> str:
    from custarchive.living.timeline import log_types

    spec = log_types().get(name)
    return spec.label(app_ctx.lang) if spec else name


def _as_of(raw: Optional[str]):
    if not raw:
        return None
    import datetime

    from custarchive.core.values import parse_date

    return datetime.date.fromisoformat(parse_date(raw, "--as-of"))


@log_app.command("add")
def log_add(
    ctx: typer.Context,
    ref: str = typer.Argument(..., help="Archive number, or a name/phone/ID matching one archive."),
    body: str = typer.Argument(..., metavar="TEXT", help="What happened."),
    entry_type: str = typer.Option(..., "--type", "-t",
                                   help="visit, call, email, service, complaint, request, incident or violation."),
    at: Optional[str] = typer.Option(None, "--at", help="When (date, or date and time); default now."),
    follow_up: Optional[str] = typer.Option(None, "--follow-up", metavar="DATE", help="Date to follow up (listed by due)."),
    json_: bool = JSON_OPTION,
) -> None:
    """Add an entry to an archive's timeline; prints its ID."""
    import datetime as _dt

    from custarchive.commands import render
    from custarchive.living import timeline

    app_ctx = app_context(ctx)
    with app_ctx.database(write=True).write() as conn:
        entry = timeline.add_entry(conn, ref, entry_type, body, app_ctx.actor(), at=at, follow_up=follow_up)
    if entry.get("follow_up") and entry["follow_up"] < _dt.date.today().isoformat():
        # back-filled records may carry a past follow-up: kept, but said, since due lists it at once as overdue
        app_ctx.warn(app_ctx.t(f"注意:跟进日期 {entry['follow_up']} 已过,due 会列为逾期",
                               f"warning: follow-up date {entry['follow_up']} has passed; due lists it as overdue"))
    if json_:
        render.emit_json(entry)
    else:
        typer.echo(entry["id"])


@log_app.command("resolve")
def log_resolve(
    ctx: typer.Context,
    entry_id: int = typer.Argument(..., metavar="ID"),
    resolution: str = typer.Option(..., "--resolution", help="How it was resolved."),
    json_: bool = JSON_OPTION,
) -> None:
    """Resolve an open complaint."""
    from custarchive.commands import render
    from custarchive.living import timeline

    app_ctx = app_context(ctx)
    with app_ctx.database(write=True).write() as conn:
        entry = timeline.resolve_entry(conn, entry_id, resolution, app_ctx.actor())
    if json_:
        render.emit_json(entry)
    else:
        app_ctx.warn(app_ctx.t(f"#{entry_id} 已解决", f"#{entry_id} resolved"))


@log_app.command("done")
def log_done(ctx: typer.Context, entry_id: int = typer.Argument(..., metavar="ID")) -> None:
    """Mark the follow-up of an entry as done."""
    from custarchive.living import timeline

    app_ctx = app_context(ctx)
    with app_ctx.database(write=True).write() as conn:
        timeline.mark_done(conn, entry_id, app_ctx.actor())
    app_ctx.warn(app_ctx.t(f"#{entry_id} 跟进完成", f"#{entry_id} follow-up done"))


def timeline(
    ctx: typer.Context,
    ref: str = typer.Argument(..., help="Archive number, or a name/phone/ID matching one archive."),
    entry_type: Optional[str] = typer.Option(None, "--type", "-t", help="Only this type (log add --help lists them)."),
    json_: bool = JSON_OPTION,
    wide: bool = WIDE_OPTION,
) -> None:
    """An archive's timeline, oldest first."""
    from custarchive.cards import lookup
    from custarchive.commands import render
    from custarchive.living import timeline as domain

    from custarchive.core.texts import local_time

    app_ctx = app_context(ctx)
    with app_ctx.database().read() as conn:
        card = lookup.resolve(conn, ref)
        items = domain.entries(conn, card, entry_type) if entry_type != "survey" else []
        if entry_type in (None, "survey"):  # questionnaire answers (surveys/) show as dated entries too
            from custarchive.surveys.history import timeline_entries

            items = sorted(items + timeline_entries(conn, card, app_ctx.lang), key=lambda e: e["at"])
    if json_:
        render.emit_json({"archive_no": card["archive_no"], "name": card["name"], "entries": [
            {"id": e["id"], "type": e["entry_type"], "at": e["at"], "text": e["body"], "follow_up": e["follow_up"],
             "follow_up_done_at": e["follow_up_done_at"], "state": e["state"], "resolution": e["resolution"],
             "resolved_by": e["resolved_by"], "resolved_at": e["resolved_at"], "by": e["created_by"]}
            for e in items]})
        return
    t = app_ctx.t

    def state(e):
        if e["state"] == "open":
            return t("未解决", "open")
        if e["state"] == "resolved":
            return t(f"已解决({e['resolved_by']}):{e['resolution']}", f"resolved by {e['resolved_by']}: {e['resolution']}")
        return ""

    render.table(app_ctx, f"{card['archive_no']} {card['name']}",
                 ["ID", t("时间", "When"), t("类型", "Type"), t("内容", "Text"), t("跟进", "Follow-up"),
                  t("状态", "State"), t("记录人", "By")],
                 [(e["id"], local_time(e["at"]), _type_label(app_ctx, e["entry_type"]), e["body"],
                   (e["follow_up"] or "") + (" ✓" if e["follow_up_done_at"] and e["follow_up"] else ""), state(e),
                   e["created_by"]) for e in sorted(items, key=lambda e: _moment(e["at"]))],
                 keep=[0, 1, 4], drop=[6], wide=wide)


def _moment(at: str):
    """An entry's time as an instant, so entries written under different time zones sort as they happened."""
    import datetime as _dt

    try:
        moment = _dt.datetime.fromisoformat(at)
    except (TypeError, ValueError):
        return _dt.datetime.min.replace(tzinfo=_dt.timezone.utc)
    return moment if moment.tzinfo else moment.replace(tzinfo=_dt.timezone.utc)


def due(
    ctx: typer.Context,
    within: int = typer.Option(0, "--within", min=0, metavar="DAYS", help="Also list follow-ups due in the next DAYS days."),
    as_of: Optional[str] = typer.Option(None, "--as-of", metavar="DATE", help="Pretend today is DATE."),
    json_: bool = JSON_OPTION,
    wide: bool = WIDE_OPTION,
) -> None:
    """Follow-ups due today or overdue (exit 0 either way: for a morning script)."""
    from custarchive.commands import render
    from custarchive.living import timeline as domain

    app_ctx = app_context(ctx)
    with app_ctx.database().read() as conn:
        items = domain.due(conn, _as_of(as_of), within)
    if json_:
        render.emit_json(items)
        return
    t = app_ctx.t
    if not items:
        app_ctx.warn(t("没有到期的跟进", "nothing due"))
        return
    render.table(app_ctx, t("待跟进", "Follow-ups due"),
                 [t("跟进日期", "Due"), t("档案编号", "Archive"), t("名称", "Name"), t("电话", "Phone"),
                  t("记录", "Entry"), t("内容", "Text")],
                 [(i["follow_up"] + (f" (+{i['days_overdue']})" if i["days_overdue"] > 0 else ""), i["archive_no"],
                   i["name"], i["phone"], f"#{i['id']} {_type_label(app_ctx, i['type'])}", i["text"]) for i in items],
                 keep=[0, 1, 3, 4], wide=wide,
                 caption=t("(+N) 为逾期天数;完成后: custarchive log done ID", "(+N) = days overdue; when done: custarchive log done ID"))

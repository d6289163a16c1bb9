"""Owners, collaborators and the shared pool: assign, reassign, claim, collab, pool (domain: cards.owners)."""
from __future__ import annotations

from typing import Optional

import typer

from custarchive.commands.common import JSON_OPTION, app_context

REF_HELP = "Archive number, or a name/phone/ID matching one archive."
pool_app = typer.Typer(help="The shared pool (公海): archives without an owner.", no_args_is_help=True)
collab_app = typer.Typer(help="Collaborators (协作人): others who work on an archive and see it.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.command("assign")(assign)
    app.command("reassign")(reassign)
    app.command("claim")(claim)
    app.add_typer(pool_app, name="pool")
    app.add_typer(collab_app, name="collab")


def _moved(app_ctx, items: list[dict], json_: bool) -> None:
    from custarchive.commands import render

    if json_:
        render.emit_json(items)
        return
    t = app_ctx.t
    render.table(app_ctx, None, [t("档案编号", "Archive no"), t("名称", "Name"), t("原负责人", "From"),
                                 t("负责人", "Owner"), t("团队", "Team")],
                 [(i["archive_no"], i["name"], i["previous_owner"] or t("公海", "pool"), i["owner"] or t("公海", "pool"),
                   i["team"] or "") for i in items], keep=[0])


def assign(ctx: typer.Context, ref: str = typer.Argument(..., help=REF_HELP),
           owner: str = typer.Option(..., "--owner", metavar="NAME", help="The new owner (负责人), a user."),
           reason: Optional[str] = typer.Option(None, "--reason", help="Why; kept in the change log."),
           json_: bool = JSON_OPTION) -> None:
    """Give an archive to an owner (its team becomes the owner's team)."""
    from custarchive.cards import owners

    app_ctx = app_context(ctx)
    with app_ctx.database(write=True).write() as conn:
        item = owners.assign(conn, app_ctx.actor(reason=reason), ref, owner)
    _moved(app_ctx, [item], json_)


def reassign(ctx: typer.Context,
             old: str = typer.Option(..., "--from", metavar="NAME", help="The present owner (e.g. who leaves)."),
             new: str = typer.Option(..., "--to", metavar="NAME", help="The new owner."),
             reason: Optional[str] = typer.Option(None, "--reason", help="Why; kept in the change log."),
             json_: bool = JSON_OPTION) -> None:
    """Give every archive of one owner to another, in one transaction."""
    from custarchive.cards import owners

    app_ctx = app_context(ctx)
    with app_ctx.database(write=True).write() as conn:
        items = owners.reassign(conn, app_ctx.actor(reason=reason), old, new)
    _moved(app_ctx, items, json_)


def claim(ctx: typer.Context, ref: str = typer.Argument(..., help=REF_HELP), json_: bool = JSON_OPTION) -> None:
    """Take an archive from the shared pool (公海): you become its owner."""
    from custarchive.cards import owners

    app_ctx = app_context(ctx)
    with app_ctx.database(write=True).write() as conn:
        item = owners.claim(conn, app_ctx.actor(), ref)
    _moved(app_ctx, [item], json_)


@pool_app.command("list")
def pool_list(ctx: typer.Context, limit: Optional[int] = typer.Option(None, "--limit", min=1),
              json_: bool = JSON_OPTION) -> None:
    """Archives in the pool, to claim."""
    from custarchive.cards import owners
    from custarchive.commands.browse import _render_cards

    app_ctx = app_context(ctx)
    with app_ctx.database().read() as conn:
        cards = owners.pool(conn, limit)
    _render_cards(app_ctx, [dict(card) for card in cards], json_)


@pool_app.command("sweep")
def pool_sweep(ctx: typer.Context,
               days: Optional[int] = typer.Option(None, "--days", min=0, metavar="N",
                                                  help="Days without follow-up (default: [pool] stale_days in "
                                                       "permissions.toml)."),
               dry_run: bool = typer.Option(False, "--dry-run", help="Only list what would go back to the pool."),
               json_: bool = JSON_OPTION) -> None:
    """Return archives nobody followed up (no timeline entry, no transaction) for N days to the pool; for cron."""
    from custarchive.cards import owners
    from custarchive.commands import render

    app_ctx = app_context(ctx)
    db = app_ctx.database(write=not dry_run)
    with (db.read() if dry_run else db.write()) as conn:
        items = owners.sweep(conn, app_ctx.actor(source="pool-sweep"), days, dry_run)
    if json_:
        render.emit_json({"dry_run": dry_run, "returned": items})
        return
    t = app_ctx.t
    if items:
        render.table(app_ctx, None, [t("档案编号", "Archive no"), t("名称", "Name"), t("原负责人", "Owner"),
                                     t("最近跟进", "Last follow-up")],
                     [(i["archive_no"], i["name"], i["owner"], i["last_follow_up"]) for i in items], keep=[0, 3])
    n = len(items)
    app_ctx.warn(t(f"{n} 个档案{'将' if dry_run else '已'}退回公海",
                   f"{n} archive(s) {'would return' if dry_run else 'returned'} to the pool"))


@collab_app.command("add")
def collab_add(ctx: typer.Context, ref: str = typer.Argument(..., help=REF_HELP),
               name: str = typer.Argument(..., help="The user who works on the archive too.")) -> None:
    """Add a collaborator (the owner, a manager or an admin may)."""
    from custarchive.cards import owners

    app_ctx = app_context(ctx)
    with app_ctx.database(write=True).write() as conn:
        result = owners.add_collaborator(conn, app_ctx.actor(), ref, name)
    app_ctx.warn(f"{result['archive_no']}: {', '.join(result['collaborators'])}")


@collab_app.command("remove")
def collab_remove(ctx: typer.Context, ref: str = typer.Argument(..., help=REF_HELP),
                  name: str = typer.Argument(...)) -> None:
    """Remove a collaborator."""
    from custarchive.cards import owners

    app_ctx = app_context(ctx)
    with app_ctx.database(write=True).write() as conn:
        result = owners.remove_collaborator(conn, app_ctx.actor(), ref, name)
    app_ctx.warn(f"{result['archive_no']}: {', '.join(result['collaborators']) or '-'}")


@collab_app.command("list")
def collab_list(ctx: typer.Context, ref: str = typer.Argument(..., help=REF_HELP), json_: bool = JSON_OPTION) -> None:
    """The archive's owner, team and collaborators."""
    from custarchive.cards import lookup, owners
    from custarchive.commands import render

    app_ctx = app_context(ctx)
    with app_ctx.database().read() as conn:
        card = lookup.resolve(conn, ref)
        names = owners.collaborators(conn, card["id"])
    data = {"archive_no": card["archive_no"], "owner": card["owner"], "team": card["team"], "collaborators": names}
    if json_:
        render.emit_json(data)
        return
    t = app_ctx.t
    render.panel(app_ctx, f"{card['archive_no']}  {card['name']}",
                 [(t("负责人", "Owner"), card["owner"] or t("公海", "pool")), (t("团队", "Team"), card["team"] or ""),
                  (t("协作人", "Collaborators"), ", ".join(names))])

"""Database administration: ``db copy`` moves a whole archive between SQLite and PostgreSQL."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from custarchive.commands.common import JSON_OPTION, app_context

db_app = typer.Typer(help="Database administration (copy an archive between SQLite and PostgreSQL).",
                     no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(db_app, name="db")


@db_app.command("copy")
def db_copy(
    ctx: typer.Context,
    source: str = typer.Option(..., "--from", metavar="FILE|URL", help="The archive to copy (left unchanged)."),
    target: str = typer.Option(..., "--to", metavar="FILE|URL", help="A new file or an empty database."),
    batch: int = typer.Option(5000, "--batch", min=1, help="Rows per insert batch."),
    files_from: Optional[Path] = typer.Option(None, "--files-from", metavar="DIR",
                                              help="Attachment store of the source (default: <db stem>.files beside a SQLite file)."),
    files_to: Optional[Path] = typer.Option(None, "--files-to", metavar="DIR",
                                            help="Where the attachments go (default: <db stem>.files beside a SQLite target)."),
    json_: bool = JSON_OPTION,
) -> None:
    """Copy every table, the change log and attachments to an empty database, then verify the copy."""
    import sys

    from custarchive.transfer import dbcopy

    from custarchive.commands import render

    app_ctx = app_context(ctx)
    progress = None
    if sys.stderr.isatty() and not app_ctx.quiet:
        def progress(table: str, rows: int) -> None:
            sys.stderr.write(f"\r{table}: {rows:,} " + " " * 10)
            sys.stderr.flush()

    report = dbcopy.copy_archive(source, target, app_ctx.actor(source="copy"), batch=batch, files_from=files_from,
                                 files_to=files_to, progress=progress)
    if progress:
        sys.stderr.write("\r" + " " * 60 + "\r")
    if json_:
        render.emit_json({"source": report.source, "target": report.target, "tables": report.tables,
                          "rows": report.rows, "chain_entries": report.chain_entries, "chain_verified": True,
                          "files": report.files, "seconds": report.seconds})
        return
    render.table(app_ctx, f"{report.source} → {report.target}", [app_ctx.t("表", "Table"), app_ctx.t("行数", "Rows")],
                 sorted(report.tables.items()))
    app_ctx.warn(app_ctx.t(
        f"已复制 {report.rows:,} 行、{report.files} 个附件，变更日志 {report.chain_entries:,} 条校验通过（{report.seconds} 秒）",
        f"copied {report.rows:,} rows and {report.files} attachment(s); change log verified, "
        f"{report.chain_entries:,} entries ({report.seconds} s)"))


@db_app.command("roles")
def db_roles(ctx: typer.Context, json_: bool = JSON_OPTION) -> None:
    """PostgreSQL: let the server enforce who may do what (group roles, GRANTs, row-level security,
    append-only logs); run as the database owner, again after changing permissions.toml."""
    from custarchive.commands import render
    from custarchive.protection import server

    app_ctx = app_context(ctx)
    with app_ctx.database(write=True).write() as conn:
        report = server.setup(conn, app_ctx.actor())
    if json_:
        render.emit_json(report)
        return
    t = app_ctx.t
    render.table(app_ctx, None, [t("组角色", "Group role"), t("数据范围", "Scope")], sorted(report["scopes"].items()))
    app_ctx.warn(t(f"已启用服务器权限:{len(report['row_security'])} 张表有行级安全策略;新建登录 "
                   f"{', '.join(report['logins_created']) or '无'}",
                   f"server rights on: row-level security on {len(report['row_security'])} tables; logins created: "
                   f"{', '.join(report['logins_created']) or 'none'}"))

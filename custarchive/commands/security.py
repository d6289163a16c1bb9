"""Protecting customer data: operators and roles, consent, the customer's rights, integrity and backups."""
from __future__ import annotations

import sys
from typing import Optional

import typer

from custarchive.commands.common import JSON_OPTION, app_context

user_app = typer.Typer(help="Operators and their roles (admin, manager, clerk, viewer).", no_args_is_help=True)
consent_app = typer.Typer(help="The customer's consents to processing their data.", no_args_is_help=True)
key_app = typer.Typer(help="The encryption key: make one for $CUSTARCHIVE_KEY, hand this archive's to a colleague "
                           "(export), keep a colleague's (import).",
                      no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(user_app, name="user")
    app.add_typer(consent_app, name="consent")
    app.add_typer(key_app, name="key")
    app.command("subject-export")(subject_export)
    app.command("erase")(erase)
    app.command("check")(check)
    app.command("backup")(backup)
    app.command("restore")(restore)


@user_app.command("add")
def user_add(ctx: typer.Context, name: str = typer.Argument(...),
             role: str = typer.Option(..., "--role", help="admin, manager, clerk or viewer."),
             team: Optional[str] = typer.Option(None, "--team", help="Sales team (e.g. 华东): a manager sees its archives."),
             password_stdin: bool = typer.Option(False, "--password-stdin",
                                                 help="PostgreSQL (after db roles): the new login's password, "
                                                      "one line on stdin.")) -> None:
    """Register an operator (the first one ends single-user mode: an admin is always kept).

    On a PostgreSQL archive after `db roles`, also creates the person's server login in the group role.
    """
    from custarchive.protection import users

    app_ctx = app_context(ctx)
    password = sys.stdin.readline().rstrip("\n") if password_stdin else None
    with app_ctx.database(write=True).write() as conn:
        added = users.add_user(conn, app_ctx.actor(), name, role, team, password)
    for who in added:
        if who != name:
            app_ctx.warn(app_ctx.t(f"{who} 已登记为管理员（首个用户）", f"{who} registered as admin (first user)"))
    app_ctx.warn(f"{name}: {role}")


@user_app.command("list")
def user_list(ctx: typer.Context, json_: bool = JSON_OPTION) -> None:
    """Operators, roles and whether they are active."""
    from custarchive.commands import render
    from custarchive.protection import users

    app_ctx = app_context(ctx)
    with app_ctx.database().read() as conn:
        items = users.list_users(conn)
    if json_:
        render.emit_json(items)
        return
    t = app_ctx.t
    render.table(app_ctx, None, [t("用户", "User"), t("角色", "Role"), t("团队", "Team"), t("启用", "Active"),
                                 t("创建时间", "Created"), t("创建人", "By")],
                 [(u["name"], u["role"], u["team"] or "", u["active"], u["created_at"], u["created_by"]) for u in items],
                 caption=None if items else t("无用户：单用户模式（所有人均为管理员）",
                                              "no users: single-user mode (everyone is admin)"))


@user_app.command("set-role")
def user_set_role(ctx: typer.Context, name: str = typer.Argument(...), role: str = typer.Argument(...)) -> None:
    """Change an operator's role."""
    from custarchive.protection import users

    app_ctx = app_context(ctx)
    with app_ctx.database(write=True).write() as conn:
        users.set_role(conn, app_ctx.actor(), name, role)
    app_ctx.warn(f"{name}: {role}")


@user_app.command("set-team")
def user_set_team(ctx: typer.Context, name: str = typer.Argument(...),
                  team: Optional[str] = typer.Argument(None, help="The team; omit for none.")) -> None:
    """Move an operator to another team (their archives keep their team until reassigned)."""
    from custarchive.protection import users

    app_ctx = app_context(ctx)
    with app_ctx.database(write=True).write() as conn:
        users.set_team(conn, app_ctx.actor(), name, team)
    app_ctx.warn(f"{name}: {team or '-'}")


@user_app.command("disable")
def user_disable(ctx: typer.Context, name: str = typer.Argument(...)) -> None:
    """Stop an operator from doing anything (kept for the record)."""
    _set_active(ctx, name, False)


@user_app.command("enable")
def user_enable(ctx: typer.Context, name: str = typer.Argument(...)) -> None:
    """Let a disabled operator work again."""
    _set_active(ctx, name, True)


def _set_active(ctx, name: str, active: bool) -> None:
    from custarchive.protection import users

    app_ctx = app_context(ctx)
    with app_ctx.database(write=True).write() as conn:
        users.set_active(conn, app_ctx.actor(), name, active)
    app_ctx.warn(f"{name}: {'enabled' if active else 'disabled'}")


@user_app.command("events")
def user_events(ctx: typer.Context, limit: int = typer.Option(100, "--limit", min=1), json_: bool = JSON_OPTION) -> None:
    """Refused actions, newest first (kept even though the refused command changed nothing)."""
    from custarchive.core import authz
    from custarchive.commands import render

    app_ctx = app_context(ctx)
    db = app_ctx.database()
    with db.read() as conn:
        authz.require(conn, app_ctx.actor(), "manage_users")
    items = authz.security_events(db, limit)
    if json_:
        render.emit_json(items)
        return
    t = app_ctx.t
    render.table(app_ctx, None, [t("时间", "When"), t("操作人", "Who"), t("操作", "Action"), t("结果", "Outcome"),
                                 t("详情", "Detail")],
                 [(e["at"], e["operator"], e["action"], e["outcome"], e["detail"]) for e in items])


@consent_app.command("add")
def consent_add(
    ctx: typer.Context,
    ref: str = typer.Argument(...),
    purpose: str = typer.Option(..., "--purpose", help="What the data is collected for."),
    scope: str = typer.Option("basic", "--scope", help="basic, or sensitive (resident ID, bank account, health …)."),
    channel: str = typer.Option(..., "--channel", help="How consent was given: paper form, app, phone …"),
    date: Optional[str] = typer.Option(None, "--date", help="When it was given (default today)."),
    json_: bool = JSON_OPTION,
) -> None:
    """Record a consent the customer gave."""
    from custarchive.protection import consent
    from custarchive.commands import render

    app_ctx = app_context(ctx)
    with app_ctx.database(write=True).write() as conn:
        item = consent.add(conn, app_ctx.actor(), ref, purpose, scope, channel, date)
    if json_:
        render.emit_json(item)
    else:
        typer.echo(item["id"])


@consent_app.command("withdraw")
def consent_withdraw(ctx: typer.Context, ref: str = typer.Argument(...),
                     consent_id: int = typer.Argument(..., metavar="ID")) -> None:
    """Record that the customer withdrew a consent."""
    from custarchive.protection import consent

    app_ctx = app_context(ctx)
    with app_ctx.database(write=True).write() as conn:
        item = consent.withdraw(conn, app_ctx.actor(), ref, consent_id)
    app_ctx.warn(app_ctx.t(f"{item['archive_no']}: 同意 {consent_id} 已撤回", f"{item['archive_no']}: consent "
                           f"{consent_id} withdrawn (consider update --unset or erase for data it covered)"))


@consent_app.command("list")
def consent_list(ctx: typer.Context, ref: str = typer.Argument(...), json_: bool = JSON_OPTION) -> None:
    """The consents of one archive, active and withdrawn."""
    from custarchive.protection import consent
    from custarchive.cards import lookup
    from custarchive.commands import render

    app_ctx = app_context(ctx)
    with app_ctx.database().read() as conn:
        card = lookup.resolve(conn, ref)
        items = consent.list_for(conn, card["id"])
    if json_:
        render.emit_json({"archive_no": card["archive_no"], "consents": items})
        return
    t = app_ctx.t
    render.table(app_ctx, f"{card['archive_no']} {card['name']}",
                 [t("编号", "ID"), t("目的", "Purpose"), t("范围", "Scope"), t("方式", "Channel"), t("日期", "Given"),
                  t("撤回", "Withdrawn")],
                 [(c["id"], c["purpose"], c["scope"], c["channel"], c["given_on"], c["withdrawn_on"]) for c in items])


def subject_export(ctx: typer.Context, ref: str = typer.Argument(...),
                   output: str = typer.Option(..., "--output", "-o", metavar="FILE", help="FILE.json or FILE.xlsx")) -> None:
    """Everything held about one customer, for the customer (card revealed, change log, consents …)."""
    from custarchive.protection import subject

    app_ctx = app_context(ctx)
    if not output.lower().endswith(subject.FORMATS):
        from custarchive.errors import ValidationError

        raise ValidationError("-o", output, "the file must end in .json or .xlsx")
    with app_ctx.database().write() as conn:
        data = subject.collect(conn, app_ctx.actor(source="subject-export"), ref)
        subject.write(data, output)
    app_ctx.warn(f"{data['archive']['archive_no']}: {output}")


def erase(ctx: typer.Context, ref: str = typer.Argument(...),
          reason: str = typer.Option(..., "--reason", help="Why (kept with the tombstone)."),
          yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation on a terminal."),
          json_: bool = JSON_OPTION) -> None:
    """Erase one customer's personal data, keeping a tombstone (number, date, operator, reason)."""
    from custarchive.protection import erasure
    from custarchive.commands import render

    app_ctx = app_context(ctx)
    db = app_ctx.database()
    if not yes and sys.stdin.isatty():
        typer.confirm(app_ctx.t(f"永久删除 {ref} 的个人信息？", f"Erase the personal data of {ref} for good?"), abort=True)
    with db.write() as conn:
        result = erasure.erase(conn, app_ctx.actor(), ref, reason)
    left = erasure.remove_files(db, result["files"])
    erasure.scrub(db)
    for path in left:
        app_ctx.warn(f"warning: could not delete attachment {path}")
    if json_:
        render.emit_json({key: value for key, value in result.items() if key != "files"})
    else:
        app_ctx.warn(app_ctx.t(f"{result['archive_no']}: 已删除个人信息", f"{result['archive_no']}: erased"))


def check(ctx: typer.Context, json_: bool = JSON_OPTION) -> None:
    """Verify the change-log hash chain, the database file, encryption and attachments; exit 1 on failure."""
    from custarchive.protection import check
    from custarchive.commands import render
    from custarchive.living.documents import store_for

    from custarchive.commands.render import BatchProgress

    app_ctx = app_context(ctx)
    db = app_ctx.database()
    with db.read() as conn, BatchProgress(app_ctx, app_ctx.t("检查中", "checking"), counts=False):
        report = check.check(conn, store=store_for(db))
    if json_:
        render.emit_json(report)
    else:
        from custarchive.core.texts import CHECK_LABELS, pick, reason_text

        lang = app_ctx.lang
        render.table(app_ctx, None, [app_ctx.t("检查", "Check"), app_ctx.t("结果", "Result"), app_ctx.t("说明", "Detail")],
                     [(pick(CHECK_LABELS[item["name"]], lang) if item["name"] in CHECK_LABELS else item["name"],
                       app_ctx.t("正常", "ok") if item["ok"] else app_ctx.t("失败", "FAILED"),
                       reason_text(item["detail"], lang)) for item in report["checks"]])
    if not report["ok"]:
        from custarchive.core.texts import CHECK_LABELS, ERROR_WORD, pick, reason_text

        failed = next(item for item in report["checks"] if not item["ok"])
        name = pick(CHECK_LABELS.get(failed["name"], (failed["name"],) * 2), app_ctx.lang)
        word = pick(ERROR_WORD, app_ctx.lang)
        sys.stderr.write(app_ctx.t(f"{word}:{name}:{reason_text(failed['detail'], 'zh')}\n",
                                   f"{word}: {failed['name']}: {failed['detail']}\n"))
        raise typer.Exit(1)


def backup(ctx: typer.Context, out: str = typer.Argument(..., metavar="OUT"),
           with_key: bool = typer.Option(False, "--with-key", help="Also write the key to OUT.key (keep it apart!)."),
           force: bool = typer.Option(False, "--force", help="Replace OUT if it exists."),
           json_: bool = JSON_OPTION) -> None:
    """A consistent, verified copy of the database (and attachments), safe while others write."""
    from custarchive.protection import backup
    from custarchive.commands import render

    from custarchive.commands.render import BatchProgress

    app_ctx = app_context(ctx)
    with BatchProgress(app_ctx, app_ctx.t("备份中", "backing up"), counts=False):
        result = backup.backup(app_ctx.database(), app_ctx.actor(), out, with_key, force)
    if json_:
        render.emit_json(result)
        return
    typer.echo(result["backup"])
    if not with_key:
        app_ctx.warn(app_ctx.t("注意：备份不含密钥；请另行妥善保管密钥文件，否则无法读取敏感信息",
                               "note: the key is not in the backup; keep the key file safe elsewhere, "
                               "or the backup's sensitive values cannot be read"))


def restore(ctx: typer.Context, source: str = typer.Argument(..., metavar="IN"),
            key: Optional[str] = typer.Option(None, "--key", metavar="FILE", help="The backup's key file."),
            yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation on a terminal."),
            json_: bool = JSON_OPTION) -> None:
    """Replace the database with a backup, after verifying it; a bad backup changes nothing."""
    from custarchive.protection import backup
    from custarchive.commands import render
    from custarchive.store.db import Database, resolve_url

    app_ctx = app_context(ctx)
    db = Database(*resolve_url(app_ctx.target), actor=app_ctx.actor())
    if not yes and sys.stdin.isatty():
        typer.confirm(app_ctx.t(f"用 {source} 替换当前数据库？", f"Replace the database with {source}?"), abort=True)
    try:
        result = backup.restore(db, app_ctx.actor(), source, key)
    finally:
        db.dispose()
    if json_:
        render.emit_json(result)
    else:
        app_ctx.warn(app_ctx.t(f"已从 {source} 恢复", f"restored from {source}"))


@key_app.command("new")
def key_new() -> None:
    """Print a fresh random key (base64) to put in $CUSTARCHIVE_KEY before the first write."""
    from custarchive.core import crypto

    typer.echo(crypto.encode_key(crypto.new_master_key()))


@key_app.command("export")
def key_export(ctx: typer.Context) -> None:
    """Print this archive's key (base64), for $CUSTARCHIVE_KEY on a team member's machine. Needs 'backup'."""
    from custarchive.core import authz, crypto

    app_ctx = app_context(ctx)
    with app_ctx.database().read() as conn:
        authz.require(conn, app_ctx.actor(), "backup")
        crypto.keyring(conn)  # refuses a key that does not belong to this database
        master = crypto.key_source(conn)
    typer.echo(crypto.encode_key(master))
    app_ctx.warn(app_ctx.t("注意:持有密钥者可读取全部敏感信息", "note: whoever holds this key can read every sensitive value"))


@key_app.command("import")
def key_import(ctx: typer.Context, source: str = typer.Argument(..., metavar="FILE|-",
                                                                help="The key as `key export` prints it; - for stdin.")) -> None:
    """Keep this archive's key (from a colleague's `key export`) in your config directory, mode 0600."""
    from pathlib import Path

    from custarchive.core import crypto
    from custarchive.errors import ValidationError

    app_ctx = app_context(ctx)
    if source == "-":
        text, where = sys.stdin.read(), "stdin"
    else:
        try:
            text, where = Path(source).expanduser().read_text(encoding="utf-8", errors="replace"), source
        except OSError as exc:
            raise ValidationError("FILE", source, exc.strerror or "cannot be read") from None
    with app_ctx.database().read() as conn:
        path = crypto.import_key(conn, text, where)
    app_ctx.warn(app_ctx.t(f"密钥已保存到 {path}", f"key kept in {path}"))

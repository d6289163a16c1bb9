"""Reference commands: templates, categories, and where the data lives."""
from __future__ import annotations

from typing import Optional

import typer

from custarchive.commands.common import JSON_OPTION, app_context

template_app = typer.Typer(help="Card templates.", no_args_is_help=True)
category_app = typer.Typer(help="Customer categories and their archive-number patterns.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(template_app, name="template")
    app.add_typer(category_app, name="category")
    app.command("info")(info)


@template_app.command("list")
def template_list(ctx: typer.Context, json_: bool = JSON_OPTION) -> None:
    """Built-in and user templates."""
    from custarchive.commands import render
    from custarchive.core.templates import list_templates

    app_ctx = app_context(ctx)
    items = [{"name": t.name, "kind": t.kind, "label": t.label(app_ctx.lang), "fields": len(t.fields), "path": t.path}
             for t in list_templates()]
    if json_:
        render.emit_json(items)
        return
    render.table(app_ctx, None, [app_ctx.t("模板", "Template"), app_ctx.t("类型", "Kind"), app_ctx.t("名称", "Label"),
                                 app_ctx.t("字段数", "Fields")],
                 [(i["name"], i["kind"], i["label"], i["fields"]) for i in items])


@template_app.command("show")
def template_show(ctx: typer.Context, name: str = typer.Argument(...), json_: bool = JSON_OPTION) -> None:
    """The sections and fields of one template."""
    from custarchive.commands import render
    from custarchive.core.templates import load_template

    app_ctx = app_context(ctx)
    template = load_template(name)
    lang = app_ctx.lang
    if json_:
        render.emit_json({"name": template.name, "kind": template.kind, "label": template.label(lang), "sections": [
            {"id": s.id, "label": s.label(lang), "fields": [
                {"name": f.name, "type": f.type, "label": f.label(lang), "required": f.required,
                 "sensitive": f.sensitive, "choices": [c["value"] for c in f.choices], "help": f.help(lang)}
                for f in s.fields]} for s in template.sections]})
        return
    for section in template.sections:
        render.table(app_ctx, section.label(lang),
                     [app_ctx.t("字段", "Field"), app_ctx.t("名称", "Label"), app_ctx.t("类型", "Type"),
                      app_ctx.t("必填", "Required"), app_ctx.t("可选值", "Choices")],
                     [(f.name, f.label(lang), f.type, "✓" if f.required else "",
                       ", ".join(c.get("label_" + lang, c["value"]) for c in f.choices)) for f in section.fields])


@category_app.command("list")
def category_list(ctx: typer.Context, json_: bool = JSON_OPTION) -> None:
    """Categories with their number patterns."""
    from sqlalchemy import text

    from custarchive.commands import render

    app_ctx = app_context(ctx)
    with app_ctx.database().read() as conn:
        rows = conn.execute(text("SELECT code, name_zh, name_en, pattern FROM categories ORDER BY code")).all()
    items = [{"code": r[0], "name_zh": r[1], "name_en": r[2], "pattern": r[3]} for r in rows]
    if json_:
        render.emit_json(items)
        return
    render.table(app_ctx, None, [app_ctx.t("代码", "Code"), app_ctx.t("名称", "Name"), app_ctx.t("编号规则", "Pattern")],
                 [(i["code"], i["name_zh"] if app_ctx.lang == "zh" else i["name_en"], i["pattern"]) for i in items])


@category_app.command("add")
def category_add(
    ctx: typer.Context,
    code: str = typer.Argument(..., help="Short code, e.g. D."),
    name: str = typer.Option(..., "--name", help="Chinese name."),
    name_en: Optional[str] = typer.Option(None, "--name-en"),
    pattern: str = typer.Option("{category}-{yyyy}-{seq:05}", "--pattern",
                                help="Placeholders: {category} {yyyy} {yy} {mm} {seq:05}."),
) -> None:
    """Define a category (its numbers follow its own pattern and counter)."""
    from custarchive.cards import categories

    app_ctx = app_context(ctx)
    with app_ctx.database(write=True).write() as conn:
        categories.add_category(conn, code, name, name_en or name, pattern, app_ctx.actor())
    app_ctx.warn(app_ctx.t(f"已添加类别 {code.upper()}", f"category {code.upper()} added"))


@category_app.command("set-pattern")
def category_set_pattern(ctx: typer.Context, code: str = typer.Argument(...),
                         pattern: str = typer.Argument(...)) -> None:
    """Change a category's number pattern (existing numbers never change)."""
    from custarchive.cards import categories

    app_ctx = app_context(ctx)
    with app_ctx.database(write=True).write() as conn:
        categories.set_pattern(conn, code, pattern, app_ctx.actor())


def info(ctx: typer.Context, json_: bool = JSON_OPTION) -> None:
    """Where the data lives and what it holds."""
    from custarchive import __version__, config
    from custarchive.commands import render

    app_ctx = app_context(ctx)
    data = {"version": __version__, "database": app_ctx.target, "config_dir": str(config.config_dir()),
            "operator": app_ctx.operator, "lang": app_ctx.lang, "exists": None, "archives": None, "schema": None}
    try:
        db = app_ctx.database()
        from sqlalchemy import text

        with db.read() as conn:
            data["archives"] = conn.execute(text("SELECT COUNT(*) FROM customers")).scalar()
            data["schema"] = conn.execute(text("SELECT name FROM schema_migrations ORDER BY name DESC")).scalars().first()
            data["backend"] = conn.dialect.name
        data["exists"] = True
    except Exception as exc:  # noqa: BLE001 - info reports, it does not fail
        from custarchive.errors import DatabaseMissing

        data["exists"] = False if isinstance(exc, DatabaseMissing) else str(exc)
    if json_:
        render.emit_json(data)
    else:
        from custarchive.core.texts import INFO_LABELS, pick

        render.panel(app_ctx, "custarchive", [(pick(INFO_LABELS[key], app_ctx.lang) if key in INFO_LABELS else key,
                                               value) for key, value in data.items()])

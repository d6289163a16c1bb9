"""Reading customer cards: show, list, search, history (the writing commands are in ``cards``)."""
from __future__ import annotations

from typing import Optional

import typer

from custarchive.commands.common import (FILTER_OPTIONS, JSON_OPTION, WIDE_OPTION, app_context, public_card)
from custarchive.errors import UsageError

LIST_COLUMNS = ("archive_no", "name", "kind", "category", "phone", "city", "industry", "grade", "status")


def register(app: typer.Typer) -> None:
    for command in (show, list_, search, history):
        name = command.__name__.rstrip("_")
        app.command(name)(command)


def _field_label(name: str, lang: str, template=None) -> str:
    from custarchive.core.fields import CANONICAL

    spec = (template.field(name) if template is not None else None) or CANONICAL.get(name)
    if spec:
        return spec.label(lang)
    return {"status": ("状态", "Status"), "grade": ("信用等级", "Grade"), "template": ("模板", "Template"),
            "created_at": ("建档时间", "Created"), "updated_at": ("更新时间", "Updated"),
            "created_by": ("建档人", "Created by"), "merged_into": ("并入", "Merged into"),
            "kind": ("客户类型", "Kind")}.get(name, (name, name))[0 if lang == "zh" else 1]


def _shown(name: str, value, lang: str, template=None) -> str:
    """A card value as a person reads it: labels for stored codes, local times."""
    from custarchive.core import texts
    from custarchive.core.fields import CANONICAL

    if value is None:
        return ""
    if name in ("created_at", "updated_at"):
        return texts.local_time(value)
    if name == "status":
        return texts.status_label(value, lang)
    if name == "template":
        try:
            from custarchive.core.templates import load_template

            return load_template(str(value)).label(lang)
        except Exception:  # noqa: BLE001 - a template file since removed: show its name
            return str(value)
    if name == "kind":
        return texts.code_label(CANONICAL["kind"].choices, value, lang)
    spec = (template.field(name) if template is not None else None) or CANONICAL.get(name)
    return texts.value_text(spec, value, lang)


def show(
    ctx: typer.Context,
    ref: str = typer.Argument(..., help="Archive number, or a name/phone/ID matching one archive."),
    json_: bool = JSON_OPTION,
    reveal: bool = typer.Option(False, "--reveal", help="Show sensitive values unmasked."),
) -> None:
    """Show a customer card by section."""
    from custarchive.cards import lookup
    from custarchive.core.templates import load_template

    app_ctx = app_context(ctx)
    db = app_ctx.database()
    with (db.write() if reveal else db.read()) as conn:
        card = lookup.resolve(conn, ref)
        if reveal:
            from custarchive.core.authz import record_reveal

            record_reveal(conn, app_ctx.actor(), [card], "show")
    template = load_template(card["template"])
    data = public_card(card, template, reveal)
    if json_:
        from custarchive.commands.render import emit_json

        emit_json(data)
        return
    from custarchive.commands.render import panel

    lang = app_ctx.lang
    head = [(_field_label(key, lang), _shown(key, data.get(key), lang)) for key in
            ("archive_no", "kind", "category", "status", "grade", "template", "created_at", "updated_at")]
    panel(app_ctx, f"{data['archive_no']}  {data['name']}", head)
    shown = set(head_key for head_key in ("archive_no", "kind", "category"))
    for section in template.sections:
        pairs = [(spec.label(lang), _shown(spec.name, data.get(spec.name), lang, template)) for spec in section.fields
                 if data.get(spec.name) is not None]
        shown.update(spec.name for spec in section.fields)
        if pairs:
            panel(app_ctx, section.label(lang), pairs)
    rest = [(_field_label(key, lang), _shown(key, value, lang, template)) for key, value in data.items()
            if key not in shown and value is not None and key in _card_field_names(card)]
    if rest:
        panel(app_ctx, app_ctx.t("其他", "Other"), rest)


def _card_field_names(card: dict) -> set[str]:
    from custarchive.cards.lookup import DATA_COLUMNS

    return set(DATA_COLUMNS) | set(card.get("extra") or {})


def list_(
    ctx: typer.Context,
    category: Optional[str] = FILTER_OPTIONS["category"],
    kind: Optional[str] = FILTER_OPTIONS["kind"],
    industry: Optional[str] = FILTER_OPTIONS["industry"],
    city: Optional[str] = FILTER_OPTIONS["city"],
    grade: Optional[str] = FILTER_OPTIONS["grade"],
    status: Optional[str] = FILTER_OPTIONS["status"],
    mine: bool = typer.Option(False, "--mine", help="Only archives you own (负责人)."),
    owner: Optional[str] = typer.Option(None, "--owner", metavar="NAME", help="Only archives this user owns."),
    team: Optional[str] = typer.Option(None, "--team", help="Only archives of this team."),
    sort: str = typer.Option("archive_no", "--sort", help="Field to sort by; prefix with - for descending."),
    limit: Optional[int] = typer.Option(None, "--limit", min=1),
    json_: bool = JSON_OPTION,
    csv_: bool = typer.Option(False, "--csv", help="CSV on stdout."),
    wide: bool = WIDE_OPTION,
) -> None:
    """List archives, filtered and sorted."""
    from custarchive.cards import lookup

    app_ctx = app_context(ctx)
    if mine and owner:
        raise UsageError("--mine and --owner cannot be combined")
    db = app_ctx.database()  # (on a server-enforced archive this settles who "mine" is: the login)
    filters = {"category": category, "kind": kind, "industry": industry, "city": city, "grade": grade, "status": status,
               "owner": app_ctx.operator if mine else owner, "team": team}
    with db.read() as conn:
        cards = lookup.list_cards(conn, filters, sort.lstrip("-"), limit, descending=sort.startswith("-"))
    _render_cards(app_ctx, cards, json_, csv_, wide)


def _render_cards(app_ctx, cards: list[dict], json_: bool, csv_: bool = False, wide: bool = False) -> None:
    from custarchive.commands import render

    if json_:
        render.emit_json([public_card(card) for card in cards])
        return
    if csv_:
        render.csv_out(LIST_COLUMNS, [[card.get(col) for col in LIST_COLUMNS] for card in cards])
        return
    lang = app_ctx.lang
    rows = [[_shown(col, card.get(col), lang) for col in LIST_COLUMNS] for card in cards]
    headers = [_field_label(col, lang) for col in LIST_COLUMNS]
    index = LIST_COLUMNS.index
    render.table(app_ctx, None, headers, rows, caption=app_ctx.t(f"共 {len(cards)} 条", f"{len(cards)} archive(s)"),
                 keep=[index("archive_no"), index("phone"), index("grade")],
                 drop=[index(c) for c in ("industry", "status", "city", "kind", "category")], wide=wide)


def search(
    ctx: typer.Context,
    text: str = typer.Argument(..., help="Number, name part, pinyin (zhangwei) or initials (zw), phone, email, industry."),
    limit: int = typer.Option(50, "--limit", min=1),
    include_closed: bool = typer.Option(False, "--all", help="Include closed archives."),
    json_: bool = JSON_OPTION,
    wide: bool = WIDE_OPTION,
) -> None:
    """Find archives."""
    from custarchive.cards import lookup

    app_ctx = app_context(ctx)
    with app_ctx.database().read() as conn:
        cards = lookup.search(conn, text, limit, include_closed)
    _render_cards(app_ctx, cards, json_, wide=wide)


def history(ctx: typer.Context, ref: str = typer.Argument(..., help="Archive number, or a name/phone/ID matching one archive."),
            json_: bool = JSON_OPTION,
            reveal: bool = typer.Option(False, "--reveal", help="Show sensitive values unmasked (logged)."),
            wide: bool = WIDE_OPTION) -> None:
    """The change log of one archive: when, who, field, old → new, why."""
    from custarchive.cards import lookup
    from custarchive.commands import render

    app_ctx = app_context(ctx)
    db = app_ctx.database()
    with (db.write() if reveal else db.read()) as conn:
        card = lookup.resolve(conn, ref)
        entries = lookup.history(conn, card["id"], reveal)
        if reveal:
            from custarchive.core.authz import record_reveal
            from custarchive.core.crypto import sensitive_fields

            record_reveal(conn, app_ctx.actor(), [card], "history", sorted(sensitive_fields(card["template"])))
    if json_:
        render.emit_json({"archive_no": card["archive_no"], "changes": entries})
        return
    from custarchive.core import texts
    from custarchive.core.templates import load_template

    t, lang = app_ctx.t, app_ctx.lang
    template = load_template(card["template"])
    others = any(e.get("archive_no") not in (None, card["archive_no"]) for e in entries)
    headers = [t("时间", "When"), t("操作人", "Who"), t("操作", "Action"), t("字段", "Field"),
               t("原值", "Old"), t("新值", "New"), t("原因", "Why"), t("来源", "Source")]
    rows = [[texts.local_time(e["at"]), e["operator"], texts.action_label(e["action"], lang),
             _field_label(e["field"], lang, template) if e["field"] and e["field"] != "*" else "",
             _logged(e["field"], e["old"], lang, template), _logged(e["field"], e["new"], lang, template),
             e["reason"], e["source"]] for e in entries]
    if others:                                   # a merged card's own rows: say which archive they belong to
        headers.insert(0, t("档案编号", "Archive"))
        rows = [[e.get("archive_no"), *row] for e, row in zip(entries, rows)]
    shift = 1 if others else 0
    render.table(app_ctx, f"{card['archive_no']} {card['name']}", headers, rows,
                 keep=[shift + 0] + ([0] if others else []), drop=[shift + 7], wide=wide)


def _logged(field: str | None, value, lang: str, template) -> str | None:
    """A logged value as a person reads it: a created card one labelled field per line, codes as labels."""
    if value is None or value == "":
        return value
    import json

    text = str(value)
    if text.startswith(("{", "[")):
        try:
            data = json.loads(text)
        except ValueError:
            return text
        if isinstance(data, dict):
            data = {**{k: v for k, v in data.items() if k != "extra"}, **(data.get("extra") or {})}
            return "\n".join(f"{_field_label(key, lang, template)}: {_logged(key, item, lang, template)}"
                              for key, item in data.items() if key not in ("archive_no", "extra"))
        value = data
    if field and field != "*":
        return _shown(field, value, lang, template)
    return text

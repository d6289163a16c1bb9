"""Customer cards: add, show, list, search, update, edit, history, close, reopen."""
from __future__ import annotations

import sys
from typing import List, Optional

import typer

from custarchive.commands.common import (FILTER_OPTIONS, JSON_OPTION, WIDE_OPTION, app_context, parse_assignments,
                                         public_card)
from custarchive.errors import UsageError

LIST_COLUMNS = ("archive_no", "name", "kind", "category", "phone", "city", "industry", "grade", "status")


def register(app: typer.Typer) -> None:
    for command in (add, show, list_, search, update, edit, history, close, reopen):
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


def add(
    ctx: typer.Context,
    template: Optional[str] = typer.Option(None, "--template", "-t", help="Card template (template list)."),
    category: Optional[str] = typer.Option(None, "--category", "-c", help="Category code, e.g. A, B, C."),
    kind: Optional[str] = typer.Option(None, "--kind", "-k", help="individual or enterprise."),
    sets: Optional[List[str]] = typer.Option(None, "--set", "-s", metavar="FIELD=VALUE", help="A field value; repeatable."),
    from_file: Optional[str] = typer.Option(None, "--from", metavar="FILE|-", help="A JSON card (or list of cards)."),
    no_input: bool = typer.Option(False, "--no-input", help="Never prompt, even on a terminal."),
    json_: bool = JSON_OPTION,
) -> None:
    """Add a customer card; prints the new archive number (interactive on a terminal).

    Built-in templates: individual (个人客户), enterprise (企业客户), hotel-guest (酒店宾客),
    property-owner (业主), logistics (物流客户); `template list` shows yours as well and
    `template show NAME` its field names for --set. Categories: A, B, C … (`category list`).
    """
    app_ctx = app_context(ctx)
    values = parse_assignments(sets)
    cards = [values]
    if from_file:
        cards = _read_cards(from_file, values)
    elif not values and not no_input and sys.stdin.isatty():
        from custarchive.commands import card_form

        _ready_to_ask(app_ctx, template, category, "add")
        numbers, warnings = card_form.enter_card(app_ctx, template, kind, category,
                                                 lambda typed: _insert(app_ctx, [typed], None, None, None, False))
        _report_added(app_ctx, numbers, warnings, json_)
        return
    elif not values:
        raise UsageError("nothing to add: give --set FIELD=VALUE, --from FILE, or run on a terminal")
    numbers, warnings = _insert(app_ctx, cards, template, category, kind)
    _report_added(app_ctx, numbers, warnings, json_)


def _ready_to_ask(app_ctx, template: str | None, category: str | None, action: str, card: dict | None = None) -> None:
    """Refuse before the first question what would be refused after the last: the operator's permission,
    an unknown template or category."""
    from custarchive.cards import numbering
    from custarchive.core import authz

    if template:
        from custarchive.core.templates import load_template

        load_template(template)
    with app_ctx.database(write=True).read() as conn:
        authz.require(conn, app_ctx.actor(), action)
        if category:
            numbering.category_pattern(conn, category.upper())


def _insert(app_ctx, cards: list[dict], template, category, kind, duplicates: bool = True) -> tuple[list[str], list[str]]:
    """Add cards in one transaction; returns their numbers and the warnings to show (possible duplicates
    only when ``duplicates``: interactive entry has shown them at the field already)."""
    from custarchive.cards import archive, lookup
    from custarchive.core import consent_rules
    from custarchive.core.values import card_cautions

    db = app_ctx.database(write=True)
    numbers, warnings, added = [], [], []
    with db.write() as conn:
        for raw in cards:
            number = archive.add_card(conn, raw, app_ctx.actor(), template=template, category=category, kind=kind)
            numbers.append(number)
            card = lookup.get_by_number(conn, number)
            if duplicates:
                from custarchive.cards.dedupe import entry

                warnings += entry.warnings(conn, card["id"], number)
            warnings += [f"{number}: {caution}" for caution in card_cautions(card)]
            added.append(card)
        warnings += consent_rules.missing(conn, added)
    return numbers, warnings


def _report_added(app_ctx, numbers: list[str], warnings: list[str], json_: bool) -> None:
    _warn(app_ctx, warnings)
    if json_:
        from custarchive.commands.render import emit_json

        emit_json({"archive_no": numbers[0]} if len(numbers) == 1 else [{"archive_no": n} for n in numbers])
    else:
        typer.echo("\n".join(numbers))


def _warn(app_ctx, warnings: list[str]) -> None:
    from custarchive.core.texts import reason_text

    for warning in warnings:
        app_ctx.warn(app_ctx.t("注意:", "warning: ") + reason_text(warning, app_ctx.lang))


def _read_cards(source: str, overrides: dict) -> list[dict]:
    import json

    from custarchive.errors import ValidationError

    try:
        text = sys.stdin.read() if source == "-" else open(source, encoding="utf-8-sig").read()
    except OSError as exc:
        raise ValidationError("--from", source, f"cannot read: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise ValidationError("--from", source, "not UTF-8 text") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValidationError("--from", source, f"not valid JSON (line {exc.lineno}: {exc.msg})") from None
    items = data if isinstance(data, list) else [data]
    if not items or not all(isinstance(item, dict) for item in items):
        raise ValidationError("--from", source, "expected a JSON object or a list of objects")
    return [{**item, **overrides} for item in items]


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


# Fields the duplicate check compares: changing one of them re-checks the card.
_COMPARED = {"name", "phone", "email", "id_number", "credit_code", "birth_date", "gender", "province", "city",
             "address", "employer"}


def update(
    ctx: typer.Context,
    ref: str = typer.Argument(..., help="Archive number, or a name/phone/ID matching one archive."),
    sets: Optional[List[str]] = typer.Option(None, "--set", "-s", metavar="FIELD=VALUE",
                                             help="New value of a field (template show NAME lists them); repeatable."),
    unsets: Optional[List[str]] = typer.Option(None, "--unset", metavar="FIELD", help="Remove a field's value; repeatable."),
    reason: Optional[str] = typer.Option(None, "--reason", help="Why; kept in the change log."),
    json_: bool = JSON_OPTION,
) -> None:
    """Change fields of an archive; every change goes to the change log."""
    from custarchive.cards import archive, lookup
    from custarchive.core.values import card_cautions
    from custarchive.core import consent_rules
    from custarchive.core import crypto

    app_ctx = app_context(ctx)
    values = parse_assignments(sets)
    if not values and not unsets:
        raise UsageError("nothing to change: give --set FIELD=VALUE or --unset FIELD")
    with app_ctx.database(write=True).write() as conn:
        card, changes = archive.update_card(conn, ref, values, list(unsets or []), app_ctx.actor(reason=reason))
        secret = crypto.sensitive_fields(card["template"])
        warnings = consent_rules.missing(conn, [lookup.get_by_number(conn, card["archive_no"])]) if secret & set(changes) else []
        if "phone" in changes:
            warnings += [f"{card['archive_no']}: {caution}" for caution in card_cautions({"phone": changes["phone"][1]})]
        if set(changes) & _COMPARED:
            from custarchive.cards.dedupe import entry

            warnings += entry.warnings(conn, card["id"], card["archive_no"])
    _warn(app_ctx, warnings)
    _render_changes(app_ctx, card, changes, json_)


def _render_changes(app_ctx, card: dict, changes: dict, json_: bool) -> None:
    from custarchive.commands import render
    from custarchive.core.crypto import mask, sensitive_fields

    number, secret = card["archive_no"], sensitive_fields(card["template"])
    changes = {k: (mask(k, o), mask(k, n)) if k in secret else (o, n) for k, (o, n) in changes.items()}
    if json_:
        render.emit_json({"archive_no": number, "changes": [{"field": k, "old": o, "new": n}
                                                           for k, (o, n) in changes.items()]})
    elif not changes:
        app_ctx.warn(app_ctx.t(f"{number}: 没有变化", f"{number}: nothing changed"))
    else:
        from custarchive.core.templates import load_template

        template, lang = load_template(card["template"]), app_ctx.lang
        render.table(app_ctx, number, [app_ctx.t("字段", "Field"), app_ctx.t("原值", "Old"), app_ctx.t("新值", "New")],
                     [(_field_label(k, lang, template), _shown(k, o, lang, template) if k not in secret else o,
                       _shown(k, n, lang, template) if k not in secret else n) for k, (o, n) in changes.items()])


def edit(ctx: typer.Context, ref: str = typer.Argument(..., help="Archive number, or a name/phone/ID matching one archive."),
         reason: Optional[str] = typer.Option(None, "--reason", help="Why; kept in the change log.")) -> None:
    """Edit a card interactively, section by section (needs a terminal)."""
    from custarchive.cards import archive, lookup
    from custarchive.commands import card_form as prompts

    app_ctx = app_context(ctx)
    if not sys.stdin.isatty():
        raise UsageError("edit needs a terminal; in scripts use: update REF --set FIELD=VALUE")
    from custarchive.core import authz

    db = app_ctx.database(write=True)
    actor = app_ctx.actor(reason=reason)
    with db.read() as conn:
        card = lookup.resolve(conn, ref)
        archive.ensure_writable(card)
        role = authz.require(conn, actor, "update")
    may_reveal = "reveal" in authz.permission_table().get(role, frozenset())
    if may_reveal:
        from custarchive.core.crypto import sensitive_fields

        shown = sorted(name for name in sensitive_fields(card["template"])
                       if {**card, **(card.get("extra") or {})}.get(name) is not None)
        if shown:
            with db.write() as conn:
                authz.record_reveal(conn, actor, [card], "edit", shown)
    stamp = {"seen": card["updated_at"]}

    def save(values: dict, masked: dict):
        from custarchive.errors import CustarchiveError

        sets, unsets = _edits(card, values, masked)        # what this operator changed, nothing else
        with db.write() as conn:
            fresh = lookup.resolve(conn, card["archive_no"])
            if fresh["updated_at"] != stamp["seen"]:
                stamp["seen"] = fresh["updated_at"]
                theirs = _edits(card, _flat(fresh), {})
                clash = sorted((set(sets) | set(unsets)) & (set(theirs[0]) | set(theirs[1])))
                if clash:
                    names = "、".join(_field_label(name, app_ctx.lang) for name in clash)
                    raise CustarchiveError(app_ctx.t(
                        f"同事刚改过这张卡的 {names};你输入的值都还在,再选“保存”即以你的为准",
                        f"a colleague just changed {names} on this card; your values are kept, "
                        "choose Save again to keep yours"))
            changes = archive.plan_update(conn, fresh, sets, unsets)
            archive.apply_changes(conn, fresh, changes, actor)
        return changes

    changes = prompts.edit_card(app_ctx, card, may_reveal, save)
    if changes is None:
        app_ctx.warn(app_ctx.t(f"{card['archive_no']}: 没有变化", f"{card['archive_no']}: nothing changed"))
        return
    _render_changes(app_ctx, card, changes, False)


def _flat(card: dict) -> dict:
    return {**{k: v for k, v in card.items() if k != "extra"}, **(card.get("extra") or {})}


def _edits(card: dict, values: dict, masked: dict) -> tuple[dict, list[str]]:
    """What the form's values change on the card: (sets, unsets); masked fields kept unseen are left alone."""
    from custarchive.core.templates import load_template

    current = _flat(card)
    sets, unsets = {}, []
    for name in load_template(card["template"]).fields:
        if name in masked:
            continue
        old, new = current.get(name), values.get(name)
        if isinstance(old, list) and isinstance(new, list) and sorted(old) == sorted(new):
            continue
        if new in (None, "", []):
            if old not in (None, "", []):
                unsets.append(name)
        elif new != old:
            sets[name] = new
    return sets, unsets


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


def close(ctx: typer.Context, ref: str = typer.Argument(..., help="Archive number, or a name/phone/ID matching one archive."),
          reason: Optional[str] = typer.Option(None, "--reason", help="Why; kept in the change log.")) -> None:
    """Close an archive: kept with its history, hidden from lists."""
    _set_status(ctx, ref, "closed", reason)


def reopen(ctx: typer.Context, ref: str = typer.Argument(..., help="Archive number, or a name/phone/ID matching one archive."),
           reason: Optional[str] = typer.Option(None, "--reason", help="Why; kept in the change log.")) -> None:
    """Reopen a closed archive."""
    _set_status(ctx, ref, "active", reason)


def _set_status(ctx, ref: str, status: str, reason: str | None) -> None:
    from custarchive.cards import archive

    app_ctx = app_context(ctx)
    with app_ctx.database(write=True).write() as conn:
        card = archive.set_status(conn, ref, status, app_ctx.actor(reason=reason))
    app_ctx.warn(f"{card['archive_no']}: {status}")

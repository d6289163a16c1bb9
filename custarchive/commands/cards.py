"""Writing customer cards: add, update, edit, close, reopen (reading them is ``browse``)."""
from __future__ import annotations

import sys
from typing import List, Optional

import typer

from custarchive.commands.browse import _field_label, _shown
from custarchive.commands.common import (JSON_OPTION, app_context, parse_assignments)
from custarchive.errors import UsageError


def register(app: typer.Typer) -> None:
    for command in (add, update, edit, close, reopen):
        app.command(command.__name__)(command)


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

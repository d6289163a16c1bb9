"""Interactive card entry and editing with questionary, section by section.

Each answer is validated where it is typed with the same parser as every
other entry path; Ctrl-C anywhere raises KeyboardInterrupt so nothing is saved.
"""
from __future__ import annotations

import sys
from typing import Any

from custarchive.errors import CustarchiveError, ValidationError
from custarchive.core.fields import FieldSpec

SKIP = "—"


def _ask(question) -> Any:
    return question.unsafe_ask()


def _validator(spec: FieldSpec, lang: str):
    from custarchive.core.templates import parse_field

    def check(text: str):
        if not text.strip():
            return True if not spec.required else ("必填" if lang == "zh" else "required")
        try:
            parse_field(spec, text)
        except ValidationError as exc:
            return exc.reason
        return True

    return check


def ask_field(spec: FieldSpec, lang: str, default: Any = None) -> Any:
    """Prompt for one field; returns the raw answer ('' or None means no value)."""
    import questionary

    label = spec.label(lang) + (" *" if spec.required else "")
    hint = spec.help(lang)
    message = f"{label}" + (f" ({hint})" if hint else "")
    if spec.type in ("choice",):
        choices = [questionary.Choice(f"{c.get('label_' + lang, c['value'])}", value=c["value"]) for c in spec.choices]
        if not spec.required:
            choices.append(questionary.Choice(SKIP, value=None))
        return _ask(questionary.select(message, choices=choices, default=_find(choices, default)))
    if spec.type == "multi-choice":
        choices = [questionary.Choice(c.get("label_" + lang, c["value"]), value=c["value"],
                                      checked=bool(default) and c["value"] in default) for c in spec.choices]
        picked = _ask(questionary.checkbox(message, choices=choices))
        return picked or None
    if spec.type == "bool":
        return _ask(questionary.confirm(message, default=bool(default)))
    text = _ask(questionary.text(message, default="" if default is None else str(default),
                                 validate=_validator(spec, lang)))
    return text.strip() or None


def ask_question(question, lang: str) -> Any:
    """One questionnaire question (surveys.questionnaire.Question): options to pick, or text checked as typed.

    Skipping (the — option, or an empty line) means no answer; a wrong value is refused where it is typed.
    """
    import questionary

    message = f"Q{question.number}. {question.text(lang)}" + (" *" if question.required else "")
    if question.type in ("choice", "scale"):
        values = [c["value"] for c in question.choices] if question.type == "choice" else [str(p) for p in range(1, 6)]
        choices = [questionary.Choice(label, value=value) for label, value in zip(question.options(lang), values)]
        if not question.required:
            choices.append(questionary.Choice(SKIP, value=SKIP))  # questionary would turn value=None into the title
        picked = _ask(questionary.select(message, choices=choices))
        return None if picked == SKIP else picked
    if question.type == "multi":
        picked = _ask(questionary.checkbox(message, choices=[
            questionary.Choice(label, value=c["value"]) for label, c in zip(question.options(lang), question.choices)]))
        return picked or None

    def check(text: str):
        if not text.strip():
            return True if not question.required else ("必填" if lang == "zh" else "required")
        try:
            question.parse(text)
        except ValidationError as exc:
            return exc.reason
        return True

    return _ask(questionary.text(message, validate=check)).strip() or None


def confirm(message: str) -> bool:
    import questionary

    return bool(_ask(questionary.confirm(message, default=True)))


def _find(choices, value):
    for choice in choices:
        if choice.value == value:
            return choice
    return None


def enter_card(app_ctx, template: str | None, kind: str | None, category: str | None) -> dict[str, Any]:
    """Walk a template and return raw values ready for ``archive.add_card``."""
    import questionary

    from custarchive.core import templates
    from custarchive.core.values import id_number_facts, parse_id_number

    lang = app_ctx.lang
    t = app_ctx.t
    if template is None:
        options = [tpl for tpl in templates.list_templates() if kind is None or tpl.kind == kind]
        template = _ask(questionary.select(t("选择资料卡模板", "Card template"),
                                           choices=[questionary.Choice(f"{tpl.name} — {tpl.label(lang)}", value=tpl.name)
                                                    for tpl in options]))
    chosen = templates.load_template(template)
    values: dict[str, Any] = {"template": chosen.name}
    if category is None:
        category = _ask(questionary.select(t("客户类别", "Category"), choices=_category_choices(app_ctx),
                                           default=None))
    values["category"] = category
    derived: dict[str, Any] = {}
    for section in chosen.sections:
        sys.stderr.write(f"\n== {section.label(lang)} ==\n")
        for spec in section.fields:
            answer = ask_field(spec, lang, derived.get(spec.name))
            if answer not in (None, "", []):
                values[spec.name] = answer
            if spec.name == "id_number" and answer:
                derived.update(id_number_facts(parse_id_number(answer)))
    _warn_duplicates(app_ctx, values)
    _summary(app_ctx, chosen, values)
    if not _ask(questionary.confirm(t("保存这张资料卡?", "Save this card?"), default=True)):
        raise CustarchiveError(t("未保存", "not saved"))
    return values


def _category_choices(app_ctx):
    import questionary

    defaults = [("A", "重要客户", "VIP"), ("B", "普通客户", "Regular corporate"), ("C", "一般客户", "Walk-in / new")]
    try:
        from sqlalchemy import text

        with app_ctx.database().read() as conn:
            defaults = conn.execute(text("SELECT code, name_zh, name_en FROM categories ORDER BY code")).all()
    except Exception:  # noqa: BLE001 - no database yet: the defaults are what it will hold
        pass
    return [questionary.Choice(f"{code} {zh if app_ctx.lang == 'zh' else en}", value=code) for code, zh, en in defaults]


def _warn_duplicates(app_ctx, values: dict) -> None:
    """Before saving: a taken ID or credit code (will be refused) or a shared phone (a warning)."""
    try:
        from sqlalchemy import text

        from custarchive.cards import lookup
        from custarchive.core.templates import load_template, parse_field

        template = load_template(values["template"])
        parsed = {}
        for key in ("id_number", "credit_code", "phone", "email", "name"):
            if values.get(key):
                parsed[key] = parse_field(template.field(key), values[key])
        with app_ctx.database().read() as conn:
            hits = lookup.possible_duplicates(conn, parsed)
            for key in ("id_number", "credit_code"):
                if parsed.get(key):
                    row = conn.execute(text(f"SELECT archive_no FROM customers WHERE {key} = :v"), {"v": parsed[key]}).first()
                    if row:
                        hits.insert(0, f"{row[0]} (same {key}: will be refused)")
    except Exception:  # noqa: BLE001 - no database yet means no duplicates
        return
    for hit in hits:
        sys.stderr.write(app_ctx.t(f"注意:可能重复 {hit}\n", f"warning: possible duplicate {hit}\n"))


def _summary(app_ctx, template, values: dict) -> None:
    from custarchive.commands.render import panel

    pairs = [(spec.label(app_ctx.lang), values[spec.name]) for spec in template.fields.values() if spec.name in values]
    panel(app_ctx, app_ctx.t("确认资料", "Summary"), pairs)


def edit_card(app_ctx, card: dict) -> tuple[dict, list[str]]:
    """Ask every field of the card's template with the current value as default."""
    import questionary

    from custarchive.core.templates import load_template

    template = load_template(card["template"])
    current = {**{k: v for k, v in card.items() if k != "extra"}, **(card.get("extra") or {})}
    sets, unsets = {}, []
    for section in template.sections:
        sys.stderr.write(f"\n== {section.label(app_ctx.lang)} ==\n")
        for spec in section.fields:
            old = current.get(spec.name)
            answer = ask_field(spec, app_ctx.lang, old)
            if answer in (None, "", []):
                if old is not None:
                    unsets.append(spec.name)
            elif answer != old and str(answer) != str(old):
                sets[spec.name] = answer
    if not (sets or unsets):
        return {}, []
    if not _ask(questionary.confirm(app_ctx.t("保存修改?", "Save changes?"), default=True)):
        raise CustarchiveError(app_ctx.t("未保存", "not saved"))
    return sets, unsets

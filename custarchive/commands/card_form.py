"""Interactive ``add`` and ``edit``: a card's fields asked in order, checked where they are typed.

The key fields come first (resident ID before gender and birth date, which it then fills
and which are not asked; the credit code right after the name) and are checked for
uniqueness at the field, as lookup compares them (a resident ID through its keyed hash).
A phone, e-mail or name already on another archive is shown right after it is typed, with
that archive's number and name only. The end is a summary from which any field can be
asked again, so a problem found at saving never throws the typed card away.
"""
from __future__ import annotations

from typing import Any, Callable

from custarchive.commands import prompts
from custarchive.commands.prompts import KEEP, say
from custarchive.errors import CustarchiveError, PermissionDenied

_DERIVED = ("gender", "birth_date")
_KEY_FIRST = ("name", "credit_code", "id_number")
_DUPLICATE_HINTS = ("phone", "email", "name")


def asking_order(template) -> list:
    """Template fields in template order, but the identity fields first of their section.

    The resident ID moves in front of gender and birth date, the credit code right behind
    the name, so a value that decides or conflicts with others is known before them.
    """
    ordered = []
    for section in template.sections:
        fields = list(section.fields)
        keys = [spec for name in _KEY_FIRST for spec in fields if spec.name == name]
        ordered.append((section, keys + [spec for spec in fields if spec not in keys]))
    return ordered


class CardForm:
    """The values of one card being typed or edited, and the questions that fill them."""

    def __init__(self, app_ctx, template, values: dict, *, exclude_id: int | None = None,
                 masked: dict[str, str] | None = None):
        self.app_ctx, self.template, self.values = app_ctx, template, values
        self.lang, self.t = app_ctx.lang, app_ctx.t
        self.exclude_id = exclude_id
        self.masked = masked or {}          # field → masked current value (edit without reveal)
        self.derived: set[str] = set()
        if values.get("id_number") or "id_number" in self.masked:
            self.derived = {name for name in _DERIVED if name in template.fields}

    # -- checks at the field ------------------------------------------------------------
    def _conn(self):
        return self.app_ctx.database().read()

    def _check(self, spec) -> Callable[[Any], str | None] | None:
        from custarchive.core.texts import reason_text

        def identity(value):
            from custarchive.cards.archive import holders

            try:
                with self._conn() as conn:
                    held = holders(conn, spec.name, [value]).get(value)
            except CustarchiveError:
                return None                     # no database or key yet: nothing to collide with
            if held and held[0] != self.exclude_id:
                return reason_text(f"already held by archive {held[1]}", self.lang)
            return None

        if spec.name in ("id_number", "credit_code"):     # a date after today is refused by the parse itself
            return identity
        return None

    def _possible_duplicates(self, spec, value) -> None:
        """Another active archive with this phone, e-mail or name: show number and name, ask what to do."""
        from custarchive.cards.lookup import duplicate_hits

        try:
            with self._conn() as conn:  # (every owner's archives: number and name only, see duplicate_hits)
                rows = [(number, name) for number, name, _owner in duplicate_hits(conn, spec.name, value,
                                                                                    self.exclude_id)]
        except CustarchiveError:
            return
        if not rows:
            return
        label = spec.label(self.lang)
        for number, name in rows:
            say(self.t(f"注意:{number} {name} 的{label}相同,可能是同一客户", f"note: {number} {name} has the same {label.lower()}"))
        while True:
            action = prompts.select(self.t("怎么办?", "What now?"),
                                    [(self.t("继续填写(不是同一客户)", "continue (a different customer)"), "go"),
                                     (self.t("打开那张资料卡看看", "open that card"), "open"),
                                     (self.t("停止,不保存", "stop, save nothing"), "stop")], self.lang, "go")
            if action == "go":
                return
            if action == "stop":
                raise CustarchiveError(self.t("未保存", "not saved"))
            self._open(rows[0][0])

    def _open(self, number: str) -> None:
        from custarchive.cards import lookup
        from custarchive.commands.common import public_card
        from custarchive.core.templates import load_template

        with self._conn() as conn:
            card = lookup.get_by_number(conn, number)
        template = load_template(card["template"])
        data = public_card(card, template, reveal=False)
        say(f"  {number}  {data.get('name')}")
        for spec in template.fields.values():
            if data.get(spec.name) not in (None, "", []):
                say(f"    {spec.label(self.lang)}: {prompts.display(spec, data[spec.name], self.lang)}")

    # -- asking ---------------------------------------------------------------------------
    def ask(self, spec) -> None:
        name = spec.name
        if name in self.derived and (self.values.get("id_number") is not None or "id_number" in self.masked):
            return
        answer = prompts.ask_field(spec, self.lang, self.values.get(name), check=self._check(spec),
                                   masked_default=self.masked.get(name))
        if answer is KEEP:
            return
        self.masked.pop(name, None)
        changed = self.values.get(name) != answer       # edit: a kept phone was checked when it was entered
        if answer is None:
            self.values.pop(name, None)
        else:
            self.values[name] = answer
        if name == "id_number":
            self._derive(answer)
        if answer is not None and changed and name in _DUPLICATE_HINTS:
            self._possible_duplicates(spec, answer)

    def _derive(self, number) -> None:
        from custarchive.core.values import id_number_facts

        asked = [name for name in _DERIVED if name in self.template.fields]
        if number is None:
            self.derived = set()
            return
        facts = id_number_facts(number)
        for name in asked:
            self.values[name] = facts[name]
        self.derived = set(asked)
        shown = "、".join(f"{self.template.fields[name].label(self.lang)} "
                         f"{prompts.display(self.template.fields[name], facts[name], self.lang)}" for name in asked)
        if shown:
            say(self.t(f"  由身份证号得出:{shown}", f"  from the resident ID: {shown}"))

    def walk(self) -> None:
        for section, fields in asking_order(self.template):
            say(f"\n== {section.label(self.lang)} ==")
            for spec in fields:
                self.ask(spec)

    def pairs(self, values: dict | None = None) -> list[tuple[str, str]]:
        values = self.values if values is None else values
        out = []
        for spec in self.template.fields.values():
            if spec.name in self.masked:
                out.append((spec.label(self.lang), self.masked[spec.name]))
            elif values.get(spec.name) not in (None, "", []):
                note = self.t("(由身份证号得出)", " (from the ID)") if spec.name in self.derived else ""
                out.append((spec.label(self.lang), prompts.display(spec, values[spec.name], self.lang) + note))
        return out

    def fix(self) -> None:
        """Ask one field again, chosen from the whole card."""
        options = []
        for spec in self.template.fields.values():
            shown = self.masked.get(spec.name) or prompts.display(spec, self.values.get(spec.name), self.lang)
            options.append((f"{spec.label(self.lang)}  {shown}", spec.name))
        name = prompts.select(self.t("改哪一项?", "Which field?"), options, self.lang, options[0][1],
                              skip=self.t("— 返回", "— back"))
        if name:
            self.ask_again(name)

    def ask_again(self, name: str) -> None:
        if name in self.derived and self.values.get("id_number"):
            say(self.t("这一项由身份证号得出;请修改身份证号", "this comes from the resident ID: change the ID instead"))
            name = "id_number"
        spec = self.template.fields.get(name)
        if spec is not None:
            self.ask(spec)

    def error_field(self, exc: CustarchiveError) -> str | None:
        """The field a refusal at saving names (``ValidationError.field`` or ``field: …`` of a duplicate)."""
        name = getattr(exc, "field", None) or str(exc).split(":", 1)[0]
        return name if name in self.template.fields else None

    def finish(self, save: Callable[[dict], Any], title: str, question: str, show: Callable[[], None]):
        """Summary, then save / change a field / discard; a refusal at saving goes back to its field."""
        from custarchive.core.texts import reason_text

        while True:
            show()
            action = prompts.select(question, [(self.t("保存", "Save"), "save"),
                                               (self.t("修改某一项", "Change a field"), "fix"),
                                               (self.t("放弃", "Discard"), "discard")], self.lang, "save")
            if action == "fix":
                self.fix()
            elif action == "discard":
                if prompts.yes_no(self.t("确定放弃,不保存?", "Discard and save nothing?"), self.lang, False):
                    raise CustarchiveError(self.t("未保存", "not saved"))
            else:
                try:
                    return save(self.values)
                except PermissionDenied:
                    raise
                except CustarchiveError as exc:
                    reason = reason_text(getattr(exc, "reason", None) or str(exc).split(": ", 1)[-1], self.lang)
                    name = self.error_field(exc)
                    label = self.template.fields[name].label(self.lang) if name else ""
                    say(self.t(f"未能保存:{label} {reason}", f"not saved: {label} {reason}").replace("  ", " "))
                    if name:
                        self.ask_again(name)


def enter_card(app_ctx, template: str | None, kind: str | None, category: str | None,
               save: Callable[[dict], Any]) -> Any:
    """Choose a template and category, walk the card, and save it through ``save(values)``."""
    from custarchive.commands.render import panel
    from custarchive.core import templates

    lang, t = app_ctx.lang, app_ctx.t
    if template is None:
        options = [tpl for tpl in templates.list_templates() if kind is None or tpl.kind == kind]
        default = next((tpl.name for tpl in options if tpl.name == "individual"), options[0].name)
        template = prompts.select(t("选择资料卡模板", "Card template"),
                                  [(f"{tpl.label(lang)} ({tpl.name})", tpl.name) for tpl in options], lang, default)
    chosen = templates.load_template(template)
    if category is None:
        category = prompts.select(t("客户类别", "Category"), _category_choices(app_ctx), lang, "C")
    form = CardForm(app_ctx, chosen, {})
    form.walk()

    def show():
        panel(app_ctx, t(f"确认资料({chosen.label(lang)},类别 {category})",
                         f"Summary ({chosen.label(lang)}, category {category})"), form.pairs(), err=True)

    return form.finish(lambda values: save({**values, "template": chosen.name, "category": category}),
                       "", t("保存这张资料卡?", "Save this card?"), show)


def _category_choices(app_ctx) -> list[tuple[str, str]]:
    from sqlalchemy import text

    with app_ctx.database().read() as conn:
        rows = conn.execute(text("SELECT code, name_zh, name_en FROM categories ORDER BY code")).all()
    return [(f"{code} {zh if app_ctx.lang == 'zh' else en}", code) for code, zh, en in rows]


def edit_card(app_ctx, card: dict, may_reveal: bool, save: Callable[[dict, dict], Any]) -> Any:
    """Ask every field with the card's value as default; preview the changes, then ``save(values, masked)``.

    A sensitive value the operator may not reveal is shown masked and kept unless retyped.
    Returns None when nothing changed.
    """
    from custarchive.commands.render import table
    from custarchive.core.masking import mask, sensitive_fields
    from custarchive.core.templates import load_template

    t = app_ctx.t
    template = load_template(card["template"])
    current = {**{k: v for k, v in card.items() if k != "extra"}, **(card.get("extra") or {})}
    values = {spec.name: current.get(spec.name) for spec in template.fields.values()
              if current.get(spec.name) not in (None, "", [])}
    masked = {} if may_reveal else {name: mask(name, values.pop(name)) for name in sensitive_fields(template)
                                    if name in values}
    form = CardForm(app_ctx, template, values, exclude_id=card["id"], masked=masked)
    original = dict(values)
    original_masked = dict(masked)
    form.walk()

    def changes() -> list[tuple[str, str, str]]:
        rows = []
        for spec in template.fields.values():
            name = spec.name
            if name in original_masked and name in form.masked:
                continue                                   # kept unseen
            old = original_masked.get(name) or prompts.display(spec, original.get(name), app_ctx.lang)
            new_value = form.values.get(name)
            if name in original_masked or new_value != original.get(name):
                new = prompts.display(spec, new_value, app_ctx.lang)
                if new != old or name in original_masked:
                    rows.append((spec.label(app_ctx.lang), old, new))
        return rows

    if not changes():
        return None

    def show():
        table(app_ctx, t("将要保存的修改", "Changes to save"), [t("字段", "Field"), t("原值", "Old"), t("新值", "New")],
              changes(), err=True)

    def save_changes(values):
        if not changes():
            return None
        return save(values, form.masked)

    return form.finish(save_changes, "", t("保存修改?", "Save changes?"), show)

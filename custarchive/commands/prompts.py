"""Questions on the terminal with questionary: one field, one choice, one yes/no.

Everything is drawn on stderr, so ``no=$(custarchive add)`` or ``… --json > out.json`` keep
only results on stdout. Enter on an optional question means "no value", whatever its type:
an optional choice list starts on its skip item, a yes/no field has a third answer
("unknown"), an empty checkbox is no value. (questionary turns ``Choice(title, value=None)``
into the title, so skipping is a sentinel value mapped back to None here, never a stored "—".)
Ctrl-C anywhere raises KeyboardInterrupt: the caller saves nothing.
"""
from __future__ import annotations

import sys
from typing import Any, Callable

from custarchive.core.fields import FieldSpec
from custarchive.errors import ValidationError

SKIP = "—"
_SKIP_VALUE = "\x00skip"


class Keep:
    """Returned when a masked current value is kept (the operator never saw it, so never retyped it)."""


KEEP = Keep()
_output = None


def output():
    """The prompt_toolkit output all questions draw on: the terminal's stderr."""
    global _output
    if _output is None:
        from prompt_toolkit.output import create_output

        _output = create_output(stdout=sys.stderr)
    return _output


def say(text: str = "") -> None:
    sys.stderr.write(text + "\n")
    sys.stderr.flush()


def _t(lang: str, zh: str, en: str) -> str:
    return zh if lang == "zh" else en


def select(message: str, options: list[tuple[str, Any]], lang: str, default: Any = None, *,
           skip: str | None = None) -> Any:
    """Pick one of ``options`` (title, value); with ``skip`` a last item that answers None.

    ``default``: the value highlighted first; without one, the skip item when there is one.
    """
    import questionary

    choices = [questionary.Choice(title, value=value) for title, value in options]
    if skip is not None:
        choices.append(questionary.Choice(skip, value=_SKIP_VALUE))
    start = next((c for c in choices if c.value == default and default is not None), None)
    if start is None and skip is not None:
        start = choices[-1]
    answer = questionary.select(message, choices=choices, default=start, output=output(),
                                instruction=_t(lang, "(方向键选择,回车确认)", "(arrow keys, Enter)")).unsafe_ask()
    return None if answer == _SKIP_VALUE else answer


def yes_no(message: str, lang: str, default: bool = False) -> bool:
    """A yes/no that needs Enter (a one-key confirm lets the habitual Enter answer the next question)."""
    return bool(select(message, [(_t(lang, "是", "Yes"), True), (_t(lang, "否", "No"), False)], lang, default))


def choice_title(choice: dict, lang: str) -> str:
    return str(choice.get("label_" + lang) or choice.get("label_zh") or choice["value"])


def display(spec: FieldSpec, value: Any, lang: str) -> str:
    """A stored value as the user reads it (labels for codes): :func:`core.texts.value_text`."""
    from custarchive.core.texts import value_text

    return value_text(spec, value, lang)


def default_text(spec: FieldSpec, value: Any) -> str:
    """A current value as editable text: ``5000000`` rather than ``5000000.0``."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _validator(spec: FieldSpec, lang: str, check: Callable[[Any], str | None] | None, masked: bool):
    from custarchive.core.templates import parse_field
    from custarchive.core.texts import reason_text

    def validate(text: str):
        if not text.strip():
            if spec.required and not masked:
                return _t(lang, "必填", "required")
            return True
        if masked and text.strip() == "-":
            return True
        try:
            value = parse_field(spec, text)
        except ValidationError as exc:
            return reason_text(exc.reason, lang)
        problem = check(value) if check else None
        return problem or True

    return validate


def ask_field(spec: FieldSpec, lang: str, default: Any = None, *, check: Callable[[Any], str | None] | None = None,
              masked_default: str | None = None) -> Any:
    """Ask one field; returns its parsed value, None for no value, or KEEP (masked value kept).

    ``check``: a further test of a parsed value (uniqueness, plausibility) returning the reason
    to refuse it, shown under the field until the user types something acceptable.
    ``masked_default``: the current value as the operator may see it; Enter keeps it, ``-`` clears.
    """
    import questionary

    from custarchive.core.templates import parse_field

    label = spec.label(lang) + (" *" if spec.required else "")
    hint = spec.help(lang)
    if hint and hint != spec.label(lang):
        label += f" ({hint})"
    if spec.type == "choice":
        options = [(choice_title(c, lang), c["value"]) for c in spec.choices]
        return select(label, options, lang, default, skip=None if spec.required else SKIP)
    if spec.type == "bool":
        options = [(_t(lang, "是", "Yes"), True), (_t(lang, "否", "No"), False)]
        return select(label, options, lang, default, skip=None if spec.required else _t(lang, "— 不清楚", "— unknown"))
    if spec.type == "multi-choice":
        chosen = set(default or ())
        choices = [questionary.Choice(choice_title(c, lang), value=c["value"], checked=c["value"] in chosen)
                   for c in spec.choices]
        picked = checkbox(label, choices, lang, _t(lang, "(空格勾选,回车完成;不选即为空)",
                                                   "(space to tick, Enter when done; none = no value)"))
        return picked or None
    if masked_default is not None:
        label += _t(lang, f" [当前 {masked_default}:回车保留,输入 - 清除]",
                    f" [now {masked_default}: Enter keeps it, - clears it]")
    text = questionary.text(label, default="" if masked_default is not None else default_text(spec, default),
                            validate=_validator(spec, lang, check, masked_default is not None),
                            output=output()).unsafe_ask().strip()
    if masked_default is not None:
        if not text:
            return KEEP
        if text == "-":
            return None
    return parse_field(spec, text) if text else None


def checkbox(message: str, choices: list, lang: str, instruction: str) -> list:
    """questionary's checkbox, whose answer line reads the ticked labels (``读书、旅游``, or ``—``
    for none) instead of its English ``done (2 selections)``.

    questionary writes that line inside ``checkbox()`` with no option to change it, so the
    prompt tokens are wrapped while the question is built (a single-threaded CLI: nothing
    else builds a layout meanwhile).
    """
    import questionary
    from questionary.prompts import common

    build = common.create_inquirer_layout

    def layout(ic, get_prompt_tokens, **kwargs):
        def tokens():
            found = get_prompt_tokens()
            if not ic.is_answered:
                return found
            picked = [choice.title for choice in ic.get_selected_values()]
            words = _t(lang, "、", ", ").join(str(title) for title in picked if isinstance(title, str)) or SKIP
            return [(style, words if style == "class:answer" else text) for style, text in found]
        return build(ic, tokens, **kwargs)

    common.create_inquirer_layout = layout
    try:
        question = questionary.checkbox(message, choices=choices, output=output(), instruction=instruction)
    finally:
        common.create_inquirer_layout = build
    return question.unsafe_ask()


def ask_question(question, lang: str) -> Any:
    """One questionnaire question (``surveys.questionnaire.Question``), with the rules of card entry:
    skipping (the skip item, or Enter on an empty line) means no answer, a wrong value is refused
    where it is typed."""
    import questionary

    message = f"Q{question.number}. {question.text(lang)}" + (" *" if question.required else "")
    skip = None if question.required else SKIP
    if question.type in ("choice", "scale"):
        values = [c["value"] for c in question.choices] if question.type == "choice" else [str(p) for p in range(1, 6)]
        return select(message, list(zip(question.options(lang), values)), lang, skip=skip)
    if question.type == "multi":
        picked = checkbox(message, [questionary.Choice(label, value=c["value"])
                                    for label, c in zip(question.options(lang), question.choices)],
                          lang, _t(lang, "(空格勾选,回车完成;不选即为空)", "(space to tick, Enter when done; none = no answer)"))
        return picked or None

    def check(text: str):
        if not text.strip():
            return True if not question.required else _t(lang, "必填", "required")
        try:
            question.parse(text)
        except ValidationError as exc:
            return exc.reason
        return True

    return questionary.text(message, validate=check, output=output()).unsafe_ask().strip() or None


def confirm(message: str, lang: str = "zh") -> bool:
    """Yes/no that needs Enter, defaulting to yes."""
    return yes_no(message, lang, default=True)

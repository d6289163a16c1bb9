"""Interactive answers for a scorecard's questions: one screen per factor, anchors as choices.

Prompts are drawn on stderr so ``grade REF --json`` on a terminal still leaves
exactly one JSON document on stdout. A skipped question is missing data (its
weight moves to the factor's other indicators), never a zero.
"""
from __future__ import annotations

import sys

SKIP = "s"
# questionary's Choice(title, value=None) returns the *title* when picked, so skipping needs a real value.
SKIPPED = "skip"


def _given(factor, indicator, given: dict) -> bool:
    return any(key in given for key in (indicator.name, f"{factor.name}.{indicator.name}", factor.name))


def _value_text(measure) -> str:
    if measure is None or measure.value is None:
        return "—"
    return f"{measure.value:,}"


def ask_answers(app_ctx, card: dict, scorecard, measures: dict, given: dict, remembered: dict) -> dict[str, int]:
    """Ask every question not already answered by ``--score``; previous answers are the defaults."""
    import questionary
    from prompt_toolkit.output import create_output

    lang = app_ctx.lang
    t = app_ctx.t
    output = create_output(stdout=sys.stderr)
    answers: dict[str, int] = {}
    label = scorecard.label_zh if lang == "zh" else scorecard.label_en
    sys.stderr.write(f"{card['archive_no']} {card['name']} — {label}\n")
    for factor in scorecard.factors:
        questions = [i for i in factor.indicators if i.kind == "qualitative" and not _given(factor, i, given)]
        if not questions:
            continue
        sys.stderr.write(f"\n== {factor.label_zh if lang == 'zh' else factor.label_en} ({factor.weight}%) ==\n")
        for indicator in factor.indicators:
            if indicator.kind == "quantitative":
                measure = measures.get(indicator.indicator)
                name = indicator.label_zh if lang == "zh" else indicator.label_en
                sys.stderr.write(f"   {name}: {_value_text(measure)}\n")
        for indicator in questions:
            message = indicator.question_zh if lang == "zh" else indicator.question_en
            choices = [questionary.Choice(f"{n}  {zh if lang == 'zh' else en}", value=n, shortcut_key=str(n))
                       for n, (zh, en) in enumerate(indicator.anchors, 1)]
            choices.append(questionary.Choice(t("跳过(暂无信息)", "skip (not known)"), value=SKIPPED, shortcut_key=SKIP))
            default = next((c for c in choices if c.value == remembered.get(indicator.name)), choices[-1])
            picked = questionary.select(message, choices=choices, default=default, use_shortcuts=True,
                                        output=output).unsafe_ask()
            if isinstance(picked, int):
                answers[indicator.name] = picked
    return answers

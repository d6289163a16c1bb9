"""The printed questionnaire, for mail or on-site surveys (邮件调查, 线下调查).

It takes a questionnaire (``surveys.questionnaire.Questionnaire``, passed in by the command: the
paper and survey packages are siblings and do not import each other) and lays it out with a box
to tick for each option, the scale's anchors, and lines for written answers. With respondents,
one copy per archive with its number printed at the top, so the answers come back filed.
"""
from __future__ import annotations

import datetime as _dt
from typing import Any, Iterable

from custarchive.paper import layout

BOX = "□"  # in the GB character set, so every CJK font (and the CID font) has it


def form_blocks(q: Any, lang: str, respondent: tuple[str, str] | None) -> list[layout.Block]:
    zh = lang == "zh"
    blocks = [layout.title(q.title(lang))]
    if q.intro(lang):
        blocks.append(layout.text(q.intro(lang)))
    number, name = respondent or ("", "")
    blocks.append(layout.fields([("档案编号" if zh else "Archive no.", number), ("姓名" if zh else "Name", name),
                                 ("日期" if zh else "Date", ""), ("电话" if zh else "Phone", "")]))
    for section in q.sections:
        blocks.append(layout.subtitle(section.label(lang)))
        for question in section.questions:
            head = f"Q{question.number}. {question.text(lang)}" + (" *" if question.required else "")
            if question.type in ("choice", "multi"):
                hint = ("(可多选)" if zh else " (tick all that apply)") if question.type == "multi" and "多选" not in head \
                    and "apply" not in head else ""
                options = "    ".join(f"{BOX} {label}" for label in question.options(lang))
                blocks.append(layout.text(f"{head}{hint}\n{options}"))
            elif question.type == "scale":
                options = "    ".join(f"{BOX} {label}" for label in question.options(lang))
                blocks.append(layout.text(f"{head}\n{options}"))
            elif question.type == "date":
                blocks.append(layout.text(f"{head}\n______年____月____日" if zh else f"{head}\n____-____-____"))
            elif question.type == "number":
                blocks.append(layout.text(f"{head}\n__________"))
            else:
                blocks.append(layout.text(f"{head}\n{'_' * 80}\n{'_' * 80}"))
    blocks.append(layout.text("感谢您的参与!" if zh else "Thank you!"))
    return blocks


def write_form_pdf(q: Any, path: str, respondents: Iterable[tuple[str, str]], lang: str = "zh") -> int:
    people: list[tuple[str, str] | None] = list(respondents)
    prefilled = len(people)
    blocks: list[layout.Block] = []
    for n, person in enumerate(people or [None]):
        if n:
            blocks.append(layout.pagebreak())
        blocks += form_blocks(q, lang, person)
    footer = f"{q.name} · {_dt.date.today().isoformat()}"
    layout.write(blocks, path, q.title(lang), footer)
    return prefilled

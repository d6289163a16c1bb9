"""Rich layouts and questionary walks for the worksheets (``swot``, ``profile``).

The commands hand over the JSON-ready documents built by ``custarchive.worksheets``,
so the screen, ``--json`` and the exports show the same thing.
"""
from __future__ import annotations

from typing import Any

TOWS_SHOWN = 6


def apply_lang(app_ctx, lang: str | None):
    """A command's own --lang wins over the global one (scripts often put it last)."""
    from custarchive.errors import UsageError

    if lang is not None:
        if lang not in ("zh", "en"):
            raise UsageError("--lang must be zh or en")
        app_ctx.lang = lang
    return app_ctx


def _items_by_id(sheet: dict) -> dict[str, dict]:
    return {item["id"]: item for item in sheet["items"]}


def _rating(item: dict) -> str:
    if item.get("impact") is None and item.get("probability") is None:
        return ""
    return f" [{item.get('impact') or '-'}/{item.get('probability') or '-'}]"


def _quadrant_cell(app_ctx, quadrant: dict, items: dict[str, dict]):
    from rich.text import Text

    cell = Text()
    cell.append(f"{quadrant['label']} ({quadrant['quadrant']})\n", style="bold")
    if not quadrant["items"]:
        cell.append("—", style="dim")
    for n, item_id in enumerate(quadrant["items"]):
        item = items[item_id]
        cell.append(("\n" if n else "") + f"{item_id}{_rating(item)} ", style="bold")
        cell.append(item["text"])
        if item.get("implication"):
            cell.append(f"\n   {app_ctx.t('这意味着:', 'Meaning:')} {item['implication']}", style="italic")
        if item.get("action"):
            cell.append(f"\n   {app_ctx.t('行动:', 'Action:')} {item['action']}", style="dim")
    return cell


def show_swot(app_ctx, sheet: dict) -> None:
    from rich.table import Table

    from custarchive.commands.render import console

    t = app_ctx.t
    out = console(app_ctx)
    items = _items_by_id(sheet)
    quadrants = {q["quadrant"]: q for q in sheet["quadrants"]}
    grid = Table(title=f"SWOT — {sheet['archive_no']} {sheet['name']}", show_lines=True, expand=True,
                 caption=t("[影响/概率] 评分 1–5", "[impact/probability] rated 1–5"))
    grid.add_column(t("内部", "Internal"), ratio=1)
    grid.add_column("", ratio=1)
    grid.add_row(_quadrant_cell(app_ctx, quadrants["S"], items), _quadrant_cell(app_ctx, quadrants["W"], items))
    grid.add_row(_quadrant_cell(app_ctx, quadrants["O"], items), _quadrant_cell(app_ctx, quadrants["T"], items))
    out.print(grid)
    for matrix in sheet["matrices"]:
        out.print(matrix_table(app_ctx, matrix, sheet["thresholds"], items))
    out.print(tows_table(app_ctx, sheet))


def matrix_table(app_ctx, matrix: dict, thresholds: dict, items: dict[str, dict]):
    """A 2×2 grid drawn as the seed does: strong on top, high probability on the right."""
    from rich.table import Table
    from rich.text import Text

    t = app_ctx.t
    impact, probability = thresholds["impact"], thresholds["probability"]
    table = Table(title=matrix["title"], show_lines=True,
                  caption=t(f"纵轴:{matrix['impact_axis']}(≥{impact} 为强);横轴:{matrix['probability_axis']}(≥{probability} 为高)",
                            f"rows: {matrix['impact_axis']} (strong ≥ {impact}); "
                            f"columns: {matrix['probability_axis']} (high ≥ {probability})"))
    table.add_column(matrix["impact_axis"], style="bold")
    table.add_column(t(f"低 (<{probability})", f"low (<{probability})"), ratio=1)
    table.add_column(t(f"高 (≥{probability})", f"high (≥{probability})"), ratio=1)
    cells = {(cell["strong"], cell["likely"]): cell for cell in matrix["cells"]}
    for strong, label in ((True, t(f"强 (≥{impact})", f"strong (≥{impact})")), (False, t(f"弱 (<{impact})", f"weak (<{impact})"))):
        row = []
        for likely in (False, True):
            cell = cells[(strong, likely)]
            body = Text()
            body.append(cell["label"] + "\n", style="bold")
            body.append(cell["advice"], style="italic")
            for item_id in cell["items"]:
                body.append(f"\n{item_id}{_rating(items[item_id])} {items[item_id]['text']}")
            row.append(body)
        table.add_row(label, *row)
    return table


def tows_table(app_ctx, sheet: dict):
    from rich.table import Table
    from rich.text import Text

    t = app_ctx.t
    table = Table(title=t("TOWS 策略提示(供团队填写)", "TOWS strategy prompts (for the team to fill)"), show_lines=True,
                  caption=t("忽略放弃区的机会与威胁不参与配对", "opportunities and threats in the ignore zone are left out"))
    table.add_column("")
    table.add_column(t("优势 S", "Strengths S"), ratio=1)
    table.add_column(t("劣势 W", "Weaknesses W"), ratio=1)
    by_code = {entry["strategy"]: entry for entry in sheet["tows"]}

    def cell(code: str):
        entry = by_code[code]
        body = Text(entry["label"] + "\n", style="bold")
        pairs = entry["pairs"]
        if not pairs:
            body.append("—", style="dim")
        for pair in pairs[:TOWS_SHOWN]:
            body.append(f"\n• {pair['prompt']}")
        if len(pairs) > TOWS_SHOWN:
            body.append(t(f"\n… 另有 {len(pairs) - TOWS_SHOWN} 条(见 --json 或导出)",
                          f"\n… {len(pairs) - TOWS_SHOWN} more (see --json or export)"), style="dim")
        return body

    table.add_row(t("机会 O", "Opportunities O"), cell("SO"), cell("WO"))
    table.add_row(t("威胁 T", "Threats T"), cell("ST"), cell("WT"))
    return table


def show_compete(app_ctx, sheet: dict) -> None:
    from rich.table import Table

    from custarchive.commands.render import console, fmt, table

    t = app_ctx.t
    out = console(app_ctx)
    title = f"{sheet['archive_no']} {sheet['name']}"
    table(app_ctx, t(f"业绩指数 — {title}", f"Performance indices — {title}"),
          [t("指标", "Index"), *sheet["subjects"]],
          [[row["label"], *[row["values"][name] for name in sheet["subjects"]]] for row in sheet["indices"]])
    ladder = Table(title=t("竞争对手分析的层次", "How well we know each competitor"), show_lines=False)
    ladder.add_column(t("层次", "Level"))
    ladder.add_column(t("目标", "What we can do"))
    ladder.add_column(t("竞争对手", "Competitors"))
    for level in reversed(sheet["knowledge_levels"]):
        names = [c["name"] for c in sheet["competitors"] if c["level"] == level["level"]]
        ladder.add_row(str(level["level"]), level["label"], fmt(names))
    out.print(ladder)
    table(app_ctx, t("竞争优势劣势分析", "Competitive advantages"),
          ["ID", t("方面", "Dimension"), t("对比", "Standing"), t("持续性", "Durability"), t("对手", "Versus"),
           t("备注", "Note")],
          [[a["id"], a["dimension"], a["standing_label"], a["durability_label"], a["versus"] or t("全部", "all"),
            a["note"]] for a in sheet["advantages"]])
    cells = {cell["cell"]: cell for cell in sheet["evolution"]}
    labels = {a["id"]: a["dimension"] for a in sheet["advantages"]}
    grid = Table(title=t("竞争优势的维持与演变", "How advantages hold up"), show_lines=True)
    grid.add_column("")
    grid.add_column(t("相对可变因素", "Changeable"), ratio=1)
    grid.add_column(t("相对不变因素", "Hard to change"), ratio=1)
    for standing, label in (("better", t("优势", "Advantage")), ("worse", t("弱势", "Weakness"))):
        row = []
        for durability in ("temporary", "durable"):
            cell = cells[f"{standing}_{durability}"]
            row.append("\n".join([f"[bold]{cell['label']}[/bold]"] + [f"{i} {labels[i]}" for i in cell["items"]]))
        grid.add_row(label, *row)
    out.print(grid)


def show_profile(app_ctx, sheet: dict) -> None:
    from custarchive.commands.render import panel

    t = app_ctx.t
    panel(app_ctx, t(f"大客户分析 — {sheet['archive_no']} {sheet['name']}",
                     f"Key-customer analysis — {sheet['archive_no']} {sheet['name']}"),
          [(t("档案编号", "Archive"), sheet["archive_no"]), (t("客户", "Customer"), sheet["name"])])
    for section in sheet["sections"]:
        pairs = [(f["label"], _amount(f) if f["value"] is not None else "—") for f in section["fields"]]
        panel(app_ctx, section["label"], pairs)


def _amount(field: dict) -> Any:
    if field["type"] == "amount":
        return f"{float(field['value']):,.2f}"
    return field["value"]


def _rating_choices(kind: str, lang: str) -> list[tuple[str, str]]:
    from custarchive.worksheets import spec

    low, _high = spec.scale()
    labels = spec.data()["scale"][f"{kind}_{lang}"]
    return [(f"{low + n} {label}", str(low + n)) for n, label in enumerate(labels)]


def ask_items(app_ctx, quadrants: list[str], existing: list[dict], done: list[dict] | None = None) -> list[dict]:
    """Walk the quadrants: show what is there, ask for new items until an empty answer.

    Each finished item is appended to ``done`` as soon as it is complete, so the caller can keep
    the finished ones when the user interrupts in the middle of the next. Questions go to stderr;
    a rating is a choice with an explicit skip item, never an error.
    """
    from custarchive.commands import prompts
    from custarchive.worksheets import spec

    t, lang = app_ctx.t, app_ctx.lang
    new: list[dict] = [] if done is None else done
    for code in quadrants:
        entry = spec.quadrant(code)
        prompts.say(f"\n== {spec.label(entry, lang)} ({code}) — {spec.label(entry, lang, 'help')} ==")
        for item in existing:
            if item["quadrant"] == code:
                prompts.say(f"  {item['id']}{_rating(item)} {item['text']}")
        while True:
            text = _text(t(f"新的{spec.label(entry, 'zh')}(留空进入下一项)",
                           f"New {spec.label(entry, 'en').lower()[:-1]} (empty to go on)"))
            if not text:
                break
            item: dict[str, Any] = {"quadrant": code, "text": text}
            rated = code in ("O", "T")
            skip = t("— 不评分", "— not rated")
            impact = prompts.select(t("强度 (影响)", "Strength (impact)"), _rating_choices("impact", lang), lang,
                                    skip=None if rated else skip)
            if impact is not None:
                item["impact"] = impact
            if rated:
                item["probability"] = prompts.select(t("概率", "Probability"), _rating_choices("probability", lang),
                                                     lang)
            item["implication"] = _text(t("这意味着(可留空):", "What it means for us (optional):")) or None
            item["action"] = _text(t("行动(可留空):", "Action (optional):")) or None
            new.append(item)
    if new and not prompts.yes_no(t(f"保存 {len(new)} 条?", f"Save {len(new)} item(s)?"), lang, True):
        from custarchive.errors import Cancelled

        new.clear()
        raise Cancelled(t("未保存", "not saved"))
    return new


def _text(message: str, **kwargs) -> str:
    import questionary

    from custarchive.commands.prompts import output

    return questionary.text(message, output=output(), **kwargs).unsafe_ask().strip()


def ask_profile(app_ctx, current: dict) -> tuple[dict, list[str]]:
    """Ask every profile field with its current value as default; returns (sets, unsets)."""
    from custarchive.commands import prompts
    from custarchive.core.texts import reason_text
    from custarchive.errors import Cancelled, ValidationError
    from custarchive.worksheets import profile, spec

    lang = app_ctx.lang
    sets, unsets = {}, []
    for section in spec.profile_sections():
        prompts.say(f"\n== {spec.label(section, lang)} ==")
        for field in section["fields"]:
            key = field["key"]

            def check(answer: str, key=key):
                try:
                    profile.parse_value(key, answer)
                except ValidationError as exc:
                    return reason_text(exc.reason, lang)
                return True

            old = current.get(key)
            answer = _text(spec.label(field, lang), validate=check,
                           default="" if old is None else prompts.default_text(field, old))
            if not answer and old is not None:
                unsets.append(key)
            elif answer and profile.parse_value(key, answer) != old:
                sets[key] = answer
    if (sets or unsets) and not prompts.yes_no(app_ctx.t("保存修改?", "Save changes?"), lang, True):
        raise Cancelled(app_ctx.t("未保存", "not saved"))
    return sets, unsets

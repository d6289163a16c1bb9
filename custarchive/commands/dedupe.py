"""`dedupe`: the worklist of likely duplicates, its XLSX/CSV export, and the decisions fed back."""
from __future__ import annotations

from typing import Optional

import typer

from custarchive.commands.common import JSON_OPTION, app_context

FIELD_ZH = {"name": "名称", "contact": "电话/地址", "email": "邮箱", "id_number": "身份证号", "credit_code": "信用代码",
            "birth_date": "出生日期", "gender": "性别", "employer": "工作单位"}
FIELD_EN = {"contact": "phone/addr", "id_number": "ID", "birth_date": "birth"}


def dedupe(
    ctx: typer.Context,
    min_probability: Optional[float] = typer.Option(None, "--min-probability", min=0, max=1, metavar="P",
                                                    help="List pairs at least this likely (default 0.98, settings)."),
    limit: int = typer.Option(20, "--limit", min=1, metavar="N", help="Pairs shown on a terminal (default 20)."),
    show_all: bool = typer.Option(False, "--all", help="Show every likely duplicate (--json always has all)."),
    related: bool = typer.Option(False, "--related", help="List related archives (a family, a shared phone) instead."),
    output: Optional[str] = typer.Option(None, "--output", "-o", metavar="FILE",
                                         help="Write the worklist to FILE.xlsx or FILE.csv, with a decision column."),
    decisions: Optional[str] = typer.Option(None, "--decisions", metavar="FILE",
                                            help="Feed back a filled-in worklist: 'not' pairs are never proposed again."),
    json_: bool = JSON_OPTION,
) -> None:
    """List likely duplicate archives, most likely first, with the evidence (never merges by itself)."""
    app_ctx = app_context(ctx)
    if decisions:
        _feed_back(app_ctx, decisions, json_)
        return
    from custarchive.cards import dedupe as domain
    from custarchive.commands import render

    t = app_ctx.t
    with app_ctx.database().read() as conn, render.BatchProgress(app_ctx, t("读取档案", "reading archives")) as bar:
        labels = {"blocking": t("分组比较", "blocking"), "scoring": t("计算概率", "scoring")}

        def progress(done, total=None, phase=None):
            bar.update(done, total, labels.get(phase) if phase else None)

        found = domain.find(conn, min_probability, progress if bar else None, related=related)
    pairs = found.related if related else found.duplicates
    if output:
        from custarchive.cards.dedupe import worklist

        written = worklist.write(output, pairs, app_ctx.lang)
        app_ctx.warn(t(f"已写入 {written} 对到 {output}:在“判断”列填 重复/不重复/不确定,再运行 dedupe --decisions {output}",
                       f"{written} pair(s) written to {output}: fill in the decision column (duplicate / not / "
                       f"unsure), then run: custarchive dedupe --decisions {output}"))
        if not json_:
            return
    if json_:
        lists = {"pairs": found.duplicates, **({"related": found.related} if related else {})}
        render.stream_json({"model": found.model, "counts": found.counts}, lists)
        return
    summary = t(f"{found.counts['duplicates']} 对可能重复(概率 ≥ {found.model['min_probability']:.0%}),"
                f"{found.counts['related']} 对相关档案(家庭成员、共用电话或地址;--related 列出),"
                f"共比较 {found.model['candidate_pairs']} 对",
                f"{found.counts['duplicates']} likely duplicate pair(s) (probability ≥ "
                f"{found.model['min_probability']:.0%}), {found.counts['related']} related pair(s) (a family, a shared "
                f"phone or address: --related lists them); {found.model['candidate_pairs']} pairs compared")
    if not pairs:
        app_ctx.warn(summary)
        return
    shown = pairs if show_all else pairs[:limit]

    def label(name: str) -> str:
        return FIELD_ZH.get(name, name) if app_ctx.lang == "zh" else FIELD_EN.get(name, name)

    def evidence(p: dict) -> str:
        return " ".join([f"+{label(n)}" for n in p["for"]] + [f"−{label(n)}" for n in p["against"]])

    rows = [(f"{p['probability']:.1%}", p["a"], p["a_name"], p["b"], p["b_name"], evidence(p)) for p in shown]
    caption = t("+ 相符,− 不符(--json 与 -o 清单另有缺失项与各项权重)。",
                "+ agrees, − disagrees (--json and -o add the missing fields and each weight). ")
    if not related:
        caption += t("合并: custarchive merge 保留 删除(先显示预览);-o 清单.xlsx 导出待判断清单",
                     "merge with: custarchive merge KEEP DROP (shows a preview first); -o worklist.xlsx to review")
    if len(shown) < len(pairs):
        caption = t(f"仅显示前 {len(shown)} 对(共 {len(pairs)} 对):--all 显示全部。", 
                    f"first {len(shown)} of {len(pairs)}: --all shows every one. ") + caption
    render.table(app_ctx, t("相关档案", "Related archives") if related else t("可能重复的档案", "Likely duplicates"),
                 [t("概率", "Prob."), t("档案", "Archive"), t("名称", "Name"), t("档案", "Archive"), t("名称", "Name"),
                  t("依据", "Evidence")], rows, caption=caption, keep=(0, 1, 3))
    app_ctx.warn(summary)


def _feed_back(app_ctx, path: str, json_: bool) -> None:
    from custarchive.cards.dedupe import worklist
    from custarchive.commands import render

    t = app_ctx.t
    rows = worklist.read(path)
    db = app_ctx.database(write=any(d[3] == "not" for d in rows))
    with db.write() if any(d[3] == "not" for d in rows) else db.read() as conn:
        result = worklist.apply(conn, app_ctx.actor(source="dedupe"), rows, path)
    if json_:
        render.emit_json(result)
        return
    for merge in result["merges"]:
        print(merge["command"])
    for gone in result["no_longer_active"]:
        app_ctx.warn(t(f"第 {gone['line']} 行:{gone['a']} 或 {gone['b']} 已不在档(已合并或关闭)",
                       f"line {gone['line']}: {gone['a']} or {gone['b']} is no longer active (merged or closed)"))
    app_ctx.warn(t(f"{result['not_duplicates']} 对记为不重复(不再提示),{len(result['merges'])} 对重复:"
                   f"运行上面的 merge 命令(先显示预览),{result['unsure']} 对未定",
                   f"{result['not_duplicates']} pair(s) remembered as not duplicates (never proposed again); "
                   f"{len(result['merges'])} duplicate(s): run the merge command(s) above (each shows a preview "
                   f"first); {result['unsure']} left undecided"))

"""SWOT worksheet, matrices, TOWS and competition through the CLI, built on the seed's insurance company OK."""
from __future__ import annotations

import json

import pytest

from tests.builders import company
from tests.helpers import engine_for, snapshot

SEED_OPPORTUNITIES = [
    ("由政府提供的社会福利/养老金情况恶化(预算问题)", "5", "4", "人们要自己考虑年老的问题,人寿保险/养老保险市场迅速发展"),
    ("公众在不同的公司投保,因此很容易混淆", "4", "2", "市场需要一站式的保险方式"),
    ("保险商的工作程序缓慢、烦琐也不友好", "2", "4", "市场需要高效、友好的服务"),
]
SEED_THREATS = [
    ("竞争日益激烈的保险业", "4", "5", "OK公司需要更好地运作并且提供更廉价的服务才能生存下去"),
    ("电视频道和电视广告越来越多,公众很容易转向其它渠道", "2", "4", "OK公司的电视广告效应减弱,因此与潜在用户沟通很困难"),
    ("一些小型的保险公司已经破产", "4", "2", "公众希望依赖大型的、有保证的机构。OK公司规模小,因此信誉度不高"),
]
SEED_INDICES = {
    "self": "market_share=15 profit_margin=5 share_growth=12 profit_growth=-3 new_products=6",
    "X": "市场占有率=35 利润率=9 share_growth=4 profit_growth=2 new_products=2",
    "Y": "market_share=40 profit_margin=10 share_growth=3 profit_growth=2 new_products=1",
}


def ok_archive(cli) -> str:
    return cli.add(company(name="OK保险公司", industry="保险"), "--category", "A")


def build_seed(cli) -> str:
    ref = ok_archive(cli)
    for quadrant, rows in (("O", SEED_OPPORTUNITIES), ("T", SEED_THREATS)):
        for text, impact, probability, implication in rows:
            cli.ok("swot", ref, "add", quadrant, text, "--impact", impact, "--probability", probability,
                   "--implication", implication)
    cli.ok("swot", ref, "add", "S", "具有雄心的新型年轻化的商业管理", "--impact", "4")
    cli.ok("swot", ref, "add", "W", "规模小,信誉度不高", "--impact", "4", "--action", "与大企业联合")
    cli.ok("swot", ref, "compete", "add", "X")
    cli.ok("swot", ref, "compete", "add", "Y", "--level", "2")
    for subject, figures in SEED_INDICES.items():
        cli.ok("swot", ref, "compete", "index", subject, *figures.split())
    cli.ok("swot", ref, "compete", "advantage", "add", "新产品开发速度", "--standing", "better", "--durability", "temporary")
    cli.ok("swot", ref, "compete", "advantage", "add", "规模与信誉", "--standing", "worse", "--durability", "durable",
           "--versus", "Y")
    return ref


def items_by_id(cli, ref: str, *extra: str) -> dict:
    return {item["id"]: item for item in json.loads(cli.ok("swot", ref, "show", "--json", *extra).stdout)["items"]}


def test_seed_example_lands_in_the_seed_zones(cli):
    ref = build_seed(cli)
    items = items_by_id(cli, ref)
    assert [items[f"O{n}"]["text"] for n in (1, 2, 3)] == [row[0] for row in SEED_OPPORTUNITIES]
    assert {key: items[key]["zone"] for key in ("O1", "O2", "O3", "T1", "T2", "T3")} == {
        "O1": "best", "O2": "monitor", "O3": "monitor", "T1": "major", "T2": "contingency", "T3": "monitor"}
    for item in items.values():
        assert {"id", "quadrant", "text", "impact", "probability"} <= set(item)
    assert "zone" not in items["S1"] and items["W1"]["action"] == "与大企业联合"
    assert items["O1"]["implication"].startswith("人们要自己考虑")


def test_add_prints_the_new_id(cli):
    ref = ok_archive(cli)
    assert cli.ok("swot", ref, "add", "o", "机会一", "-i", "3", "-p", "3").stdout == "O1\n"
    assert cli.ok("swot", ref, "add", "机会", "机会二", "-i", "3", "-p", "3").stdout == "O2\n"
    added = json.loads(cli.ok("swot", ref, "add", "S", "优势", "--date", "2024年1月5日", "--json").stdout)
    assert added["id"] == "S1" and added["date"] == "2024-01-05" and added["impact"] is None


@pytest.mark.parametrize("quadrant,impact,probability,zone", [
    ("O", 3, 3, "best"), ("O", 3, 2, "monitor"), ("O", 2, 3, "monitor"), ("O", 2, 2, "ignore"),
    ("O", 5, 5, "best"), ("O", 1, 1, "ignore"),
    ("T", 3, 3, "major"), ("T", 3, 2, "monitor"), ("T", 2, 3, "contingency"), ("T", 2, 2, "ignore"),
])
def test_zone_boundaries_with_default_threshold(cli, quadrant, impact, probability, zone):
    ref = ok_archive(cli)
    cli.ok("swot", ref, "add", quadrant, "条目", "--impact", str(impact), "--probability", str(probability))
    assert items_by_id(cli, ref)[f"{quadrant}1"]["zone"] == zone


def test_threshold_from_settings_and_from_options(cli, tmp_path):
    ref = ok_archive(cli)
    cli.ok("swot", ref, "add", "O", "三三", "-i", "3", "-p", "3")
    cli.ok("swot", ref, "add", "T", "四二", "-i", "4", "-p", "2")
    assert items_by_id(cli, ref)["O1"]["zone"] == "best"
    config = tmp_path / "config"
    config.mkdir(exist_ok=True)
    (config / "settings.toml").write_text("[worksheets.thresholds]\nimpact = 4\nprobability = 4\n", encoding="utf-8")
    items = items_by_id(cli, ref)
    assert items["O1"]["zone"] == "ignore" and items["T1"]["zone"] == "monitor"
    sheet = json.loads(cli.ok("swot", ref, "show", "--json").stdout)
    assert sheet["thresholds"] == {"impact": 4, "probability": 4}
    items = items_by_id(cli, ref, "--impact-threshold", "3", "--probability-threshold", "2")
    assert items["O1"]["zone"] == "best" and items["T1"]["zone"] == "major"
    result = cli("swot", ref, "show", "--impact-threshold", "9")
    assert result.exit_code == 1 and "threshold" in result.stderr


def test_zone_names_in_chinese(cli):
    ref = build_seed(cli)
    for args in (("--lang", "zh", "swot", ref, "show", "--json"), ("swot", ref, "show", "--json", "--lang", "zh")):
        items = {item["id"]: item for item in json.loads(cli.ok(*args).stdout)["items"]}
        assert items["O1"]["zone"] == "最佳机会区" and items["O2"]["zone"] == "监控并做准备区"
        assert items["T1"]["advice"] == "对企业威胁较大,应做出对应措施"
        assert items["T2"]["advice"] == "制定应急措施,积极化险为夷"
        assert items["T3"]["advice"] == "密切监视变化,防止事态扩大"


def test_show_draws_quadrants_matrices_and_tows(cli):
    ref = build_seed(cli)
    out = cli.ok("--lang", "zh", "swot", ref, "show").stdout
    for label in ("优势 (S)", "劣势 (W)", "机会 (O)", "威胁 (T)", "市场机会分析", "最佳机会区", "监控并做准备区",
                  "忽略放弃区", "市场威胁分析", "TOWS", "如何用S1抓住O1"):
        assert label in out, label
    sheet = json.loads(cli.ok("swot", ref, "show", "--json").stdout)
    cells = {(c["strong"], c["likely"]): c["items"] for c in sheet["matrices"][0]["cells"]}
    assert cells == {(True, True): ["O1"], (True, False): ["O2"], (False, True): ["O3"], (False, False): []}
    tows = {entry["strategy"]: [p["pair"] for p in entry["pairs"]] for entry in sheet["tows"]}
    assert ["S1", "O1"] in tows["SO"] and ["W1", "T1"] in tows["WT"] and ["W1", "O3"] in tows["WO"]


def test_tows_leaves_out_ignored_items(cli):
    ref = ok_archive(cli)
    cli.ok("swot", ref, "add", "S", "优势")
    cli.ok("swot", ref, "add", "O", "弱小机会", "-i", "1", "-p", "1")
    cli.ok("swot", ref, "add", "O", "好机会", "-i", "4", "-p", "4")
    sheet = json.loads(cli.ok("swot", ref, "show", "--json").stdout)
    so = [p["pair"] for p in sheet["tows"][0]["pairs"]]
    assert so == [["S1", "O2"]]


def test_edit_and_remove_are_logged(cli):
    ref = build_seed(cli)
    cli.ok("swot", ref, "edit", "o2", "--probability", "3", "--action", "推出一站式保险", "--reason", "新调研")
    items = items_by_id(cli, ref)
    assert items["O2"]["zone"] == "best" and items["O2"]["action"] == "推出一站式保险"
    cli.ok("swot", ref, "edit", "O2", "--action", "")
    assert items_by_id(cli, ref)["O2"]["action"] is None
    cli.ok("swot", ref, "remove", "T3")
    items = items_by_id(cli, ref)
    assert "T3" not in items
    assert cli.ok("swot", ref, "add", "T", "新威胁", "-i", "1", "-p", "1").stdout == "T3\n"
    log = json.loads(cli.ok("history", ref, "--json").stdout)["changes"]
    actions = [(e["action"], e["field"]) for e in log]
    for expected in [("swot_add", "O1"), ("swot_add", "T3"), ("swot_edit", "O2.probability"), ("swot_edit", "O2.action"),
                     ("swot_remove", "T3"), ("competitor_add", "X"), ("competitor_add", "Y"),
                     ("index_set", "X.market_share"), ("index_set", "OK保险公司.profit_growth"), ("advantage_add", "A1")]:
        assert expected in actions, expected
    edit = next(e for e in log if e["field"] == "O2.probability")
    assert (edit["old"], edit["new"], edit["reason"]) == ("2", "3", "新调研")
    removed = next(e for e in log if e["action"] == "swot_remove")
    assert "一些小型的保险公司已经破产" in removed["old"]


@pytest.mark.parametrize("args,code,message", [
    (("add", "O", "机会", "--impact", "0", "--probability", "3"), 1, "impact"),
    (("add", "O", "机会", "--impact", "6", "--probability", "3"), 1, "impact"),
    (("add", "T", "威胁", "--impact", "3", "--probability", "abc"), 1, "probability"),
    (("add", "S", "优势", "--impact", "6"), 1, "impact"),
    (("add", "X", "什么", "--impact", "3", "--probability", "3"), 1, "quadrant"),
    (("add", "O", "  ", "--impact", "3", "--probability", "3"), 1, "text"),
    (("add", "O", "机会", "--date", "2024-02-30", "--impact", "3", "--probability", "3"), 1, "date"),
    (("add", "O", "缺少评分"), 2, "--impact"),
    (("add", "O"), 2, "TEXT"),
    (("edit", "O9", "--impact", "3"), 1, "O9"),
    (("edit", "Z1", "--impact", "3"), 1, "Z1"),
    (("edit", "O1", "--impact", "7"), 1, "impact"),
    (("edit", "O1"), 2, "nothing to change"),
    (("remove", "T9"), 1, "T9"),
    (("frobnicate",), 2, ""),
    ((), 2, ""),
    (("compete", "add", "X"), 1, "already"),
    (("compete", "add", "OK保险公司"), 1, "self"),
    (("compete", "level", "X", "6"), 1, "level"),
    (("compete", "level", "Z", "2"), 1, "Z"),
    (("compete", "index", "X", "market_size=3"), 1, "market_size"),
    (("compete", "index", "X", "market_share=lots"), 1, "market_share"),
    (("compete", "index", "Nobody", "market_share=3"), 1, "Nobody"),
    (("compete", "index", "X", "market_share"), 2, "METRIC=VALUE"),
    (("compete", "advantage", "add", "价格", "--standing", "best", "--durability", "durable"), 1, "standing"),
    (("compete", "advantage", "add", "价格", "--standing", "better", "--durability", "forever"), 1, "durability"),
    (("compete", "advantage", "add", "价格", "--standing", "better"), 2, "durability"),
    (("compete", "advantage", "remove", "A9"), 1, "A9"),
    (("export", "-o", "worksheet.pdf"), 2, "format"),
])
def test_bad_input_is_refused_and_changes_nothing(cli, db_target, args, code, message):
    ref = build_seed(cli)
    before = snapshot(db_target)
    result = cli("swot", ref, *args)
    assert result.exit_code == code, (args, result.stdout, result.stderr)
    assert message in result.stderr and "Traceback" not in result.stderr
    assert snapshot(db_target) == before


def test_unknown_archive_exits_1(cli):
    ok_archive(cli)
    result = cli("swot", "NO-SUCH-REF", "show")
    assert result.exit_code == 1 and "NO-SUCH-REF" in result.stderr


def test_compete_sheet_matches_the_seed_table(cli):
    ref = build_seed(cli)
    sheet = json.loads(cli.ok("swot", ref, "compete", "--json").stdout)
    assert sheet["subjects"] == ["OK保险公司", "X", "Y"]
    table = {row["metric"]: [row["values"][s] for s in sheet["subjects"]] for row in sheet["indices"]}
    assert table == {"market_share": [15, 35, 40], "profit_margin": [5, 9, 10], "share_growth": [12, 4, 3],
                     "profit_growth": [-3, 2, 2], "new_products": [6, 2, 1]}
    assert [(c["name"], c["level"]) for c in sheet["competitors"]] == [("X", 1), ("Y", 2)]
    assert [(a["id"], a["standing"], a["durability"], a["versus"]) for a in sheet["advantages"]] == [
        ("A1", "better", "temporary", None), ("A2", "worse", "durable", "Y")]
    evolution = {cell["cell"]: cell["items"] for cell in sheet["evolution"]}
    assert evolution["better_temporary"] == ["A1"] and evolution["worse_durable"] == ["A2"]
    out = cli.ok("--lang", "zh", "swot", ref, "compete").stdout
    for label in ("市场占有率 (%)", "能描述竞争对手的状况", "比竞争对手强/好", "难以改变的弱势", "暂时的优势"):
        assert label in out, label


def test_compete_changes_are_logged_and_cascade(cli):
    ref = build_seed(cli)
    cli.ok("swot", ref, "compete", "level", "X", "3")
    cli.ok("swot", ref, "compete", "index", "X", "market_share=")
    sheet = json.loads(cli.ok("swot", ref, "compete", "--json").stdout)
    assert sheet["indices"][0]["values"]["X"] is None
    assert sheet["competitors"][0]["level"] == 3
    cli.ok("swot", ref, "compete", "remove", "Y")
    sheet = json.loads(cli.ok("swot", ref, "compete", "--json").stdout)
    assert sheet["subjects"] == ["OK保险公司", "X"] and [a["id"] for a in sheet["advantages"]] == ["A1"]
    cli.ok("swot", ref, "compete", "advantage", "remove", "A1")
    log = [(e["action"], e["field"], e["old"], e["new"]) for e in
           json.loads(cli.ok("history", ref, "--json").stdout)["changes"]]
    assert ("competitor_level", "X.level", "1", "3") in log
    assert ("index_set", "X.market_share", "35", None) in log
    assert ("index_set", "Y.market_share", "40", None) in log
    assert any(a == "advantage_remove" and f == "A2" for a, f, _o, _n in log)
    assert any(a == "advantage_remove" and f == "A1" for a, f, _o, _n in log)
    assert any(a == "competitor_remove" and f == "Y" for a, f, _o, _n in log)


def test_export_xlsx_has_one_sheet_per_part_and_the_grids(cli, tmp_path):
    import openpyxl

    ref = build_seed(cli)
    out = tmp_path / "ok.xlsx"
    cli.ok("swot", ref, "export", "-o", str(out))
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["SWOT", "Items", "Opportunity matrix", "Threat matrix", "TOWS", "Competition"]

    def rows(name):
        return [[value for value in row if value is not None] or [None]
                for row in book[name].iter_rows(values_only=True)]

    grid = {row[0]: row[1:3] for row in rows("Opportunity matrix") if row[0] in ("strong (≥3)", "weak (<3)")}
    assert grid["strong (≥3)"][1].startswith("Best opportunities") and "O1" in grid["strong (≥3)"][1]
    assert "O2" in grid["strong (≥3)"][0] and "O3" in grid["weak (<3)"][1]
    assert grid["weak (<3)"][0].startswith("Ignore") and "O" not in grid["weak (<3)"][0].replace("Ignore", "")
    threat = {row[0]: row[1:3] for row in rows("Threat matrix") if row[0] in ("strong (≥3)", "weak (<3)")}
    assert "T1" in threat["strong (≥3)"][1] and "T3" in threat["strong (≥3)"][0] and "T2" in threat["weak (<3)"][1]
    items = {row[0]: row for row in rows("Items") if row[0] and str(row[0])[:1] in "SWOT" and len(str(row[0])) == 2}
    assert items["O1"][3] == 5 and items["O1"][5] == "Best opportunities"
    competition = rows("Competition")
    assert ["Market share (%)", 15, 35, 40] in competition
    assert ["Profit growth (%)", -3, 2, 2] in competition
    tows = rows("TOWS")
    assert any(row[1:3] == ["S1 + O1", "How can S1 help seize O1?"] for row in tows if len(row) > 2)


def test_export_xlsx_in_chinese_with_threshold(cli, tmp_path):
    import openpyxl

    ref = build_seed(cli)
    out = tmp_path / "ok-zh.xlsx"
    cli.ok("--lang", "zh", "swot", ref, "export", "-o", str(out), "--impact-threshold", "5")
    book = openpyxl.load_workbook(out)
    assert "市场机会分析" in book.sheetnames and "市场威胁分析" in book.sheetnames
    cells = [row for row in book["市场机会分析"].iter_rows(values_only=True)]
    strong = next(row for row in cells if row[0] == "强 (≥5)")
    weak = next(row for row in cells if row[0] == "弱 (<5)")
    assert "O1" in strong[2] and "O2" in weak[1] and weak[1].startswith("忽略放弃区")


def test_export_markdown(cli, tmp_path):
    ref = build_seed(cli)
    text = cli.ok("--lang", "zh", "swot", ref, "export").stdout
    assert text.startswith("# SWOT — ")
    assert "| 市场占有率 (%) | 15 | 35 | 40 |" in text
    assert "| 利润增幅 (%) | -3 | 2 | 2 |" in text
    strong_row = next(line for line in text.splitlines() if line.startswith("| 强 (≥3) |") and "机会" in line)
    low, high = strong_row.split(" | ")[1:3]
    assert low.startswith("监控并做准备区") and "O2" in low
    assert high.startswith("最佳机会区") and "O1" in high
    assert "如何用S1抓住O1?" in text
    target = tmp_path / "ok.md"
    cli.ok("swot", ref, "export", "-o", str(target))
    written = target.read_text(encoding="utf-8")
    assert "## Threat matrix" in written and "| Market share (%) | 15 | 35 | 40 |" in written


def test_permissions_read_and_update(cli, db_target):
    ref = build_seed(cli)
    cli.ok("--as", "boss", "user", "add", "tester", "--role", "viewer")
    before = snapshot(db_target)
    assert cli.ok("swot", ref, "show", "--json").stdout
    assert cli.ok("swot", ref, "compete", "--json").stdout
    for args in (("add", "S", "新优势"), ("edit", "O1", "--impact", "1"), ("remove", "O1"),
                 ("compete", "add", "Z"), ("compete", "index", "X", "market_share=1")):
        result = cli("swot", ref, *args)
        assert result.exit_code == 1 and "may not update" in result.stderr, args
    assert cli("--as", "stranger", "swot", ref, "show").exit_code == 1
    assert snapshot(db_target) == before
    assert cli.ok("--as", "boss", "swot", ref, "add", "S", "新优势").stdout == "S2\n"


def test_add_without_text_off_terminal_is_a_usage_error(cli):
    ref = ok_archive(cli)
    result = cli("swot", ref, "interactive")
    assert result.exit_code == 2 and "terminal" in result.stderr


def test_models_match_the_schema(db_target, cli):
    from custarchive.models import metadata

    from sqlalchemy import inspect

    ok_archive(cli)
    engine = engine_for(db_target)
    try:
        inspector = inspect(engine)
        for table in ("swot_items", "competitors", "performance_indices", "competitive_advantages", "customer_profiles"):
            columns = {column["name"] for column in inspector.get_columns(table)}
            assert columns == set(metadata.tables[table].columns.keys()), table
    finally:
        engine.dispose()


@pytest.mark.parametrize("save", [True, False])
def test_interactive_walks_the_four_quadrants(cli, db_target, save):
    import os
    import sys

    pexpect = pytest.importorskip("pexpect")
    from tests.helpers import ROOT

    ref = ok_archive(cli)
    before = snapshot(db_target)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TERM": "xterm", "COLUMNS": "100", "PROMPT_TOOLKIT_NO_CPR": "1"}
    child = pexpect.spawn(sys.executable, ["-m", "custarchive", "--db", db_target, "swot", ref, "interactive"],
                          env=env, encoding="utf-8", timeout=30)
    down = "\x1b[B"
    # the impact of a strength starts on "— not rated"; four steps down wrap round to 4
    steps = [("New strength", "强大的销售团队\r"), (r"Strength \(impact\)", down * 4 + "\r"),
             ("What it means", "能迅速铺开新产品\r"), ("Action", "\r"), ("New strength", "\r"),
             ("New weakness", "\r"), ("New opportunit", "\r"), ("New threat", "新的监管政策\r"),
             (r"Strength \(impact\)", "\r"), ("Probability", down * 4 + "\r"), ("What it means", "\r"),
             ("Action", "\r"), ("New threat", "\r"), ("Save 2 item", "\r" if save else down + "\r")]
    for prompt, answer in steps:
        child.expect(prompt)
        child.send(answer)
    child.expect(pexpect.EOF)
    child.close()
    if not save:
        assert child.exitstatus == 130
        assert snapshot(db_target) == before
        return
    assert child.exitstatus == 0
    items = items_by_id(cli, ref)
    assert (items["S1"]["text"], items["S1"]["impact"], items["S1"]["implication"]) == ("强大的销售团队", 4, "能迅速铺开新产品")
    assert (items["T1"]["impact"], items["T1"]["probability"], items["T1"]["zone"]) == (1, 5, "contingency")
    log = json.loads(cli.ok("history", ref, "--json").stdout)["changes"]
    assert [(e["action"], e["field"], e["source"]) for e in log if e["action"] == "swot_add"] == [
        ("swot_add", "S1", "interactive"), ("swot_add", "T1", "interactive")]

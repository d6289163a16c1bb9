"""Questionnaire surveys through the CLI: the built-ins, import with its guarantees, card updates, the report."""
from __future__ import annotations

import json

import pytest

from tests.builders import company, person
from tests.helpers import db_rows, snapshot


def write_csv(path, header: list[str], rows: list[list[str]]):
    path.write_text("\n".join(",".join(cells) for cells in [header, *rows]) + "\n", encoding="utf-8")
    return str(path)


def test_builtins_are_the_seeds_three_questionnaires(cli):
    names = {q["name"]: q for q in cli.json("survey", "list")}
    assert set(names) >= {"basic-habits", "satisfaction", "competitors"}
    shown = cli.json("--lang", "zh", "survey", "show", "basic-habits")
    questions = {q["id"]: q for s in shown["sections"] for q in s["questions"]}
    assert [s["label"] for s in shown["sections"]] == ["基本信息", "购物习惯"]
    assert questions["occupation"]["field"] == "occupation" and questions["occupation"]["text"] == "您的职业"
    assert questions["purchase_frequency"]["field"] == "purchase_frequency"
    assert questions["shopping_place"]["type"] == "multi"
    satisfaction = cli.json("--lang", "zh", "survey", "show", "satisfaction")
    after_sales = next(q for s in satisfaction["sections"] for q in s["questions"] if q["id"] == "after_sales")
    assert after_sales["type"] == "scale" and after_sales["options"][0] == "1 非常不满意"
    human = cli.ok("--lang", "zh", "survey", "show", "competitors").stdout
    assert "竞争对手" in human


def test_user_questionnaire_in_the_config_directory(cli, tmp_path, monkeypatch):
    folder = tmp_path / "cfg" / "surveys"
    folder.mkdir(parents=True)
    monkeypatch.setenv("CUSTARCHIVE_CONFIG_DIR", str(tmp_path / "cfg"))
    (folder / "hotel.toml").write_text('''name = "hotel"
title_zh = "住店满意度"
[[sections]]
id = "stay"
  [[sections.questions]]
  id = "room"
  type = "scale"
  text_zh = "客房"
''', encoding="utf-8")
    assert "hotel" in {q["name"] for q in cli.json("survey", "list")}
    (folder / "broken.toml").write_text('name = "broken"\n[[sections]]\n[[sections.questions]]\nid = "x"\ntype = "slider"\n',
                                        encoding="utf-8")
    result = cli("survey", "show", "broken")
    assert result.exit_code == 1 and "unknown type 'slider'" in result.stderr


def test_import_stores_answers_and_updates_the_card_through_the_change_log(cli, db_target, tmp_path):
    number = cli.add(person(name="李娜"), "--category", "A")
    path = write_csv(tmp_path / "answers.csv",
                     ["档案编号", "日期", "渠道", "Q1 您的性别", "您的职业", "购买频率", "shopping_place", "monthly_spend"],
                     [[number, "2024/5/1", "电话", "女", "教师", "每月", "商场、超市", "300"],
                      ["", "2024-05-02", "", "2", "", "weekly", "4", ""]])
    result = cli.json("survey", "import", "basic-habits", path)
    assert (result["stored"], result["with_archive"], result["anonymous"], result["rejected"]) == (2, 1, 1, 0)
    card = cli.json("show", number)
    assert card["occupation"] == "教师" and card["purchase_frequency"] == "monthly" and card["gender"] == "female"
    sources = {row[0]: row[1] for row in db_rows(db_target, "SELECT field, source FROM change_log WHERE action = 'update'")}
    assert sources == {"gender": "survey", "occupation": "survey", "purchase_frequency": "survey"}
    responses = db_rows(db_target, "SELECT responded_on, channel, customer_id IS NULL FROM survey_responses ORDER BY id")
    assert responses == [("2024-05-01", "phone", False), ("2024-05-02", "mail", True)]
    places = db_rows(db_target, "SELECT a.choice FROM survey_answers a JOIN survey_responses r ON r.id = a.response_id "
                                "WHERE a.question = 'shopping_place' ORDER BY r.id, a.item")
    assert [p[0] for p in places] == ["mall", "supermarket", "online"]
    place = next(q for q in cli.json("survey", "report", "basic-habits")["questions"] if q["id"] == "shopping_place")
    assert place["answered"] == 2
    assert {d["value"]: d["percent"] for d in place["distribution"]}["mall"] == 50.0


def test_rejected_rows_name_line_question_value_and_reason_and_good_rows_stay(cli, db_target, tmp_path):
    number = cli.add(person())
    path = write_csv(tmp_path / "a.csv", ["archive_no", "quality_overall", "after_sales", "recommend"],
                     [[number, "5", "4", "一定会"], ["A-1999-99999", "3", "3", "3"], ["", "7", "2", "2"], ["", "", "3", ""]])
    result = cli("survey", "import", "satisfaction", path, "--json")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["stored"] == 1 and data["rejected"] == 3
    rows = {(r["line"], r["question"]): r for r in data["rejected_rows"]}
    assert rows[(3, "archive_no")]["reason"] == "no such archive"
    assert rows[(4, "quality_overall")]["value"] == "7" and "1-5 scale" in rows[(4, "quality_overall")]["reason"]
    assert rows[(5, "quality_overall")]["reason"] == "is required"
    recommend = db_rows(db_target, "SELECT number FROM survey_answers WHERE question = 'recommend'")
    assert recommend == [(5.0,)]


def test_dry_run_and_strict_leave_the_database_exactly_as_it_was(cli, db_target, tmp_path):
    number = cli.add(person())
    good = write_csv(tmp_path / "good.csv", ["档案编号", "您的职业"], [[number, "律师"]])
    before = snapshot(db_target)
    result = cli.json("survey", "import", "basic-habits", good, "--dry-run")
    assert result["stored"] == 1 and result["committed"] is False
    assert snapshot(db_target) == before
    mixed = write_csv(tmp_path / "mixed.csv", ["档案编号", "您的职业", "monthly_spend"], [[number, "律师", "1"], ["", "x", "-5"]])
    assert cli("survey", "import", "basic-habits", mixed, "--strict").exit_code == 1
    assert snapshot(db_target) == before


def test_the_same_file_twice_is_refused_unless_again(cli, db_target, tmp_path):
    path = write_csv(tmp_path / "a.csv", ["quality_overall"], [["4"]])
    cli.ok("survey", "import", "satisfaction", path)
    before = snapshot(db_target)
    result = cli("survey", "import", "satisfaction", path)
    assert result.exit_code == 1 and "imported already" in result.stderr
    assert snapshot(db_target) == before
    cli.ok("survey", "import", "satisfaction", path, "--again")
    assert db_rows(db_target, "SELECT COUNT(*) FROM survey_responses") == [(2,)]


def test_online_export_with_its_own_headers_through_map(cli, db_target, tmp_path):
    number = cli.add(person())
    path = write_csv(tmp_path / "wjx.csv", ["序号", "提交答卷时间", "1.您的手机号对应档案", "2.质量", "3.售后"],
                     [["1", "2024-06-01", number, "非常满意", "满意"]])
    mapping = tmp_path / "map.toml"
    mapping.write_text('"提交答卷时间" = "date"\n"1.您的手机号对应档案" = "archive_no"\n"2.质量" = "quality_overall"\n'
                       '"3.售后" = "after_sales"\n"序号" = ""\n', encoding="utf-8")
    result = cli.json("survey", "import", "satisfaction", path, "--map", str(mapping), "--channel", "online")
    assert result["stored"] == 1 and result["with_archive"] == 1 and result["notices"] == []
    assert db_rows(db_target, "SELECT responded_on, channel FROM survey_responses") == [("2024-06-01", "online")]
    assert sorted(db_rows(db_target, "SELECT question, number FROM survey_answers")) == [
        ("after_sales", 4.0), ("quality_overall", 5.0)]
    bad = cli("survey", "import", "satisfaction", path, "--map", "2.质量=no_such_question")
    assert bad.exit_code == 2 and "no_such_question" in bad.stderr


def test_unmatched_new_makes_archives_and_reject_refuses(cli, db_target, tmp_path):
    path = write_csv(tmp_path / "onsite.csv", ["姓名", "电话", "您的职业", "购买频率"],
                     [["王芳", "13812345678", "会计", "每年"]])
    rejected = cli("survey", "import", "basic-habits", path, "--unmatched", "reject", "--json")
    assert rejected.exit_code == 1 and json.loads(rejected.stdout)["stored"] == 0
    made = cli.json("survey", "import", "basic-habits", path, "--unmatched", "new", "--category", "B", "--again",
                    "--channel", "onsite")
    assert made["new_archives"] == 1 and made["with_archive"] == 1
    found = cli.json("list", "--category", "B")
    card = cli.json("show", found[0]["archive_no"])
    assert card["name"] == "王芳" and card["occupation"] == "会计" and card["purchase_frequency"] == "yearly"


def test_a_field_the_card_template_lacks_keeps_the_answer_and_leaves_the_card(cli, db_target, tmp_path):
    number = cli.add(company(), "--category", "B")
    path = write_csv(tmp_path / "a.csv", ["档案编号", "购买频率"], [[number, "每月"]])
    result = cli.json("survey", "import", "basic-habits", path)
    assert result["stored"] == 1 and result["card_changes"] == 0
    assert any("purchase_frequency" in notice for notice in result["notices"])
    assert db_rows(db_target, "SELECT choice FROM survey_answers") == [("monthly",)]


def test_report_counts_percentages_means_and_crosstab_by_category(cli, tmp_path):
    a1, a2 = cli.add(person(), "--category", "A"), cli.add(person(name="赵六", phone="13700000001"), "--category", "A")
    b1 = cli.add(person(name="钱七", phone="13700000002"), "--category", "B")
    cli.add(person(name="孙八", phone="13700000003"), "--category", "B")
    path = write_csv(tmp_path / "s.csv", ["archive_no", "日期", "quality_overall", "complaint_handled", "strengths"],
                     [[a1, "2024-01-10", "5", "已解决", "质量稳定"], [a2, "2024-02-10", "3", "未投诉过", ""],
                      [b1, "2024-03-10", "1", "未解决", "价格便宜"], ["", "2024-03-11", "4", "", ""]])
    cli.ok("survey", "import", "satisfaction", path)
    data = cli.json("survey", "report", "satisfaction", "--by", "category")
    assert (data["responses"], data["respondents"], data["anonymous"], data["archives"]) == (4, 3, 1, 4)
    assert data["response_rate"] == 0.75
    groups = {g["group"]: g for g in data["groups"]}
    assert groups["A"]["response_rate"] == 1.0 and groups["B"]["response_rate"] == 0.5
    quality = next(q for q in data["questions"] if q["id"] == "quality_overall")
    assert quality["mean"] == 3.25 and quality["min"] == 1 and quality["max"] == 5
    assert quality["stdev"] == pytest.approx(1.48, abs=0.01)
    assert quality["by_group"]["A"]["mean"] == 4.0 and quality["by_group"]["B"]["mean"] == 1.0
    handled = next(q for q in data["questions"] if q["id"] == "complaint_handled")
    counts = {d["value"]: (d["count"], d["percent"]) for d in handled["distribution"]}
    assert counts["yes"] == (1, 33.3) and counts["no"] == (1, 33.3) and counts["partly"] == (0, 0.0)
    assert next(d for d in handled["distribution"] if d["value"] == "yes")["by_group"]["A"]["percent"] == 50.0
    strengths = next(q for q in data["questions"] if q["id"] == "strengths")
    assert [a["text"] for a in strengths["answers"]] == ["价格便宜", "质量稳定"]
    since = cli.json("survey", "report", "satisfaction", "--since", "2024-03-01")
    assert since["responses"] == 2
    human = cli.ok("--lang", "zh", "survey", "report", "satisfaction", "--by", "category").stdout
    assert "您对产品质量的总体满意度" in human and "█" in human and "平均 3.25" in human
    assert cli("survey", "report", "satisfaction", "--by", "colour").exit_code == 2


def test_answers_on_the_timeline_in_subject_export_and_gone_with_erase(cli, db_target, tmp_path):
    number = cli.add(person(), "--category", "A")
    cli.ok("log", "add", number, "上门拜访", "--type", "visit", "--at", "2024-04-01 10:00")
    path = write_csv(tmp_path / "a.csv", ["档案编号", "日期", "渠道", "quality_overall", "complaint_handled"],
                     [[number, "2024-05-01", "电话", "5", "已解决"]])
    cli.ok("survey", "import", "satisfaction", path)
    timeline = cli.json("--lang", "zh", "timeline", number)["entries"]
    assert [e["type"] for e in timeline] == ["visit", "survey"]
    assert "产品与服务满意度调查(电话)" in timeline[1]["text"] and "Q1 5" in timeline[1]["text"]
    assert "已解决" in timeline[1]["text"]
    assert [e["type"] for e in cli.json("timeline", number, "--type", "survey")["entries"]] == ["survey"]
    export = tmp_path / "subject.json"
    cli.ok("subject-export", number, "-o", str(export))
    other = json.loads(export.read_text(encoding="utf-8"))["other"]
    assert other["survey_responses"][0]["channel"] == "phone"
    assert {a["question"] for a in other["survey_answers"]} == {"quality_overall", "complaint_handled"}
    cli.ok("erase", number, "--reason", "客户要求删除", "--yes")
    assert db_rows(db_target, "SELECT COUNT(*) FROM survey_answers") == [(0,)]
    assert db_rows(db_target, "SELECT COUNT(*) FROM survey_responses") == [(0,)]


def test_a_sensitive_mapped_answer_honours_consent(cli, db_target, tmp_path):
    config = tmp_path / "config"
    (config / "surveys").mkdir(parents=True, exist_ok=True)
    (config / "surveys" / "income.toml").write_text('''name = "income"
[[sections]]
id = "s"
  [[sections.questions]]
  id = "yearly_income"
  type = "number"
  text_zh = "个人年收入"
  field = "annual_income"
''', encoding="utf-8")
    (config / "settings.toml").write_text('[protection]\nsensitive_without_consent = "refuse"\n', encoding="utf-8")
    number = cli.add(person())
    path = write_csv(tmp_path / "a.csv", ["档案编号", "yearly_income"], [[number, "120000"]])
    before = snapshot(db_target)
    result = cli("survey", "import", "income", path, "--json")
    assert result.exit_code == 1
    rejected = json.loads(result.stdout)["rejected_rows"][0]
    assert rejected["question"] == "yearly_income" and "consent" in rejected["reason"]
    assert snapshot(db_target) == before
    cli.ok("consent", "add", number, "--purpose", "会员服务", "--scope", "sensitive", "--channel", "纸质签字")
    cli.ok("survey", "import", "income", path)
    assert cli.json("show", number, "--reveal")["annual_income"] == 120000

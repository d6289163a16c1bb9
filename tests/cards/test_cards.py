"""The core card workflow through the CLI: add, show, list, search, update, history, close/reopen."""
from __future__ import annotations

import json

import pytest

from tests.builders import company, person, resident_id, set_args
from tests.helpers import snapshot


def test_add_prints_only_the_archive_number(cli):
    result = cli.ok("add", "--no-input", *set_args(person()))
    assert result.stdout == "C-2026-00001\n" or result.stdout.strip().startswith("C-")
    assert result.stdout.strip().count("\n") == 0


def test_numbers_per_category_and_sequence(cli):
    first = cli.add(person(name="甲"), "--category", "A")
    second = cli.add(person(name="乙", phone="13912345670"), "--category", "A")
    third = cli.add(person(name="丙", phone="13912345671"), "--category", "B")
    assert first.startswith("A-") and first.endswith("-00001")
    assert second.endswith("-00002")
    assert third.startswith("B-") and third.endswith("-00001")


def test_add_json_and_show_json_round_trip(cli):
    number = json.loads(cli.ok("add", "--no-input", "--json", *set_args(person(email="Zhang@Example.COM"))).stdout)["archive_no"]
    card = cli.json("show", number)
    assert card["archive_no"] == number
    assert card["name"] == "张伟" and card["email"] == "Zhang@example.com"
    assert card["kind"] == "individual" and card["category"] == "C"


def test_id_number_derives_birth_date_and_gender_and_is_masked(cli):
    number = cli.add(person(id_number=resident_id("19850315", male=False)))
    card = cli.json("show", number)
    assert card["birth_date"] == "1985-03-15" and card["gender"] == "female"
    assert "*" in card["id_number"]
    revealed = json.loads(cli.ok("show", number, "--json", "--reveal").stdout)
    assert revealed["id_number"].startswith("110105")
    assert "*" not in revealed["id_number"]


def test_area_code_created_after_birth_year_is_accepted(cli):
    # 310115 浦东新区 was created in 1992; stdnum.cn.ric.validate refuses it for a 1960 birth.
    from stdnum.cn import ric

    number = resident_id("19600101", area="310115")
    assert not ric.is_valid(number)
    assert cli.add(person(id_number=number))


def test_bad_values_exit_1_naming_the_field(cli, db_target):
    cli.add(person())
    before = snapshot(db_target)
    cases = [
        ("id_number=110105199001011234", "id_number"),
        ("phone=12345", "phone"),
        ("birth_date=2024-02-30", "birth_date"),
        ("email=not-an-email", "email"),
        ("annual_spend=abc", "annual_spend"),
        ("no_such_field=1", "no_such_field"),
    ]
    for assignment, field in cases:
        result = cli("add", "--no-input", "--set", "name=李四", "--set", assignment)
        assert result.exit_code == 1, assignment
        assert field in result.stderr and "Traceback" not in result.stderr
        assert result.stderr.count("\n") == 1
    assert snapshot(db_target) == before


def test_missing_required_field(cli):
    result = cli("add", "--no-input", "--set", "city=北京")
    assert result.exit_code == 1 and "name" in result.stderr


def test_identity_keys_are_unique(cli, db_target):
    rid = resident_id("19900101")
    cli.add(person(id_number=rid))
    before = snapshot(db_target)
    result = cli("add", "--no-input", *set_args(person(name="王五", phone="13900000000", id_number=rid)))
    assert result.exit_code == 1 and "id_number" in result.stderr
    assert snapshot(db_target) == before


def test_shared_phone_is_a_warning_not_a_refusal(cli):
    cli.add(person())
    result = cli.ok("add", "--no-input", *set_args(person(name="张伟的妻子")))
    assert "related archive" in result.stderr      # a shared phone: related, not a duplicate (dedupe)


def test_amounts_dates_and_fullwidth_normalised(cli):
    number = cli.add(person(annual_spend="12万", credit_limit="¥1,200.50", birth_date="1990年1月5日",
                            phone="１３９１２３４５６７８"))
    card = cli.json("show", number)
    assert card["annual_spend"] == 120000 and card["credit_limit"] == 1200.5
    assert card["birth_date"] == "1990-01-05" and card["phone"] == "13912345678"


def test_enterprise_card_from_credit_code(cli):
    number = cli.add(company())
    card = cli.json("show", number)
    assert card["kind"] == "enterprise" and card["template"] == "enterprise"


def test_add_from_json_file_and_stdin(cli, tmp_path):
    path = tmp_path / "card.json"
    path.write_text(json.dumps(person(name="赵六"), ensure_ascii=False), encoding="utf-8")
    number = cli.ok("add", "--from", str(path)).stdout.strip()
    assert cli.json("show", number)["name"] == "赵六"
    numbers = cli.ok("add", "--from", "-", input=json.dumps([person(name="钱七"), person(name="孙八")])).stdout.split()
    assert len(numbers) == 2


def test_template_only_fields_are_validated_and_stored(cli):
    number = cli.add(person(children_count="2"), "--template", "individual")
    assert cli.json("show", number)["children_count"] == 2
    result = cli("add", "--no-input", "--template", "individual", *set_args(person(children_count="two")))
    assert result.exit_code == 1 and "children_count" in result.stderr


def test_show_renders_sections_in_both_languages(cli):
    number = cli.add(person())
    assert "Basic information" in cli.ok("show", number).stdout
    assert "基本资料" in cli.ok("--lang", "zh", "show", number).stdout


def test_ref_by_name_phone_and_ambiguity(cli):
    first = cli.add(person())
    assert cli.json("show", "张伟")["archive_no"] == first
    assert cli.json("show", "139 1234 5678")["archive_no"] == first
    cli.add(person(phone="13800000000"))
    result = cli("show", "张伟")
    assert result.exit_code == 1 and "matches 2 archives" in result.stderr
    assert cli("show", "nobody").exit_code == 1


def test_list_filters_sort_limit_and_csv(cli):
    cli.add(person(name="甲", city="上海"), "--category", "A")
    cli.add(person(name="乙", city="北京", phone="13800000001"), "--category", "B")
    cli.add(person(name="丙", city="北京", phone="13800000002"), "--category", "B")
    assert [c["name"] for c in cli.json("list", "--city", "北京")] == ["乙", "丙"]
    assert [c["name"] for c in cli.json("list", "--category", "a")] == ["甲"]
    assert len(cli.json("list", "--limit", "2")) == 2
    assert [c["name"] for c in cli.json("list", "--sort", "-archive_no")][0] == "丙"
    lines = cli.ok("list", "--csv").stdout.splitlines()
    assert lines[0].startswith("archive_no,name") and len(lines) == 4
    assert cli("list", "--sort", "nonsense").exit_code == 1


def test_search_by_substring_pinyin_initials_phone_email_industry(cli):
    zw = cli.add(person(email="zw@example.com"))
    cli.add(person(name="张伟华", phone="13600000000"))
    other = cli.add(company(name="上海物流有限公司", industry="物流"))
    names = lambda q: sorted(c["name"] for c in cli.json("search", q))  # noqa: E731
    assert names("张伟") == ["张伟", "张伟华"]
    assert names("伟") == ["张伟", "张伟华"]
    assert names("张伟华") == ["张伟华"] and names("伟华") == ["张伟华"] and names("张华") == []
    assert names("zhangwei") == ["张伟", "张伟华"]
    assert names("zw") == ["张伟", "张伟华"]
    assert names("zwh") == ["张伟华"]
    assert names("1360000") == ["张伟华"]
    assert names("zw@example.com") == ["张伟"]
    assert names("物流") == ["上海物流有限公司"]
    assert [c["archive_no"] for c in cli.json("search", zw)] == [zw]
    assert cli.json("search", other)[0]["archive_no"] == other
    assert cli.json("search", "nothing-here") == []


def test_single_character_search_finds_every_position(cli):
    for name in ("华", "华为", "中华", "中华书局", "王%伟", "王_伟"):
        cli.add(person(name=name))
    names = lambda q: sorted(c["name"] for c in cli.json("search", q))  # noqa: E731
    assert names("华") == sorted(["华", "华为", "中华", "中华书局"])
    assert names("局") == ["中华书局"] and names("书") == ["中华书局"]
    assert names("%") == ["王%伟"] and names("_") == ["王_伟"] and names("%伟") == ["王%伟"]


def test_search_follows_renames(cli):
    number = cli.add(person())
    cli.ok("update", number, "--set", "name=李雷")
    assert cli.json("search", "张伟") == []
    assert [c["archive_no"] for c in cli.json("search", "ll")] == [number]


def test_update_history_and_unset(cli):
    number = cli.add(person())
    cli.ok("update", number, "--set", "city=上海", "--set", "annual_spend=5万", "--reason", "搬家")
    cli.ok("--as", "boss", "update", number, "--unset", "city")
    log = cli.json("history", number)["changes"]
    assert [e["action"] for e in log] == ["create", "update", "update", "update"]
    city = [e for e in log if e["field"] == "city"]
    assert city[0]["old"] == "北京" and city[0]["new"] == "上海" and city[0]["reason"] == "搬家"
    assert city[1]["old"] == "上海" and city[1]["new"] is None and city[1]["operator"] == "boss"
    assert "搬家" in cli.ok("history", number).stdout


def test_category_change_is_logged_and_number_stays(cli):
    number = cli.add(person())
    cli.ok("update", number, "--set", "category=A")
    card = cli.json("show", number)
    assert card["category"] == "A" and card["archive_no"] == number
    assert any(e["field"] == "category" for e in cli.json("history", number)["changes"])
    assert cli("update", number, "--set", "category=Z").exit_code == 1


def test_update_refuses_bad_values_and_protected_fields(cli, db_target):
    number = cli.add(person())
    before = snapshot(db_target)
    for args in (["--set", "phone=1"], ["--set", "archive_no=X"], ["--unset", "name"], ["--set", "grade=AAA"]):
        result = cli("update", number, *args)
        assert result.exit_code == 1, args
    assert cli("update", number).exit_code == 2
    assert cli("update", number, "--set", "novalue").exit_code == 2
    assert snapshot(db_target) == before


def test_close_and_reopen_keep_everything(cli):
    number = cli.add(person())
    cli.ok("close", number, "--reason", "客户注销")
    assert cli.json("list") == []
    assert cli.json("list", "--status", "closed")[0]["archive_no"] == number
    assert cli.json("show", number)["status"] == "closed"
    assert cli("close", number).exit_code == 1
    cli.ok("reopen", number)
    actions = [e["action"] for e in cli.json("history", number)["changes"]]
    assert actions == ["create", "close", "reopen"]


@pytest.mark.sqlite_only
def test_read_command_on_missing_database_creates_nothing(cli, db_target):
    import os

    for args in (["show", "X"], ["list"], ["search", "x"], ["history", "X"]):
        result = cli(*args)
        assert result.exit_code == 1 and "no database" in result.stderr
    assert not os.path.exists(db_target)


def test_usage_errors_exit_2(cli):
    assert cli("show").exit_code == 2
    assert cli("add", "--bogus").exit_code == 2
    assert cli("--lang", "fr", "list").exit_code == 2


@pytest.mark.sqlite_only
def test_not_a_database(cli, db_target):
    with open(db_target, "wb") as handle:
        handle.write(b"this is not sqlite" * 100)
    result = cli("list")
    assert result.exit_code == 1 and "Traceback" not in result.stderr


def test_categories_and_templates_reference(cli):
    cli.ok("category", "add", "D", "--name", "代理商", "--pattern", "D{yy}{mm}-{seq:04}")
    number = cli.add(person(), "--category", "D")
    assert len(number) == len("D2611-0001") and number.endswith("-0001")
    assert {c["code"] for c in cli.json("category", "list")} == {"A", "B", "C", "D"}
    assert cli("category", "add", "E", "--name", "x", "--pattern", "{category}").exit_code == 1
    names = {t["name"] for t in cli.json("template", "list")}
    assert {"individual", "enterprise", "property-owner", "hotel-guest", "logistics"} <= names
    assert cli.json("template", "show", "hotel-guest")["kind"] == "individual"
    assert cli("template", "show", "nope").exit_code == 1


def test_user_template_from_config_dir(cli, tmp_path):
    folder = tmp_path / "config" / "templates"
    folder.mkdir(parents=True)
    (folder / "gym.toml").write_text('''name = "gym"
kind = "individual"
label_zh = "健身会员"
label_en = "Gym member"
[[sections]]
id = "basic"
label_zh = "基本"
label_en = "Basic"
fields = [ { name = "name", required = true }, { name = "locker", type = "integer", label_zh = "柜号", label_en = "Locker", required = true } ]
''', encoding="utf-8")
    number = cli.add({"name": "健身者", "locker": "12"}, "--template", "gym")
    assert cli.json("show", number)["locker"] == 12
    assert cli("add", "--no-input", "--template", "gym", "--set", "name=x").exit_code == 1


def test_info_reports_database(cli, db_target):
    cli.add(person())
    data = cli.json("info")
    assert data["database"] == db_target and data["archives"] == 1

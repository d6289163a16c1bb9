"""Interactive ``add`` and ``edit`` with every built-in template, as a new office user meets them.

``LANG=zh_CN.UTF-8``, ``TZ=Asia/Shanghai``, a 100-column pseudo-terminal, stdout redirected to a
file (``no=$(custarchive add)``): the user types the required fields and presses Enter on the rest,
or explicitly picks the skip item, or runs into an identity conflict and fixes it at the field.
The saved card must hold exactly what was typed; nothing invented, nothing lost.
"""
from __future__ import annotations

import json

import pytest

from custarchive.core.templates import load_template
from tests.builders import resident_id
from tests.commands.terminal import DOWN, KILL_LINE, UP, Terminal, zh_env
from tests.helpers import run_process

pytestmark = pytest.mark.slow  # every test drives a real pseudo-terminal

TEMPLATES = ("individual", "enterprise", "hotel-guest", "property-owner", "logistics")
SYSTEM = {"archive_no", "kind", "category", "template", "status", "grade", "created_at", "updated_at", "created_by",
          "merged_into", "owner", "team", "owner_since"}
ID_FEMALE = "110105199003071247"
ID_MALE = "110105199003071239"
CREDIT_CODE = "91110108MA01C8XQ4D"
OTHER_CREDIT_CODE = "91440300MA5F123L29"


def questions(template, id_given: bool = False):
    """The fields in the order a user is asked them: per section, name, credit code and resident ID
    first; gender and birth date not at all once a resident ID has told them."""
    for section in template.sections:
        fields = list(section.fields)
        keys = [spec for name in ("name", "credit_code", "id_number") for spec in fields if spec.name == name]
        for spec in keys + [spec for spec in fields if spec not in keys]:
            if id_given and spec.name in ("gender", "birth_date"):
                continue
            yield spec


def label(spec) -> str:
    return spec.label_zh + (" *" if spec.required else "")


def required_answers(name: str) -> dict[str, str]:
    return {"name": f"测试{name}", "phone": "13800001111", "room_number": "3-502"}


def card_of(db, number, env) -> dict:
    result = run_process("--db", db, "show", number, "--json", "--reveal", env=env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def filled(card: dict) -> dict:
    return {key: value for key, value in card.items() if key not in SYSTEM and value not in (None, "", [])}


def drive(term: Terminal, template, answers: dict[str, str], on_choice=None) -> None:
    for spec in questions(template, id_given=bool(answers.get("id_number"))):
        term.question(label(spec))
        if spec.name in answers:
            term.type(answers[spec.name])
        elif on_choice and spec.type in ("choice", "bool"):
            on_choice(spec)
        else:
            term.key("\r")


@pytest.mark.parametrize("name", TEMPLATES)
def test_required_fields_then_enter_saves_exactly_what_was_typed(db_target, tmp_path, name):
    env = zh_env(tmp_path)
    out = tmp_path / "out.txt"
    template = load_template(name)
    term = Terminal(["--db", db_target, "add", "--template", name, "--category", "C"], env, str(out))
    answers = {key: value for key, value in required_answers(name).items() if key in template.fields}
    drive(term, template, answers)
    term.wait("保存这张资料卡")
    term.key("\r")
    assert term.finish() == 0, term.since()
    number = out.read_text(encoding="utf-8").strip()
    assert number.startswith("C-") and "?" not in number       # only the result on stdout
    card = card_of(db_target, number, env)
    assert filled(card) == {key: (value if key != "phone" else "13800001111") for key, value in answers.items()}


@pytest.mark.parametrize("name", TEMPLATES)
def test_choosing_the_skip_item_on_every_choice_saves_no_value(db_target, tmp_path, name):
    env = zh_env(tmp_path)
    out = tmp_path / "out.txt"
    template = load_template(name)
    term = Terminal(["--db", db_target, "add", "-t", name, "-c", "C"], env, str(out))
    answers = {key: value for key, value in required_answers(name).items() if key in template.fields}
    skipped = []

    def pick_skip(spec):
        term.key(UP, DOWN, "\r")            # away from the skip item and back to it, then Enter
        skipped.append(spec.name)

    drive(term, template, answers, pick_skip)
    term.wait("保存这张资料卡")
    term.key("\r")
    assert term.finish() == 0, term.since()
    assert skipped, "every built-in template has choice fields"
    card = card_of(db_target, out.read_text(encoding="utf-8").strip(), env)
    assert filled(card) == {key: value for key, value in answers.items() if key != "phone"} | (
        {"phone": "13800001111"} if "phone" in answers else {})


@pytest.mark.parametrize("name", ("individual", "property-owner"))
def test_duplicate_resident_id_is_refused_at_the_field_and_gender_comes_from_the_id(db_target, tmp_path, name):
    env = zh_env(tmp_path)
    first = run_process("--db", db_target, "add", "--no-input", "-t", name, "-c", "C", "--set", "name=李娜",
                        "--set", f"id_number={ID_FEMALE}", "--set", "phone=13912345678",
                        *(["--set", "room_number=1-101"] if name == "property-owner" else []), env=env)
    assert first.returncode == 0, first.stderr
    template = load_template(name)
    out = tmp_path / "out.txt"
    term = Terminal(["--db", db_target, "add", "-t", name, "-c", "C"], env, str(out))
    term.question("名称 *")
    term.type("李娜娜")
    term.question("身份证号")
    term.type(ID_FEMALE)
    term.wait("已被档案 C-\\d{4}-00001 使用")
    term.key(KILL_LINE)
    term.type(ID_MALE)
    term.wait("由身份证号得出:性别 男、出生日期 1990-03-07")
    rest = [spec for spec in questions(template, id_given=True) if spec.name not in ("name", "id_number")]
    for spec in rest:
        term.question(label(spec))
        if spec.name == "phone":
            term.type("13912345678")
            shown = term.wait(r"注意:(C-\d{4}-00001) (\S+) 的手机相同").groups()
            assert shown[1] == "李娜"
            term.wait("怎么办")
            term.key("\r")                                   # continue: a different customer
        elif spec.name == "room_number":
            term.type("1-102")
        else:
            term.key("\r")
    term.wait("保存这张资料卡")
    term.key("\r")
    assert term.finish() == 0, term.since()
    card = card_of(db_target, out.read_text(encoding="utf-8").strip(), env)
    assert card["id_number"] == ID_MALE and card["gender"] == "male" and card["birth_date"] == "1990-03-07"


@pytest.mark.parametrize("name", ("enterprise", "logistics"))
def test_duplicate_credit_code_is_refused_right_after_the_name(db_target, tmp_path, name):
    env = zh_env(tmp_path)
    first = run_process("--db", db_target, "add", "--no-input", "-t", name, "-c", "B", "--set", "name=华信科技",
                        "--set", f"credit_code={CREDIT_CODE}", env=env)
    assert first.returncode == 0, first.stderr
    template = load_template(name)
    out = tmp_path / "out.txt"
    term = Terminal(["--db", db_target, "add", "-t", name, "-c", "B"], env, str(out))
    term.question("名称 *")
    term.type("华信科技分公司")
    term.question("统一社会信用代码")
    term.type(CREDIT_CODE)
    term.wait("已被档案 B-\\d{4}-00001 使用")
    term.key(KILL_LINE)
    term.type(OTHER_CREDIT_CODE)
    for spec in list(questions(template))[2:]:
        term.question(label(spec))
        term.key("\r")
    term.wait("保存这张资料卡")
    term.key("\r")
    assert term.finish() == 0, term.since()
    card = card_of(db_target, out.read_text(encoding="utf-8").strip(), env)
    assert filled(card) == {"name": "华信科技分公司", "credit_code": OTHER_CREDIT_CODE}


def test_a_conflict_found_at_saving_goes_back_to_the_field_and_keeps_the_card(db_target, tmp_path):
    env = zh_env(tmp_path)
    template = load_template("hotel-guest")
    out = tmp_path / "out.txt"
    assert run_process("--db", db_target, "add", "--no-input", "-t", "individual", "-c", "C", "--set", "name=占位",
                       "--set", "phone=13700000000", env=env).returncode == 0
    term = Terminal(["--db", db_target, "add", "-t", "individual", "-c", "C"], env, str(out))
    answers = {"name": "周敏", "id_number": resident_id("19880808", male=False), "phone": "13600000000",
               "occupation": "教师"}
    drive(term, load_template("individual"), answers)
    term.wait("保存这张资料卡")
    # a colleague takes the same resident ID before this user saves
    taken = run_process("--db", db_target, "add", "--no-input", "-t", "hotel-guest", "-c", "C", "--set", "name=别人",
                        "--set", "phone=13500000000", "--set", f"id_number={answers['id_number']}", env=env)
    assert taken.returncode == 0, taken.stderr
    term.key("\r")
    term.wait("未能保存:身份证号 已被档案 C-\\d{4}-00002 使用")
    term.question("身份证号")
    term.key(KILL_LINE)
    term.type(resident_id("19880808", male=True))
    term.wait("保存这张资料卡")
    term.key("\r")
    assert term.finish() == 0, term.since()
    card = card_of(db_target, out.read_text(encoding="utf-8").strip(), env)
    assert card["name"] == "周敏" and card["occupation"] == "教师" and card["gender"] == "male"
    assert template.name == "hotel-guest"


def test_declining_asks_whether_to_discard_and_can_go_back(db_target, tmp_path):
    env = zh_env(tmp_path)
    out = tmp_path / "out.txt"
    term = Terminal(["--db", db_target, "add", "-t", "hotel-guest", "-c", "C"], env, str(out))
    drive(term, load_template("hotel-guest"), {"name": "钱七", "phone": "13611112222"})
    term.wait("保存这张资料卡")
    term.key(DOWN, "\r")                                   # 修改某一项
    term.wait("改哪一项")
    term.key("\r")                                         # the first field: 名称
    term.question("名称 *")
    term.key(KILL_LINE)
    term.type("钱七七")
    term.wait("保存这张资料卡")
    term.key(DOWN, DOWN, "\r")                             # 放弃
    term.wait("确定放弃")
    term.key("\r")                                         # 否 (the default): back to the summary
    term.wait("保存这张资料卡")
    term.key("\r")
    assert term.finish() == 0, term.since()
    assert card_of(db_target, out.read_text(encoding="utf-8").strip(), env)["name"] == "钱七七"


FULL = {
    "individual": {"name": "赵六", "id_number": ID_MALE, "phone": "13912340000", "education": "bachelor",
                   "marital_status": "married", "annual_spend": "50000"},
    "enterprise": {"name": "北京华信科技有限公司", "credit_code": CREDIT_CODE, "registered_capital": "5000000",
                   "enterprise_type": "private", "bank_account": "0200001234567890"},
    "hotel-guest": {"name": "钱七", "phone": "13611112222"},
    "property-owner": {"name": "何九", "phone": "13977778888", "room_number": "1-101", "political_status": "masses",
                       "move_in_fees_paid": "true"},
    "logistics": {"name": "顺达物流", "credit_code": OTHER_CREDIT_CODE},
}


@pytest.mark.parametrize("name", TEMPLATES)
def test_edit_with_enter_through_everything_changes_nothing(db_target, tmp_path, name):
    env = zh_env(tmp_path)
    template = load_template(name)
    values = {key: value for key, value in FULL[name].items() if key in template.fields}
    sets = [item for key, value in values.items() for item in ("--set", f"{key}={value}")]
    added = run_process("--db", db_target, "add", "--no-input", "-t", name, "-c", "C", *sets, env=env)
    assert added.returncode == 0, added.stderr
    number = added.stdout.strip()
    before = card_of(db_target, number, env)
    out = tmp_path / "out.txt"
    term = Terminal(["--db", db_target, "edit", number], env, str(out))
    for spec in questions(template, id_given="id_number" in values):
        term.question(spec.label_zh + (" *" if spec.required else ""))
        term.key("\r")
    term.wait("没有变化")
    assert term.finish() == 0, term.since()
    assert card_of(db_target, number, env) == before
    history = json.loads(run_process("--db", db_target, "history", number, "--json", env=env).stdout)["changes"]
    assert [entry["action"] for entry in history if entry["action"] not in ("reveal",)] == ["create"]


def test_edit_previews_the_changes_and_clearing_a_choice_with_skip_saves(db_target, tmp_path):
    env = zh_env(tmp_path)
    template = load_template("enterprise")
    values = FULL["enterprise"]
    sets = [item for key, value in values.items() for item in ("--set", f"{key}={value}")]
    number = run_process("--db", db_target, "add", "--no-input", "-t", "enterprise", "-c", "B", *sets,
                         env=env).stdout.strip()
    term = Terminal(["--db", db_target, "edit", number, "--reason", "更正"], env, str(tmp_path / "out.txt"))
    choices = [c["value"] for c in template.fields["enterprise_type"].choices]
    for spec in questions(template):
        term.question(label(spec))
        if spec.name == "enterprise_type":
            term.key(*[DOWN] * (len(choices) - choices.index("private")), "\r")   # down to "—"
        elif spec.name == "registered_capital":
            term.wait(r"5000000(?!\.)")                  # the default as typed, not 5000000.0
            term.key(KILL_LINE)
            term.type("600万")
        else:
            term.key("\r")
    term.wait("将要保存的修改")
    preview = term.wait(r"保存修改").string
    assert "企业性质" in preview and "民营企业" in preview and "注册资本" in preview and "6,000,000.00" in preview
    term.key("\r")
    assert term.finish() == 0, term.since()
    card = card_of(db_target, number, env)
    assert card.get("enterprise_type") is None and card["registered_capital"] == 6000000
    assert card["bank_account"] == values["bank_account"] and card["credit_code"] == CREDIT_CODE
    history = json.loads(run_process("--db", db_target, "history", number, "--json", env=env).stdout)["changes"]
    updates = {entry["field"] for entry in history if entry["action"] == "update"}
    assert updates == {"enterprise_type", "registered_capital"}
    assert all(entry["reason"] == "更正" for entry in history if entry["action"] == "update")


def test_a_viewer_is_refused_before_the_first_question(db_target, tmp_path):
    env = zh_env(tmp_path)
    assert run_process("--db", db_target, "user", "add", "王芳", "--role", "admin", env=env).returncode == 0
    assert run_process("--db", db_target, "user", "add", "老赵", "--role", "viewer", env=env).returncode == 0
    term = Terminal(["--db", db_target, "--as", "老赵", "add", "-t", "individual", "-c", "C"], env)
    term.wait("may not add|不能|无权")
    assert term.finish() == 1
    assert "? 名称" not in term.text
    term = Terminal(["--db", db_target, "add", "-t", "hotel-guest", "-c", "Z"], env)
    term.wait("unknown category 'Z'|未知类别")
    assert term.finish() == 1
    assert "? 名称" not in term.text


def test_swot_interactive_prompts_on_the_terminal_json_in_the_file_and_ctrl_c_keeps_finished_items(db_target, tmp_path):
    env = zh_env(tmp_path)
    number = run_process("--db", db_target, "add", "--no-input", "-t", "enterprise", "-c", "A", "--set", "name=某保险公司",
                         env=env).stdout.strip()
    out = tmp_path / "sw.json"
    term = Terminal(["--db", db_target, "swot", number, "interactive", "--json"], env, str(out))
    term.wait(r"\? 新的优势")
    term.type("强大的销售团队")
    term.wait(r"(?s)\? 强度 \(影响\).*?» — 不评分")
    term.key("\r")                                        # skip is the default and an explicit choice
    term.wait(r"\? 这意味着")
    term.type("")
    term.wait(r"\? 行动")
    term.type("")
    term.wait(r"\? 新的优势")
    term.type("")
    term.wait(r"\? 新的劣势")
    term.type("")
    term.wait(r"\? 新的机会")
    term.type("新市场")
    term.wait(r"\? 强度")
    term.key("\x03")                                      # Ctrl-C while the opportunity is half typed
    term.wait("已中断:保存了已完成的 1 条")
    assert term.finish() == 130
    saved = json.loads(out.read_text(encoding="utf-8"))
    assert saved["text"] == "强大的销售团队" and saved.get("impact") is None and "?" not in out.read_text()
    items = json.loads(run_process("--db", db_target, "swot", number, "show", "--json", env=env).stdout)
    assert "新市场" not in json.dumps(items, ensure_ascii=False)


def test_profile_edit_asks_on_the_terminal(db_target, tmp_path):
    env = zh_env(tmp_path)
    number = run_process("--db", db_target, "add", "--no-input", "-t", "enterprise", "-c", "A", "--set", "name=某保险公司",
                         env=env).stdout.strip()
    out = tmp_path / "out.txt"
    term = Terminal(["--db", db_target, "profile", number, "edit"], env, str(out))
    term.wait(r"\? 1\.1\.1 产品与业务")
    term.type("寿险")
    for _ in range(60):
        match = term.wait(r"\? (保存修改|\d[\d.]* \S+)")
        if match.group(1) == "保存修改":
            break
        term.type("")
    term.key("\r")
    assert term.finish() == 0, term.since()
    assert "? " not in out.read_text(encoding="utf-8") and "寿险" in out.read_text(encoding="utf-8")


def test_edit_masks_sensitive_values_for_a_clerk_and_a_viewer_is_refused_up_front(db_target, tmp_path):
    env = zh_env(tmp_path)
    assert run_process("--db", db_target, "user", "add", "王芳", "--role", "admin", env=env).returncode == 0
    for user, role in (("小李", "clerk"), ("老赵", "viewer")):
        assert run_process("--db", db_target, "--as", "王芳", "user", "add", user, "--role", role, env=env).returncode == 0
    number = run_process("--db", db_target, "add", "--no-input", "-t", "individual", "-c", "C", "--set", "name=赵六",
                         "--set", f"id_number={ID_MALE}", "--set", "phone=13912340000", env=env).stdout.strip()
    # a clerk edits their own archives (data scopes: tests/cards/test_owners.py)
    assert run_process("--db", db_target, "--as", "王芳", "assign", number, "--owner", "小李", env=env).returncode == 0
    term = Terminal(["--db", db_target, "--as", "老赵", "edit", number], env)
    term.wait("may not update|无权")
    assert term.finish() == 1 and "? 名称" not in term.text
    term = Terminal(["--db", db_target, "--as", "小李", "edit", number], env)
    for spec in questions(load_template("individual"), id_given=True):
        term.question(label(spec))
        term.key("\r")
    term.wait("没有变化")
    assert term.finish() == 0
    assert "[当前 110105********1239:回车保留" in term.text and ID_MALE not in term.text
    card = card_of(db_target, number, env)
    assert card["id_number"] == ID_MALE and card["gender"] == "male"


def test_edit_racing_a_colleague_keeps_the_typed_values_and_says_what_conflicted(db_target, tmp_path):
    env = zh_env(tmp_path)
    number = run_process("--db", db_target, "add", "--no-input", "-t", "hotel-guest", "-c", "C", "--set", "name=钱七",
                         "--set", "phone=13611112222", env=env).stdout.strip()
    term = Terminal(["--db", db_target, "edit", number], env)
    for spec in questions(load_template("hotel-guest")):
        term.question(label(spec))
        if spec.name == "phone":
            term.key(KILL_LINE)
            term.type("13622223333")
        else:
            term.key("\r")
    term.wait("保存修改")
    assert run_process("--db", db_target, "update", number, "--set", "phone=13633334444", env=env).returncode == 0
    term.key("\r")
    term.wait("同事刚改过这张卡的 手机;你输入的值都还在")
    term.wait("保存修改")
    term.key("\r")
    assert term.finish() == 0, term.since()
    assert card_of(db_target, number, env)["phone"] == "13622223333"

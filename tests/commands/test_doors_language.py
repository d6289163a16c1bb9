"""The screen in the user's language beyond the form itself: the multi-choice answer line, the
``错误:`` line of a refusal (exit codes unchanged), the import summary and ``--help``."""
from __future__ import annotations


import pytest

from custarchive.core.templates import load_template
from tests.commands.terminal import DOWN, Terminal, zh_env
from tests.commands.test_card_entry import card_of, label, questions
from tests.helpers import snapshot


@pytest.mark.slow
@pytest.mark.parametrize("lang, words", [("zh", "运动健身、旅游"), ("en", "Sports and fitness, Travel")])
def test_multi_choice_answer_line_shows_the_ticked_labels(db_target, tmp_path, lang, words):
    env = zh_env(tmp_path)
    out = tmp_path / "out.txt"
    template = load_template("individual")
    term = Terminal(["--db", db_target, "--lang", lang, "add", "-t", "individual", "-c", "C"], env, str(out),
                    columns=80)
    answers = {"name": "测试", "phone": "13800001111"}
    for spec in questions(template):
        term.wait(r"\? " + (label(spec) if lang == "zh" else spec.label_en))
        if spec.name in answers:
            term.type(answers[spec.name])
        elif spec.name == "hobbies":
            term.key(" ", DOWN, " ", "\r")
            term.wait(words)
        else:
            term.key("\r")
    term.wait("保存这张资料卡" if lang == "zh" else "Save this card")
    term.key("\r")
    assert term.finish() == 0, term.since()
    assert "selections)" not in term.text and "done (" not in term.text
    card = card_of(db_target, out.read_text(encoding="utf-8").strip(), env)
    assert card["hobbies"] == ["sports", "travel"]


def test_error_line_is_in_the_users_language_with_the_same_exit_code(cli, db_target):
    number = cli.add({"name": "张三", "phone": "13912345678"}, "-t", "individual")
    before = snapshot(db_target)
    zh = cli("--lang", "zh", "update", number, "--set", "phone=123")
    assert zh.exit_code == 1
    assert zh.stderr.startswith("错误:手机:不是大陆手机号") and "error" not in zh.stderr
    en = cli("--lang", "en", "update", number, "--set", "phone=123")
    assert en.exit_code == 1 and en.stderr.startswith("error: phone: not a mainland China mobile")
    missing = cli("--lang", "zh", "show", "X-1")
    assert missing.exit_code == 1 and missing.stderr == "错误:没有与 'X-1' 相符的档案\n"
    template_field = cli("--lang", "zh", "update", number, "--set", "children_count=-1")
    assert template_field.stderr == "错误:子女人数:不能小于 0('-1')\n"
    assert snapshot(db_target) == before


def test_error_word_follows_lang_from_the_environment(cli):
    result = cli("show", "X-1", env={"LANG": "zh_CN.UTF-8"})
    assert result.exit_code == 1 and result.stderr.startswith("错误:")


HELP_COMMANDS = ("add", "edit", "update", "grade", "list", "show", "import", "export", "search")


@pytest.mark.parametrize("command", HELP_COMMANDS)
def test_help_is_chinese_under_a_chinese_locale_and_fits_80_columns(command):
    from custarchive.commands.helptext import cells
    from tests.helpers import run_process

    zh = run_process(command, "--help", env={"LANG": "zh_CN.UTF-8", "COLUMNS": "80"})
    assert zh.returncode == 0 and zh.stdout.startswith("用法:") and "选项:" in zh.stdout
    assert "显示本帮助并退出" in zh.stdout and "Show this message" not in zh.stdout
    assert all(cells(line) <= 80 for line in zh.stdout.splitlines()), zh.stdout
    en = run_process("--lang", "en", command, "--help", env={"LANG": "zh_CN.UTF-8", "COLUMNS": "80"})
    assert en.stdout.startswith("Usage:") and "选项" not in en.stdout


def test_help_data_names_only_real_commands_and_options_and_covers_the_front_doors():
    import typer

    from custarchive.cli import app
    from custarchive.commands.helptext import _texts

    group = typer.main.get_command(app)
    texts = _texts()["commands"]
    for path, text in texts.items():
        command = group
        for word in path.split():
            command = command.commands[word]
        options = {opt for param in command.params if param.param_type_name == "option" for opt in param.opts}
        arguments = {param.name for param in command.params if param.param_type_name == "argument"}
        assert set(text.get("options", {})) <= options, path
        assert set(text.get("arguments", {})) <= arguments, path
    assert set(texts) >= set(group.commands)                    # the whole command list is Chinese
    for name in HELP_COMMANDS:
        command = group.commands[name]
        wanted = {param.opts[0] if param.param_type_name == "option" else param.name for param in command.params}
        given = {*texts[name].get("options", {}), *texts[name].get("arguments", {})}
        missing = {w for w in wanted if not any(w == g or w in getattr(p, "opts", ()) and g in p.opts
                                                for g in given for p in command.params)}
        assert not missing, (name, missing)


def test_zh_help_of_the_command_list(cli):
    result = cli("--help", env={"LANG": "zh_CN.UTF-8"})
    assert result.exit_code == 0 and "新增一张客户资料卡" in result.stdout and "命令:" in result.stdout

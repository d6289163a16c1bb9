"""A phone or e-mail that ``update`` or ``edit`` makes shared with another archive is warned about (number
and name of the other archive only); the change is still saved. IDs and credit codes stay refused."""
from __future__ import annotations

import pytest

from tests.builders import resident_id
from custarchive.core.templates import load_template
from tests.commands.terminal import KILL_LINE, Terminal, zh_env
from tests.commands.test_card_entry import label, questions
from tests.helpers import run_process, snapshot


def test_update_warns_when_a_changed_phone_or_email_matches_another_archive(cli, db_target):
    taken_id = resident_id()
    first = cli.add({"name": "张三", "phone": "13812341234", "email": "zs@example.com",
                     "id_number": taken_id, "address": "北京市海淀区"})
    second = cli.add({"name": "李四", "phone": "13900001111"})
    result = cli("update", second, "--set", "phone=138 1234 1234")
    assert result.exit_code == 0
    # another name on the same phone is a related archive (a family, a shared line), said by the dedupe scorer
    assert f"warning: {second}: related archive {first} 张三 (same phone, address or e-mail; owner " in result.stderr
    assert "北京" not in result.stderr and "zs@" not in result.stderr              # nothing else of the other card
    zh = cli("--lang", "zh", "update", second, "--set", "email=zs@example.com")
    assert f"注意:{second}:可能与 {first} 张三 重复(概率" in zh.stderr   # phone and e-mail both now shared
    again = cli("update", second, "--set", "notes=老客户")            # no compared field changed: nothing said
    assert "duplicate" not in again.stderr and "related" not in again.stderr
    before = snapshot(db_target)
    taken = cli("update", second, "--set", f"id_number={taken_id}")
    assert taken.exit_code == 1 and f"already held by archive {first}" in taken.stderr
    assert snapshot(db_target) == before


@pytest.mark.slow
def test_edit_warns_at_the_phone_field_when_it_matches_another_archive(db_target, tmp_path):
    env = zh_env(tmp_path)
    run_process("--db", db_target, "add", "--no-input", "-t", "enterprise", "--set", "name=华信科技",
                "--set", "phone=0755-88886666", env=env)
    number = run_process("--db", db_target, "add", "--no-input", "-t", "enterprise", "--set", "name=金蝶",
                         "--set", "phone=010-62345678", env=env).stdout.strip()
    term = Terminal(["--db", db_target, "edit", number], env, str(tmp_path / "out.txt"), columns=80)
    for spec in questions(load_template("enterprise")):
        term.question(label(spec))
        if spec.name != "phone":
            term.key("\r")
            continue
        term.key(KILL_LINE)
        term.type("075588886666")
        term.wait("华信科技 的手机相同")
        term.wait("怎么办")
        term.key("\r")                               # continue: a different customer
    term.wait("保存修改")
    term.key("\r")
    assert term.finish() == 0, term.since()
    shown = run_process("--db", db_target, "show", number, "--json", env=env)
    assert '"phone": "0755-88886666"' in shown.stdout

"""Interactive entry in a real pseudo-terminal (pexpect), as a person types it."""
from __future__ import annotations

import json
import os
import sys

import pexpect
import pytest

from tests.builders import resident_id
from tests.helpers import ROOT, run_process

pytestmark = pytest.mark.slow  # every test drives a real pseudo-terminal

TEMPLATE = '''name = "mini"
kind = "individual"
label_zh = "简卡"
label_en = "Mini card"
[[sections]]
id = "basic"
label_zh = "基本"
label_en = "Basic"
fields = [ { name = "name", required = true }, { name = "id_number" }, { name = "gender" }, { name = "phone" } ]
'''


@pytest.fixture
def terminal_env(tmp_path):
    folder = tmp_path / "config" / "templates"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "mini.toml").write_text(TEMPLATE, encoding="utf-8")
    return {**os.environ, "PYTHONPATH": str(ROOT), "TERM": "xterm", "LANG": "en_US.UTF-8", "PROMPT_TOOLKIT_NO_CPR": "1",
            "CUSTARCHIVE_CONFIG_DIR": str(tmp_path / "config"), "CUSTARCHIVE_DATA_DIR": str(tmp_path / "data"),
            "CUSTARCHIVE_USER": "clerk1"}


def spawn(args, env):
    child = pexpect.spawn(sys.executable, ["-m", "custarchive", *args], env=env, encoding="utf-8",
                          timeout=30, dimensions=(40, 120))
    return child


def test_interactive_add_validates_derives_confirms_and_saves(db_target, terminal_env):
    child = spawn(["--db", db_target, "add", "--template", "mini", "--category", "A"], terminal_env)
    child.expect("Name")
    child.send("\r")
    child.expect("required")
    child.send("张伟\r")
    child.expect("Resident ID")
    child.send("123\r")
    child.expect("18 characters")
    child.send("\x08\x08\x08" + resident_id("19800101", male=True) + "\r")
    child.expect("from the resident ID: Gender Male")   # derived, so not asked
    child.expect("Phone")
    child.send("12345\r")
    child.expect("mainland")
    child.send("\x08" * 5 + "13912345678\r")
    child.expect("Save this card")
    child.send("\r")
    child.expect(r"A-\d{4}-00001")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    card = json.loads(run_process("--db", db_target, "show", "A", "--json").stdout if False else
                      run_process("--db", db_target, "show", "张伟", "--json", "--reveal").stdout)
    assert card["gender"] == "male" and card["birth_date"] == "1980-01-01" and card["phone"] == "13912345678"


def test_ctrl_c_saves_nothing(db_target, terminal_env):
    child = spawn(["--db", db_target, "add", "--template", "mini", "--category", "A"], terminal_env)
    child.expect("Name")
    child.send("王五\r")
    child.expect("Resident ID")
    child.sendintr()
    child.expect("nothing was saved")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus != 0
    assert not os.path.exists(db_target) or "王五" not in run_process("--db", db_target, "list", "--json").stdout


def test_warns_about_duplicate_before_saving_and_declining_saves_nothing(db_target, terminal_env):
    assert run_process("--db", db_target, "add", "--no-input", "--set", "name=李四", "--set", "phone=13912345678").returncode == 0
    child = spawn(["--db", db_target, "add", "--template", "mini", "--category", "B"], terminal_env)
    child.expect("Name")
    child.send("李四\r")
    child.expect("李四 has the same name")   # number and name of the other card, right after the field
    child.expect("What now")
    child.send("\r")                       # continue
    child.expect("Resident ID")
    child.send("\r")
    child.expect("Gender")
    child.send("\r")
    child.expect("Phone")
    child.send("13912345678\r")
    child.expect("李四 has the same phone")
    child.expect("What now")
    child.send("\x1b[A\r")                # stop, save nothing
    child.expect("not saved")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 1
    assert len(json.loads(run_process("--db", db_target, "list", "--json").stdout)) == 1


def test_interactive_edit(db_target, terminal_env):
    number = run_process("--db", db_target, "add", "--no-input", "--template", "mini", "--set", "name=赵六").stdout.strip()
    child = spawn(["--db", db_target, "edit", number, "--reason", "更正"], terminal_env)
    child.expect("Name")
    child.send("\r")                       # keep
    child.expect("Resident ID")
    child.send("\r")
    child.expect("Gender")
    child.send("\r")
    child.expect("Phone")
    child.send("13800000000\r")
    child.expect("Changes to save")
    child.expect("Save changes")
    child.send("\r")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    history = json.loads(run_process("--db", db_target, "history", number, "--json").stdout)["changes"]
    assert history[-1]["field"] == "phone" and history[-1]["new"] == "13800000000" and history[-1]["reason"] == "更正"

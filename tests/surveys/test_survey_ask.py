"""survey ask: a phone interview in a real pseudo-terminal (pexpect), as a clerk types it."""
from __future__ import annotations

import os
import sys
import time

import pexpect
import pytest

from tests.helpers import ROOT, db_rows, run_process

pytestmark = pytest.mark.slow  # every test drives a real pseudo-terminal

QUESTIONNAIRE = '''name = "call"
title_en = "Follow-up call"
[[sections]]
id = "s"
label_en = "Call"
  [[sections.questions]]
  id = "quality"
  type = "scale"
  text_en = "Quality"
  [[sections.questions]]
  id = "job"
  type = "text"
  text_en = "Occupation"
  field = "occupation"
  [[sections.questions]]
  id = "spend"
  type = "number"
  text_en = "Monthly spend"
  minimum = 0
  [[sections.questions]]
  id = "gender"
  type = "choice"
  text_en = "Gender"
  field = "gender"
  choices = [ { value = "male", label_en = "Male" }, { value = "female", label_en = "Female" } ]
'''


@pytest.fixture
def terminal_env(tmp_path):
    folder = tmp_path / "config" / "surveys"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "call.toml").write_text(QUESTIONNAIRE, encoding="utf-8")
    return {**os.environ, "PYTHONPATH": str(ROOT), "TERM": "xterm", "LANG": "en_US.UTF-8",
            "CUSTARCHIVE_CONFIG_DIR": str(tmp_path / "config"), "CUSTARCHIVE_DATA_DIR": str(tmp_path / "data"),
            "CUSTARCHIVE_USER": "clerk1"}


def keys(child, *sequence):
    """Keys one at a time, as a person presses them (prompt_toolkit reads escape sequences per key)."""
    for key in sequence:
        time.sleep(0.3)
        child.send(key)


def spawn(args, env):
    return pexpect.spawn(sys.executable, ["-m", "custarchive", *args], env=env, encoding="utf-8", timeout=30,
                         dimensions=(40, 120))


def add_card(db_target, env) -> str:
    result = run_process("--db", db_target, "add", "--no-input", "--set", "name=张伟", "--set", "phone=13912345678",
                         env={key: env[key] for key in ("CUSTARCHIVE_CONFIG_DIR", "CUSTARCHIVE_DATA_DIR")})
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_phone_interview_checks_answers_as_typed_skips_and_saves(db_target, terminal_env):
    number = add_card(db_target, terminal_env)
    child = spawn(["--db", db_target, "survey", "ask", "call", number], terminal_env)
    child.expect("Quality")
    keys(child, "\x1b[B", "\x1b[B", "\x1b[B", "\x1b[B", "\r")  # from the skip item (highlighted) round to 4 Good
    child.expect("Occupation")
    child.send("教师\r")
    child.expect("Monthly spend")
    child.send("-5\r")
    child.expect("at least 0")
    child.send("\x08\x08300\r")
    child.expect("Gender")
    keys(child, "\r")  # the skip item is highlighted on an optional question: Enter means no answer
    child.expect("Save 3 answer")
    child.send("\r")   # Yes is highlighted: Enter saves
    child.expect(f"saved: {number}")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    answers = {q: (t, n) for q, t, n in db_rows(db_target, "SELECT question, text, number FROM survey_answers")}
    assert answers == {"quality": (None, 4.0), "job": ("教师", None), "spend": (None, 300.0)}
    assert db_rows(db_target, "SELECT channel FROM survey_responses") == [("phone",)]
    assert db_rows(db_target, "SELECT field, new_value, source FROM change_log WHERE action = 'update'") == [
        ("occupation", "教师", "survey")]


def test_ctrl_c_in_an_interview_saves_nothing(db_target, terminal_env):
    number = add_card(db_target, terminal_env)
    child = spawn(["--db", db_target, "survey", "ask", "call", number], terminal_env)
    child.expect("Quality")
    child.send("\r")
    child.expect("Occupation")
    child.send("\x03")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130
    assert db_rows(db_target, "SELECT COUNT(*) FROM survey_responses") == [(0,)]

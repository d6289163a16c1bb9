"""Long commands show a progress bar on a terminal (stderr) and nothing extra when redirected:
export to a file, check, backup."""
from __future__ import annotations

import pytest

from tests.commands.terminal import Terminal, zh_env
from tests.helpers import backend_of, run_process

pytestmark = pytest.mark.slow   # real pseudo-terminals


def test_export_check_and_backup_show_progress_only_on_a_terminal(db_target, tmp_path):
    env = zh_env(tmp_path)
    for n in range(3):
        assert run_process("--db", db_target, "add", "--no-input", "-t", "enterprise", "--set", f"name=公司{n}",
                           env=env).returncode == 0
    runs = [(["export", "-o", str(tmp_path / "out.csv")], "导出中"), (["check"], "检查中")]
    if backend_of(db_target) == "sqlite":                     # PostgreSQL is backed up with pg_dump
        runs.append((["backup", str(tmp_path / "copy.db"), "--force"], "备份中"))
    for args, bar in runs:
        term = Terminal(["--db", db_target, *args], env, columns=80)
        assert term.finish() == 0, term.since()
        assert bar in term.raw, (args, term.text)
        plain = run_process("--db", db_target, *args, env=env)
        assert plain.returncode == 0 and bar not in plain.stderr and "━" not in plain.stderr
    assert (tmp_path / "out.csv").read_text(encoding="utf-8-sig").count("公司") == 3

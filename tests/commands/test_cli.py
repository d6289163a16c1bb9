"""The entry point: the command table, lean start-up, global options."""
from __future__ import annotations

import importlib

import typer

from custarchive import cli
from tests.helpers import run_process


def test_command_table_matches_what_modules_register():
    for module, commands in cli.COMMANDS_BY_MODULE.items():
        app = typer.Typer()
        importlib.import_module(f"custarchive.commands.{module}").register(app)
        registered = [c.name or c.callback.__name__ for c in app.registered_commands] + \
                     [g.name for g in app.registered_groups]
        assert tuple(registered) == commands, module


def test_command_name_skips_global_options():
    assert cli.command_name(["--db", "x.db", "--as", "li", "--quiet", "show", "A"]) == "show"
    assert cli.command_name(["--lang", "zh", "--help"]) is None
    assert cli.command_name(["--db=x.db", "list"]) == "list"


def test_a_single_command_loads_only_its_module(db_target):
    probe = ("import sys, runpy; sys.argv = ['custarchive', '--db', %r, 'list', '--json']\n"
             "try:\n    runpy.run_module('custarchive', run_name='__main__')\nexcept SystemExit:\n    pass\n"
             "print(sorted(m for m in sys.modules if m.startswith('custarchive.commands.')), file=sys.stderr)")
    import subprocess
    import sys

    from tests.helpers import ROOT

    assert run_process("--db", db_target, "add", "--no-input", "--set", "name=甲", "--set", "phone=13912345678").returncode == 0
    result = subprocess.run([sys.executable, "-c", probe % db_target], capture_output=True, text=True,
                            env={**__import__("os").environ, "PYTHONPATH": str(ROOT)})
    assert "custarchive.commands.browse" in result.stderr and "custarchive.commands.cards" not in result.stderr
    assert "custarchive.commands.swot" not in result.stderr and "custarchive.commands.security" not in result.stderr


def test_help_lists_every_command_and_version():
    result = run_process("--help")
    assert result.returncode == 0
    for commands in cli.COMMANDS_BY_MODULE.values():
        for command in commands:
            assert command in result.stdout
    assert run_process("--version").stdout.startswith("custarchive ")
    assert run_process("nonsense").returncode == 2

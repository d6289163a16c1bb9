"""The command-line entry point: global options, command registration, error reporting.

Command modules are imported here but import their domain modules lazily,
inside each command, so ``custarchive --help`` stays as fast as a bare Typer app.
"""
from __future__ import annotations

import importlib
import os
import sys
from typing import Optional

import typer
from typer.core import TyperGroup

from custarchive import __version__
from custarchive.context import AppContext
from custarchive.errors import CustarchiveError

# Each module exposes ``register(app)``; the order is the order in --help.
COMMAND_MODULES = (
    "cards",
    "transfer",
    "reference",
    "credit",
    "swot",
    "profile",
    "documents",
    "timeline",
    "money",
    "maintenance",
    "dbadmin",
    "security",
)


class _ReportingGroup(TyperGroup):
    """Turns every domain error into one line on stderr and its documented exit code."""

    def list_commands(self, ctx):
        return list(self.commands)

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except CustarchiveError as exc:
            sys.stderr.write(f"error: {exc.message}\n")
            raise typer.Exit(exc.exit_code) from None
        except KeyboardInterrupt:
            sys.stderr.write("interrupted: nothing was saved\n")
            raise typer.Exit(130) from None
        except BrokenPipeError:
            raise typer.Exit(0) from None
        finally:
            app_ctx = ctx.obj
            if isinstance(app_ctx, AppContext):
                app_ctx.close()


app = typer.Typer(
    cls=_ReportingGroup,
    name="custarchive",
    help="Customer archive (客户档案) manager: cards, numbering, change log, credit, worksheets, documents.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"custarchive {__version__}")
        raise typer.Exit()


@app.callback()
def _global(
    ctx: typer.Context,
    db: Optional[str] = typer.Option(None, "--db", metavar="TARGET", help="Database file or SQLAlchemy URL (else $CUSTARCHIVE_DB, else the per-user data directory)."),
    operator: Optional[str] = typer.Option(None, "--as", metavar="OPERATOR", help="Who is acting (else $CUSTARCHIVE_USER, else the login name)."),
    lang: Optional[str] = typer.Option(None, "--lang", metavar="zh|en", help="Language of labels, prompts and headers (else from LANG)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Only errors on stderr."),
    no_color: bool = typer.Option(False, "--no-color", help="No colour in output."),
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Show the version."),
) -> None:
    if lang is not None and lang not in ("zh", "en"):
        raise typer.BadParameter("must be zh or en", param_hint="--lang")
    app_ctx = AppContext(db_target=db, quiet=quiet, color=not no_color and "NO_COLOR" not in os.environ)
    if operator:
        app_ctx.operator = operator
    if lang:
        app_ctx.lang = lang
    ctx.obj = app_ctx


for _name in COMMAND_MODULES:
    importlib.import_module(f"custarchive.commands.{_name}").register(app)


def main() -> None:
    try:
        app()
    except CustarchiveError as exc:  # raised outside a command (e.g. while parsing)
        sys.stderr.write(f"error: {exc.message}\n")
        sys.exit(exc.exit_code)

"""The command-line entry point: global options, command registration, error reporting.

Command modules import their domain modules lazily, inside each command, and
``main`` loads only the module of the command being run (Typer converts every
registered command on each start, ~1 ms each), so start-up stays close to a
bare Typer app's.
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

# Each module exposes ``register(app)``; the order is the order in --help, and the commands are the
# top-level names it registers (tests/test_cli.py keeps this table true).
COMMANDS_BY_MODULE = {
    "cards": ("add", "update", "edit", "close", "reopen"),
    "browse": ("show", "list", "search", "history"),
    "transfer": ("import", "export"),
    "reference": ("info", "template", "category"),
    "credit": ("grade", "finance"),
    "swot": ("swot",),
    "profile": ("profile",),
    "documents": ("doc",),
    "timeline": ("timeline", "due", "log"),
    "txn": ("txn",),
    "maintenance": ("classify", "dedupe", "merge", "audit", "report"),
    "dbadmin": ("db",),
    "security": ("subject-export", "erase", "check", "backup", "restore", "user", "consent", "key"),
    "survey": ("survey",),
    "paper": ("print",),
    "team": ("assign", "reassign", "claim", "pool", "collab"),
}
COMMAND_MODULES = tuple(COMMANDS_BY_MODULE)
_MODULE_OF = {command: module for module, commands in COMMANDS_BY_MODULE.items() for command in commands}
_GLOBAL_WITH_VALUE = {"--db", "--as", "--lang"}


class _ReportingGroup(TyperGroup):
    """Turns every domain error into one line on stderr and its documented exit code."""

    def list_commands(self, ctx):
        return list(self.commands)

    def main(self, args=None, *rest, **kwargs):
        from custarchive.commands import helptext

        given = list(sys.argv[1:] if args is None else args)
        restore = None
        if helptext.wants_help(given) and helptext.lang_of(given) == "zh":
            restore = helptext.localise(self)     # --help in Chinese (data/help_zh.toml)
        try:
            return super().main(given, *rest, **kwargs)
        finally:
            if restore is not None:
                restore()

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except CustarchiveError as exc:
            from custarchive.core.texts import error_text

            lang = ctx.obj.lang if isinstance(ctx.obj, AppContext) else None
            sys.stderr.write(error_text(exc, lang or _env_lang()) + "\n")
            if isinstance(ctx.obj, AppContext):
                ctx.obj.discard_created()          # a refused first command leaves no database behind
            raise typer.Exit(exc.exit_code) from None
        except (KeyboardInterrupt, EOFError):          # Ctrl-C, or Ctrl-D in a prompt
            zh = isinstance(ctx.obj, AppContext) and ctx.obj.lang == "zh"
            sys.stderr.write("已中断,未保存任何内容\n" if zh else "interrupted: nothing was saved\n")
            raise typer.Exit(130) from None
        except BrokenPipeError:
            raise typer.Exit(0) from None
        finally:
            app_ctx = ctx.obj
            if isinstance(app_ctx, AppContext):
                app_ctx.close()


def _env_lang() -> str:
    from custarchive.context import default_lang

    return default_lang()


def _version(value: bool) -> None:
    if value:
        typer.echo(f"custarchive {__version__}")
        raise typer.Exit()


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
        app_ctx.operator, app_ctx.operator_given = operator, True
    if lang:
        app_ctx.lang = lang
    ctx.obj = app_ctx


def build_app(modules=COMMAND_MODULES) -> typer.Typer:
    """The Typer app with the global options and the commands of ``modules``."""
    app = typer.Typer(
        cls=_ReportingGroup,
        name="custarchive",
        help="Customer archive (客户档案) manager: cards, numbering, change log, credit, worksheets, documents.",
        no_args_is_help=True,
        add_completion=False,
        rich_markup_mode=None,  # plain click help and usage errors: quicker, and one-line errors for scripts
        pretty_exceptions_enable=False,
        context_settings={"help_option_names": ["-h", "--help"]},
    )
    app.callback()(_global)
    for name in modules:
        importlib.import_module(f"custarchive.commands.{name}").register(app)
    return app


def command_name(args: list[str]) -> str | None:
    """The command word of an argument list, skipping the global options before it."""
    skip = False
    for arg in args:
        if skip:
            skip = False
        elif arg in _GLOBAL_WITH_VALUE:
            skip = True
        elif not arg.startswith("-"):
            return arg
    return None


def __getattr__(name: str):
    """``custarchive.cli.app``: the full app, built on first use (tests, python -m)."""
    if name == "app":
        globals()["app"] = built = build_app()
        return built
    raise AttributeError(name)


def main() -> None:
    module = _MODULE_OF.get(command_name(sys.argv[1:]) or "")
    try:
        build_app((module,) if module else COMMAND_MODULES)()
    except CustarchiveError as exc:  # raised outside a command (e.g. while parsing)
        from custarchive.core.texts import error_text

        sys.stderr.write(error_text(exc, _env_lang()) + "\n")
        sys.exit(exc.exit_code)

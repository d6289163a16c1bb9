"""``--help`` in the user's language: the Chinese texts are data (``data/help_zh.toml``), applied to
the click command tree only when help is asked for under ``--lang zh`` or a Chinese ``LANG``.

A command or parameter the file does not list keeps its English text, so a new option is never
without help; click's and Typer's own words (``Usage:``, ``Options:`` …) come from ``[chrome]``.
"""
from __future__ import annotations

import functools
import re
import types
import unicodedata

HELP_FLAGS = ("--help", "-h")


def wants_help(args: list[str]) -> bool:
    """Whether this invocation prints help: a help flag, or a bare group (``no_args_is_help``)."""
    return not args or any(arg in HELP_FLAGS for arg in args)


def lang_of(args: list[str]) -> str:
    """``--lang`` among the arguments, else from the environment (as :class:`AppContext` decides)."""
    for index, arg in enumerate(args[:-1]):
        if arg == "--lang" and args[index + 1] in ("zh", "en"):
            return args[index + 1]
    from custarchive.context import default_lang

    return default_lang()


@functools.cache
def _texts() -> dict:
    import tomllib
    from importlib.resources import files

    return tomllib.loads(files("custarchive").joinpath("data/help_zh.toml").read_text(encoding="utf-8"))


def localise(group):
    """Put the Chinese texts on ``group`` (the top-level click group) and every command below it,
    and let click wrap by display width (a Chinese character takes two columns). Returns the
    function that puts click's own wrapping back (tests run many invocations in one process)."""
    from typer._click import formatting      # Typer carries its own copy of click

    plain_wrap = formatting.wrap_text
    formatting.wrap_text = wrap_text
    texts = _texts()
    _apply(group, texts.get("global", {}), texts["chrome"])
    for name, command in group.commands.items():
        _walk(command, name, texts.get("commands", {}), texts["chrome"])

    def restore() -> None:
        formatting.wrap_text = plain_wrap
    return restore


def _walk(command, path: str, commands: dict, chrome: dict) -> None:
    _apply(command, commands.get(path, {}), chrome)
    for name, sub in getattr(command, "commands", {}).items():
        _walk(sub, f"{path} {name}", commands, chrome)


def _apply(command, text: dict, chrome: dict) -> None:
    if "help" in text:
        command.help = text["help"]
        command.short_help = text["help"].split("\n", 1)[0]
    options, arguments = text.get("options", {}), text.get("arguments", {})
    for param in command.params:
        if param.param_type_name == "option":
            found = next((options[opt] for opt in param.opts if opt in options), None)
        else:
            found = arguments.get(param.name)
        if found is not None:
            param.help = found
    plain = command.get_help

    def get_help(self, ctx) -> str:
        shown = plain(ctx)
        for english, chinese in chrome.items():
            shown = shown.replace(english, chinese)
        return shown

    command.get_help = types.MethodType(get_help, command)


_TOKEN = re.compile(r"\s+|[\u2e80-\u9fff\u3000-\u303f\uff00-\uffef]|[,;)]|[^\s,;)\u2e80-\u9fff\u3000-\u303f\uff00-\uffef]+")
_NO_LINE_START = set("、,。;:)》」』!?,.;:)]")


def cells(text: str) -> int:
    """Terminal columns of ``text``: two for a wide (CJK) character."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _lines(text: str, width: int, first: str, rest: str) -> list[str]:
    lines, line, indent = [], first, first
    for token in _TOKEN.findall(" ".join(text.split())):
        if line != indent and cells(line) + cells(token.rstrip()) > width and token[0] not in _NO_LINE_START:
            lines.append(line.rstrip())
            line = indent = rest
            if token.isspace():
                continue
        line += token
    lines.append(line.rstrip())
    return lines


def wrap_text(text: str, width: int = 78, initial_indent: str = "", subsequent_indent: str = "",
              preserve_paragraphs: bool = False) -> str:
    """click's ``wrap_text`` measuring display width: Chinese help wraps at the terminal's edge."""
    if not preserve_paragraphs:
        return "\n".join(_lines(text, width, initial_indent, subsequent_indent))
    out = []
    for block in re.split(r"\n\s*\n", text.strip("\n")):
        if block.startswith("\b"):
            out.append("\n".join(initial_indent + line for line in block[1:].strip("\n").splitlines()))
        else:
            out.append("\n".join(_lines(block, width, initial_indent, subsequent_indent)))
    return "\n\n".join(out)

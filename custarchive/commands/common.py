"""Helpers every command module uses: the app context, --set parsing, card rendering."""
from __future__ import annotations

import typer

from custarchive.context import AppContext
from custarchive.errors import UsageError
from custarchive.core.masking import SENSITIVE_MASKS, mask  # noqa: F401 - re-exported for command modules

JSON_OPTION = typer.Option(False, "--json", help="Print exactly one JSON document on stdout.")
WIDE_OPTION = typer.Option(False, "--wide", help="Show every column, never wrapped (the table may exceed the terminal).")
# The archive filters shared by list, export (and anything else that selects archives like list).
FILTER_OPTIONS = {
    "category": typer.Option(None, "--category", help="Category code (A, B, C …)."),
    "kind": typer.Option(None, "--kind", help="individual or enterprise."),
    "industry": typer.Option(None, "--industry"),
    "city": typer.Option(None, "--city"),
    "grade": typer.Option(None, "--grade", help="Credit grade, e.g. AA."),
    "status": typer.Option(None, "--status", help="active (default), closed, merged, erased or all."),
}


def app_context(ctx: typer.Context) -> AppContext:
    obj = ctx.find_root().obj
    if not isinstance(obj, AppContext):
        obj = ctx.find_root().obj = AppContext()
    return obj


def parse_assignments(items: list[str] | None, option: str = "--set") -> dict[str, str]:
    """``FIELD=VALUE`` pairs in order; a repeated field keeps the last value."""
    result: dict[str, str] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise UsageError(f"{option} expects FIELD=VALUE, got {item!r}")
        result[key] = value
    return result


def public_card(card: dict, template=None, reveal: bool = False) -> dict:
    """The card as scripts see it: canonical fields plus template fields flat, masked unless revealed."""
    from custarchive.core.masking import sensitive_fields

    out = {key: value for key, value in card.items() if key not in ("id", "extra")}
    out.update(card.get("extra") or {})
    if not reveal:
        for name in sensitive_fields(template if template is not None else card.get("template")):
            if out.get(name) is not None:
                out[name] = mask(name, out[name])
    return out

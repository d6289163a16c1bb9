"""The one way to put data on stdout: a Rich table, a panel, CSV, or exactly one JSON document."""
from __future__ import annotations

import json
import sys
from typing import Any, Iterable, Sequence


def to_json_text(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2, default=str)


def emit_json(data: Any) -> None:
    sys.stdout.write(to_json_text(data) + "\n")


def console(ctx=None, err: bool = False):
    """stdout for results; ``err`` for what only a person at the terminal reads (summaries, previews)."""
    from rich.console import Console

    no_color = bool(ctx is not None and not ctx.color)
    return Console(no_color=no_color, highlight=False, soft_wrap=False, stderr=err)


def fmt(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, (list, tuple)):
        return "、".join(str(item) for item in value)
    if isinstance(value, bool):
        return "✓" if value else "✗"
    return str(value)


def table(ctx, title: str | None, headers: Sequence[str], rows: Iterable[Sequence[Any]], *, caption: str | None = None,
          err: bool = False) -> None:
    from rich.table import Table

    grid = Table(title=title, caption=caption, header_style="bold", show_lines=False)
    for header in headers:
        grid.add_column(header, overflow="fold")
    for row in rows:
        grid.add_row(*(fmt(value) for value in row))
    console(ctx, err).print(grid)


def panel(ctx, title: str, pairs: Sequence[tuple[str, Any]], err: bool = False) -> None:
    from rich.panel import Panel
    from rich.table import Table

    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column(overflow="fold")
    for label, value in pairs:
        grid.add_row(label, fmt(value))
    console(ctx, err).print(Panel(grid, title=title, title_align="left"))


def csv_out(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    import csv

    writer = csv.writer(sys.stdout)
    writer.writerow(headers)
    for row in rows:
        writer.writerow(["" if value is None else value for value in row])

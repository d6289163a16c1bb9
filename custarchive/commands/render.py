"""The one way to put data on stdout: a Rich table, a panel, CSV, or exactly one JSON document."""
from __future__ import annotations

import json
import sys
from typing import Any, Iterable, Sequence


def to_json_text(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2, default=str)


def emit_json(data: Any) -> None:
    sys.stdout.write(to_json_text(data) + "\n")


class Spool:
    """Items of several lists, each written as JSON text to its own temporary file as it comes, read
    back list by list: ``grade --all --json`` at a million archives holds none of them in memory
    (kept as dicts they took 5.8 GB)."""

    def __init__(self, names: Sequence[str]):
        import tempfile

        self._encode = json.JSONEncoder(ensure_ascii=False, default=str).encode
        self.files = {name: tempfile.TemporaryFile("w+", encoding="utf-8") for name in names}
        self.counts = dict.fromkeys(names, 0)

    def add(self, name: str, item: Any) -> None:
        self.files[name].write(self._encode(item) + "\n")
        self.counts[name] += 1

    def texts(self, name: str) -> Iterable[str]:
        """The list's items as JSON text, in the order they came."""
        spool = self.files[name]
        spool.flush()
        spool.seek(0)
        return (line.rstrip("\n") for line in spool)

    def items(self, name: str) -> Iterable[Any]:
        return (json.loads(text) for text in self.texts(name))

    def close(self) -> None:
        for spool in self.files.values():
            spool.close()


class Encoded(str):
    """A list item that is JSON text already (from a Spool): written as it is."""


def stream_json(head: dict, lists: dict, tail=None) -> None:
    """One JSON document written as it is produced: ``head``'s keys, then each list item by item, then
    the keys ``tail()`` returns (counts known only once the lists have been written).

    A million findings, classified archives or pairs never sit in memory as one structure. A list
    given as a Spool's ``texts`` is copied as it is.
    """
    out = sys.stdout
    item_text = json.JSONEncoder(ensure_ascii=False, default=str).encode  # one encoder: json.dumps builds one per call
    out.write("{\n")
    first = True
    for key, value in head.items():
        out.write(("" if first else ",\n") + f"  {json.dumps(key)}: " + to_json_text(value).replace("\n", "\n  "))
        first = False
    for key, items in lists.items():
        out.write(("" if first else ",\n") + f"  {json.dumps(key)}: [")
        first, empty = False, True
        for item in items:
            out.write(("\n    " if empty else ",\n    ") + (item if item.__class__ is Encoded else item_text(item)))
            empty = False
        out.write("]" if empty else "\n  ]")
    for key, value in (tail() if tail else {}).items():
        out.write(",\n" + f"  {json.dumps(key)}: " + to_json_text(value).replace("\n", "\n  "))
    out.write("\n}\n")


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
          err: bool = False, keep: Sequence[int] = (), drop: Sequence[int] = (), wide: bool = False) -> None:
    """A table that fits the terminal (80 columns is the design width).

    ``keep``: columns whose values must never wrap or be cut (archive numbers, phones, dates,
    amounts, document numbers). ``drop``: the less important columns, dropped in this order
    until the rest fits; the others (names, texts) wrap, keeping a readable minimum.
    ``wide``: every column, nothing wrapped, however wide the lines get.
    """
    from rich.cells import cell_len
    from rich.table import Table

    text_rows = [[fmt(value) for value in row] for row in rows]
    out = console(ctx, err)
    natural = [max([cell_len(line) for line in str(header).split("\n")] +
                   [cell_len(line) for row in text_rows for line in row[index].split("\n")])
               for index, header in enumerate(headers)]
    shown = list(range(len(headers)))

    def least(index: int) -> int:
        return natural[index] if index in keep else min(natural[index], _MIN_WRAP)

    def needed(columns) -> int:               # natural widths: drop what may go before any name wraps
        return 1 + sum(natural[index] + 3 for index in columns)

    dropped = []
    if wide:
        from rich.console import Console

        out = Console(no_color=bool(ctx is not None and not ctx.color), highlight=False, soft_wrap=False,
                      stderr=err, width=max(out.width, 1 + sum(width + 3 for width in natural)))
    else:
        for index in drop:
            if needed(shown) <= out.width:
                break
            shown.remove(index)
            dropped.append(headers[index])
    if dropped and ctx is not None:
        note = ctx.t(f"(未显示:{'、'.join(dropped)};--wide 显示全部)",
                     f"(not shown: {', '.join(dropped)}; --wide shows all)")
        caption = f"{caption}  {note}" if caption else note
    grid = Table(title=title, caption=caption, header_style="bold", show_lines=False)
    for index in shown:
        if index in keep or wide:
            grid.add_column(headers[index], no_wrap=True, min_width=natural[index])
        else:
            grid.add_column(headers[index], overflow="fold", min_width=least(index))
    for row in text_rows:
        grid.add_row(*(row[index] for index in shown))
    out.print(grid)


_MIN_WRAP = 8


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


class CappedLines:
    """Say the first ``limit`` lines, then only count: a million rejected rows must not print a
    million lines (40 MB) on stderr. The errors file (``--errors``) holds every one."""

    def __init__(self, say, limit: int = 200):
        self.say, self.limit, self.count = say, limit, 0

    def __call__(self, message: str) -> None:
        self.count += 1
        if self.count <= self.limit:
            self.say(message)

    def close(self, what: str, errors_out: str | None) -> None:
        hidden = self.count - self.limit
        if hidden > 0:
            where = f"all are in {errors_out}" if errors_out else "give --errors OUT to get them all in a file"
            self.say(f"… {hidden:,} more {what} not shown ({where})")


class BatchProgress:
    """The one progress bar of long commands: on stderr, only when stderr is a terminal and not
    ``--quiet``; otherwise every call is a no-op, so a redirected run prints nothing extra.

    ``with BatchProgress(app_ctx, label) as bar:`` then ``bar.update(done, total)``; a domain function
    that reports progress takes ``bar.update``. ``say`` prints a message above the bar.
    """

    def __init__(self, app_ctx, label: str, total: int | None = None, *, counts: bool = True) -> None:
        self.bar = None
        if sys.stderr.isatty() and not app_ctx.quiet:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            columns = [TextColumn("{task.description}"), BarColumn()]
            columns += [MofNCompleteColumn()] if counts else []
            self.bar = Progress(*columns, TimeElapsedColumn(), console=Console(stderr=True, no_color=not app_ctx.color),
                                transient=True)
            self.task = self.bar.add_task(label, total=total)

    def __enter__(self) -> "BatchProgress":
        if self.bar is not None:
            self.bar.start()
        return self

    def __exit__(self, *exc) -> None:
        if self.bar is not None:
            self.bar.stop()

    def __bool__(self) -> bool:
        return self.bar is not None

    def update(self, done: int | None, total: int | None = None, description: str | None = None) -> None:
        if self.bar is not None:
            self.bar.update(self.task, completed=done, description=description)
            if total is not None:
                self.bar.update(self.task, total=total)

    def say(self, message: str) -> None:
        if self.bar is not None:
            self.bar.console.print(message, markup=False, highlight=False)
        else:
            sys.stderr.write(message + "\n")

"""The one way to hand out archive numbers.

A category's pattern (default ``{category}-{yyyy}-{seq:05}``) is rendered
without its sequence to give the counter key, so each category and year has
its own gap-free counter. The counter row is bumped inside the caller's write
transaction: a rolled-back insert gives its numbers back, and concurrent
writers queue on the row (SQLite: the IMMEDIATE lock; PostgreSQL: the row lock).
"""
from __future__ import annotations

import datetime as _dt
import string
from collections.abc import Iterator

from sqlalchemy import text

from custarchive.errors import ConfigError, NotFound, ValidationError

DEFAULT_PATTERN = "{category}-{yyyy}-{seq:05}"
PATTERN_MAX = 100  # categories.pattern
NUMBER_MAX = 40  # customers.archive_no
_FIELDS = {"category", "yyyy", "yy", "mm", "seq"}


def check_pattern(pattern: str, category: str = "X" * 16) -> None:
    """Refuse a pattern that could not give unique, orderable numbers, or numbers too long to store."""
    if len(pattern) > PATTERN_MAX:
        raise ConfigError(f"number pattern {pattern!r} is longer than {PATTERN_MAX} characters")
    try:
        parts = list(string.Formatter().parse(pattern))
    except ValueError as exc:
        raise ConfigError(f"number pattern {pattern!r}: {exc}") from None
    names = [name for _lit, name, _spec, _conv in parts if name is not None]
    unknown = set(names) - _FIELDS
    if unknown:
        raise ConfigError(f"number pattern {pattern!r}: unknown placeholder(s) {', '.join(sorted(unknown))}"
                          f" (use {{category}}, {{yyyy}}, {{yy}}, {{mm}}, {{seq:05}})")
    if names.count("seq") != 1:
        raise ConfigError(f"number pattern {pattern!r} must contain {{seq}} exactly once")
    if "/" in pattern:
        raise ConfigError(f"number pattern {pattern!r} may not contain '/' (used by document numbers)")
    try:
        longest = _render(pattern, category, _dt.date(2099, 12, 1), 9_999_999)
    except ValueError as exc:
        raise ConfigError(f"number pattern {pattern!r}: {exc}") from None
    if len(longest) > NUMBER_MAX:
        raise ConfigError(f"number pattern {pattern!r} gives numbers longer than {NUMBER_MAX} characters "
                          f"(e.g. {longest})")


def _render(pattern: str, category: str, today: _dt.date, seq: int | None) -> str:
    out = []
    for literal, name, spec, _conv in string.Formatter().parse(pattern):
        out.append(literal)
        if name is None:
            continue
        if name == "seq":
            out.append("{seq}" if seq is None else format(seq, spec or ""))
        else:
            value = {"category": category, "yyyy": f"{today.year:04d}", "yy": f"{today.year % 100:02d}",
                     "mm": f"{today.month:02d}"}[name]
            out.append(format(value, spec or ""))
    return "".join(out)


def _numbers(pattern: str, category: str, today: _dt.date, seqs: range) -> list[str]:
    """``_render`` for many sequence numbers: the pattern is parsed once, around its one ``{seq}``."""
    parts = list(string.Formatter().parse(pattern))
    if [name for _literal, name, _spec, _conv in parts].count("seq") != 1:
        return [_render(pattern, category, today, seq) for seq in seqs]
    at = next(index for index, part in enumerate(parts) if part[1] == "seq")
    head = _render_parts(parts[:at], category, today) + parts[at][0]
    tail = _render_parts(parts[at + 1:], category, today)
    spec = parts[at][2] or ""
    return [head + format(seq, spec) + tail for seq in seqs]


def _render_parts(parts, category: str, today: _dt.date) -> str:
    out = []
    for literal, name, spec, _conv in parts:
        out.append(literal)
        if name is not None:
            value = {"category": category, "yyyy": f"{today.year:04d}", "yy": f"{today.year % 100:02d}",
                     "mm": f"{today.month:02d}"}[name]
            out.append(format(value, spec or ""))
    return "".join(out)


def category_pattern(conn, category: str) -> str:
    pattern = conn.execute(text("SELECT pattern FROM categories WHERE code = :c"), {"c": category}).scalar()
    if pattern is None:
        codes = [row[0] for row in conn.execute(text("SELECT code FROM categories ORDER BY code"))]
        raise NotFound(f"unknown category {category!r} (known: {', '.join(codes)})")
    return pattern


def allocate(conn, category: str, count: int = 1, today: _dt.date | None = None) -> list[str]:
    """Reserve ``count`` consecutive numbers for ``category`` in the current transaction."""
    today = today or _dt.date.today()
    pattern = category_pattern(conn, category)
    key = _render(pattern, category, today, None)
    last = conn.execute(
        text("INSERT INTO counters (prefix, last_seq) VALUES (:p, :n) "
             "ON CONFLICT (prefix) DO UPDATE SET last_seq = counters.last_seq + :n RETURNING last_seq"),
        {"p": key, "n": count},
    ).scalar_one()
    return _numbers(pattern, category, today, range(last - count + 1, last + 1))


def _seq_spec(conn, prefix: str) -> str:
    """The format spec of ``{seq}`` in the category pattern that rendered this counter key ('' if none fits)."""
    import re

    for code, pattern in conn.execute(text("SELECT code, pattern FROM categories")):
        regex, spec = [], None
        for literal, name, field_spec, _conv in string.Formatter().parse(pattern):
            regex.append(re.escape(literal))
            if name == "seq":
                spec = field_spec or ""
                regex.append(re.escape("{seq}"))
            elif name is not None:
                regex.append({"category": re.escape(code), "yyyy": r"\d{4}", "yy": r"\d{2}", "mm": r"\d{2}"}[name])
        if spec is not None and re.fullmatch("".join(regex), prefix):
            return spec
    return ""


def _like_literal(text_: str) -> str:
    """``text_`` matched literally by ``LIKE … ESCAPE '\\'`` (SQLite has no default escape, PostgreSQL's is ``\\``)."""
    return text_.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def counter_gaps(conn) -> Iterator[str]:
    """Numbers a counter has handed out that no archive carries (for ``audit``).

    The archive's numbers are streamed and marked in a bytearray of one byte
    per handed-out number, so a million archives cost a megabyte, not a set of
    a million Python ints.
    """
    for prefix, last in conn.execute(text("SELECT prefix, last_seq FROM counters ORDER BY prefix")).all():
        head, _, tail = prefix.partition("{seq}")
        taken = bytearray(last + 1)
        result = conn.execute(
            text("SELECT archive_no FROM customers WHERE archive_no LIKE :p ESCAPE '\\'"),
            {"p": _like_literal(head) + "%" + _like_literal(tail)},
            execution_options={"stream_results": True, "yield_per": 10_000},
        )
        for (number,) in result:
            middle = number[len(head):len(number) - len(tail) if tail else None]
            if middle.isdigit() and int(middle) <= last:
                taken[int(middle)] = 1
        spec = None
        for seq in range(1, last + 1):
            if not taken[seq]:
                spec = spec if spec is not None else _seq_spec(conn, prefix)
                yield f"{head}{format(seq, spec)}{tail}"


def _number_regex(pattern: str, category: str):
    import re

    parts = []
    for literal, name, _spec, _conv in string.Formatter().parse(pattern):
        parts.append(re.escape(literal))
        if name == "seq":
            parts.append(r"(?P<seq>\d+)")
        elif name == "category":
            parts.append(re.escape(category))
        elif name == "yyyy":
            parts.append(r"\d{4}")
        elif name in ("yy", "mm"):
            parts.append(r"\d{2}")
    return re.compile("".join(parts))


def claim(conn, category: str, number: str) -> None:
    """Keep an existing archive number (moving archives between databases).

    The number must fit the category's pattern; its counter is raised to at
    least its sequence, so numbers handed out later never collide with it.
    """
    pattern = category_pattern(conn, category)
    match = _number_regex(pattern, category).fullmatch(number)
    if match is None:
        raise ValidationError("archive_no", number, f"does not fit category {category}'s number pattern {pattern}")
    seq = int(match.group("seq"))
    key = number[:match.start("seq")] + "{seq}" + number[match.end("seq"):]
    conn.execute(
        text("INSERT INTO counters (prefix, last_seq) VALUES (:p, :n) "
             "ON CONFLICT (prefix) DO UPDATE SET last_seq = CASE WHEN counters.last_seq < :n "
             "THEN :n ELSE counters.last_seq END"),
        {"p": key, "n": seq},
    )

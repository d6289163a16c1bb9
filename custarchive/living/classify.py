"""ABC classification of customers by annual spend (客户分类).

The hotel seed sorts its customers by yearly spend into A (大客户/VIP),
B (普通单位客户) and C (散客/新客户). Thresholds are data: absolute amounts,
or shares of total spend as in Pareto ABC. A category change is an ordinary
card change (plan_update/apply_changes, source "classify"), so it is logged
and the archive number, which carries the category it was created in, never changes.
"""
from __future__ import annotations

import datetime as _dt
import itertools
import marshal
import tempfile
from dataclasses import dataclass, field
from typing import Callable, Iterator

from custarchive.cards import archive, lookup
from custarchive.cards.numbering import category_pattern
from custarchive.core import authz
from custarchive.core.changelog import Actor
from custarchive.core.settings import section
from custarchive.errors import ConfigError, ValidationError
from custarchive.living import txn as money


METHODS = ("amount", "share")


def classify_settings(method: str | None = None) -> dict:
    """``data/living/abc.toml`` overlaid by ``[classify]`` in settings.toml, checked."""
    settings = section("classify", "abc.toml")
    if method is not None:
        if method not in METHODS:
            raise ValidationError("--method", method, "must be amount or share")
        settings["method"] = method
    if settings.get("method") not in METHODS:
        raise ConfigError(f"settings.toml [classify] method must be amount or share, not {settings.get('method')!r}")
    codes = settings.get("categories")
    if not isinstance(codes, list) or len(codes) < 2 or not all(isinstance(c, str) and c for c in codes):
        raise ConfigError("settings.toml [classify] categories must list at least two category codes, highest first")
    codes = [c.upper() for c in codes]
    settings["categories"] = codes
    limits = settings.get(settings["method"])
    if not isinstance(limits, dict) or set(limits) != set(codes[:-1]):
        raise ConfigError(f"settings.toml [classify.{settings['method']}] needs one threshold for each of "
                          f"{', '.join(codes[:-1])} (the last category, {codes[-1]}, takes the rest)")
    values = [limits[c] for c in codes[:-1]]
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) and v >= 0 for v in values):
        raise ConfigError(f"settings.toml [classify.{settings['method']}] thresholds must be numbers >= 0")
    if settings["method"] == "amount" and values != sorted(values, reverse=True):
        raise ConfigError("settings.toml [classify.amount] thresholds must fall from the first category to the last")
    if settings["method"] == "share" and (values != sorted(values) or values[-1] > 1):
        raise ConfigError("settings.toml [classify.share] shares must rise from the first category and be <= 1")
    return settings


RESULT_KEYS = ("archive_no", "name", "spend", "spend_source", "old", "new", "share_before")


class Spool:
    """Rows written once to a temporary file and read back as often as needed: flat memory at any size.

    ``classify`` computes its plan inside a transaction but the command renders
    it afterwards (and a real run must read it while it writes the changes), so
    the plan goes to disk in marshalled batches rather than into a list.
    """

    BATCH = 2000

    def __init__(self) -> None:
        self.file = tempfile.TemporaryFile()
        self.count = 0
        self._batch: list[tuple] = []

    def add(self, row: tuple) -> None:
        self._batch.append(row)
        self.count += 1
        if len(self._batch) >= self.BATCH:
            marshal.dump(self._batch, self.file)
            self._batch = []

    def __iter__(self) -> Iterator[tuple]:
        if self._batch:
            marshal.dump(self._batch, self.file)
            self._batch = []
        self.file.seek(0)
        while True:
            try:
                batch = marshal.load(self.file)
            except EOFError:
                break
            yield from batch
        self.file.seek(0, 2)

    def close(self) -> None:
        self.file.close()


@dataclass
class Classification:
    """The plan (and, after a real run, what was done): a summary, and every row streamed from a spool."""

    method: str
    thresholds: dict
    categories: list[str]
    as_of: str
    dry_run: bool
    counts: dict[str, int]
    changed: int
    rated: Spool
    skipped_rows: Spool = field(default_factory=Spool)

    def summary(self) -> dict:
        return {"method": self.method, "thresholds": self.thresholds, "categories": self.categories,
                "as_of": self.as_of, "dry_run": self.dry_run, "counts": self.counts, "changed": self.changed,
                "rated": self.rated.count, "skipped_count": self.skipped_rows.count}

    def results(self) -> Iterator[dict]:
        """Every classified archive, highest spend first."""
        return (dict(zip(RESULT_KEYS, row)) for row in self.rated)

    def changes(self) -> Iterator[dict]:
        """The archives whose category changes (changed, after a real run), highest spend first."""
        return (item for item in self.results() if item["new"] != item["old"])

    def skipped(self) -> Iterator[dict]:
        """Archives without spend data, left as they are, by archive number."""
        return (dict(zip(("archive_no", "name", "category"), row)) for row in self.skipped_rows)

    def close(self) -> None:
        self.rated.close()
        self.skipped_rows.close()


def _plan_query(settings: dict, as_of: _dt.date | None) -> tuple[str, str, dict]:
    """(rated query, skipped query, params): the whole plan in the database, never a card per row in Python.

    Spend, the target category and (for Pareto shares) the running share before
    each archive come from one query with window functions, ordered by spend.
    """
    codes, limits, method = settings["categories"], settings[settings["method"]], settings["method"]
    join, spent, source, params = money.annual_spend_sql(as_of)
    params.update({f"code{n}": code for n, code in enumerate(codes)})
    params.update({f"limit{n}": float(limits[code]) for n, code in enumerate(codes[:-1])})
    last = f":code{len(codes) - 1}"
    listed = ", ".join(f":code{n}" for n in range(len(codes)))
    rated = (f"SELECT c.id, c.archive_no, c.name, c.category AS old, {spent} AS spend, {source} AS source "
             f"FROM customers c {join} WHERE c.status = 'active' AND c.category IN ({listed})")
    skipped = f"SELECT archive_no, name, old FROM ({rated}) r WHERE spend IS NULL ORDER BY archive_no"
    if method == "amount":
        target = ("CASE " + " ".join(f"WHEN spend >= :limit{n} THEN :code{n}" for n in range(len(codes) - 1))
                  + f" ELSE {last} END")
        query = (f"SELECT id, archive_no, name, spend, source, old, {target} AS new, NULL AS share_before "
                 f"FROM ({rated}) r WHERE spend IS NOT NULL ORDER BY spend DESC, archive_no")
    else:
        windowed = (f"SELECT r.*, COALESCE(SUM(spend) OVER (ORDER BY spend DESC, archive_no ROWS BETWEEN "
                    f"UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS spent_before, SUM(spend) OVER () AS total "
                    f"FROM ({rated}) r WHERE spend IS NOT NULL")
        target = (f"CASE WHEN spend <= 0 OR total <= 0 THEN {last} "
                  + " ".join(f"WHEN spent_before / total < :limit{n} THEN :code{n}" for n in range(len(codes) - 1))
                  + f" ELSE {last} END")
        query = (f"SELECT id, archive_no, name, spend, source, old, {target} AS new, "
                 f"CASE WHEN total > 0 THEN spent_before / total END AS share_before "
                 f"FROM ({windowed}) w ORDER BY spend DESC, archive_no")
    return query, skipped, params


def classify(conn, actor: Actor, *, dry_run: bool = False, as_of: _dt.date | None = None,
             method: str | None = None, progress: Callable[[int, int], None] | None = None) -> Classification:
    """Plan in the database, then (unless ``dry_run``) move each archive whose category changes.

    Every move is an ordinary logged card change. Memory stays flat: the plan
    streams into a spool, and the changes are applied in batches of cards.
    ``progress(done, total)`` follows the changes being written.
    """
    authz.require(conn, actor, "read" if dry_run else "update")
    settings = classify_settings(method)
    codes = settings["categories"]
    for code in codes:
        category_pattern(conn, code)
    query, skipped_query, params = _plan_query(settings, as_of)
    result = Classification(settings["method"], dict(settings[settings["method"]]), codes,
                            (as_of or _dt.date.today()).isoformat(), dry_run, {code: 0 for code in codes}, 0,
                            Spool())
    moves = Spool()
    try:
        for cid, archive_no, name, spend, source, old, new, share in lookup.iter_rows(conn, query, params):
            spend = round(float(spend), 2)
            result.rated.add((archive_no, name, spend, source, old, new,
                              round(float(share), 4) if share is not None else None))
            result.counts[new] += 1
            if new != old:
                result.changed += 1
                moves.add((cid, new))
        for row in lookup.iter_rows(conn, skipped_query, params):
            result.skipped_rows.add(tuple(row))
        if not dry_run:
            _apply(conn, actor, moves, progress)
    except BaseException:
        result.close()
        raise
    finally:
        moves.close()
    return result


def _apply(conn, actor: Actor, moves: Spool, progress) -> None:
    done, batch = 0, []
    for move in itertools.chain(moves, [None]):
        if move is not None:
            batch.append(move)
        if len(batch) < 500 and (move is not None or not batch):
            continue
        target = dict(batch)
        for card in lookup.fetch_by_ids(conn, list(target)):
            changes = archive.plan_update(conn, card, {"category": target[card["id"]]})
            archive.apply_changes(conn, card, changes, actor, action="classify")
        done += len(batch)
        batch = []
        if progress:
            progress(done, moves.count)

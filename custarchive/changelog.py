"""The one way to record a change: every write path calls :func:`record`.

Entries form a hash chain (each hash covers the entry and the previous hash),
and the chain head row is updated in the same transaction, so an entry
edited or deleted behind the tool's back is detected by ``check``.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any, Iterable

from sqlalchemy import text

from custarchive.sqlutil import bulk_insert, now

_COLUMNS = ("customer_id", "archive_no", "at", "operator", "action", "field", "old_value", "new_value",
            "reason", "source", "batch_id", "prev_hash", "hash")


@dataclass(frozen=True)
class Actor:
    """Who is writing, through which path, and why: stamped on every log entry."""

    operator: str
    source: str = "cli"
    batch_id: str | None = None
    reason: str | None = None


@dataclass(frozen=True)
class ChangeEntry:
    customer_id: int | None
    archive_no: str | None
    action: str
    field: str | None = None
    old: Any = None
    new: Any = None


def encode_value(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def entry_hash(prev_hash: str, row: Iterable[Any]) -> str:
    digest = hashlib.sha256(prev_hash.encode())
    for value in row:
        digest.update(b"\x1f" + (b"\x00" if value is None else str(value).encode("utf-8")))
    return digest.hexdigest()


def record(conn, entries: Iterable[ChangeEntry], actor: Actor) -> int:
    """Append entries to the log, chained to the current head; returns how many."""
    entries = list(entries)
    if not entries:
        return 0
    lock = " FOR UPDATE" if conn.dialect.name != "sqlite" else ""
    head = conn.execute(text(f"SELECT last_hash FROM chain_head WHERE id = 1{lock}")).scalar_one()
    at = now()
    rows = []
    for entry in entries:
        body = (entry.customer_id, entry.archive_no, at, actor.operator, entry.action, entry.field,
                encode_value(entry.old), encode_value(entry.new), actor.reason, actor.source, actor.batch_id)
        head_new = entry_hash(head, body)
        rows.append((*body, head, head_new))
        head = head_new
    bulk_insert(conn, "change_log", _COLUMNS, rows)
    conn.execute(text("UPDATE chain_head SET last_hash = :h, last_id = (SELECT MAX(id) FROM change_log) "
                      "WHERE id = 1"), {"h": head})
    return len(rows)


def verify_chain(conn) -> tuple[int, str | None]:
    """Walk the log in order; returns (entries checked, description of the first break or None)."""
    prev = "0" * 64
    count = 0
    last_id = 0
    result = conn.execute(text(f"SELECT id, {', '.join(_COLUMNS)} FROM change_log ORDER BY id"))
    for row in result:
        entry_id, body, stored_prev, stored_hash = row[0], row[1:12], row[12], row[13]
        if stored_prev != prev:
            return count, f"change_log entry {entry_id}: previous-hash link broken (an entry before it was removed or altered)"
        if entry_hash(prev, body) != stored_hash:
            return count, f"change_log entry {entry_id}: content does not match its hash (edited)"
        prev, last_id, count = stored_hash, entry_id, count + 1
    head = conn.execute(text("SELECT last_hash, last_id FROM chain_head WHERE id = 1")).first()
    if head is None or head[0] != prev:
        return count, f"change_log ends at entry {last_id} but the chain head says otherwise (entries removed at the end)"
    return count, None

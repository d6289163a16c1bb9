"""The one way to record a change: every write path calls :func:`record`.

Entries form a hash chain (each hash covers the entry and the previous hash),
and the chain head row is updated in the same transaction, so an entry
edited or deleted behind the tool's back is detected by ``check``.

Values of sensitive fields (anywhere in an entry, also inside a logged card)
are sealed here, in the one write function, so no caller can log them in clear.
The hash covers a keyed digest (HMAC) of each old/new value, kept in its own
column, not the value itself: ``erase`` can then blank a customer's values
while every hash still verifies, and a kept digest of a low-entropy value
(a phone number) cannot be reversed by trying all candidates without the key.
Values present are checked against their digests when the key is available.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any, Iterable

from sqlalchemy import func, select, update

from custarchive.core.crypto import keyring as _keyring, seal_logged_value
from custarchive.core.sqlutil import bulk_insert, now
from custarchive.errors import ConfigError
from custarchive.models import chain_head, change_log

_COLUMNS = tuple(column.name for column in change_log.c if column.name != "id")  # what record() writes


@dataclass(frozen=True)
class Actor:
    """Who is writing, through which path, and why: stamped on every log entry."""

    operator: str
    source: str = "cli"
    batch_id: str | None = None
    reason: str | None = None


@dataclass(frozen=True)
class ChangeEntry:
    """One logged change. ``sealed``: its values hold no sensitive value in clear (they were sealed
    by ``crypto.seal_card``), so :func:`record` need not walk them again."""

    customer_id: int | None
    archive_no: str | None
    action: str
    field: str | None = None
    old: Any = None
    new: Any = None
    sealed: bool = False


_sha256 = hashlib.sha256
_ENCODER = json.JSONEncoder(ensure_ascii=False, sort_keys=True)  # json.dumps(…) with these, built once


def encode_value(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return _ENCODER.encode(value)


def entry_hash(prev_hash: str, row: Iterable[Any]) -> str:
    """SHA-256 over the previous hash and each value, each after a 0x1F separator (None as 0x00)."""
    parts = [prev_hash] + ["\x00" if value is None else str(value) for value in row]
    return _sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


def record(conn, entries: Iterable[ChangeEntry], actor: Actor) -> int:
    """Append entries to the log, chained to the current head; returns how many."""
    entries = list(entries)
    if not entries:
        return 0
    head = conn.execute(_HEAD_FOR_UPDATE).scalar_one()  # FOR UPDATE (SQLite has no row locks, nor needs them)
    keys = keyring(conn)

    at = now()
    rows = []
    tail = (actor.reason, actor.source, actor.batch_id)
    digest = keys.digest
    for entry in entries:
        if entry.sealed:
            old, new = encode_value(entry.old), encode_value(entry.new)
        else:
            old = encode_value(seal_logged_value(keys, entry.field, entry.old))
            new = encode_value(seal_logged_value(keys, entry.field, entry.new))
        digests = (digest(old), digest(new))
        meta = (entry.customer_id, entry.archive_no, at, actor.operator, entry.action, entry.field)
        head_new = entry_hash(head, meta + digests + tail)
        rows.append((*meta, old, new, *tail, head, head_new, *digests))  # in _COLUMNS order
        head = head_new
    bulk_insert(conn, "change_log", _COLUMNS, rows)
    conn.execute(update(chain_head).where(chain_head.c.id == 1).values(
        last_hash=head, last_id=select(func.max(change_log.c.id)).scalar_subquery()))
    return len(rows)


_HEAD_FOR_UPDATE = select(chain_head.c.last_hash).where(chain_head.c.id == 1).with_for_update()


def keyring(conn, create: bool = False):
    return _keyring(conn, create)


def verify_chain(conn, keys=None) -> tuple[int, str | None]:
    """Walk the log in order; returns (entries checked, description of the first break or None).

    Links and hashes need no key; each stored value is also checked against its digest, which needs
    the key (``keys=False``: links and hashes only). A value may be missing only where its archive was
    erased later in the log.
    """
    if keys is None:
        try:
            keys = keyring(conn)
        except ConfigError:
            keys = None
    log = change_log.c
    erased = dict(conn.execute(select(log.customer_id, func.max(log.id)).where(log.action == "erase")
                               .group_by(log.customer_id)).all())
    prev = "0" * 64
    count = 0
    last_id = 0
    # streamed: on PostgreSQL a plain execute fetches the whole log into the client (1.3 GB at a
    # million archives); a server-side cursor hands it over in batches
    result = conn.execute(select(change_log.c.id, *(change_log.c[name] for name in _COLUMNS))
                          .order_by(change_log.c.id),
                          execution_options={"stream_results": True, "yield_per": 5000})
    for row in result:
        entry_id = row[0]
        (customer_id, archive_no, at, operator, action, field, old, new, reason, source, batch_id,
         stored_prev, stored_hash, old_digest, new_digest) = row[1:]
        if stored_prev != prev:
            return count, f"change_log entry {entry_id}: previous-hash link broken (an entry before it was removed or altered)"
        body = (customer_id, archive_no, at, operator, action, field, old_digest, new_digest, reason, source, batch_id)
        if entry_hash(prev, body) != stored_hash:
            return count, f"change_log entry {entry_id}: content does not match its hash (edited)"
        for value, digest in ((old, old_digest), (new, new_digest)):
            if value is None and digest is not None and erased.get(customer_id, 0) <= entry_id:
                return count, f"change_log entry {entry_id}: a value was removed (its archive was not erased)"
            if value is not None and keys and keys.digest(value) != digest:
                return count, f"change_log entry {entry_id}: a value does not match its digest (edited)"
        prev, last_id, count = stored_hash, entry_id, count + 1
    head = conn.execute(select(chain_head.c.last_hash, chain_head.c.last_id).where(chain_head.c.id == 1)).first()
    if head is None or head[0] != prev:
        return count, f"change_log ends at entry {last_id} but the chain head says otherwise (entries removed at the end)"
    return count, None

"""Erasing one customer's personal data (PIPL art. 47), keeping a tombstone.

What stays: the archive row with its number, kind, category, template and dates, status
``erased``; the ``erasures`` row (who, when, why); the change-log entries with their metadata and
value digests (so the hash chain still verifies), and consent records (the lawful basis once held).
What goes: every card value, the search keys, every row of any other per-archive table (found
generically by a ``customer_id`` column, so tables added later are covered), attachment files,
and every old/new value in the change log. SQLite is told to overwrite freed pages
(``secure_delete``) and the WAL is truncated afterwards, so the values do not linger in the file.
"""
from __future__ import annotations

import dataclasses

from sqlalchemy import inspect, text

from custarchive.cards import lookup
from custarchive.core import authz
from custarchive.core.changelog import Actor, ChangeEntry, record
from custarchive.core.sqlutil import now
from custarchive.errors import ValidationError
from custarchive.living.documents import store_for


ERASED_NAME = "[erased]"
KEPT_COLUMNS = {"id", "archive_no", "kind", "category", "template", "status", "merged_into", "created_at",
                "updated_at", "created_by"}
# Tables holding the record of what happened, not the customer's data; they keep their rows.
RECORD_TABLES = {"customers", "change_log", "consents", "erasures", "name_grams"}


def per_archive_tables(conn) -> list[str]:
    """Every table with a ``customer_id`` column: the card's satellites, whoever added them."""
    inspector = inspect(conn)
    return sorted(table for table in inspector.get_table_names()
                  if any(column["name"] == "customer_id" for column in inspector.get_columns(table)))


def attachment_hashes(conn, customer_id: int) -> list[str]:
    """The stored files (by SHA-256) of this archive's documents."""
    if "documents" not in per_archive_tables(conn):
        return []
    return [row[0] for row in conn.execute(text("SELECT DISTINCT sha256 FROM documents WHERE customer_id = :c "
                                                "AND sha256 IS NOT NULL"), {"c": customer_id})]


def erase(conn, actor: Actor, ref: str, reason: str) -> dict:
    """Remove the personal data of one archive; returns the tombstone and, in ``files``, the SHA-256 of
    attachment files to delete once the transaction has committed (:func:`remove_files`)."""
    authz.require(conn, actor, "erase")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("--reason", reason, "say why the archive is erased (kept with the tombstone)")
    card = lookup.resolve(conn, ref)
    if card["status"] == "erased":
        raise ValidationError("REF", ref, f"archive {card['archive_no']} was already erased")
    cid = card["id"]
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("PRAGMA secure_delete = ON")
    files = attachment_hashes(conn, cid)
    _delete_satellites(conn, cid)
    conn.execute(text("DELETE FROM name_grams WHERE customer_id = :c"), {"c": cid})
    columns = [c for c in inspect(conn).get_columns("customers") if c["name"] not in KEPT_COLUMNS]
    values = {c["name"]: (ERASED_NAME if c["name"] == "name" else None) for c in columns
              if c["nullable"] or c["name"] == "name"}
    stamp = now()
    values.update(status="erased", updated_at=stamp)
    conn.execute(text(f"UPDATE customers SET {', '.join(f'{k} = :{k}' for k in values)} WHERE id = :id"),
                 {**values, "id": cid})
    conn.execute(text("UPDATE change_log SET old_value = NULL, new_value = NULL WHERE customer_id = :c"), {"c": cid})
    conn.execute(text("INSERT INTO erasures (customer_id, archive_no, erased_at, operator, reason) "
                      "VALUES (:c, :a, :t, :o, :r)"),
                 {"c": cid, "a": card["archive_no"], "t": stamp, "o": actor.operator, "r": reason})
    record(conn, [ChangeEntry(cid, card["archive_no"], "erase", None, None, None)],
           dataclasses.replace(actor, reason=reason))
    return {"archive_no": card["archive_no"], "erased_at": stamp, "operator": actor.operator, "reason": reason,
            "files": [str(path) for path in files]}


def _delete_satellites(conn, cid: int) -> None:
    """Delete rows of every per-archive table; a table referenced by another waits for that one."""
    pending = [table for table in per_archive_tables(conn) if table not in RECORD_TABLES]
    for _round in range(len(pending) + 1):
        failed = []
        for table in pending:
            try:
                with conn.begin_nested():
                    conn.execute(text(f"DELETE FROM {table} WHERE customer_id = :c"), {"c": cid})
            except Exception:  # noqa: BLE001 - a foreign key from a table not yet emptied; retried next round
                failed.append(table)
        if not failed:
            return
        pending = failed
    raise ValidationError("erase", ", ".join(pending), "rows refer to this archive and could not be removed")


def remove_files(db, hashes: list[str]) -> list[str]:
    """After the erase has committed: delete attachment files no other document still uses (the store is
    content-addressed, so two archives may share one file); returns the paths that could not be deleted."""
    if not hashes:
        return []

    store, left = store_for(db), []
    with db.read() as conn:
        used = {row[0] for row in conn.execute(text("SELECT DISTINCT sha256 FROM documents WHERE sha256 IS NOT NULL"))}
    for sha in hashes:
        if sha in used:
            continue
        path = store.path_for(sha)
        try:
            path.unlink(missing_ok=True)
        except OSError:
            left.append(str(path))
    return left


def scrub(db) -> None:
    """Fold the WAL into the database and truncate it, so no page image with erased values remains there."""
    if db.dialect == "sqlite":
        raw = db.engine(True).raw_connection()
        try:
            raw.driver_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            raw.close()


def tombstone(conn, customer_id: int) -> dict | None:
    row = conn.execute(text("SELECT archive_no, erased_at, operator, reason FROM erasures WHERE customer_id = :c"),
                       {"c": customer_id}).first()
    return dict(zip(("archive_no", "erased_at", "operator", "reason"), row)) if row else None

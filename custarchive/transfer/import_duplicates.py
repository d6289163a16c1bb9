"""The possible duplicates an import lists: new archives sharing a phone or e-mail with another
active archive, each judged by the scorer ``add`` and ``dedupe`` use. Listed, never refused."""
from __future__ import annotations

from sqlalchemy import text


def find(conn, first_new_id: int, line_base: int, lines, kept: list[dict], keep: int) -> int:
    """Append to ``kept`` (at most ``keep`` in all) the new archives (ids above ``first_new_id``)
    that share a phone or e-mail with another active archive; returns how many there are in all.

    Looked for once, when every row is in: two rows of the file that share a number are both
    listed, and the probe reads the indexes only after they are rebuilt. ``lines[id - line_base]``
    is the file line an archive came from.
    """
    count = 0
    for column in ("phone", "email"):
        found = conn.exec_driver_sql(
            f"SELECT c.id, c.archive_no, c.{column} FROM customers c WHERE c.id > {int(first_new_id)} "
            f"AND c.{column} IS NOT NULL AND c.status = 'active' AND EXISTS (SELECT 1 FROM customers o "
            f"WHERE o.{column} = c.{column} AND o.id <> c.id AND o.status = 'active') ORDER BY c.id")
        listed: list[dict] = []
        for cid, number, value in found:
            count += 1
            if len(kept) + len(listed) < keep:
                at = cid - line_base
                line = lines[at] if 0 <= at < len(lines) else None
                listed.append({"line": line or None, "archive_no": number, "field": column, "value": value,
                               "_id": cid})
        for item in listed:
            item["others"] = [row[0] for row in conn.execute(
                text(f"SELECT archive_no FROM customers WHERE {column} = :v AND status = 'active' "
                     "AND archive_no <> :n ORDER BY archive_no LIMIT 5"),
                {"v": item["value"], "n": item["archive_no"]})]
        kept.extend(listed)
    _judge(conn, kept)
    return count


def _judge(conn, listed: list[dict]) -> None:
    """The dedupe scorer's verdict on each listed archive: its most likely other archive's
    probability, and whether that looks like the same customer (``duplicate``) or another one on a
    shared phone or e-mail (``related``)."""
    from custarchive.cards.dedupe import dedupe_settings, entry, features

    if not listed:
        return
    settings, total = dedupe_settings(), features.count(conn)  # once for the import, not per archive
    verdicts: dict[int, list[dict]] = {}
    for item in listed:
        cid = item.pop("_id")
        if cid not in verdicts:
            verdicts[cid] = entry.check(conn, cid, settings, total)
        best = verdicts[cid][0] if verdicts[cid] else None
        item["relation"] = best["relation"] if best else "related"
        item["probability"] = best["probability"] if best else None

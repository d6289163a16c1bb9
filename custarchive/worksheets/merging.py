"""Moving one archive's worksheets and statements into another on ``merge``.

Each table has a per-archive uniqueness rule (item numbers, periods, competitor
names, profile fields), so rows are renumbered or reconciled rather than just
re-pointed. A DROP value that KEEP already holds differently is never lost: the
whole DROP row goes into the merge's change-log entry before it is removed.
Each mover returns (row id, what it was, what it became) for the merge log.
"""
from __future__ import annotations

import json

from sqlalchemy import text

from custarchive.credit.finance import LINES


def _rows(conn, table: str, customer_id: int) -> list[dict]:
    result = conn.execute(text(f"SELECT * FROM {table} WHERE customer_id = :c ORDER BY 1"), {"c": customer_id})
    return [dict(row._mapping) for row in result]


def _next(conn, table: str, column: str, where: str, params: dict) -> int:
    current = conn.execute(text(f"SELECT MAX({column}) FROM {table} WHERE {where}"), params).scalar()
    return (current or 0) + 1


def move_swot_items(conn, drop: dict, keep: dict) -> list[tuple]:
    moved = []
    for row in _rows(conn, "swot_items", drop["id"]):
        seq = _next(conn, "swot_items", "seq", "customer_id = :c AND quadrant = :q", {"c": keep["id"], "q": row["quadrant"]})
        conn.execute(text("UPDATE swot_items SET customer_id = :c, seq = :s WHERE id = :i"),
                     {"c": keep["id"], "s": seq, "i": row["id"]})
        moved.append((row["id"], f"{drop['archive_no']} {row['quadrant']}{row['seq']}",
                      f"{keep['archive_no']} {row['quadrant']}{seq}"))
    return moved


def move_competitors(conn, drop: dict, keep: dict) -> list[tuple]:
    moved = []
    taken = {row["name"] for row in _rows(conn, "competitors", keep["id"])}
    for row in _rows(conn, "competitors", drop["id"]):
        name = row["name"] if row["name"] not in taken else f"{row['name']} ({drop['archive_no']})"
        conn.execute(text("UPDATE competitors SET customer_id = :c, name = :n WHERE id = :i"),
                     {"c": keep["id"], "n": name, "i": row["id"]})
        moved.append((row["id"], row["name"], name))
    conn.execute(text("UPDATE performance_indices SET customer_id = :k WHERE customer_id = :d"),
                 {"k": keep["id"], "d": drop["id"]})
    for row in _rows(conn, "competitive_advantages", drop["id"]):
        seq = _next(conn, "competitive_advantages", "seq", "customer_id = :c", {"c": keep["id"]})
        conn.execute(text("UPDATE competitive_advantages SET customer_id = :c, seq = :s WHERE id = :i"),
                     {"c": keep["id"], "s": seq, "i": row["id"]})
        moved.append((row["id"], f"advantage {row['seq']}", f"advantage {seq}"))
    return moved


def move_profiles(conn, drop: dict, keep: dict) -> list[tuple]:
    moved = []
    held = {row["field"]: row["value"] for row in _rows(conn, "customer_profiles", keep["id"])}
    for row in _rows(conn, "customer_profiles", drop["id"]):
        if row["field"] in held:
            conn.execute(text("DELETE FROM customer_profiles WHERE customer_id = :d AND field = :f"),
                         {"d": drop["id"], "f": row["field"]})
            moved.append((None, f"profile {row['field']} = {row['value']}", f"kept {held[row['field']]}"))
        else:
            conn.execute(text("UPDATE customer_profiles SET customer_id = :k WHERE customer_id = :d AND field = :f"),
                         {"k": keep["id"], "d": drop["id"], "f": row["field"]})
            moved.append((None, f"profile {row['field']}", f"profile {row['field']}"))
    return moved


def move_finance_statements(conn, drop: dict, keep: dict) -> list[tuple]:
    """A period KEEP lacks moves whole; a shared period gets KEEP's missing lines from DROP."""
    moved = []
    held = {row["period"]: row for row in _rows(conn, "finance_statements", keep["id"])}
    for row in _rows(conn, "finance_statements", drop["id"]):
        mine = held.get(row["period"])
        if mine is None:
            conn.execute(text("UPDATE finance_statements SET customer_id = :k WHERE id = :i"),
                         {"k": keep["id"], "i": row["id"]})
            moved.append((row["id"], f"period {row['period']}", f"period {row['period']}"))
            continue
        fills = {line: row[line] for line in LINES if mine.get(line) is None and row.get(line) is not None}
        if fills:
            conn.execute(text(f"UPDATE finance_statements SET {', '.join(f'{k} = :{k}' for k in fills)} WHERE id = :i"),
                         {**fills, "i": mine["id"]})
        conn.execute(text("DELETE FROM finance_statements WHERE id = :i"), {"i": row["id"]})
        lines = {line: row[line] for line in LINES if row.get(line) is not None}
        moved.append((row["id"], f"period {row['period']} {json.dumps(lines, ensure_ascii=False)}",
                      f"period {row['period']} (filled {', '.join(sorted(fills)) or 'nothing'})"))
    return moved

"""The duplicate check at entry (add, update, import): one card against its blocks, the same scorer.

The card's candidates are found through indexes — the same phone, e-mail, identity key, name pinyin
(the stored search key), or, for a company, every archive whose name holds its core name (the name
grams) — at most ``MAX_CANDIDATES`` of them, and scored with ``model`` exactly as ``dedupe`` scores
a pair, using the configured m/u (dedupe.toml: re-estimating them would read the whole archive on
every entry) and the name's frequency in this archive. A clerk sees only the other archive's
number and name, never its data.
"""
from __future__ import annotations

from sqlalchemy import text

MAX_CANDIDATES = 200


def _candidate_ids(conn, row: dict, legal_forms: list[str]) -> list[int]:
    from custarchive.cards.dedupe.features import core_name
    from custarchive.core.searchindex import name_keys, query_grams

    found: dict[int, None] = {}

    def collect(sql: str, params: dict) -> None:
        if len(found) < MAX_CANDIDATES:
            for (cid,) in conn.execute(text(sql + f" LIMIT {MAX_CANDIDATES}"), params):
                found.setdefault(cid, None)

    active = "status = 'active' AND id <> :me"
    me = row["id"]
    for column in ("phone", "email", "id_number_hmac", "credit_code"):
        if row.get(column):
            collect(f"SELECT id FROM customers WHERE {column} = :v AND {active}", {"v": row[column], "me": me})
    keys = name_keys(row["name"])[0]
    if keys:
        collect(f"SELECT id FROM customers WHERE name_pinyin = :v AND {active}", {"v": keys, "me": me})
    if row.get("kind") == "enterprise":
        core = core_name(row["name"], True, legal_forms, row.get("province"), row.get("city"))
        grams = query_grams(core)
        if len(core) >= 2 and grams:
            marks = " INTERSECT ".join(f"SELECT customer_id FROM name_grams WHERE gram = :g{i}"
                                       for i in range(len(grams)))
            collect(f"SELECT id FROM customers WHERE id IN ({marks}) AND {active}",
                    {"me": me, **{f"g{i}": g for i, g in enumerate(grams)}})
    return list(found)


def check(conn, customer_id: int, settings: dict | None = None, total: int | None = None) -> list[dict]:
    """Likely duplicates and related archives of one stored card: number, name, probability, relation.

    ``settings`` (dedupe.toml) and ``total`` (active archives, a full count) may be given by a caller
    that checks many cards in one transaction, so they are read once, not once per card."""
    import numpy as np

    from custarchive.cards.dedupe import dedupe_settings, features, model

    settings = settings if settings is not None else dedupe_settings()
    legal_forms = sorted(settings["legal_forms"], key=len, reverse=True)
    columns = ", ".join(features.COLUMNS)
    own = conn.execute(text(f"SELECT {columns} FROM customers WHERE id = :id"), {"id": customer_id}).first()
    if own is None:
        return []
    ids = _candidate_ids(conn, dict(own._mapping), legal_forms)
    if not ids:
        return []
    marks = ", ".join(str(int(i)) for i in ids)
    others = conn.execute(text(f"SELECT {columns} FROM customers WHERE id IN ({marks}) ORDER BY id")).all()
    table = features.table_of([tuple(own), *map(tuple, others)], legal_forms)
    right = np.arange(1, len(table))
    left = np.zeros(len(right), dtype=np.int64)
    levels = model.compare(table, left, right)
    keys = dict(own._mapping)
    from custarchive.core.searchindex import name_keys

    same_name = conn.execute(text("SELECT COUNT(*) FROM customers WHERE name_pinyin = :v AND status = 'active'"),
                             {"v": name_keys(keys["name"])[0]}).scalar_one()
    total = max(total if total is not None else features.count(conn), 1)
    frequency = np.full(len(right), model.name_u(max(same_name - 1, 0), total, settings["u"]["name"][-1]))
    probability = model.probability(levels, settings["m"], settings["u"], frequency, float(settings["prior"]),
                                    settings["decisive"])
    probability[table.kind[left] != table.kind[right]] = 0.0
    contact, email = model.FIELDS.index("contact"), model.FIELDS.index("email")
    names = {cid: (number, name, owner) for cid, number, name, owner in conn.execute(
        text(f"SELECT id, archive_no, name, owner FROM customers WHERE id IN ({marks})"))}
    hits = []
    for i, other in enumerate(table.ids[1:]):
        likely = probability[i] >= settings["min_probability"]
        shared = levels[i, contact] >= 3 or levels[i, email] == 2
        if likely or shared:
            number, name, owner = names[int(other)]
            hits.append({"archive_no": number, "name": name, "owner": owner,
                         "probability": round(float(probability[i]), 4),
                         "relation": "duplicate" if likely else "related"})
    hits.sort(key=lambda h: (h["relation"] != "duplicate", -h["probability"], h["archive_no"]))
    return hits


def warnings(conn, customer_id: int, number: str, limit: int = 5) -> list[str]:
    """The warning lines for a card just written (English; core.texts gives the Chinese): the other
    archive's number, name and owner (负责人) only.

    Under PostgreSQL row-level security the scorer sees only the operator's archives, so the exact
    phone/e-mail/name hits of every owner (lookup.possible_duplicates, through the server's
    SECURITY DEFINER function) are added for archives it could not see.
    """
    from custarchive.cards import lookup

    lines, seen = [], set()
    for hit in check(conn, customer_id)[:limit]:
        seen.add(hit["archive_no"])
        owner = f"; owner {hit['owner']}" if hit["owner"] else ""
        if hit["relation"] == "duplicate":
            lines.append(f"{number}: possible duplicate of {hit['archive_no']} {hit['name']} "
                         f"(probability {hit['probability']:.0%}{owner})")
        else:
            lines.append(f"{number}: related archive {hit['archive_no']} {hit['name']} "
                         f"(same phone, address or e-mail{owner})")
    if _scorer_sees_part(conn):
        card = conn.execute(text("SELECT phone, email, name FROM customers WHERE id = :id"),
                            {"id": customer_id}).mappings().first()
        if card is not None:
            for found in lookup.possible_duplicates(conn, dict(card), customer_id):
                other = found.split(" ", 1)[0]
                if other not in seen and len(lines) < limit:
                    seen.add(other)
                    lines.append(f"{number}: possible duplicate of {found}")
    return lines


def _scorer_sees_part(conn) -> bool:
    """Row-level security hides other owners' archives from this login (a server archive after
    ``db roles``, a scope narrower than all): only then are the server's exact hits needed. Elsewhere
    the scorer saw every archive, and an exact name hit would overrule its verdict on a namesake."""
    from custarchive.core import authz

    scope = authz.current_scope(conn)
    return (conn.dialect.name == "postgresql" and scope is not None and scope.kind != "all"
            and bool(conn.execute(text("SELECT to_regproc('custarchive_duplicates') IS NOT NULL")).scalar()))

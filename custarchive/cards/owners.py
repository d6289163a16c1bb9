"""Owners (负责人), teams, collaborators (协作人) and the shared pool (公海).

Every archive has an owner and the owner's team, or no owner: then it is in the pool, seen by every
role that may claim (``authz.Scope``). Who sees what is the operator's data scope (own / team / all,
``data/permissions.toml``); this module only changes who owns what, and logs every change through
``changelog.record`` in the same transaction, so ``history`` shows when an archive changed hands.
The pool sweep is a rule in data (``[pool] stale_days``): an owned archive with no follow-up (timeline
entry, transaction) since its owner took it, for that many days, returns to the pool.
"""
from __future__ import annotations

import datetime as _dt
from dataclasses import replace

from sqlalchemy import select, text

from custarchive.cards import lookup
from custarchive.core import authz
from custarchive.core.changelog import Actor, ChangeEntry, record
from custarchive.core.sqlutil import chunks, now
from custarchive.errors import NotFound, PermissionDenied, ValidationError
from custarchive.models import Card, customers


def _user(conn, name: str):
    return conn.execute(text("SELECT name, role, active, team FROM users WHERE name = :n"), {"n": name}).first()


def _single_user(conn) -> bool:
    return conn.execute(text("SELECT 1 FROM users LIMIT 1")).first() is None


def _owner_team(conn, actor: Actor, owner: str, option: str) -> str | None:
    """The team an archive gets with ``owner``: the owner's. The owner must be an active user (any name
    in single-user mode); a manager (team scope) gives archives only to people of their own team."""
    owner = (owner or "").strip()
    if not owner:
        raise ValidationError(option, owner, "an owner name is required")
    if _single_user(conn):
        return None
    row = _user(conn, owner)
    if row is None or not row[2]:
        raise ValidationError(option, owner, "not an active user (user list)")
    scope = authz.current_scope(conn) or authz.scope_of(conn, actor.operator)
    if scope.kind == "team" and row[3] != scope.team:
        error = PermissionDenied(f"operator {actor.operator!r} may give archives only to members of team "
                                 f"{scope.team or '(none)'} ({owner} is in {row[3] or 'no team'})")
        error.operator, error.action = actor.operator, "assign"
        raise error
    return row[3]


def _set_owner(conn, card: Card, owner: str | None, team: str | None, actor: Actor, action: str) -> dict:
    conn.execute(text("UPDATE customers SET owner = :o, team = :t, owner_since = :s, updated_at = :s WHERE id = :id"),
                 {"o": owner, "t": team, "s": now(), "id": card["id"]})
    entries = [ChangeEntry(card["id"], card["archive_no"], action, "owner", card["owner"], owner)]
    if team != card["team"]:
        entries.append(ChangeEntry(card["id"], card["archive_no"], action, "team", card["team"], team))
    record(conn, entries, actor)
    return {"archive_no": card["archive_no"], "name": card["name"], "owner": owner, "team": team,
            "previous_owner": card["owner"], "previous_team": card["team"]}


def assign(conn, actor: Actor, ref: str, owner: str) -> dict:
    """Give one archive (that the operator can see) to ``owner``, in the owner's team."""
    authz.require(conn, actor, "assign")
    card = lookup.resolve(conn, ref)
    team = _owner_team(conn, actor, owner, "--owner")
    if card["owner"] == owner.strip() and card["team"] == team:
        raise ValidationError("--owner", owner, f"{card['archive_no']} is already {owner}'s")
    return _set_owner(conn, card, owner.strip(), team, actor, "assign")


def reassign(conn, actor: Actor, old: str, new: str) -> list[dict]:
    """Every archive of ``old`` (that the operator can see) to ``new``: a salesperson leaves."""
    authz.require(conn, actor, "assign")
    if old == new:
        raise ValidationError("--to", new, "is the same as --from")
    team = _owner_team(conn, actor, new, "--to")
    query = lookup.visible(conn, select(customers.c.id).where(customers.c.owner == old))
    ids = [row[0] for row in conn.execute(query.order_by(customers.c.archive_no))]
    if not ids:
        raise NotFound(f"{old} owns no archive you can see")
    return [_set_owner(conn, card, new, team, actor, "assign") for card in lookup.fetch_by_ids(conn, ids)]


def claim(conn, actor: Actor, ref: str) -> dict:
    """Take an archive from the pool: the operator becomes its owner."""
    authz.require(conn, actor, "claim")
    card = lookup.resolve(conn, ref)
    if card["owner"] is not None:
        raise ValidationError("REF", ref, f"{card['archive_no']} is not in the pool (its owner is {card['owner']})")
    row = _user(conn, actor.operator)
    return _set_owner(conn, card, actor.operator, row[3] if row else None, actor, "claim")


def _may_share(conn, actor: Actor, card: Card) -> None:
    """The owner shares an archive; so may anyone who may assign it (a manager, an admin)."""
    role = authz.require(conn, actor, "update")
    if card["owner"] != actor.operator and "assign" not in authz.permission_table().get(role, frozenset()):
        error = PermissionDenied(f"operator {actor.operator!r} is not the owner of {card['archive_no']} "
                                 f"({card['owner'] or 'pool'}): only the owner or a manager adds collaborators")
        error.operator, error.action = actor.operator, "assign"
        raise error


def add_collaborator(conn, actor: Actor, ref: str, name: str) -> dict:
    """``name`` works on the archive too: sees it (and its linked rows) as its owner does."""
    card = lookup.resolve(conn, ref)
    _may_share(conn, actor, card)
    name = (name or "").strip()
    if not _single_user(conn) and (_user(conn, name) is None or not _user(conn, name)[2]):
        raise ValidationError("NAME", name, "not an active user (user list)")
    if not name or name == card["owner"]:
        raise ValidationError("NAME", name, "the owner already sees the archive")
    if name in collaborators(conn, card["id"]):
        raise ValidationError("NAME", name, f"already a collaborator on {card['archive_no']}")
    conn.execute(text("INSERT INTO collaborators (customer_id, name, added_at, added_by) VALUES (:c, :n, :t, :by)"),
                 {"c": card["id"], "n": name, "t": now(), "by": actor.operator})
    record(conn, [ChangeEntry(card["id"], card["archive_no"], "collab-add", "collaborator", None, name)], actor)
    return {"archive_no": card["archive_no"], "collaborators": collaborators(conn, card["id"])}


def remove_collaborator(conn, actor: Actor, ref: str, name: str) -> dict:
    card = lookup.resolve(conn, ref)
    _may_share(conn, actor, card)
    if name not in collaborators(conn, card["id"]):
        raise NotFound(f"{name} is not a collaborator on {card['archive_no']}")
    conn.execute(text("DELETE FROM collaborators WHERE customer_id = :c AND name = :n"), {"c": card["id"], "n": name})
    record(conn, [ChangeEntry(card["id"], card["archive_no"], "collab-remove", "collaborator", name, None)], actor)
    return {"archive_no": card["archive_no"], "collaborators": collaborators(conn, card["id"])}


def collaborators(conn, customer_id: int) -> list[str]:
    return [row[0] for row in conn.execute(text("SELECT name FROM collaborators WHERE customer_id = :c ORDER BY name"),
                                           {"c": customer_id})]


def pool(conn, limit: int | None = None) -> list[Card]:
    """Active archives without owner (the operator must be able to see the pool: a role that may claim)."""
    c = customers.c
    query = lookup.visible(conn, select(c.id).where(c.owner.is_(None), c.status == "active"))
    ids = [row[0] for row in conn.execute(query.order_by(c.archive_no).limit(limit))]
    return lookup.fetch_by_ids(conn, ids)


def _last_follow_up(conn, ids: list[int]) -> dict[int, str]:
    """Per archive, the latest timeline entry or transaction (entered or dated), as an ISO text."""
    last: dict[int, str] = {}
    for part in chunks(ids):
        marks = ", ".join(f":i{n}" for n in range(len(part)))
        params = {f"i{n}": value for n, value in enumerate(part)}
        for sql in (f"SELECT customer_id, MAX(at) FROM timeline WHERE customer_id IN ({marks}) GROUP BY customer_id",
                    f"SELECT customer_id, MAX(txn_date) FROM transactions WHERE customer_id IN ({marks}) "
                    "GROUP BY customer_id",
                    f"SELECT customer_id, MAX(created_at) FROM transactions WHERE customer_id IN ({marks}) "
                    "GROUP BY customer_id"):
            for cid, at in conn.execute(text(sql), params):
                if at and at[:10] > last.get(cid, "")[:10]:
                    last[cid] = at
    return last


def sweep(conn, actor: Actor, days: int | None = None, dry_run: bool = False,
          today: _dt.date | None = None) -> list[dict]:
    """Return to the pool every owned active archive (that the operator can see) whose last follow-up, or
    the day its owner took it, is more than ``days`` days before today; each move is logged with the
    owner it leaves (the owner's ``history`` and the change log tell them). ``dry_run``: only list."""
    authz.require(conn, actor, "assign")
    days = authz.pool_stale_days() if days is None else days
    if days < 0:
        raise ValidationError("--days", days, "must be 0 or more")
    cutoff = ((today or _dt.date.today()) - _dt.timedelta(days=days)).isoformat()
    c = customers.c
    query = lookup.visible(conn, select(c.id, c.owner_since, c.created_at)
                           .where(c.owner.is_not(None), c.status == "active"))
    owned = {row[0]: (row[1] or row[2]) for row in conn.execute(query)}
    follow = _last_follow_up(conn, list(owned))
    stale = {cid: max(since[:10], follow.get(cid, "")[:10]) for cid, since in owned.items()}
    stale = {cid: last for cid, last in stale.items() if last < cutoff}
    cards = lookup.fetch_by_ids(conn, sorted(stale))
    cards.sort(key=lambda card: card["archive_no"])
    moved = []
    for card in cards:
        item = {"archive_no": card["archive_no"], "name": card["name"], "owner": card["owner"], "team": card["team"],
                "last_follow_up": stale[card["id"]]}
        if not dry_run:
            reason = f"no follow-up for {days} days (last {stale[card['id']]}): back to the pool"
            _set_owner(conn, card, None, None, replace(actor, reason=reason, source="pool-sweep"), "pool-return")
        moved.append(item)
    return moved

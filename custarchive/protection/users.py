"""Operators and their roles.

A database with no users runs in single-user mode (everyone acts as admin). The first user
registered ends that mode, so it must leave an admin behind: if the first user added is not an
admin, the operator adding them is registered as admin too. The last active admin can neither be
demoted nor disabled. Every change is in the change log (tamper-evident, like card changes).
"""
from __future__ import annotations

import re

from sqlalchemy import text

from custarchive.core import authz
from custarchive.core.changelog import Actor, ChangeEntry, record
from custarchive.errors import Duplicate, NotFound, ValidationError
from custarchive.protection import server
from custarchive.core.sqlutil import now

_NAME = re.compile(r"^[\w.@-]{1,64}$")


def _check_role(role: str) -> str:
    roles = authz.permission_table()
    if role not in roles:
        raise ValidationError("--role", role, f"unknown role (one of: {', '.join(roles)})")
    return role


def _get(conn, name: str):
    return conn.execute(text("SELECT name, role, active FROM users WHERE name = :n"), {"n": name}).first()


def _active_admins(conn) -> list[str]:
    return [row[0] for row in conn.execute(text("SELECT name FROM users WHERE role = 'admin' AND active = 1"))]


def _insert(conn, name: str, role: str, actor: Actor, team: str | None = None) -> None:
    conn.execute(text("INSERT INTO users (name, role, active, created_at, created_by, team) "
                      "VALUES (:n, :r, 1, :t, :by, :team)"),
                 {"n": name, "r": role, "t": now(), "by": actor.operator, "team": team})
    record(conn, [ChangeEntry(None, None, "user-add", name, None, role)], actor)
    if team:
        record(conn, [ChangeEntry(None, None, "user-team", name, None, team)], actor)


def _check_team(team: str | None) -> str | None:
    if team is None:
        return None
    team = team.strip()
    if not team or len(team) > 64:
        raise ValidationError("--team", team, "a team name is 1-64 characters")
    return team


def add_user(conn, actor: Actor, name: str, role: str, team: str | None = None, password: str | None = None) -> list[str]:
    """Register ``name``; returns every user registered (the creator too, when single-user mode ends).

    On a PostgreSQL archive whose rights the server enforces (``db roles``), ``name`` also gets a login
    in the group role ``role`` (with ``password`` if given), in the same transaction.
    """
    authz.require(conn, actor, "manage_users")
    name = (name or "").strip()
    if not _NAME.match(name):
        raise ValidationError("NAME", name, "a user name is 1-64 letters, digits, '.', '_', '@' or '-'")
    _check_role(role)
    team = _check_team(team)
    if _get(conn, name):
        raise Duplicate(f"user {name!r} already exists (use user set-role)")
    added = []
    first = conn.execute(text("SELECT 1 FROM users LIMIT 1")).first() is None
    if first and role != "admin":
        if actor.operator == name:
            raise ValidationError("--role", role, "the first user must be an admin, or nobody could manage users")
        _insert(conn, actor.operator, "admin", actor)
        added.append(actor.operator)
    _insert(conn, name, role, actor, team)
    if server.enabled(conn):
        server.create_login(conn, name, role, password)
    return added + [name]


def set_team(conn, actor: Actor, name: str, team: str | None) -> dict:
    """Move a user to another team (or none). Their archives keep their team until reassigned."""
    authz.require(conn, actor, "manage_users")
    team = _check_team(team)
    row = conn.execute(text("SELECT team FROM users WHERE name = :n"), {"n": name}).first()
    if row is None:
        raise NotFound(f"no user {name!r}")
    if row[0] == team:
        raise ValidationError("--team", team, f"{name} is already in this team")
    conn.execute(text("UPDATE users SET team = :t WHERE name = :n"), {"t": team, "n": name})
    record(conn, [ChangeEntry(None, None, "user-team", name, row[0], team)], actor)
    return {"name": name, "team": team, "previous_team": row[0]}


def set_role(conn, actor: Actor, name: str, role: str) -> dict:
    authz.require(conn, actor, "manage_users")
    _check_role(role)
    row = _get(conn, name)
    if row is None:
        raise NotFound(f"no user {name!r}")
    if row[1] == role:
        raise ValidationError("--role", role, f"{name} already has this role")
    if row[1] == "admin" and row[2] and _active_admins(conn) == [name]:
        raise ValidationError("--role", role, f"{name} is the last active admin")
    conn.execute(text("UPDATE users SET role = :r WHERE name = :n"), {"r": role, "n": name})
    if server.enabled(conn):
        server.move_login(conn, name, row[1], role)
    record(conn, [ChangeEntry(None, None, "user-role", name, row[1], role)], actor)
    return {"name": name, "role": role, "previous_role": row[1]}


def set_active(conn, actor: Actor, name: str, active: bool) -> dict:
    authz.require(conn, actor, "manage_users")
    row = _get(conn, name)
    if row is None:
        raise NotFound(f"no user {name!r}")
    if bool(row[2]) == active:
        raise ValidationError("NAME", name, "is already " + ("active" if active else "disabled"))
    if not active and row[1] == "admin" and _active_admins(conn) == [name]:
        raise ValidationError("NAME", name, "is the last active admin and cannot be disabled")
    conn.execute(text("UPDATE users SET active = :a WHERE name = :n"), {"a": int(active), "n": name})
    if server.enabled(conn):
        server.set_login_active(conn, name, active)
    record(conn, [ChangeEntry(None, None, "user-enable" if active else "user-disable", name, None, None)], actor)
    return {"name": name, "role": row[1], "active": active}


def list_users(conn) -> list[dict]:
    rows = conn.execute(text("SELECT name, role, active, created_at, created_by, team FROM users ORDER BY name"))
    return [{"name": r[0], "role": r[1], "active": bool(r[2]), "created_at": r[3], "created_by": r[4], "team": r[5]}
            for r in rows]

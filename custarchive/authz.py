"""Who may do what: the permission table (data/permissions.toml), enforced in the domain layer.

Every domain function that writes (and every read that takes an actor) calls
:func:`require` on its own connection, so a script calling the library gets
the same refusals as the CLI. With no users registered the database is in
single-user mode and every operator acts as admin.
"""
from __future__ import annotations

import tomllib
from functools import lru_cache

from sqlalchemy import text

from custarchive.config import package_data
from custarchive.errors import PermissionDenied

ACTIONS = ("read", "add", "update", "import", "export", "reveal", "grade", "merge", "erase", "manage_users")


@lru_cache(maxsize=1)
def permission_table() -> dict[str, frozenset[str]]:
    data = tomllib.loads(package_data("permissions.toml").read_text(encoding="utf-8"))
    return {role: frozenset(spec["actions"]) for role, spec in data["roles"].items()}


def role_of(conn, operator: str) -> str | None:
    """The operator's role; ``admin`` in single-user mode; None when users exist but not this one."""
    if conn.execute(text("SELECT 1 FROM users LIMIT 1")).first() is None:
        return "admin"
    return conn.execute(text("SELECT role FROM users WHERE name = :n AND active = 1"), {"n": operator}).scalar()


def require(conn, actor, action: str) -> str:
    """Refuse with PermissionDenied unless the actor's role grants ``action``; returns the role."""
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    role = role_of(conn, actor.operator)
    if role is None:
        raise PermissionDenied(f"operator {actor.operator!r} is not a registered user (ask an admin: user add)")
    if action not in permission_table().get(role, frozenset()):
        raise PermissionDenied(f"operator {actor.operator!r} ({role}) may not {action.replace('_', ' ')}")
    return role

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

from custarchive.config import data_dir, package_data
from custarchive.core.changelog import ChangeEntry, record
from custarchive.core.crypto import sensitive_fields
from custarchive.core.sqlutil import now
from custarchive.errors import PermissionDenied

ACTIONS = ("read", "add", "update", "import", "export", "reveal", "grade", "merge", "erase", "manage_users",
           "backup", "restore")


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
        raise _denied(f"operator {actor.operator!r} is not a registered user (ask an admin: user add)", actor, action)
    if action not in permission_table().get(role, frozenset()):
        raise _denied(f"operator {actor.operator!r} ({role}) may not {action.replace('_', ' ')}", actor, action)
    return role


def _denied(message: str, actor, action: str) -> PermissionDenied:
    error = PermissionDenied(message)
    error.operator, error.action = actor.operator, action
    return error


def security_log_path(db):
    """Refusals are kept outside the database, so a refused command leaves the database exactly as it was:
    ``<db>.security.log`` beside a SQLite file, else ``security-<database>.log`` in the data directory."""
    from pathlib import Path

    if db.path is not None:
        return Path(f"{db.path}.security.log")
    from sqlalchemy.engine import make_url

    url = make_url(db.url)
    return data_dir() / f"security-{url.host or 'local'}-{url.database or 'db'}.log".replace("/", "_")


def log_refusal(db, error: PermissionDenied, operator: str | None = None) -> None:
    """Append a refused action to the security log (JSON lines, owner-only, appended atomically).

    Best effort: a log that cannot be written (read-only directory) does not hide the refusal itself.
    """
    import json
    import os

    event = {"at": now(), "operator": getattr(error, "operator", None) or operator or "unknown",
             "action": getattr(error, "action", None) or "policy", "outcome": "denied", "detail": error.message}
    try:
        path = security_log_path(db)
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, (json.dumps(event, ensure_ascii=False) + "\n").encode("utf-8"))
        finally:
            os.close(fd)
    except OSError:
        pass


def security_events(db, limit: int = 100) -> list[dict]:
    """The newest refusals first."""
    import json

    path = security_log_path(db)
    if not path.exists():
        return []
    events = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            events.append(json.loads(line))
        except ValueError:
            continue
    return events[::-1][:limit]


def record_reveal(conn, actor, cards: list[dict], command: str, fields: list[str] | None = None) -> None:
    """Require the reveal permission and log, per archive, which sensitive fields were shown in clear.

    Every path that shows sensitive values unmasked (show/history/export --reveal, subject-export) calls
    this; ``fields`` names what was shown when it is not simply the card's current sensitive values.
    """

    require(conn, actor, "reveal")
    entries = []
    for card in cards:
        held = {**card, **(card.get("extra") or {})}
        shown = fields or sorted(name for name in sensitive_fields(card.get("template")) if held.get(name) is not None)
        if shown:
            entries.append(ChangeEntry(card["id"], card["archive_no"], "reveal", ",".join(shown), None, command))
    record(conn, entries, actor)

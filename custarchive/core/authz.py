"""Who may do what: the permission table (data/permissions.toml), enforced in the domain layer.

Every domain function that writes (and every read that takes an actor) calls
:func:`require` on its own connection, so a script calling the library gets
the same refusals as the CLI. With no users registered the database is in
single-user mode and every operator acts as admin.
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import text

from custarchive.config import data_dir, package_data
from custarchive.core.changelog import ChangeEntry, record
from custarchive.core.crypto import sensitive_fields
from custarchive.core.sqlutil import now
from custarchive.errors import PermissionDenied

ACTIONS = ("read", "add", "update", "import", "export", "reveal", "grade", "merge", "erase", "manage_users",
           "backup", "restore", "assign", "claim")
SCOPES = ("own", "team", "all")
SCOPE_KEY = "custarchive.scope"  # where Database puts the reading actor's Scope on each connection


@lru_cache(maxsize=1)
def _permission_data() -> dict:
    data = tomllib.loads(package_data("permissions.toml").read_text(encoding="utf-8"))
    for role, spec in data["roles"].items():
        if spec.get("scope", "all") not in SCOPES:
            raise ValueError(f"permissions.toml: role {role}: scope must be one of {SCOPES}")
    return data


def permission_table() -> dict[str, frozenset[str]]:
    return {role: frozenset(spec["actions"]) for role, spec in _permission_data()["roles"].items()}


def scope_table() -> dict[str, str]:
    """Each role's data scope: own (仅本人), team (本部门) or all (全部)."""
    return {role: spec.get("scope", "all") for role, spec in _permission_data()["roles"].items()}


def hidden_columns(role: str | None) -> frozenset[str]:
    """Customer columns the role may not read at all (a viewer: the sensitive ones)."""
    return frozenset(_permission_data().get("hidden_columns", {}).get(role or "", ()))


def pool_stale_days() -> int:
    return int(_permission_data().get("pool", {}).get("stale_days", 90))


@dataclass(frozen=True)
class Scope:
    """Which archives an operator sees: ``kind`` own/team/all; ``pool``: also those without owner."""

    kind: str
    operator: str
    team: str | None = None
    pool: bool = False
    role: str | None = None

    def condition(self, table: str = "customers") -> tuple[str, dict] | None:
        """An SQL condition on ``table`` (the customers table or its alias) and its parameters; None: all."""
        if self.kind == "all":
            return None
        parts = [f"{table}.owner = :scope_me",
                 f"{table}.id IN (SELECT customer_id FROM collaborators WHERE name = :scope_me)"]
        params = {"scope_me": self.operator}
        if self.kind == "team" and self.team:
            parts.append(f"{table}.team = :scope_team")
            params["scope_team"] = self.team
        if self.pool:
            parts.append(f"{table}.owner IS NULL")
        return "(" + " OR ".join(parts) + ")", params


def scope_of(conn, operator: str) -> Scope:
    """The operator's scope from their role and team; single-user mode and unknown operators: all
    (an unknown operator is refused by :func:`require` before anything is read)."""
    role = role_of(conn, operator)
    if role is None:
        return Scope("all", operator)
    kind = scope_table().get(role, "all")
    team = None
    if kind == "team":
        team = conn.execute(text("SELECT team FROM users WHERE name = :n"), {"n": operator}).scalar()
    return Scope(kind, operator, team, "claim" in permission_table().get(role, frozenset()), role)


def current_scope(conn) -> Scope | None:
    """The scope Database set on this connection for its actor (None: no actor, e.g. migrations)."""
    return conn.info.get(SCOPE_KEY)


def visible_sql(conn, table: str = "customers") -> tuple[str, dict]:
    """The reading operator's scope as an SQL condition on ``table`` (``1 = 1`` when they see all)."""
    scope = current_scope(conn)
    return (scope.condition(table) if scope is not None else None) or ("1 = 1", {})


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
    if db.path is None and _log_on_server(db, event):
        return
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


# On a PostgreSQL archive whose rights the server enforces (``db roles``), refusals go to its
# append-only ``security_log`` table instead, in their own transaction (the refused one rolled back).
_SERVER_LOG = ("INSERT INTO security_log (at, operator, login, action, outcome, detail) "
               "SELECT :at, :operator, session_user, :action, :outcome, :detail "
               "WHERE EXISTS (SELECT 1 FROM protection_meta WHERE name = 'server_rights')")


def _log_on_server(db, event: dict) -> bool:
    if db.dialect != "postgresql":
        return False
    try:
        with db.engine(True).begin() as conn:
            row = {**event, "operator": event["operator"][:64], "action": event["action"][:20]}
            return conn.execute(text(_SERVER_LOG), row).rowcount == 1
    except Exception:  # noqa: BLE001 - best effort, like the file: fall back to it
        return False


def _server_events(db, limit: int) -> list[dict] | None:
    if db.dialect != "postgresql":
        return None
    with db.engine(False).connect() as conn:
        if conn.execute(text("SELECT 1 FROM protection_meta WHERE name = 'server_rights'")).first() is None:
            return None
        rows = conn.execute(text("SELECT at, operator, login, action, outcome, detail FROM security_log "
                                 "ORDER BY id DESC LIMIT :n"), {"n": limit})
        return [dict(row._mapping) for row in rows]


def security_events(db, limit: int = 100) -> list[dict]:
    """The newest refusals first."""
    import json

    server = _server_events(db, limit)
    if server is not None:
        return server
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

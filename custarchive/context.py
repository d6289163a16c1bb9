"""Per-invocation settings from the global options, and the database they point at."""
from __future__ import annotations

import getpass
import os
import sys
from dataclasses import dataclass, field
from typing import Any

OPERATOR_MAX = 64  # the width of every "who" column (change_log.operator, created_by, …)


def default_lang() -> str:
    for key in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(key)
        if value:
            return "zh" if value.lower().startswith("zh") else "en"
    return "en"


def default_operator() -> str:
    user = os.environ.get("CUSTARCHIVE_USER")
    if user:
        return user
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no login name in some containers
        return "unknown"


@dataclass
class AppContext:
    db_target: str | None = None
    operator: str = field(default_factory=default_operator)
    # --as or $CUSTARCHIVE_USER named the operator (on a server-enforced archive it must match the login)
    operator_given: bool = field(default_factory=lambda: bool(os.environ.get("CUSTARCHIVE_USER")))
    lang: str = field(default_factory=default_lang)
    quiet: bool = False
    color: bool = True
    _db: Any = None
    created: Any = None         # the SQLite file this invocation created (removed again if it stays empty)

    @property
    def target(self) -> str:
        if self.db_target:
            return self.db_target
        env = os.environ.get("CUSTARCHIVE_DB")
        if env:
            return env
        from custarchive.config import default_db_target

        return default_db_target()

    def database(self, write: bool = False, create: bool | None = None):
        """Open lazily; a read-only command on a missing database is refused, never created, and so is
        a command that only changes archives already there (``create=False``: classify, grade --all,
        which would otherwise leave an empty archive where a mistyped --db pointed)."""
        from custarchive.store.db import open_database

        create = write if create is None else create
        if self._db is None or (create and self._db.path is not None and not self._db.path.exists()):
            from custarchive.store.db import resolve_url

            path = resolve_url(self.target)[1]
            fresh = create and path is not None and not path.exists()
            self._db = open_database(self.target, create=create)
            if fresh:
                self.created = path
            if self._db.dialect == "postgresql":
                self._bind_login(self._db)
            self._db.actor = self.actor()
        return self._db

    def _bind_login(self, db) -> None:
        """On a PostgreSQL archive whose rights the server enforces (``db roles``), the operator is the
        login (``session_user``): a different ``--as`` (or $CUSTARCHIVE_USER) is refused, exit 1."""
        from custarchive.protection import server

        with db.read() as conn:
            if not server.enabled(conn):
                return
            login = server.login(conn)
        if self.operator_given and self.operator != login:
            from custarchive.core import authz
            from custarchive.errors import PermissionDenied

            error = PermissionDenied(f"--as {self.operator!r} does not match the server login {login!r}: on this "
                                     "archive you act as the login you connect with")
            error.operator, error.action = login, "login"
            authz.log_refusal(db, error, login)
            raise error
        self.operator = login

    def actor(self, source: str = "cli", reason: str | None = None, batch_id: str | None = None):
        from custarchive.core.changelog import Actor

        if len(self.operator) > OPERATOR_MAX:
            from custarchive.errors import ValidationError

            raise ValidationError("--as", self.operator[:20] + "…", f"an operator name ($CUSTARCHIVE_USER or --as) "
                                  f"is at most {OPERATOR_MAX} characters")
        return Actor(self.operator, source=source, batch_id=batch_id, reason=reason)

    def t(self, zh: str, en: str) -> str:
        return zh if self.lang == "zh" else en

    def warn(self, message: str) -> None:
        if not self.quiet:
            sys.stderr.write(f"{message}\n")

    def discard_created(self) -> bool:
        """Remove the SQLite database (and its key) this invocation created, if no archive got into it:
        a refused first command leaves no file behind. True when removed."""
        path = self.created
        if path is None or self._db is None:
            return False
        try:
            from sqlalchemy import text

            with self._db.read() as conn:
                if conn.execute(text("SELECT COUNT(*) FROM customers")).scalar():
                    return False
        except Exception:  # noqa: BLE001 - a database we cannot read is not removed
            return False
        self.close()
        for suffix in ("", ".key", "-wal", "-shm", "-journal"):
            try:
                os.unlink(f"{path}{suffix}")
            except FileNotFoundError:
                pass
        self.created = None
        return True

    def close(self) -> None:
        if self._db is not None:
            self._db.dispose()
            self._db = None

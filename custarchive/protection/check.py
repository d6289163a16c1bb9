"""check: the change-log hash chain, the database file, encryption at rest and attachment files.

Every check runs and reports; none raises for a failed check, so one broken part never hides another.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable

from sqlalchemy import text

from custarchive.core import crypto
from custarchive.core.changelog import verify_chain
from custarchive.errors import ConfigError, ValidationError, VerificationFailed
from custarchive.living.documents import verify_attachments


def _result(name: str, ok: bool, detail: str) -> dict:
    return {"name": name, "ok": ok, "detail": detail}


def check(conn, keys: crypto.Keyring | None = None, store=None) -> dict:
    """Run every check; ``ok`` is false if any failed. Never raises for a failed check."""
    results = []
    try:
        if keys is None:
            keys = crypto.keyring(conn)
            results.append(_result("key", True, "the key matches this database; " + key_origin(conn)))
        else:
            crypto.check_fingerprint(conn, keys)
            results.append(_result("key", True, "the key matches this database"))
    except ConfigError as exc:
        keys = None
        results.append(_result("key", False, exc.message))
    if _partial_view(conn):
        # the server shows this login only its scope's rows: a chain with others' entries left out
        # would look broken, and a viewer may not read the sealed columns at all
        note = "not checked: this login sees only part of the archive (run check as an admin)"
        results += [_result("change_log", True, note), _result("encryption", True, note), _attachments(conn, store)]
        return {"ok": all(item["ok"] for item in results), "checks": results}
    integrity = _integrity_beside(conn) if conn.dialect.name == "sqlite" else None
    count, broken = verify_chain(conn, keys or False)
    results.append(_result("change_log", broken is None, broken or f"{count} entries, hash chain intact"))
    if conn.dialect.name == "sqlite":
        rows = integrity() if integrity else None
        if rows is None:
            rows = [row[0] for row in conn.exec_driver_sql("PRAGMA integrity_check")]
        results.append(_result("sqlite", rows == ["ok"], "; ".join(rows[:5])))
    clear = conn.execute(text("SELECT COUNT(*) FROM customers WHERE (id_number IS NOT NULL AND id_number NOT LIKE "
                              "'enc1:%') OR (bank_account IS NOT NULL AND bank_account NOT LIKE 'enc1:%')")).scalar()
    results.append(_result("encryption", clear == 0, f"{clear} sensitive value(s) stored in clear" if clear
                           else "sensitive values are encrypted"))
    results.append(_attachments(conn, store))
    return {"ok": all(item["ok"] for item in results), "checks": results}


def _integrity_beside(conn) -> "Callable[[], list[str] | None] | None":
    """Start SQLite's integrity_check on its own read-only connection in a thread; returns a function
    giving its rows (None if it could not run there: the caller runs it inline).

    The check reads every page and index (25 s of a 41 s ``check`` at a million archives) in C with
    the GIL released, so it runs beside the change-log walk, which is Python on one core."""
    import sqlite3
    import threading
    from urllib.parse import quote

    url = conn.engine.url
    database = url.database or ""
    if database.startswith("file:"):
        database = database[5:]
    if not database or database == ":memory:" or not Path(database).is_file():
        return None
    box: dict = {}

    def run() -> None:
        try:
            other = sqlite3.connect(f"file:{quote(str(Path(database).resolve()))}?mode=ro", uri=True)
            try:
                box["rows"] = [row[0] for row in other.execute("PRAGMA integrity_check")]
            finally:
                other.close()
        except sqlite3.Error:
            box["rows"] = None

    worker = threading.Thread(target=run, name="integrity_check", daemon=True)
    worker.start()

    def rows():
        worker.join()
        return box.get("rows")

    return rows


def key_origin(conn) -> str:
    """Where the key in use came from, in words; a key file beside the database is pointed out (whoever
    copies the folder gets the key with the data) unless the user asked for it there."""
    _master, where, kind = crypto.find_key(conn)
    if kind == "env":
        return f"from {where}"
    if kind == "config":
        return f"from {where} (the per-user config directory, apart from the data)"
    if kind == "beside":
        if crypto.beside_wanted():
            return f"from {where}, beside the database as settings.toml asks ([key] beside_database)"
        return (f"from {where}, BESIDE the database: whoever copies the folder gets the key too; keep it "
                f"apart with: custarchive key import {where} (then delete {where})")
    return f"from {where} (the file ${crypto.KEY_FILE_ENV} names)"


def _partial_view(conn) -> bool:
    """On a server-enforced archive (``db roles``), a login whose scope is not all, or with hidden columns."""
    from custarchive.core import authz
    from custarchive.protection import server

    scope = authz.current_scope(conn)
    if scope is None or not server.enabled(conn):
        return False
    return scope.kind != "all" or bool(authz.hidden_columns(scope.role))


def _attachments(conn, store) -> dict:
    if store is None:
        return _result("attachments", True, "not checked (no file store given)")

    problems = verify_attachments(conn, store)
    detail = "; ".join(f"{p['doc_no']}: {p['problem']}" for p in problems[:5])
    return _result("attachments", not problems, detail or "every attached file matches its SHA-256")


def verify_file(path: Path, keys: crypto.Keyring | None) -> dict:
    """Check a SQLite file without changing it (opened read-only, never upgraded)."""
    from sqlalchemy import create_engine

    if not path.is_file():
        raise ValidationError("IN", str(path), "no such file")
    engine = create_engine(f"sqlite:///file:{path}?mode=ro&uri=true")
    try:
        with engine.connect() as conn:
            try:
                tables = {row[0] for row in conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type='table'")}
            except Exception as exc:  # noqa: BLE001 - any driver error: not a readable database
                raise VerificationFailed(f"{path} is not a readable SQLite database ({exc.__class__.__name__})") from None
            if not {"customers", "change_log", "protection_meta"} <= tables:
                raise VerificationFailed(f"{path} is not a custarchive database of this version")
            report = check(conn, keys)
            report["entries"] = conn.execute(text("SELECT COUNT(*) FROM change_log")).scalar()
            return report
    except VerificationFailed:
        raise
    except Exception as exc:  # noqa: BLE001 - corrupt files fail in many driver-specific ways
        raise VerificationFailed(f"{path} cannot be read: {exc.__class__.__name__}: {str(exc)[:200]}") from None
    finally:
        engine.dispose()


def first_failure(report: dict) -> str:
    return next((f"{item['name']}: {item['detail']}" for item in report["checks"] if not item["ok"]), "unknown")

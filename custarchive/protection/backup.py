"""backup and restore: back the database up while others write, restore only a verified copy.

A backup is a plain SQLite file made with SQLite's online backup API (a consistent snapshot even
while other processes write), plus ``OUT.attachments/`` when the archive has attachment files and,
only on request, ``OUT.key``. Laid out like a live database (``<db>`` + ``<db>.key``), a backup can
be opened directly with ``--db OUT``. Without ``--with-key`` the backup is useless to whoever finds
it: keep the key apart (another medium, a password manager) — and keep it, or the backup's
sensitive values are lost too.
"""
from __future__ import annotations

import os
import shutil
import sqlite3
from pathlib import Path


from custarchive.core import authz, crypto
from custarchive.errors import ConfigError, UsageError, ValidationError, VerificationFailed
from custarchive.living.documents import store_for
from custarchive.protection.check import first_failure, verify_file


def attachments_dir(db) -> Path:
    return store_for(db).root


def _sqlite_only(db) -> Path:
    if db.path is None:
        raise UsageError("backup and restore work on SQLite files; for PostgreSQL use pg_dump / pg_restore")
    return db.path


def _private_new_file(path: Path, force: bool) -> None:
    if path.exists():
        if not force:
            raise ValidationError("OUT", str(path), "already exists (use --force to replace it)")
        path.unlink()
    path.parent.mkdir(parents=True, exist_ok=True)
    os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))


def backup(db, actor, out: str, with_key: bool = False, force: bool = False) -> dict:
    source = _sqlite_only(db)
    with db.read() as conn:
        authz.require(conn, actor, "backup")
        keys = crypto.keyring(conn)
        master_source = crypto.key_source(conn)
    target = Path(out).expanduser().resolve()
    if target == source:
        raise ValidationError("OUT", out, "is the database itself")
    _private_new_file(target, force)
    src = sqlite3.connect(source, timeout=60)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
        dst.execute("PRAGMA journal_mode = DELETE")
    finally:
        dst.close()
        src.close()
    report = verify_file(target, keys)
    if not report["ok"]:
        target.unlink()
        raise VerificationFailed(f"the copy did not verify: {first_failure(report)}")
    copied = _copy_attachments(attachments_dir(db), Path(f"{target}.attachments"))
    key_file = None
    if with_key:
        key_file = Path(f"{target}.key")
        key_file.unlink(missing_ok=True)
        crypto.write_key_file(key_file, master_source)
    return {"backup": str(target), "attachments": copied, "key": str(key_file) if key_file else None,
            "change_log_entries": report["entries"]}


def _copy_attachments(source: Path, target: Path, replace: bool = True) -> int:
    """Copy a content-addressed file store; restoring adds the backup's files to the live store."""
    if not source.is_dir():
        return 0
    if replace and target.exists():
        shutil.rmtree(target)
    shutil.copytree(source, target, dirs_exist_ok=True)
    return sum(1 for path in source.rglob("*") if path.is_file())


def restore(db, actor, source: str, key_file: str | None = None) -> dict:
    """Replace the database with a verified backup; a backup that fails any check changes nothing."""
    target = _sqlite_only(db)
    src = Path(source).expanduser().resolve()
    if src == target:
        raise ValidationError("IN", source, "is the database itself")
    if target.exists() and target.stat().st_size > 0:
        with db.read() as conn:
            authz.require(conn, actor, "restore")
    master = _backup_master(src, key_file, target)
    report = verify_file(src, crypto.Keyring(master))
    if not report["ok"]:
        raise VerificationFailed(f"backup {src} refused, nothing changed: {first_failure(report)}")
    db.dispose()
    if not target.exists():
        _private_new_file(target, False)
    live = sqlite3.connect(target, timeout=60)
    backup_conn = sqlite3.connect(f"file:{src}?mode=ro", uri=True)
    try:
        backup_conn.backup(live)
    finally:
        backup_conn.close()
        live.close()
    if os.environ.get(crypto.KEY_ENV) is None and os.environ.get(crypto.KEY_FILE_ENV) is None:
        current = Path(f"{target}.key")
        if crypto.beside_wanted():
            if not current.exists() or crypto.read_key_file(current) != master:
                current.unlink(missing_ok=True)
                crypto.write_key_file(current, master)
        else:
            crypto.store_key(master)  # apart from the data; a stale key beside the file is no longer used
            if current.exists() and crypto.read_key_file(current) != master:
                current.unlink()
    copied = _copy_attachments(Path(f"{src}.attachments"), attachments_dir(db), replace=False)
    return {"restored": str(src), "database": str(target), "change_log_entries": report["entries"],
            "attachments": copied}


def _backup_master(src: Path, key_file: str | None, target: Path) -> bytes:
    """The backup's key: --key FILE, else ``IN.key``, else $CUSTARCHIVE_KEY, else the live database's key
    from the config directory (into an empty place: the one kept for the backup's fingerprint), else an
    older version's ``<db>.key``."""
    env = crypto.master_from_env()
    if key_file:
        return crypto.read_key_file(Path(key_file))
    beside = Path(f"{src}.key")
    if beside.exists() and env is None:
        return crypto.read_key_file(beside)
    if env is not None:
        return env
    # the live database's key (a backup of another archive is refused unless its key is given); only
    # into an empty place, the key kept for the backup itself
    live = _fingerprint_of(target) if target.exists() and target.stat().st_size > 0 else None
    kept = live or _fingerprint_of(src)
    if kept and crypto.fingerprint_path(kept).exists():
        return crypto.read_key_file(crypto.fingerprint_path(kept))
    current = Path(f"{target}.key")
    if current.exists():
        return crypto.read_key_file(current)
    raise ConfigError(f"no key for backup {src} (expected {beside}, --key FILE or ${crypto.KEY_ENV})")


def _fingerprint_of(path: Path) -> str | None:
    """The key fingerprint a SQLite file keeps (read-only; None if it cannot be read)."""
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            row = conn.execute("SELECT value FROM protection_meta WHERE name = 'key_fingerprint'").fetchone()
        finally:
            conn.close()
    except sqlite3.Error:
        return None
    return row[0] if row else None

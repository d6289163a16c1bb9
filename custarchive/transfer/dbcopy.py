"""Moving a whole archive between databases: SQLite file ⇄ PostgreSQL (or any pair).

The copy is generic, so tables added by later versions travel without changes
here: every table the source holds, parents before children, in batches, ids
kept. The target is built by the same migrations, must start empty, and is
filled in one transaction that is verified (row counts, the change-log hash
chain) before it commits, so a failed copy leaves nothing behind and can
simply be run again. The attachment store beside a SQLite file
(``<stem>.files``) is copied too.
"""
from __future__ import annotations

import contextlib
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from custarchive.core import authz, crypto
from custarchive.core.changelog import Actor, verify_chain
from custarchive.errors import DatabaseError, ValidationError, VerificationFailed
from custarchive.store import migrations
from custarchive.store.db import Database, _create_private_file, open_database, resolve_url, table_names


Progress = Callable[[str, int], None]


@dataclass
class CopyReport:
    source: str
    target: str
    tables: dict[str, int] = field(default_factory=dict)
    chain_entries: int = 0
    files: int = 0
    seconds: float = 0.0
    key_file: str | None = None

    @property
    def rows(self) -> int:
        return sum(self.tables.values())


def file_store(path: Path | None) -> Path | None:
    """Where attachments of a SQLite archive live: ``archive.db`` → ``archive.files`` beside it."""
    return path.parent / f"{path.stem}.files" if path is not None else None


def copy_archive(source: str, target: str, actor: Actor, *, batch: int = 5000, files_from: Path | None = None,
                 files_to: Path | None = None, progress: Progress | None = None) -> CopyReport:
    """Copy every table (and the attachment store) from ``source`` to the empty ``target``."""
    started = time.perf_counter()
    src_url, src_path = resolve_url(source)
    dst_url, dst_path = resolve_url(target)
    if (src_path or src_url) == (dst_path or dst_url):
        raise ValidationError("--to", target, "is the same database as --from")
    if dst_path is not None and dst_path.is_dir():
        raise ValidationError("--to", target, "is a directory, not a database file")
    if dst_path is not None and dst_path.exists() and dst_path.stat().st_size > 0:
        raise ValidationError("--to", target, "already exists: db copy needs a new file or an empty database")
    src = open_database(source, create=False)
    store_from = files_from or file_store(src_path)
    has_files = store_from is not None and store_from.is_dir() and any(store_from.iterdir())
    if files_from is not None and not has_files:
        raise ValidationError("--files-from", str(files_from), "is not a directory holding files")
    store_to = (files_to or file_store(dst_path)) if has_files else None
    if has_files and store_to is None:
        raise ValidationError("--files-to", None, f"the source has attachments in {store_from}: say where the "
                                                  "target's file store is")
    if store_to is not None and store_to.exists() and (not store_to.is_dir() or any(store_to.iterdir())):
        raise ValidationError("--files-to", str(store_to), "already exists and is not empty")
    created_file = dst_path is not None and not dst_path.exists()
    if created_file:
        _create_private_file(dst_path)
    dst = Database(dst_url, dst_path)
    report = CopyReport(src.display, dst.display)
    store_created = store_to is not None and not store_to.exists()
    try:
        with src.read() as src_conn, dst.write() as dst_conn:
            authz.require(src_conn, actor, "manage_users")
            _copy_tables(src_conn, dst_conn, report, batch, progress)
            if has_files:
                report.files = _copy_files(store_from, store_to)
    except BaseException:
        dst.dispose()
        if report.key_file:
            Path(report.key_file).unlink(missing_ok=True)
        if created_file:
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(f"{dst_path}{suffix}").unlink(missing_ok=True)
        if store_created:
            shutil.rmtree(store_to, ignore_errors=True)
        raise
    finally:
        src.dispose()
    dst.dispose()
    report.seconds = round(time.perf_counter() - started, 2)
    return report


def _copy_tables(src_conn, dst_conn, report: CopyReport, batch: int, progress: Progress | None) -> None:
    from sqlalchemy import MetaData, func, select

    existing = table_names(dst_conn)
    if existing:
        raise ValidationError("--to", report.target, f"already holds tables ({', '.join(existing[:5])}"
                                                     f"{', …' if len(existing) > 5 else ''}): db copy needs an empty "
                                                     "database")
    chain_count, problem = verify_chain(src_conn)
    if problem:
        raise VerificationFailed(f"the source change log is broken ({problem}); nothing copied — run check first")
    report.key_file = _share_key(src_conn, dst_conn)
    migrations.upgrade(dst_conn)
    src_meta, dst_meta = MetaData(), MetaData()
    src_meta.reflect(src_conn)
    dst_meta.reflect(dst_conn)
    _check_same_schema(src_meta, dst_meta)
    order = dst_meta.sorted_tables
    for table in reversed(order):
        dst_conn.execute(table.delete())
    for table in order:
        report.tables[table.name] = _copy_table(src_conn, dst_conn, src_meta.tables[table.name], table, batch,
                                                progress)
    if dst_conn.dialect.name == "postgresql":
        _reset_sequences(dst_conn, order)
    for table in order:
        expected = src_conn.execute(select(func.count()).select_from(src_meta.tables[table.name])).scalar_one()
        found = dst_conn.execute(select(func.count()).select_from(table)).scalar_one()
        if found != expected or report.tables[table.name] != expected:
            raise VerificationFailed(f"{table.name}: {found} rows in the target, {expected} in the source; "
                                     "nothing copied")
    crypto.forget_fingerprint(dst_conn)  # the target now carries the source's fingerprint (and key)
    copied, problem = verify_chain(dst_conn)
    if problem or copied != chain_count:
        raise VerificationFailed(f"the copied change log does not verify ({problem or f'{copied} of {chain_count} entries'}); "
                                 "nothing copied")
    report.chain_entries = copied


def _share_key(src_conn, dst_conn) -> str | None:
    """The copy's sealed values and log digests are the source's: give the target the source's key.

    Returns the key file written for the target (so a failed copy can remove it), or None when the
    key comes from $CUSTARCHIVE_KEY or is already kept. The key is kept in the per-user config directory
    under the fingerprint the copy carries, so the target finds it wherever the target is, and no key
    file is put beside a SQLite target.
    """
    master = crypto.key_source(src_conn)
    if crypto.master_from_env() is not None:
        return None
    path = crypto.fingerprint_path(crypto.Keyring(master).fingerprint)
    if path.exists() and crypto.read_key_file(path) == master:
        return None
    return str(crypto.store_key(master))


def _check_same_schema(src_meta, dst_meta) -> None:
    src_tables, dst_tables = set(src_meta.tables), set(dst_meta.tables)
    if src_tables != dst_tables:
        extra, missing = sorted(src_tables - dst_tables), sorted(dst_tables - src_tables)
        raise DatabaseError("source and target schemas differ"
                            + (f"; only in the source: {', '.join(extra)}" if extra else "")
                            + (f"; only in the target: {', '.join(missing)}" if missing else "")
                            + " (is the source from a newer custarchive?)")
    for name in sorted(src_tables):
        src_cols = {column.name for column in src_meta.tables[name].columns}
        dst_cols = {column.name for column in dst_meta.tables[name].columns}
        if src_cols != dst_cols:
            raise DatabaseError(f"table {name}: source and target columns differ "
                                f"({', '.join(sorted(src_cols ^ dst_cols))})")


def _copy_table(src_conn, dst_conn, src_table, dst_table, batch: int, progress: Progress | None) -> int:
    """Rows go through the drivers untouched (no type processing), ``batch`` at a time."""
    columns = [column.name for column in dst_table.columns]
    read_quote = src_conn.dialect.identifier_preparer.quote
    write_quote = dst_conn.dialect.identifier_preparer.quote
    keys = [column.name for column in src_table.primary_key.columns] or columns
    select_sql = (f"SELECT {', '.join(read_quote(c) for c in columns)} FROM {read_quote(src_table.name)} "
                  f"ORDER BY {', '.join(read_quote(c) for c in keys)}")
    mark = "?" if dst_conn.dialect.paramstyle == "qmark" else "%s"
    column_list = ", ".join(write_quote(c) for c in columns)
    insert_sql = f"INSERT INTO {write_quote(dst_table.name)} ({column_list}) VALUES ({', '.join([mark] * len(columns))})"
    copy_sql = f"COPY {write_quote(dst_table.name)} ({column_list}) FROM STDIN"
    use_copy = dst_conn.dialect.driver == "psycopg"
    copied = 0
    result = src_conn.execution_options(stream_results=True, max_row_buffer=batch).exec_driver_sql(select_sql)
    with contextlib.closing(result):
        for rows in result.partitions(batch):
            if use_copy:
                _copy_rows(dst_conn, copy_sql, rows)
            else:
                dst_conn.exec_driver_sql(insert_sql, [tuple(row) for row in rows])
            copied += len(rows)
            if progress:
                progress(dst_table.name, copied)
    return copied


def _copy_rows(conn, sql: str, rows) -> None:
    """PostgreSQL's COPY, in the connection's transaction: about ten times the speed of executemany."""
    cursor = conn.connection.dbapi_connection.cursor()
    try:
        with cursor.copy(sql) as copy:
            for row in rows:
                copy.write_row(tuple(row))
    finally:
        cursor.close()


def _reset_sequences(conn, tables) -> None:
    """Explicit ids bypass PostgreSQL's sequences: move each past the largest id copied."""
    from sqlalchemy import text

    for table in tables:
        for column in table.primary_key.columns:
            sequence = conn.execute(text("SELECT pg_get_serial_sequence(:t, :c)"),
                                    {"t": table.name, "c": column.name}).scalar()
            if sequence:
                quoted = conn.dialect.identifier_preparer.quote
                conn.execute(text(f"SELECT setval(:s, COALESCE((SELECT MAX({quoted(column.name)}) FROM "
                                  f"{quoted(table.name)}), 0) + 1, false)"), {"s": sequence})


def _copy_files(store_from: Path, store_to: Path) -> int:
    """Copy the attachment store and check every file arrived with the same size; returns the count."""
    try:
        shutil.copytree(store_from, store_to, dirs_exist_ok=True)
    except OSError as exc:
        raise DatabaseError(f"cannot copy attachments to {store_to}: {exc}") from None
    count = 0
    for path in store_from.rglob("*"):
        if path.is_file():
            copy = store_to / path.relative_to(store_from)
            if not copy.is_file() or copy.stat().st_size != path.stat().st_size:
                raise VerificationFailed(f"attachment {copy} did not copy intact; nothing copied")
            count += 1
    return count

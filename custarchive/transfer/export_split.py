"""A long CSV export from a SQLite file written by two processes, each taking half the archives.

Nearly all of an export's time is one core fetching cells and turning them
into lines (``export_csv._Lines``); with a second core, a forked child
(``forked.Job``) writes the second half of the archive numbers to a temporary
file while this process writes the first half, and the child's part is then
appended. Each process reads on its own connection, so the two halves must
come from the same state of the database: a third connection takes
``PRAGMA data_version`` before either read transaction starts and again once
both have, and SQLite changes that number whenever another connection has
committed in between. If it changed, the child's part is dropped and this
process writes the second half from its own read transaction, so the file
is always one consistent snapshot, and the bytes are those one process
would write.
"""
from __future__ import annotations

import shutil
import sqlite3
import tempfile
from pathlib import Path

from custarchive.transfer import forked

SPLIT_ABOVE = 20_000  # rows; below this a second process costs more than it saves
HEAD_SHARE = 0.45  # of the rows written here: this process also counts, splits and appends the child's part
BUSY_TIMEOUT_MS = 5000


def copy(conn, lines, select: list[str], where: str, params: dict, stream) -> int | None:
    """Write the rows in two halves as described above; None when the export is not split (short, not a
    file, one core): the caller then writes it in one piece."""
    path = conn.engine.url.database if conn.dialect.name == "sqlite" else None
    if not path or path == ":memory:" or not forked.available():
        return None
    uri = Path(path).resolve().as_uri() + "?mode=ro"
    try:
        watch = _connect(uri)
        own = _connect(uri)
    except sqlite3.Error:
        return None
    job = spill = None
    try:
        before = _version(watch)
        own.execute("BEGIN")
        total = own.execute(f"SELECT COUNT(*) FROM customers{where}", params).fetchone()[0]
        if total <= SPLIT_ABOVE:
            return None
        halves = {**params, "_head": int(total * HEAD_SHARE)}
        (middle,) = own.execute(f"SELECT archive_no FROM customers{where} ORDER BY archive_no LIMIT 1 OFFSET :_head",
                                halves).fetchone()
        glue = " AND " if where else " WHERE "
        head = f"SELECT {', '.join(select)} FROM customers{where}{glue}archive_no < :_middle ORDER BY archive_no"
        tail = f"SELECT {', '.join(select)} FROM customers{where}{glue}archive_no >= :_middle ORDER BY archive_no"
        halves["_middle"] = middle.decode()  # as text: bytes would bind as a BLOB, which sorts after all text
        spill = tempfile.TemporaryFile()

        def second_half(ready) -> int:
            mine = _connect(uri)
            mine.execute("BEGIN")
            mine.execute("SELECT 1 FROM customers LIMIT 1").fetchall()  # the snapshot is taken at the first read
            ready()
            count = lines.copy(mine.execute(tail, halves), spill)
            spill.flush()  # the child leaves by os._exit, which flushes nothing
            return count

        job = forked.Job(second_half)
        same = None

        def checked() -> None:
            nonlocal same
            if same is None and job.is_ready():
                same = _version(watch) == before

        count = lines.copy(own.execute(head, halves), stream, checked=checked)
        if same is None:
            job.is_ready(wait=True)
            checked()
        if same:
            count += job.result()
            spill.seek(0)
            shutil.copyfileobj(spill, stream, 1 << 20)
        else:  # another connection committed while the halves started: this snapshot writes both
            job.close()
            job = None
            count += lines.copy(own.execute(tail, halves), stream)
        return count
    finally:
        if job is not None:
            job.close()
        if spill is not None:
            spill.close()
        own.close()
        watch.close()


def _connect(uri: str) -> sqlite3.Connection:
    connection = sqlite3.connect(uri, uri=True, isolation_level=None)
    connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    connection.text_factory = bytes
    return connection


def _version(watch: sqlite3.Connection) -> int:
    return watch.execute("PRAGMA data_version").fetchone()[0]


"""How much of an import is the database writing alone: its rows replayed without Python.

    python bench/import_writes.py --rows 100000

Imports the generated rows with custarchive, then replays exactly the rows that
import wrote (customers, name_grams, change_log) into a fresh database of the
same schema, chunk by chunk as the import does (1,000 archives, plain customers
indexes set aside and rebuilt at the end), with ``INSERT … SELECT`` from the
finished file, so no Python touches a row. Printed against the floor of
``bench/import_export.py`` (one table, one UNIQUE index, plain ``executemany``)
and against the import itself, all in this one run: what the import could at
best reach if reading, validating, numbering and hashing cost nothing.
"""
from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.import_export import FLOOR, _run_once, line  # noqa: E402

CHUNK = 1000


def replay(source: Path, target: Path) -> float:
    """Seconds to write ``source``'s archives into an empty database at ``target``, in C only."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    staging = target.with_suffix(".staging.db")
    staging.unlink(missing_ok=True)
    with sqlite3.connect(source) as src:
        schema = [sql for (sql,) in src.execute("SELECT sql FROM sqlite_schema WHERE sql IS NOT NULL "
                                                "AND name NOT LIKE 'sqlite_%' ORDER BY type DESC")]
    with sqlite3.connect(staging) as stage:  # grams by customer, so each chunk's are one range read
        stage.execute("ATTACH ? AS s", (str(source),))
        stage.execute("CREATE TABLE grams AS SELECT gram, customer_id FROM s.name_grams ORDER BY customer_id")
        stage.execute("CREATE INDEX grams_customer ON grams (customer_id)")
    conn = sqlite3.connect(target, isolation_level=None)
    for sql in schema:
        conn.execute(sql)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA cache_size = -32000")
    conn.execute("ATTACH ? AS s", (str(source),))
    conn.execute("ATTACH ? AS g", (str(staging),))
    last = conn.execute("SELECT MAX(id) FROM s.customers").fetchone()[0] or 0
    started = time.perf_counter()
    conn.execute("BEGIN IMMEDIATE")
    plain = conn.execute("SELECT name, sql FROM main.sqlite_schema WHERE type = 'index' AND tbl_name = 'customers' "
                         "AND sql IS NOT NULL AND upper(sql) NOT LIKE 'CREATE UNIQUE%'").fetchall()
    for start in range(0, last, CHUNK):
        window = (start, start + CHUNK)
        conn.execute("INSERT INTO main.customers SELECT * FROM s.customers WHERE id > ? AND id <= ?", window)
        conn.execute("INSERT INTO main.name_grams SELECT gram, customer_id FROM g.grams "
                     "WHERE customer_id > ? AND customer_id <= ?", window)
        conn.execute("INSERT INTO main.change_log SELECT * FROM s.change_log WHERE customer_id > ? "
                     "AND customer_id <= ?", window)
        if start == CHUNK:  # as the import does once it is large
            for name, _sql in plain:
                conn.execute(f'DROP INDEX "{name}"')
    for _name, sql in plain:
        conn.execute(sql)
    conn.execute("COMMIT")
    elapsed = time.perf_counter() - started
    conn.close()
    staging.unlink(missing_ok=True)
    return elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)

    from bench.generate import generate_rows
    from custarchive.transfer.io import write_rows
    from custarchive.transfer.io.headers import FIELDS

    work = Path(tempfile.mkdtemp(prefix="custarchive-writes-"))
    env = {**os.environ, "PYTHONPATH": str(ROOT), "CUSTARCHIVE_USER": "bench",
           "CUSTARCHIVE_CONFIG_DIR": str(work / "config"), "CUSTARCHIVE_DATA_DIR": str(work / "data")}
    try:
        source = work / "customers.csv"
        write_rows("csv", source, FIELDS, generate_rows(args.rows, args.seed), encoding="utf-8")
        db = work / "archive.db"
        floor = _run_once([sys.executable, "-c", FLOOR, str(source), str(work / "floor.db")], env=env)
        line("sqlite3 executemany, one UNIQUE index (floor)", floor, rows=args.rows)
        line("custarchive import", _run_once([sys.executable, "-m", "custarchive", "--db", str(db), "import",
                                              str(source)], env=env), floor[0], args.rows)
        cpu = time.process_time()
        seconds = replay(db, work / "replay.db")
        line("its writes replayed in C (INSERT … SELECT)", (seconds, 0, time.process_time() - cpu), floor[0], args.rows)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

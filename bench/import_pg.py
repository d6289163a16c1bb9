"""PostgreSQL import speed against the SQLite import and against a bare COPY, in one run.

    python bench/import_pg.py                          # 20,000 and 100,000 rows, a throwaway server
    python bench/import_pg.py --rows 20000 100000 1000000
    python bench/import_pg.py --url postgresql+psycopg://me@host/postgres   # a server you run

For each size one generated CSV file (bench/generate.py, the same seed) is
imported three ways, each as a child process timed by wall clock: ``COPY`` of
the CSV into a bare table of text columns (the floor: no validation, no
numbering, no log), ``custarchive import`` into a fresh PostgreSQL database,
and ``custarchive import`` into a fresh SQLite file. The cost per row of the
PostgreSQL import must stay flat as the size grows (an import that grew with
the rows already written is what this bench was made to catch). The machine
may be shared, so only the ratios within one run mean anything.

Without ``--url`` a server is started with ``.ci/pg-cluster`` in a temporary
directory and stopped at the end. The URL must name a database where the user
may ``CREATE DATABASE``; each run gets a fresh database, dropped afterwards.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.import_export import run  # noqa: E402  (after the path is set)

BARE_COPY = """
import sys, psycopg
url, path = sys.argv[1], sys.argv[2]
with psycopg.connect(url) as conn, open(path, "rb") as handle:
    header = handle.readline().decode("utf-8-sig").strip().split(",")
    columns = ", ".join(f'"{name}" text' for name in header)
    conn.execute(f"CREATE TABLE bare ({columns})")
    with conn.cursor().copy("COPY bare FROM STDIN (FORMAT csv)") as copy:
        while block := handle.read(1 << 20):
            copy.write(block)
"""


class Server:
    """A PostgreSQL server for the run: the one given, or a throwaway .ci/pg-cluster."""

    def __init__(self, url: str | None):
        self.dir: str | None = None
        if url is None:
            self.dir = tempfile.mkdtemp(prefix="custarchive-pgbench-")
            url = subprocess.run([str(ROOT / ".ci" / "pg-cluster"), "start", self.dir], check=True,
                                 capture_output=True, text=True).stdout.strip()
        self.url = url
        self.count = 0

    def plain(self, database: str) -> str:
        """A libpq URL (what psycopg takes) for ``database`` on this server."""
        base = self.url.replace("postgresql+psycopg://", "postgresql://", 1)
        return base.rsplit("/", 1)[0] + "/" + database

    def fresh(self) -> str:
        import psycopg

        self.count += 1
        name = f"custarchive_bench_{os.getpid()}_{self.count}"
        with psycopg.connect(self.plain(self.url.rsplit("/", 1)[1]), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
        return name

    def drop(self, name: str) -> None:
        import psycopg

        with psycopg.connect(self.plain(self.url.rsplit("/", 1)[1]), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')

    def stop(self) -> None:
        if self.dir:
            subprocess.run([str(ROOT / ".ci" / "pg-cluster"), "stop", self.dir], check=False)


def line(label: str, seconds: float, rows: int, base: float | None) -> None:
    ratio = f"{seconds / base:7.2f}x" if base else "  1.00x"
    print(f"  {label:40s} {seconds:8.2f} s {ratio}  {seconds / rows * 1e6:8.1f} µs/row", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[20_000, 100_000])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--url", default=os.environ.get("CUSTARCHIVE_BENCH_PG"),
                        help="a server URL with CREATE DATABASE rights (default: start a throwaway one)")
    parser.add_argument("--no-sqlite", action="store_true", help="skip the SQLite import (e.g. at 1,000,000 rows)")
    args = parser.parse_args(argv)

    from bench.generate import generate_rows
    from custarchive.transfer.io import write_rows
    from custarchive.transfer.io.headers import FIELDS

    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "custarchive")], check=True)
    work = Path(tempfile.mkdtemp(prefix="custarchive-pgbench-files-"))
    env = {**os.environ, "PYTHONPATH": str(ROOT), "CUSTARCHIVE_USER": "bench",
           "CUSTARCHIVE_CONFIG_DIR": str(work / "config"), "CUSTARCHIVE_DATA_DIR": str(work / "data")}
    server = Server(args.url)
    summary = []
    try:
        for rows in args.rows:
            source = work / f"customers-{rows}.csv"
            write_rows("csv", source, FIELDS, generate_rows(rows, args.seed), encoding="utf-8")
            print(f"{rows:,} generated rows (seed {args.seed})", flush=True)
            bare_db = server.fresh()
            floor = run([sys.executable, "-c", BARE_COPY, server.plain(bare_db), str(source)], env=env)[0]
            server.drop(bare_db)
            line("COPY into a bare table (floor)", floor, rows, None)
            sqlite = None
            if not args.no_sqlite:
                db = work / f"archive-{rows}.db"
                sqlite = run([sys.executable, "-m", "custarchive", "--db", str(db), "import", str(source), "--json"],
                             env=env, fresh=(db,))[0]
                line("custarchive import, SQLite", sqlite, rows, floor)
            pg_db = server.fresh()
            url = server.url.rsplit("/", 1)[0] + "/" + pg_db
            pg = run([sys.executable, "-m", "custarchive", "--db", url, "import", str(source), "--json"], env=env)[0]
            server.drop(pg_db)
            line("custarchive import, PostgreSQL", pg, rows, floor)
            if sqlite:
                print(f"  PostgreSQL import / SQLite import: {pg / sqlite:.2f}x", flush=True)
            summary.append((rows, pg / rows * 1e6))
            source.unlink()
        print("PostgreSQL import cost per row: "
              + ", ".join(f"{rows:,} rows {cost:.0f} µs" for rows, cost in summary), flush=True)
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Import and export speed and memory against plain tools, as ratios measured in one run.

    python bench/import_export.py --rows 100000 --seed 1
    python bench/import_export.py --rows 1000000 --only import     # memory stays flat
    python bench/import_export.py --rows 100000 --only import --without-deferred   # do DeferredIndexes pay?
    python bench/import_export.py --rows 30000 --only export --no-xlsx --repeat 3   # ="…" cells' cost

Every contender runs as a child process on the same generated file (or the
same database), timed by wall clock; peak memory is the child's own
``ru_maxrss`` (from ``os.wait4``). The machine may be shared, so only the
ratios within one run mean anything.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

FLOOR = """
import csv, sqlite3, sys
conn = sqlite3.connect(sys.argv[2])
with open(sys.argv[1], encoding="utf-8-sig", newline="") as handle:
    reader = csv.reader(handle)
    header = next(reader)
    conn.execute(f"CREATE TABLE t ({', '.join(header)})")
    conn.execute("CREATE UNIQUE INDEX t_id ON t (id_number)")
    conn.executemany(f"INSERT INTO t VALUES ({', '.join('?' * len(header))})",
                     ([cell or None for cell in row] for row in reader))
conn.commit()
"""

BARE_XLSX = """
import sqlite3, sys, xlsxwriter
conn = sqlite3.connect(sys.argv[1])
book = xlsxwriter.Workbook(sys.argv[2], {"constant_memory": True})
sheet = book.add_worksheet("customers")
cursor = conn.execute("SELECT * FROM customers ORDER BY archive_no")
sheet.write_row(0, 0, [d[0] for d in cursor.description])
for number, row in enumerate(cursor, 1):
    sheet.write_row(number, 0, row)
book.close()
"""


# The import with its plain indexes kept up to date row by row (``DeferredIndexes`` never set them aside).
WITHOUT_DEFERRED = """
import sys
from custarchive.transfer import importing
importing.DEFER_INDEXES_AFTER = float("inf")
from custarchive.cli import main
sys.argv[0] = "custarchive"
main()
"""

REPEAT = 1


def run(argv: list[str], stdout=None, env=None, fresh: tuple[Path, ...] = ()) -> tuple[float, float, float]:
    """(median seconds, peak MB, median CPU seconds) of ``REPEAT`` runs of one child process (the
    machine is noisy); the databases in ``fresh`` are removed before each run. CPU is user plus
    system time of the child (and of any process it waited for)."""
    import statistics

    results = []
    for _attempt in range(REPEAT):
        for path in fresh:
            for suffix in ("", "-wal", "-shm", ".key"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        if hasattr(stdout, "seek"):
            stdout.seek(0)
            stdout.truncate()
        results.append(_run_once(argv, stdout, env))
    return (statistics.median(r[0] for r in results), max(r[1] for r in results),
            statistics.median(r[2] for r in results))


def _run_once(argv: list[str], stdout=None, env=None) -> tuple[float, float, float]:
    start = time.perf_counter()
    child = subprocess.Popen(argv, stdout=stdout or subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    _pid, status, usage = os.wait4(child.pid, 0)
    elapsed = time.perf_counter() - start
    error = child.stderr.read().decode("utf-8", "replace")
    child.stderr.close()
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise SystemExit(f"{' '.join(argv[:4])}… failed ({code}): {error[-2000:]}")
    return elapsed, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime


def tool(name: str) -> str:
    found = shutil.which(name) or str(Path(sys.executable).parent / name)
    if not Path(found).exists():
        raise SystemExit(f"{name} is not installed")
    return found


def line(label: str, measured: tuple[float, float, float], base: float | None = None, rows: int = 0) -> None:
    seconds, peak, cpu = measured
    ratio = f"{seconds / base:6.2f}x" if base else "   1.00x"
    rate = f"{rows / seconds:9,.0f} rows/s" if rows else ""
    print(f"  {label:44s} {seconds:8.2f} s  {ratio}  cpu {cpu:6.2f} s  peak {peak:6.0f} MB  {rate}", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--only", choices=("import", "export"), default=None)
    parser.add_argument("--keep", metavar="DIR", help="work in DIR and keep the files")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each contender; the median is shown")
    parser.add_argument("--reuse", action="store_true",
                        help="with --only export and --keep: export the database a previous run left in DIR "
                             "instead of generating and importing it again")
    parser.add_argument("--no-xlsx", action="store_true", help="export to CSV only (the XLSX pair takes ~50 s)")
    parser.add_argument("--without-deferred", action="store_true",
                        help="also import with the plain indexes kept up to date row by row (no DeferredIndexes)")
    args = parser.parse_args(argv)
    global REPEAT
    REPEAT = max(1, args.repeat)

    from bench.generate import generate_rows
    from custarchive.transfer.io import write_rows
    from custarchive.transfer.io.headers import FIELDS

    # An installed package has its bytecode compiled by pip; a source tree may not (PYTHONDONTWRITEBYTECODE).
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "custarchive")], check=True)
    work = Path(args.keep or tempfile.mkdtemp(prefix="custarchive-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "CUSTARCHIVE_USER": "bench",
           "CUSTARCHIVE_CONFIG_DIR": str(work / "config"), "CUSTARCHIVE_DATA_DIR": str(work / "data")}
    source = work / "customers.csv"
    db = work / "archive.db"
    reuse = args.reuse and args.only == "export" and db.exists()
    if not reuse:
        for path in (db, Path(f"{db}-wal"), Path(f"{db}-shm"), work / "floor.db", work / "su.db"):
            path.unlink(missing_ok=True)
        print(f"{args.rows:,} generated rows (seed {args.seed}) in {work}", flush=True)
        write_rows("csv", source, FIELDS, generate_rows(args.rows, args.seed), encoding="utf-8")
    else:
        print(f"reusing {db} (--reuse)", flush=True)
    custarchive = [sys.executable, "-m", "custarchive", "--db", str(db)]

    if args.only != "export":
        print("import", flush=True)
        floor = run([sys.executable, "-c", FLOOR, str(source), str(work / "floor.db")], env=env,
                    fresh=(work / "floor.db",))
        line("sqlite3 executemany, one UNIQUE index (floor)", floor, rows=args.rows)
        line("sqlite-utils insert --csv",
             run([tool("sqlite-utils"), "insert", str(work / "su.db"), "customers", str(source), "--csv"],
                 env=env, fresh=(work / "su.db",)), floor[0], args.rows)
        ours = run(custarchive + ["import", str(source), "--json"], env=env, fresh=(db,))
        line("custarchive import (validated, numbered, logged)", ours, floor[0], args.rows)
        if args.without_deferred:
            kept = work / "kept.db"
            line("  the same, indexes not deferred",
                 run([sys.executable, "-c", WITHOUT_DEFERRED, "--db", str(kept), "import", str(source), "--json"],
                     env=env, fresh=(kept,)), floor[0], args.rows)
        print(f"  custarchive import CPU / floor's wall time: {ours[2] / floor[0]:.2f}x (one process: no run can "
              f"beat this ratio); CPU / floor's CPU: {ours[2] / floor[2]:.2f}x", flush=True)
    if args.only != "import":
        if not db.exists():
            _run_once(custarchive + ["import", str(source)], env=env)
        print("export", flush=True)
        with open(work / "shell.csv", "wb") as out:
            shell = run([tool("sqlite3"), "-csv", "-header", str(db),
                         "SELECT * FROM customers ORDER BY archive_no"], stdout=out, env=env)
        line("sqlite3 shell .mode csv", shell, rows=args.rows)
        with open(work / "su.csv", "wb") as out:
            line("sqlite-utils rows --csv",
                 run([tool("sqlite-utils"), "rows", str(db), "customers", "--csv"], stdout=out, env=env),
                 shell[0], args.rows)
        plain = run(custarchive + ["export", "-o", str(work / "plain.csv"), "--plain"], env=env)
        line("custarchive export --plain (plain CSV)", plain, shell[0], args.rows)
        safe = run(custarchive + ["export", "-o", str(work / "export.csv")], env=env)
        line("custarchive export -o (spreadsheet-safe)", safe, shell[0], args.rows)
        print(f"  spreadsheet-safe CSV / plain CSV, CPU: {safe[2] / plain[2]:.2f}x", flush=True)
        if not args.no_xlsx:
            bare = run([sys.executable, "-c", BARE_XLSX, str(db), str(work / "bare.xlsx")], env=env)
            line("bare xlsxwriter constant_memory loop", bare, rows=args.rows)
            line("custarchive export --format xlsx", run(custarchive + ["export", "-o", str(work / "export.xlsx")],
                                                         env=env), bare[0], args.rows)
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

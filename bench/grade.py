"""``grade --all`` speed and memory on a generated archive, against a floor and (optionally) an older commit.

    python bench/grade.py --rows 100000 --seed 1
    python bench/grade.py --rows 100000 --reference 774eccd      # the same run with that commit's code

The archive is imported from generated rows; then a seeded share of the
archives get what a real book has: a tenth of the enterprises two years of
statements, a fifth of all archives orders and payments over the last two
years (some late), and a few contact-log entries. Each contender is a child
process on a fresh copy of that database, timed by wall clock, peak memory
from ``ru_maxrss`` (``os.wait4``). The floor is a plain sqlite3 script that
only *reads* what grading must read (every card, statement and transaction),
so the ratio says how much the grading itself costs. The machine may be
shared: only ratios within one run mean anything.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import tarfile
import tempfile
import time
from datetime import date, timedelta
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

FLOOR = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1])
cards = sum(1 for _ in conn.execute("SELECT * FROM customers WHERE status = 'active'"))
lines = sum(1 for _ in conn.execute("SELECT * FROM finance_statements ORDER BY customer_id, period"))
txns = sum(1 for _ in conn.execute("SELECT * FROM transactions ORDER BY customer_id, txn_date, id"))
print(cards, lines, txns)  # noqa: T201
"""


# The child's own peak: VmHWM of its memory after exec. ru_maxrss cannot be used here: on Linux exec
# records the forked copy of this (large) parent's high-water mark into it.
PEAK = """
import atexit, runpy, sys
def peak():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM"):
                sys.stderr.write("\\nPEAK_KB " + line.split()[1] + "\\n")
atexit.register(peak)
kind, target, *rest = sys.argv[1:]
sys.argv = [target, *rest]
if kind == "module":
    runpy.run_module(target, run_name="__main__", alter_sys=True)
else:
    runpy.run_path(target, run_name="__main__")
"""


def run(argv: list[str], env: dict) -> tuple[float, float, float, str]:
    """(seconds, peak MB, CPU seconds, stdout) of one child process (CPU: the machine may be shared)."""
    start = time.perf_counter()
    # cwd outside the repository: otherwise its custarchive (sys.path[0]) would shadow the --reference code
    child = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=tempfile.gettempdir())
    out = child.stdout.read().decode("utf-8", "replace")
    _pid, status, usage = os.wait4(child.pid, 0)
    elapsed = time.perf_counter() - start
    error = child.stderr.read().decode("utf-8", "replace")
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(argv[:6])}… failed: {error[-2000:]}")
    peaks = [line.split()[1] for line in error.splitlines() if line.startswith("PEAK_KB ")]
    return elapsed, int(peaks[-1]) / 1024, usage.ru_utime + usage.ru_stime, out


def seed_history(db: Path, seed: int) -> tuple[int, int, int]:
    """Statements, transactions and complaints for a seeded share of the archives (plain SQL: fast)."""
    rng = random.Random(seed)
    today = date.today()
    conn = sqlite3.connect(db)
    rows = conn.execute("SELECT id, kind FROM customers").fetchall()
    stamp = today.isoformat() + "T09:00:00+08:00"
    from custarchive.scoring import builtin_scorecard

    questions = [i.name for _f, i in builtin_scorecard("5c").questions()]
    statements, txns, logs, assessments = [], [], [], []
    for cid, kind in rows:
        reports = kind == "enterprise" and rng.random() < 0.10
        if reports:
            revenue = rng.lognormvariate(16, 1)
            for year, growth in ((today.year - 2, 1.0), (today.year - 1, rng.uniform(0.85, 1.3))):
                assets = revenue * rng.uniform(0.8, 1.5)
                current = assets * rng.uniform(0.3, 0.7)
                liabilities = assets * rng.uniform(0.2, 0.9)
                statements.append((cid, str(year), current, current * 0.3, assets, current * rng.uniform(0.4, 1.2),
                                   liabilities, assets - liabilities, revenue * growth, revenue * growth * 0.7,
                                   revenue * growth * rng.uniform(-0.05, 0.12), revenue * 0.01,
                                   revenue * 0.08, revenue * 0.12, stamp, stamp, "bench"))
        if reports:  # graded once before, interactively: its answers are reused by grade --all
            answers = {name: rng.randint(2, 5) for name in questions}
            assessments.append((cid, "5c", "0" * 64, "builtin:5c", json.dumps({"answers": answers}), "{}", 60.0,
                                "BBB", 0, None, "bench", (today - timedelta(days=200)).isoformat() + "T09:00:00+08:00"))
        if rng.random() < (0.8 if reports else 0.20):  # a customer that sends statements usually trades
            day = today - timedelta(days=730)
            lateness = rng.choice((0, 0, 0, 5, 20, 60, 120))
            while day < today - timedelta(days=30):
                amount = round(rng.uniform(1000, 50000), 2)
                due = day + timedelta(days=30)
                txns.append((cid, "order", amount, day.isoformat(), due.isoformat(), stamp, "bench"))
                paid = due + timedelta(days=rng.randint(0, lateness) if lateness else rng.randint(-10, 0))
                if paid < today:
                    txns.append((cid, "payment", amount, paid.isoformat(), None, stamp, "bench"))
                day += timedelta(days=rng.randint(20, 60))
            if rng.random() < 0.3:
                logs.append((cid, "complaint", (today - timedelta(days=rng.randint(1, 300))).isoformat()
                             + "T10:00:00+08:00", "投诉", stamp, "bench"))
    conn.executemany("INSERT INTO finance_statements (customer_id, period, current_assets, inventory, total_assets, "
                     "current_liabilities, total_liabilities, equity, revenue, cost_of_sales, net_profit, "
                     "interest_expense, operating_cash_flow, accounts_receivable, created_at, updated_at, updated_by) "
                     "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", statements)
    conn.executemany("INSERT INTO transactions (customer_id, txn_type, amount, txn_date, due_date, created_at, "
                     "created_by) VALUES (?, ?, ?, ?, ?, ?, ?)", txns)
    conn.executemany("INSERT INTO assessments (customer_id, model, scorecard_sha256, scorecard_source, inputs, result, "
                     "score, grade, partial, recommended_limit, operator, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                     assessments)
    conn.executemany("INSERT INTO timeline (customer_id, entry_type, at, body, created_at, created_by) "
                     "VALUES (?, ?, ?, ?, ?, ?)", logs)
    conn.commit()
    conn.close()
    return len(statements), len(txns), len(logs)


def extract(commit: str, into: Path) -> Path:
    """The ``custarchive`` package as it was at ``commit``, to run the old code on the same data."""
    data = subprocess.run(["git", "-C", str(ROOT), "archive", commit, "custarchive"], check=True,
                          capture_output=True).stdout
    with tarfile.open(fileobj=BytesIO(data)) as archive:
        archive.extractall(into, filter="data")
    return into


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--model", default="5c")
    parser.add_argument("--reference", metavar="COMMIT", help="also time grade --all with this commit's code")
    parser.add_argument("--keep", metavar="DIR", help="work in DIR and keep the files")
    args = parser.parse_args(argv)

    from bench.generate import generate_rows
    from custarchive.transfer.io import write_rows
    from custarchive.transfer.io.headers import FIELDS

    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "custarchive")], check=True)
    work = Path(args.keep or tempfile.mkdtemp(prefix="custarchive-bench-grade-"))
    work.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "CUSTARCHIVE_USER": "bench",
           "CUSTARCHIVE_CONFIG_DIR": str(work / "config"), "CUSTARCHIVE_DATA_DIR": str(work / "data")}
    imported, base = work / f"imported-{args.rows}-{args.seed}.db", work / "seeded.db"
    if not imported.exists():
        source = work / "customers.csv"
        write_rows("csv", source, FIELDS, generate_rows(args.rows, args.seed), encoding="utf-8")
        subprocess.run([sys.executable, "-m", "custarchive", "--db", str(imported), "import", str(source),
                        "--on-duplicate", "skip"], env=env, check=False, capture_output=True)
    # seeded afresh each run (from the kept import), so the seeding can change without importing again
    shutil.copyfile(imported, base)
    if Path(f"{imported}.key").exists():
        shutil.copyfile(f"{imported}.key", f"{base}.key")
    found = seed_history(base, args.seed)
    print(f"{args.rows:,} generated archives (seed {args.seed}) in {work}; seeded {found[0]:,} statements, "
          f"{found[1]:,} transactions, {found[2]:,} complaints", flush=True)

    def fresh(name: str) -> Path:
        copy = work / name
        shutil.copyfile(base, copy)
        key = Path(f"{base}.key")
        if key.exists():  # the archive's encryption key travels with its copy
            shutil.copyfile(key, f"{copy}.key")
        return copy

    floor_script = work / "floor.py"
    floor_script.write_text(FLOOR, encoding="utf-8")
    floor = run([sys.executable, "-c", PEAK, "path", str(floor_script), str(fresh("floor.db"))], env)
    print(f"  {'floor: read cards, statements, transactions':48s} {floor[0]:7.2f} s    1.00x  cpu {floor[2]:6.2f} s "
          f"   1.00x  peak {floor[1]:5.0f} MB")
    contenders = [("grade --all", ROOT)]
    if args.reference:
        contenders.append((f"grade --all at {args.reference}", extract(args.reference, work / "reference")))
    for dry in (True, False):
        for label, code in contenders:
            db = fresh("run.db")
            argv = [sys.executable, "-c", PEAK, "module", "custarchive", "--db", str(db), "grade", "--all",
                    "--model", args.model]
            if dry:
                argv.append("--dry-run")
            seconds, peak, cpu, out = run(argv, {**env, "PYTHONPATH": str(code)})
            name = f"{label} --model {args.model}" + (" --dry-run" if dry else "")
            print(f"  {name:48s} {seconds:7.2f} s {seconds / floor[0]:7.2f}x  cpu {cpu:6.2f} s {cpu / floor[2]:6.2f}x"
                  f"  peak {peak:5.0f} MB", flush=True)
            if code is ROOT and not dry:
                print("    " + " ".join(line.strip() for line in out.splitlines() if "archives" in line), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

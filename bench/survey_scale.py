"""Survey import and report at scale, against the floor of plain sqlite3, as ratios measured in one run.

    python bench/survey_scale.py --responses 100000

A generated CSV of satisfaction answers (nine questions, one in five rows with free text) is
imported by ``custarchive survey import`` and reported on by ``survey report`` (overall and
``--by category``), each in a child process. The floor is a plain ``sqlite3`` script that reads
the same CSV and inserts one row per response and one per answer, untyped and unchecked. Peak
memory is each child's own ``ru_maxrss``; the machine may be shared, so only the ratios mean
anything.
"""
from __future__ import annotations

import argparse
import csv
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

FLOOR = """
import csv, sqlite3, sys
conn = sqlite3.connect(sys.argv[2])
conn.execute("CREATE TABLE r (id INTEGER PRIMARY KEY, archive_no TEXT, responded_on TEXT, channel TEXT)")
conn.execute("CREATE TABLE a (response_id INTEGER, question TEXT, value TEXT, PRIMARY KEY (response_id, question)) WITHOUT ROWID")
with open(sys.argv[1], encoding="utf-8", newline="") as handle:
    reader = csv.reader(handle)
    header = next(reader)
    for n, row in enumerate(reader, 1):
        conn.execute("INSERT INTO r VALUES (?, ?, ?, ?)", (n, row[0] or None, row[1], "mail"))
        conn.executemany("INSERT INTO a VALUES (?, ?, ?)", [(n, q, v) for q, v in zip(header[2:], row[2:]) if v])
conn.commit()
"""

QUESTIONS = ("quality_overall", "value_for_money", "service_attitude", "after_sales", "complaint_handled", "recommend",
             "strengths", "weaknesses", "expectations")
HANDLED = ("已解决", "部分解决", "未解决", "未投诉过")


def generate(path: Path, responses: int, archives: list[str], seed: int) -> None:
    rng = random.Random(seed)
    with open(path, "w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["archive_no", "date", *QUESTIONS])
        for n in range(responses):
            number = archives[n] if n < len(archives) else ""
            scales = [str(min(5, max(1, round(rng.gauss(3.8, 1))))) for _ in range(4)]
            texts = ["质量稳定,送货及时" if rng.random() < 0.2 else "", "", "希望多一些优惠" if rng.random() < 0.1 else ""]
            out.writerow([number, f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}", *scales,
                          rng.choice(HANDLED), str(rng.randint(1, 5)), *texts])


def run(argv: list[str], env: dict) -> tuple[float, float]:
    started = time.perf_counter()
    child = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _pid, status, usage = os.wait4(child.pid, 0)
    elapsed = time.perf_counter() - started
    if status != 0:
        raise SystemExit(f"{argv[:4]} failed: {child.stderr.read().decode()[-2000:] if child.stderr else ''}")
    return elapsed, usage.ru_maxrss / 1024


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--responses", type=int, default=100_000)
    parser.add_argument("--archives", type=int, default=2000, help="Responses that name an archive (the rest anonymous).")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="survey-bench-"))
    env = {**os.environ, "PYTHONPATH": str(ROOT), "CUSTARCHIVE_CONFIG_DIR": str(work / "cfg"),
           "CUSTARCHIVE_DATA_DIR": str(work / "data"), "CUSTARCHIVE_USER": "bench"}
    db = str(work / "archive.db")
    cards = work / "cards.csv"
    with open(cards, "w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["name", "phone", "category"])
        for n in range(args.archives):
            out.writerow([f"客户{n}", f"139{n:08d}", "ABC"[n % 3]])
    cli = [sys.executable, "-m", "custarchive", "--db", db, "-q"]
    run([*cli, "import", str(cards)], env)
    numbers = subprocess.run([*cli, "export", "--fields", "archive_no"], env=env, capture_output=True, text=True,
                             check=True).stdout.split()[1:]
    answers = work / "answers.csv"
    generate(answers, args.responses, numbers, args.seed)
    floor = run([sys.executable, "-c", FLOOR, str(answers), str(work / "floor.db")], env)
    imported = run([*cli, "survey", "import", "satisfaction", str(answers)], env)
    report = run([*cli, "survey", "report", "satisfaction", "--json"], env)
    by = run([*cli, "survey", "report", "satisfaction", "--by", "category", "--json"], env)
    print(f"{args.responses:,} responses ({args.archives:,} with an archive), nine questions")
    print(f"{'':28}{'seconds':>9}{'peak MB':>9}{'x floor':>9}")
    for label, (seconds, peak) in (("floor (plain sqlite3)", floor), ("survey import", imported),
                                   ("survey report", report), ("survey report --by category", by)):
        print(f"{label:28}{seconds:9.2f}{peak:9.0f}{seconds / floor[0]:9.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""`dedupe` on a labeled archive: precision, recall and F1 at the default threshold, time and memory.

    python bench/dedupe.py --rows 20000
    python bench/dedupe.py --rows 100000 --rows 1000000 --keep /tmp/dedupe-bench

The archive comes from bench/dedupe_data.py (seeded; natural namesakes, families sharing a phone and
address, re-entered customers with every variant of the issue). Rows are written straight into a
fresh SQLite archive made by custarchive (schema and migrations), with the values as typed — the
phone variants are not normalised first, so `dedupe` has to do it — and the resident ID as a keyed
hash, as the product stores it. `dedupe --json` runs as a child process; its time and peak memory
(``ru_maxrss`` from ``os.wait4``, Python start-up included) are printed next to a floor measured in
the same run: a plain sqlite3 script reading the same columns of every archive. Recall is also
broken down by variant, so what the scorer still misses is named. Nothing is asserted here:
tests/cards/test_dedupe.py asserts the quality on 2,000 archives.
"""
from __future__ import annotations

import argparse
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

FLOOR = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1])
n = 0
for row in conn.execute("SELECT id, kind, name, gender, birth_date, id_number_hmac, credit_code, phone, email, "
                        "province, city, address, employer FROM customers WHERE status = 'active'"):
    n += 1
print(n)
"""


def build(path: Path, rows: int, seed: int) -> dict:
    """A fresh archive at ``path`` holding the labeled rows; returns the labels (also written next to it).

    Run in a child process (``--build``): the generated rows take gigabytes at a million, and a
    child forked from a large parent reports the parent's pages in its own peak memory.
    """
    from bench.dedupe_data import INSERT, generate
    from custarchive.store.db import open_database

    data = generate(rows, seed)
    path.unlink(missing_ok=True)
    Path(str(path) + ".labels.json").unlink(missing_ok=True)
    db = open_database(str(path), create=True)
    db.dispose()
    conn = sqlite3.connect(path)
    conn.executemany(INSERT, data.rows)
    conn.commit()
    conn.execute("DELETE FROM dedupe_decisions")
    conn.commit()
    conn.close()
    labels = {"entity": data.entity, "variants": data.variants, "families": data.families}
    Path(str(path) + ".labels.json").write_text(json.dumps(labels), encoding="utf-8")
    return labels


def pairs_of(groups) -> set[tuple[str, str]]:
    return {(a, b) for numbers in groups for i, a in enumerate(sorted(numbers)) for b in sorted(numbers)[i + 1:]}


def run(argv: list[str], env: dict) -> tuple[int, float, float, bytes, float]:
    start = time.perf_counter()
    with tempfile.TemporaryFile() as out:
        child = subprocess.Popen(argv, stdout=out, stderr=subprocess.PIPE, env=env, stdin=subprocess.DEVNULL)
        _pid, status, usage = os.wait4(child.pid, 0)
        elapsed = time.perf_counter() - start
        code = os.waitstatus_to_exitcode(status)
        if code:
            sys.stderr.write(child.stderr.read().decode("utf-8", "replace")[-2000:])
        out.seek(0)
        return code, elapsed, usage.ru_maxrss / 1024, out.read(), usage.ru_utime + usage.ru_stime


def measure(rows: int, seed: int, work: Path) -> dict:
    path = work / f"dedupe-{rows}-{seed}.db"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "CUSTARCHIVE_CONFIG_DIR": str(work), "LANG": "C.UTF-8"}
    started = time.perf_counter()
    labels_file = Path(str(path) + ".labels.json")
    if not (path.exists() and labels_file.exists()):     # --keep DIR: a later run reuses the archive
        if run([sys.executable, __file__, "--build", str(path), "--rows", str(rows), "--seed", str(seed)], env)[0]:
            raise SystemExit("building the archive failed")
    built = time.perf_counter() - started
    floor = run([sys.executable, "-c", FLOOR, str(path)], env)
    load = os.getloadavg()[0]
    code, seconds, peak, out, cpu = run([sys.executable, "-m", "custarchive", "--db", str(path), "dedupe", "--json"], env)
    if code:
        raise SystemExit(f"dedupe failed with exit {code}")
    result = json.loads(out)
    del out
    found = {(p["a"], p["b"]) for p in result["pairs"]}
    labels = json.loads(Path(str(path) + ".labels.json").read_text(encoding="utf-8"))
    by_entity: dict[int, list[str]] = {}
    for number, who in labels["entity"].items():
        by_entity.setdefault(who, []).append(number)
    truth = pairs_of(group for group in by_entity.values() if len(group) > 1)
    families = pairs_of(labels["families"])
    hit = found & truth
    precision = len(hit) / len(found) if found else 1.0
    recall = len(hit) / len(truth) if truth else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    missed_by_variant: dict[str, list[int]] = {}
    for number, variants in labels["variants"].items():
        partners = [n for n in by_entity[labels["entity"][number]] if n != number]
        caught = any(tuple(sorted((number, other))) in found for other in partners)
        for variant in variants:
            tally = missed_by_variant.setdefault(variant, [0, 0])
            tally[0] += caught
            tally[1] += 1
    return {"rows": len(labels["entity"]), "true": len(truth), "listed": len(found), "precision": precision,
            "recall": recall, "f1": f1, "families_listed": len(found & families), "family_pairs": len(families),
            "related": result["counts"]["related"], "seconds": seconds, "cpu": cpu, "peak_mb": peak,
            "floor_seconds": floor[1], "floor_mb": floor[2], "build_seconds": built, "load": load,
            "candidate_pairs": result["model"]["candidate_pairs"], "by_variant": missed_by_variant}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, action="append")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", type=Path, help="directory for the archives (default: a temporary one)")
    parser.add_argument("--build", type=Path, help=argparse.SUPPRESS)   # the child that builds one archive
    args = parser.parse_args(argv)
    if args.build:
        build(args.build, args.rows[0], args.seed)
        return 0
    sizes = args.rows or [20000]
    with tempfile.TemporaryDirectory() as scratch:
        work = args.keep or Path(scratch)
        work.mkdir(parents=True, exist_ok=True)
        print("| archives | true pairs | listed | precision | recall | F1 | families listed | related | "
              "candidate pairs | time | CPU time | peak memory | floor (read every row) |")
        print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for rows in sizes:
            r = measure(rows, args.seed, work)
            print(f"| {r['rows']:,} | {r['true']:,} | {r['listed']:,} | {r['precision']:.3f} | {r['recall']:.3f} | "
                  f"{r['f1']:.3f} | {r['families_listed']} of {r['family_pairs']:,} | {r['related']:,} | "
                  f"{r['candidate_pairs']:,} | {r['seconds']:.1f} s ({r['seconds'] / r['floor_seconds']:.1f}x floor) | "
                  f"{r['cpu']:.1f} s | "
                  f"{r['peak_mb']:.0f} MB | {r['floor_seconds']:.1f} s, {r['floor_mb']:.0f} MB |", flush=True)
            recall = ", ".join(f"{v} {c}/{t}" for v, (c, t) in sorted(r["by_variant"].items()))
            print(f"  (load average {r['load']:.1f} on {os.cpu_count()} cores; archive built in {r['build_seconds']:.0f} s)",
                  file=sys.stderr)
            print(f"  re-entries found, by variant: {recall}", file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Every batch command on a large generated archive: wall time and peak memory of the child.

    python bench/scale.py --rows 1000000 --keep /tmp/scale            # build once, then measure
    python bench/scale.py --rows 1000000 --keep /tmp/scale --only report,audit,classify
    python bench/scale.py --rows 100000 --pg postgresql+psycopg://…   # SQLite, then the same on PostgreSQL
    git archive REV custarchive | tar -x -C /tmp/before
    python bench/scale.py --rows 100000 --keep /tmp/scale --reference /tmp/before --only report,audit,classify

The archive is generated with a fixed seed (bench/generate.py) and imported
through the real ``import`` command, which is itself measured. With
``--keep DIR`` the CSV and the database stay in DIR and a later run reuses
them (the import line then reads "reused"). Each command runs as a child
process; its peak memory is the child's own ``ru_maxrss`` from ``os.wait4``,
so Python start-up is included and nothing of this script is. The machine
may be shared: compare lines of one run, not runs of different days.
The printed Markdown table is the README's "Scale" section.
"""
from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# (label, arguments); ``{ref}`` is an archive number of the built archive, ``{work}`` the work directory.
COMMANDS = [
    ("show", "show REF --json", ["show", "{ref}", "--json"]),
    ("search", "search 张伟", ["search", "张伟", "--json"]),
    ("search", "search zw", ["search", "zw", "--json"]),
    ("search", "search 王 (one character)", ["search", "王", "--json"]),
    ("list", "list --city 北京市 --sort -annual_spend --limit 20", ["list", "--city", "北京市", "--sort",
                                                                   "-annual_spend", "--limit", "20", "--json"]),
    ("export", "export -o FILE.csv (spreadsheet-safe)", ["export", "--format", "csv", "-o", "{work}/export.csv"]),
    ("export", "export -o FILE.csv --plain", ["export", "--format", "csv", "--plain", "-o", "{work}/export.csv"]),
    ("check", "check", ["check"]),
    ("backup", "backup", ["backup", "{work}/backup.db"]),
    ("report", "report --json", ["report", "--json"]),
    ("audit", "audit (summary and first 20)", ["audit"]),
    ("audit", "audit --json", ["audit", "--json"]),
    ("classify", "classify --dry-run (summary)", ["classify", "--dry-run"]),
    ("classify", "classify --dry-run --json", ["classify", "--dry-run", "--json"]),
    ("dedupe", "dedupe --json", ["dedupe", "--json"]),
    ("grade", "grade --all --model 5c --dry-run --json", ["grade", "--all", "--model", "5c", "--dry-run", "--json"]),
]


def run(argv: list[str], env: dict, timeout: float) -> tuple[str, float, float]:
    """(status, seconds, peak MB) of one child; status is ``ok``, ``exit N`` or ``timeout``.

    Exit 1 is a result for ``audit`` and ``check`` (findings), not a failure of the bench.
    """
    start = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        child = subprocess.Popen(argv, stdout=out, stderr=err, env=env, stdin=subprocess.DEVNULL,
                                 cwd=env["CUSTARCHIVE_DATA_DIR"])
        deadline = start + timeout
        while True:
            pid, status, usage = os.wait4(child.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                child.kill()
                _pid, status, usage = os.wait4(child.pid, 0)
                child.returncode = -9
                return "timeout", time.perf_counter() - start, usage.ru_maxrss / 1024
            time.sleep(0.02)
        elapsed = time.perf_counter() - start
        child.returncode = code = os.waitstatus_to_exitcode(status)
        if code not in (0, 1):
            err.seek(0)
            print(f"    {' '.join(argv[-4:])} failed ({code}): {err.read().decode('utf-8', 'replace')[-800:]}",
                  file=sys.stderr, flush=True)
    return ("ok" if code == 0 else f"exit {code}"), elapsed, usage.ru_maxrss / 1024


def build(work: Path, rows: int, seed: int, target: str, env: dict, custarchive: list[str],
          timeout: float) -> tuple[str, float, float] | None:
    """Generate the CSV (once) and import it into ``target`` unless a previous run left it there."""
    from bench.generate import generate_rows
    from custarchive.transfer.io import write_rows
    from custarchive.transfer.io.headers import FIELDS

    source = work / f"customers-{rows}-{seed}.csv"
    if not source.exists():
        print(f"generating {rows:,} rows (seed {seed}) into {source}", file=sys.stderr, flush=True)
        write_rows("csv", str(source) + ".part", FIELDS, generate_rows(rows, seed), encoding="utf-8")
        os.replace(str(source) + ".part", source)
    marker = work / f"{_slug(target)}.built"
    if marker.exists() and marker.read_text() == f"{rows} {seed}":
        return None
    marker.unlink(missing_ok=True)
    print(f"importing into {target}", file=sys.stderr, flush=True)
    measured = run(custarchive + ["import", str(source), "--json"], env, max(timeout, 6 * 3600))
    if measured[0] != "ok":
        raise SystemExit(f"the import into {target} failed ({measured[0]}): nothing to measure")
    marker.write_text(f"{rows} {seed}")
    return measured


def _slug(target: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in target)[-60:]


def some_ref(target: str, custarchive: list[str], env: dict) -> str:
    """An archive number from the middle of the archive (so ``show`` is not helped by a cache)."""
    if "://" not in target:
        conn = sqlite3.connect(target)
        try:
            (count,) = conn.execute("SELECT COUNT(*) FROM customers").fetchone()
            (number,) = conn.execute("SELECT archive_no FROM customers WHERE id >= ? ORDER BY id LIMIT 1",
                                     (count // 2,)).fetchone()
            return number
        finally:
            conn.close()
    import json

    out = subprocess.run(custarchive + ["list", "--limit", "1", "--json"], env=env, capture_output=True, check=True)
    return json.loads(out.stdout)[0]["archive_no"]


def measure(label: str, target: str, args: argparse.Namespace, env: dict, work: Path) -> list[tuple]:
    custarchive = [sys.executable, "-m", "custarchive", "--db", target]
    lines = []
    built = build(work, args.rows, args.seed, target, env, custarchive, args.timeout)
    lines.append(("import", "import (CSV)", *(built or ("reused", 0.0, 0.0))))
    _print(label, lines[-1])
    ref = some_ref(target, custarchive, env)
    only = set(args.only.split(",")) if args.only else None
    skip = set(args.skip.split(",")) if args.skip else set()
    for key, name, argv in COMMANDS:
        if (only and key not in only) or key in skip:
            continue
        if key == "backup" and "://" in target:
            lines.append((key, name, "n/a", 0.0, 0.0))   # a server is backed up with pg_dump
            _print(label, lines[-1])
            continue
        argv = [part.format(ref=ref, work=work) for part in argv]
        Path(work / "backup.db").unlink(missing_ok=True)      # backup refuses to overwrite a file
        lines.append((key, name, *run(custarchive + argv, env, args.timeout)))
        _print(label, lines[-1])
        if args.reference:
            reference = {**env, "PYTHONPATH": str(Path(args.reference).resolve())}
            lines.append((key, f"{name} (reference)", *run(custarchive + argv, reference, args.timeout)))
            _print(label, lines[-1])
    return lines


def _print(label: str, line: tuple) -> None:
    _key, name, status, seconds, peak = line
    print(f"  {label:10s} {name:52s} {seconds:8.2f} s  peak {peak:7.0f} MB  {status}", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", metavar="DIR", help="work in DIR and keep (and reuse) the CSV and databases")
    parser.add_argument("--pg", metavar="URL", help="also measure on this PostgreSQL database (emptied first "
                                                    "unless --keep finds it built)")
    parser.add_argument("--only", metavar="KEYS", help="comma-separated: show,search,list,export,check,backup,"
                                                        "report,audit,classify,dedupe,grade")
    parser.add_argument("--skip", metavar="KEYS", help="comma-separated keys to leave out")
    parser.add_argument("--reference", metavar="DIR", help="also run each command from the custarchive source "
                                                            "tree in DIR (a former version), on the same database")
    parser.add_argument("--timeout", type=float, default=900, help="seconds before a command is killed")
    args = parser.parse_args(argv)

    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "custarchive")], check=True)
    work = Path(args.keep or tempfile.mkdtemp(prefix="custarchive-scale-")).resolve()
    work.mkdir(parents=True, exist_ok=True)
    (work / "data").mkdir(exist_ok=True)  # the children's working directory: never the source tree
    env = {**os.environ, "PYTHONPATH": str(ROOT), "CUSTARCHIVE_USER": "bench", "COLUMNS": "80",
           "CUSTARCHIVE_CONFIG_DIR": str(work / "config"), "CUSTARCHIVE_DATA_DIR": str(work / "data")}
    targets = [("SQLite", str(work / f"archive-{args.rows}-{args.seed}.db"))]
    if args.pg:
        targets.append(("PostgreSQL", args.pg))
    results = {}
    for label, target in targets:
        if label == "PostgreSQL":
            marker = work / f"{_slug(target)}.built"
            if not marker.exists() or marker.read_text() != f"{args.rows} {args.seed}":
                _empty_pg(target)
        results[label] = measure(label, target, args, env, work)
    print(f"\n{args.rows:,} archives (bench/generate.py, seed {args.seed}), "
          f"{os.cpu_count()} CPU(s); peak = the command's own maximum resident memory\n")
    labels = [label for label, _ in targets]
    print("| command | " + " | ".join(f"{label} time | {label} peak" for label in labels) + " |")
    print("|---|" + "---:|---:|" * len(labels))
    for index, (_key, name, *_rest) in enumerate(results[labels[0]]):
        cells = []
        for label in labels:
            _k, _n, status, seconds, peak = results[label][index]
            cells += ([status, ""] if status in ("reused", "timeout", "n/a") or status.startswith("exit")
                      and status != "exit 1" else [f"{seconds:.2f} s", f"{peak:.0f} MB"])
        print(f"| `{name}` | " + " | ".join(cells) + " |")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 0


def _empty_pg(url: str) -> None:
    """Drop every table of the bench's PostgreSQL database, so the import starts from nothing."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


if __name__ == "__main__":
    sys.exit(main())

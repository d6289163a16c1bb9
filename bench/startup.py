"""Start-up time: `custarchive --help` and `show REF --json` against bare Typer/SQLAlchemy scripts.

Targets (issue 2): --help within 1.3x of a one-command Typer app's --help; show --json within 1.3x of a
script that imports typer and SQLAlchemy and reads one row. Runs each command alternately, many times,
and prints medians and ratios. Usage: python bench/startup.py [--runs 15]
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

BARE_TYPER = textwrap.dedent('''
    import typer
    app = typer.Typer()
    @app.command()
    def hello(name: str = "x"):
        """Say hello."""
        print(name)
    app()
''')

BARE_READ = textwrap.dedent('''
    import json, sys
    import typer
    import sqlalchemy
    engine = sqlalchemy.create_engine("sqlite:///" + sys.argv[1])
    with engine.connect() as conn:
        row = conn.execute(sqlalchemy.text("SELECT * FROM customers WHERE archive_no = :a"), {"a": sys.argv[2]}).mappings().first()
    print(json.dumps(dict(row), ensure_ascii=False, indent=2))
''')


def timed(cmd: list[str], env: dict) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


def compare(name: str, ours: list[str], reference: list[str], env: dict, runs: int) -> float:
    a, b = [], []
    for _ in range(runs):
        a.append(timed(ours, env))
        b.append(timed(reference, env))
    ratio = statistics.median(a) / statistics.median(b)
    print(f"{name:<18} custarchive {statistics.median(a) * 1000:7.1f} ms   reference {statistics.median(b) * 1000:7.1f} ms"
          f"   ratio {ratio:.2f}x")
    return ratio


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    # An installed package has its bytecode compiled by pip; a source tree may not (PYTHONDONTWRITEBYTECODE).
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "custarchive")], check=True)
    with tempfile.TemporaryDirectory() as tmp:
        db = str(Path(tmp) / "bench.db")
        env["CUSTARCHIVE_DATA_DIR"] = tmp
        bare_typer = Path(tmp) / "bare_typer.py"
        bare_typer.write_text(BARE_TYPER)
        bare_read = Path(tmp) / "bare_read.py"
        bare_read.write_text(BARE_READ)
        ours = [sys.executable, "-m", "custarchive"]
        number = subprocess.run([*ours, "--db", db, "add", "--no-input", "--set", "name=张伟", "--set",
                                 "phone=13912345678"], env=env, capture_output=True, text=True, check=True).stdout.strip()
        for cmd in ([*ours, "--help"], [*ours, "--db", db, "show", number, "--json"]):
            timed(cmd, env)
        compare("--help", [*ours, "--help"], [sys.executable, str(bare_typer), "--help"], env, args.runs)
        compare("show REF --json", [*ours, "--db", db, "show", number, "--json"],
                [sys.executable, str(bare_read), db, number], env, args.runs)


if __name__ == "__main__":
    main()

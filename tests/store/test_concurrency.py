"""Many processes writing one database at once: nothing lost, numbers gap-free and unique, no lock errors."""
from __future__ import annotations

import pytest
import json
import os
import subprocess
import sys
import time

from tests.builders import person, resident_id
from tests.helpers import ROOT, db_rows, run_process

WORKERS = 8
BATCH = 40


def _spawn(db_target: str, *args: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-m", "custarchive", "--db", db_target, *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


@pytest.mark.slow
def test_parallel_adds_and_batches_on_a_fresh_database(db_target, tmp_path):
    files = []
    for worker in range(WORKERS):
        cards = [person(name=f"批{worker}号{n}", phone=f"13{worker}{n:08d}",
                        id_number=resident_id(f"198{worker}0101", seq=n)) for n in range(BATCH)]
        path = tmp_path / f"batch{worker}.json"
        path.write_text(json.dumps(cards, ensure_ascii=False), encoding="utf-8")
        files.append(path)
    started = time.perf_counter()
    batches = [_spawn(db_target, "add", "--from", str(path)) for path in files]
    singles = [_spawn(db_target, "--as", f"clerk{n}", "add", "--no-input", "--set", f"name=单{n}",
                      "--set", f"phone=1390000{n:04d}") for n in range(WORKERS)]
    outputs = []
    for process in batches + singles:
        stdout, stderr = process.communicate(timeout=300)
        assert process.returncode == 0, stderr
        assert "locked" not in stderr and "Traceback" not in stderr
        outputs.append(stdout.split())
    elapsed = time.perf_counter() - started
    expected = WORKERS * BATCH + WORKERS
    numbers = [number for out in outputs for number in out]
    assert len(numbers) == expected and len(set(numbers)) == expected
    sequence = sorted(int(number.rsplit("-", 1)[1]) for number in numbers)
    assert sequence == list(range(1, expected + 1))
    for out in outputs[:WORKERS]:
        assert len(out) == BATCH
    assert db_rows(db_target, "SELECT COUNT(*) FROM customers") == [(expected,)]
    assert db_rows(db_target, "SELECT COUNT(*) FROM change_log WHERE action = 'create'") == [(expected,)]
    check = run_process("--db", db_target, "check", "--json")
    assert check.returncode == 0, check.stderr
    print(f"\n{len(batches) + len(singles)} processes, {expected} archives in {elapsed:.1f} s")


@pytest.mark.slow
def test_parallel_updates_of_one_archive_all_land_in_the_log(cli, db_target):
    number = cli.add(person())
    processes = [_spawn(db_target, "update", number, "--set", f"notes=第{n}次") for n in range(WORKERS)]
    for process in processes:
        _out, stderr = process.communicate(timeout=300)
        assert process.returncode == 0, stderr
    notes = [entry for entry in cli.json("history", number)["changes"] if entry["field"] == "notes"]
    assert len(notes) == WORKERS
    assert [entry["old"] for entry in notes[1:]] == [entry["new"] for entry in notes[:-1]]
    assert cli.json("check")["ok"] is True

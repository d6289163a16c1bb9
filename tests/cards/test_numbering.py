"""Archive numbers: patterns, per-prefix counters, gap-free under concurrent writers."""
from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import pytest

from custarchive.cards import numbering
from custarchive.errors import ConfigError
from tests.builders import person
from tests.helpers import run_process


@pytest.mark.parametrize("pattern", ["{category}", "{category}-{seq}-{seq}", "{bogus}-{seq}", "A/{seq}", "{seq"])
def test_bad_patterns_are_refused(pattern):
    with pytest.raises(ConfigError):
        numbering.check_pattern(pattern)


def test_rollback_gives_the_number_back(cli):
    cli.add(person())
    result = cli("add", "--no-input", "--set", "name=坏", "--set", "phone=1")
    assert result.exit_code == 1
    second = cli.add(person(name="好", phone="13800000009"))
    assert second.endswith("-00002")


@pytest.mark.slow
def test_eight_processes_adding_at_once_get_unique_gap_free_numbers(db_target, tmp_path):
    per_process, processes = 6, 8
    files = []
    for p in range(processes):
        path = tmp_path / f"batch{p}.json"
        cards = [person(name=f"并发{p}-{i}", phone=f"139{p:04d}{i:04d}") for i in range(per_process)]
        path.write_text(json.dumps(cards, ensure_ascii=False), encoding="utf-8")
        files.append(path)

    def work(p: int):
        outputs = []
        # half the processes add one card per transaction, the others one batch of several
        if p % 2:
            outputs.append(run_process("--db", db_target, "add", "--from", str(files[p])))
        else:
            for i in range(per_process):
                outputs.append(run_process("--db", db_target, "add", "--no-input", "--set", f"name=单{p}-{i}",
                                           "--set", f"phone=137{p:04d}{i:04d}"))
        return outputs

    with ThreadPoolExecutor(processes) as pool:
        results = [r for batch in pool.map(work, range(processes)) for r in batch]
    assert all(r.returncode == 0 for r in results), [r.stderr for r in results if r.returncode]
    numbers = [line for r in results for line in r.stdout.split()]
    assert len(numbers) == per_process * processes == len(set(numbers))
    seqs = sorted(int(n.rsplit("-", 1)[1]) for n in numbers)
    assert seqs == list(range(1, len(numbers) + 1))
    assert "locked" not in "".join(r.stderr for r in results)

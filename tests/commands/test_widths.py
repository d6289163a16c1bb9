"""Values wider than their columns are refused before writing, with the same message on both backends.

SQLite ignores VARCHAR lengths; PostgreSQL enforces them. Each case below once passed on SQLite
and failed on PostgreSQL with a driver error; the widest value that fits is accepted everywhere.
"""
from __future__ import annotations

import pytest

from tests.builders import person
from tests.helpers import snapshot


@pytest.fixture
def number(cli):
    return cli.add(person())


def _scale(tmp_path, grade: str) -> None:
    config = tmp_path / "config"
    config.mkdir(exist_ok=True)
    (config / "scale.toml").write_text(f'format = 1\ngrades = [ {{ grade = "{grade}", min = 50 }}, '
                                       '{ grade = "C", min = 0 } ]\n', encoding="utf-8")
    (config / "limit.toml").write_text('format = 1\nbases = [ { source = "equity", fraction = 0.5 } ]\n'
                                       f'[multipliers]\n{grade} = 1\nC = 0\n', encoding="utf-8")


CASES = {
    "operator": (lambda n, w: ["--as", "o" * w, "update", n, "--set", "city=上海"], 64, "--as"),
    "consent channel": (lambda n, w: ["consent", "add", n, "--purpose", "会员", "--channel", "c" * w], 60, "--channel"),
    "transaction reference": (lambda n, w: ["txn", "add", n, "--type", "order", "--amount", "5",
                                            "--ref", "r" * w], 100, "--ref"),
    "category name": (lambda n, w: ["category", "add", "VIP", "--name", "贵" * w], 100, "--name"),
    "number pattern": (lambda n, w: ["category", "add", "VIP", "--name", "贵宾",
                                     "--pattern", "{category}-{seq:05}-" + "x" * (w - 12)], 40, "longer than 40"),
}


@pytest.mark.parametrize("case", CASES)
def test_one_character_too_wide_is_refused_and_the_widest_fits(cli, db_target, number, case):
    args, width, needle = CASES[case]
    before = snapshot(db_target)
    refused = cli(*args(number, width + 1))
    assert refused.exit_code == 1 and needle in refused.stderr, refused.stderr
    assert refused.stderr.startswith("error: ") and "Traceback" not in refused.stderr
    assert snapshot(db_target) == before
    cli.ok(*args(number, width))


def test_a_grade_scale_with_labels_too_long_for_the_card_is_refused(cli, db_target, tmp_path):
    from tests.builders import company

    firm = cli.add(company())
    _scale(tmp_path, "GREAT")
    before = snapshot(db_target)
    refused = cli("grade", firm, "--model", "enterprise", "--no-input", "--input", "on_time_rate=0.9",
                  "--input", "longest_delay_days=3")
    assert refused.exit_code == 1 and "at most 4 characters" in refused.stderr and "Traceback" not in refused.stderr
    assert snapshot(db_target) == before
    _scale(tmp_path, "GOOD")
    graded = cli.json("grade", firm, "--model", "enterprise", "--no-input", "--input", "on_time_rate=0.9",
                      "--input", "longest_delay_days=3", "--score", "operator_quality=4", "--score", "prospects=3",
                      "--input", "debt_to_asset=0.5", "--input", "current_ratio=1.5", "--input", "quick_ratio=1",
                      "--input", "average_delay_days=2")  # enough evidence to be rated
    assert graded["grade"] in ("GOOD", "C") and cli.json("show", firm)["grade"] == graded["grade"]

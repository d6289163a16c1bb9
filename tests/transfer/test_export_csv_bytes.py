"""CSV export from SQLite takes a bytes path (custarchive.transfer.export_csv): it must write exactly what the
general path (Plan.convert, csv_value, the csv module) writes, for any value a cell can hold."""
from __future__ import annotations

import json
import sqlite3

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from custarchive.transfer import exporting
from tests.builders import company, person, resident_id
from tests.helpers import Cli

# Everything the csv module quotes, everything that can start a formula, the separators the bytes
# path uses, and text around them.
TRICKY = ["", " ", ",", '"', "\r", "\n", "\r\n", "\t", "\x00", "\x01", "\x02", "\x1f", "\xff", "ÿ", "=", "+",
          "-", "@", "'", "1", ".", "(", ")", "a", "档", "𠀀", "+86 139 0000 0000", "-12.5", "=SUM(A1)", "@x"]


@pytest.fixture
def archive(tmp_path):
    cli = Cli(str(tmp_path / "archive.db"))
    rid = resident_id("19850315", male=False)
    a = cli.add(person(name="李娜", phone="13912340001", id_number=rid, bank_account="6222021234567890123",
                       annual_spend="12000.5", notes="=HYPERLINK(\"x\")", annual_income="300000",
                       wechat="lina_88"), "--category", "A")
    b = cli.add(company(name="深圳华强电子有限公司", registered_capital="500万", contact_name="王经理",
                        founded_date="2010-05-01"))
    c = cli.add(person(name="张伟", phone="13912340002", city="广州"))
    return cli, tmp_path / "archive.db", (a, b, c)


def both(cli, monkeypatch, tmp_path, *args) -> tuple[bytes, bytes]:
    """(bytes path, general path) output of one export to a file."""
    cli.ok("export", "-o", str(tmp_path / "fast.csv"), *args)
    with monkeypatch.context() as patch:
        patch.setattr(exporting, "_bytes_csv", lambda conn, fmt: False)
        cli.ok("export", "-o", str(tmp_path / "general.csv"), *args)
    return (tmp_path / "fast.csv").read_bytes(), (tmp_path / "general.csv").read_bytes()


def set_raw(db, archive_no: str, **columns) -> None:
    """Store values as they are, past the input normalising (an older version, a direct edit)."""
    with sqlite3.connect(db) as conn:
        for column, value in columns.items():
            conn.execute(f"UPDATE customers SET {column} = ? WHERE archive_no = ?", (value, archive_no))


def test_same_bytes_for_masking_reveal_fields_headers_and_encodings(archive, monkeypatch, tmp_path):
    cli, db, (a, b, c) = archive
    for args in ([], ["--reveal"], ["--headers", "zh"], ["--fields", "id_number,name,annual_income,notes"],
                 ["--fields", "grade"], ["--encoding", "gbk"], ["--city", "广州"], ["--kind", "enterprise"]):
        fast, general = both(cli, monkeypatch, tmp_path, *args)
        assert fast == general, args
    fast, _ = both(cli, monkeypatch, tmp_path)
    assert fast.startswith(b"\xef\xbb\xbf") and b"lina_88" in fast and b"3****0" in fast
    assert b"'=HYPERLINK" in fast and b"12000.5" in fast and b"5000000" in fast


def test_extra_values_of_any_json_type(archive, monkeypatch, tmp_path):
    cli, db, (a, b, c) = archive
    extra = {"wechat": "=cmd|' /C calc'!A0", "children_count": 2, "hobbies": ["读书", "=x"],
             "marital_status": True, "hometown": 3.0, "school": None, "major": "a,b"}
    set_raw(db, c, extra=json.dumps(extra, ensure_ascii=False))
    set_raw(db, b, extra="{}")
    for args in ([], ["--reveal"], ["--fields", "hobbies,archive_no,marital_status"]):
        fast, general = both(cli, monkeypatch, tmp_path, *args)
        assert fast == general, args


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cells=st.lists(st.lists(st.sampled_from(TRICKY), max_size=4).map("".join), min_size=3, max_size=3),
       amount=st.one_of(st.none(), st.floats(allow_nan=False), st.integers(-10**6, 10**6).map(float)))
@pytest.mark.slow
def test_same_bytes_for_any_stored_text(archive, monkeypatch, tmp_path, cells, amount):
    cli, db, (a, b, c) = archive
    set_raw(db, a, notes=cells[0], address=cells[1], name=cells[2] or "x", annual_spend=amount)
    set_raw(db, c, city=cells[1] or None, email=cells[0] or None)
    for args in ([], ["--fields", "notes"]):
        fast, general = both(cli, monkeypatch, tmp_path, *args)
        assert fast == general, (cells, amount, args)


def test_encoding_error_names_the_archive(archive, tmp_path):
    cli, db, (a, b, c) = archive
    result = cli("export", "-o", str(tmp_path / "x.csv"), "--encoding", "ascii", "--city", "广州")
    assert result.exit_code == 1 and c in result.stderr and "utf-8" in result.stderr
    assert not (tmp_path / "x.csv").exists() and not list(tmp_path.glob(".x.csv*"))


def test_wrong_key_is_refused_not_written(archive, tmp_path):
    cli, db, (a, b, c) = archive
    token = sqlite3.connect(db).execute("SELECT id_number FROM customers WHERE archive_no = ?", (a,)).fetchone()[0]
    set_raw(db, a, id_number=token[:-6] + ("AAAA==" if not token.endswith("AAAA==") else "BBBB=="))
    result = cli("export", "-o", str(tmp_path / "x.csv"))
    assert result.exit_code != 0 and "id_number" in result.stderr and not (tmp_path / "x.csv").exists()


def clone(db, archive_no: str, copies: int) -> list[str]:
    """Copies of one archive under new numbers right after it (unique columns left empty)."""
    with sqlite3.connect(db) as conn:
        columns = [row[1] for row in conn.execute("PRAGMA table_info(customers)")
                   if row[1] not in ("id", "archive_no", "credit_code", "id_number_hmac")]
        numbers = [f"{archive_no}-{n:03d}" for n in range(copies)]
        for number in numbers:
            conn.execute(f"INSERT INTO customers (archive_no, {', '.join(columns)}) "
                         f"SELECT ?, {', '.join(columns)} FROM customers WHERE archive_no = ?", (number, archive_no))
    return numbers


@pytest.fixture
def many(archive, monkeypatch):
    """The three archives and 30 copies, written in batches of 4 and in two processes (split above 0 rows)."""
    from custarchive.transfer import export_csv, export_split, forked

    cli, db, (a, b, c) = archive
    copies = clone(db, a, 10) + clone(db, b, 10) + clone(db, c, 10)
    monkeypatch.setattr(export_csv, "BATCH", 4)
    monkeypatch.setattr(export_split, "SPLIT_ABOVE", 0)
    jobs = []

    class Counted(forked.Job):
        """Records how many rows each child wrote."""

        def result(self):
            jobs.append(super().result())
            return jobs[-1]

    monkeypatch.setattr(forked, "Job", Counted)
    return cli, db, (a, b, c), copies, jobs


@pytest.mark.slow
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cells=st.lists(st.lists(st.sampled_from(TRICKY), max_size=4).map("".join), min_size=12, max_size=12))
def test_same_bytes_across_batches_and_halves(many, monkeypatch, tmp_path, cells):
    """Lines that need care next to each other, at a batch's start or end, on both sides of the split."""
    cli, db, _, copies, jobs = many
    for number, notes, address, city in zip(copies[::3], cells[0::3], cells[1::3], cells[2::3]):
        set_raw(db, number, notes=notes, address=address, city=city or None)
    set_raw(db, copies[1], annual_spend=-1e-05, notes="=1+1")
    set_raw(db, copies[2], extra=json.dumps({"wechat": "-x", "hobbies": ["a"]}))
    for args in ([], ["--fields", "notes"], ["--fields", "address,annual_spend"], ["--reveal"]):
        fast, general = both(cli, monkeypatch, tmp_path, *args)
        assert fast == general, (cells, args)
    assert jobs and min(jobs) > 0


def test_halves_from_different_states_are_not_mixed(many, monkeypatch, tmp_path):
    """A commit between the two read transactions: this process writes the second half as well."""
    from custarchive.transfer import export_split

    cli, db, _, copies, jobs = many
    versions = iter(range(1000))
    monkeypatch.setattr(export_split, "_version", lambda watch: next(versions))
    fast, general = both(cli, monkeypatch, tmp_path)
    assert fast == general and fast.count(b"\r\n") == 34 and not jobs  # dropped


def test_wrong_key_in_the_second_half_is_refused(many, tmp_path):
    cli, db, (a, b, c), copies, jobs = many
    token = sqlite3.connect(db).execute("SELECT id_number FROM customers WHERE archive_no = ?", (a,)).fetchone()[0]
    set_raw(db, copies[-1], id_number=token[:-6] + ("AAAA==" if not token.endswith("AAAA==") else "BBBB=="))
    result = cli("export", "-o", str(tmp_path / "x.csv"))
    assert result.exit_code != 0 and "id_number" in result.stderr and not (tmp_path / "x.csv").exists()
    assert "Traceback" not in result.stderr

"""CSV export (custarchive.transfer.export_csv) byte for byte, for any value a SQLite cell can hold.

The expected files are built here from the stored values with the csv module and ``csv_value`` (the
documented rules: quote what needs quoting, CR LF line ends, neutralise formula starts, integral amounts
without ``.0``), or written out in full: the plain CSV (``--plain``, and stdout), and the default of a
file, the same with each text cell a spreadsheet would turn into a number written as ``="…"``. Values are planted with sqlite3 itself, past the input
normalising (an older version, a direct edit); tests/transfer/test_export.py holds the same writer to
exact bytes on PostgreSQL.
"""
from __future__ import annotations

import csv
import io
import json
import re
import sqlite3

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from custarchive.transfer.io.writers import csv_value
from tests.builders import company, person, resident_id
from tests.helpers import Cli

# Everything the csv module quotes, everything that can start a formula, the separator the writer uses
# inside a batch (0xFF, which UTF-8 never holds), and text around them.
TRICKY = ["", " ", ",", '"', "\r", "\n", "\r\n", "\t", "\x00", "\x01", "\x02", "\x1f", "\xff", "ÿ", "=", "+",
          "-", "@", "'", "1", ".", "(", ")", "a", "档", "𠀀", "+86 139 0000 0000", "-12.5", "=SUM(A1)", "@x",
          "0", "13912345678", '="', "'="]
PLAIN = ("archive_no", "name", "address", "notes", "city", "annual_spend")  # neither sealed nor masked
BOM = b"\xef\xbb\xbf"
RID = resident_id("19850315", male=False)
# What a spreadsheet turns into a number: 11+ digits (1.1E+17), a leading 0 or + (dropped).
DAMAGED = re.compile(r"\+\d+|\d{11,}|0\d+")


@pytest.fixture
def archive(tmp_path):
    cli = Cli(str(tmp_path / "archive.db"))
    a = cli.add(person(name="李娜", phone="13912340001", id_number=RID, bank_account="6222021234567890123",
                       annual_spend="12000.5", notes="=HYPERLINK(\"x\")", annual_income="300000",
                       wechat="lina_88"), "--category", "A")
    b = cli.add(company(name="深圳华强电子有限公司", registered_capital="500万", contact_name="王经理",
                        founded_date="2010-05-01"))
    c = cli.add(person(name="张伟", phone="13912340002", city="广州"))
    return cli, tmp_path / "archive.db", (a, b, c)


def exported(cli, tmp_path, *args) -> bytes:
    """The plain CSV file (``--plain``)."""
    cli.ok("export", "-o", str(tmp_path / "out.csv"), "--plain", *args)
    return (tmp_path / "out.csv").read_bytes()


def for_spreadsheet(cli, tmp_path, *args) -> bytes:
    """The CSV file a plain ``export -o FILE.csv`` writes."""
    cli.ok("export", "-o", str(tmp_path / "out.csv"), *args)
    return (tmp_path / "out.csv").read_bytes()


def set_raw(db, archive_no: str, **columns) -> None:
    """Store values as they are, past the input normalising (an older version, a direct edit)."""
    with sqlite3.connect(db) as conn:
        for column, value in columns.items():
            conn.execute(f"UPDATE customers SET {column} = ? WHERE archive_no = ?", (value, archive_no))


def expected(db, fields=PLAIN, spreadsheet: bool = False) -> bytes:
    """The file the documented rules make of the stored values of ``fields`` (none of them sealed);
    ``spreadsheet``: the default of a file, damaged digits of the text columns as ``="…"``."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)  # the csv module's own dialect: minimal quoting, CR LF
    writer.writerow(fields)
    with sqlite3.connect(db) as conn:
        for row in conn.execute(f"SELECT {', '.join(fields)} FROM customers WHERE status = 'active' "
                                "ORDER BY archive_no"):
            values = [int(value) if name == "annual_spend" and isinstance(value, float) and value.is_integer()
                      else value for name, value in zip(fields, row)]
            cells = [csv_value(value) for value in values]
            if spreadsheet:
                cells = [f'="{cell}"' if name != "annual_spend" and DAMAGED.fullmatch(cell) else cell
                         for name, cell in zip(fields, cells)]
            writer.writerow(cells)
    return BOM + buffer.getvalue().encode()


def test_quoting_line_ends_nul_and_formulas_exactly(archive, tmp_path):
    cli, db, (a, b, c) = archive
    set_raw(db, a, address='广州市, "花城"大道 1号', notes="=SUM(A1)\r\n第二行", city="-x", annual_spend=-12.5)
    set_raw(db, b, address="a\x00b", notes="\n", city="+86 139 0000 0000", annual_spend=5e6)
    set_raw(db, c, address="\t开头", notes="@x,", city=None, name="-", annual_spend=None)
    data = exported(cli, tmp_path, "--fields", ",".join(PLAIN))
    assert data == BOM + ("archive_no,name,address,notes,city,annual_spend\r\n"
                          f'{a},李娜,"广州市, ""花城""大道 1号","\'=SUM(A1)\r\n第二行",\'-x,-12.5\r\n'
                          f'{b},深圳华强电子有限公司,a\x00b,"\n",+86 139 0000 0000,5000000\r\n'
                          f"{c},-,'\t开头,\"'@x,\",,\r\n").encode()
    assert data == expected(db)
    assert for_spreadsheet(cli, tmp_path, "--fields", ",".join(PLAIN)) == data   # no digits to protect here
    set_raw(db, b, city="+8613900000000", notes="010010", address="'=\"1\"")
    assert for_spreadsheet(cli, tmp_path, "--fields", ",".join(PLAIN)) == expected(db, spreadsheet=True) == BOM + (
        "archive_no,name,address,notes,city,annual_spend\r\n"
        f'{a},李娜,"广州市, ""花城""大道 1号","\'=SUM(A1)\r\n第二行",\'-x,-12.5\r\n'
        f'{b},深圳华强电子有限公司,"\'\'=""1""","=""010010""","=""+8613900000000""",5000000\r\n'
        f"{c},-,'\t开头,\"'@x,\",,\r\n").encode()


def test_masking_reveal_headers_and_encodings_exactly(archive, tmp_path):
    cli, db, (a, b, c) = archive
    fields = "archive_no,id_number,bank_account,annual_income,wechat,phone,name"
    masked = (f"{a},{RID[:6]}********{RID[-4:]},***************0123,3****0,lina_88,13912340001,李娜\r\n"
              f"{b},,,,,010-62345678,深圳华强电子有限公司\r\n"
              f"{c},,,,,13912340002,张伟\r\n")
    head = fields + "\r\n"
    assert exported(cli, tmp_path, "--fields", fields) == BOM + (head + masked).encode()
    revealed = masked.replace(f"{RID[:6]}********{RID[-4:]}", RID).replace(
        "***************0123", "6222021234567890123").replace("3****0", "300000")
    assert exported(cli, tmp_path, "--fields", fields, "--reveal") == BOM + (head + revealed).encode()
    zh = exported(cli, tmp_path, "--fields", fields, "--headers", "zh")
    assert zh.startswith(BOM + "档案编号,身份证号,".encode()) and zh.endswith(masked.encode())
    assert exported(cli, tmp_path, "--fields", fields, "--encoding", "gbk") == (head + masked).encode("gbk")
    assert exported(cli, tmp_path, "--fields", fields, "--encoding", "utf-8") == (head + masked).encode()
    piped = cli.ok("export", "--fields", fields).stdout_bytes
    assert piped == (head + masked).encode()  # no BOM into a pipe
    assert exported(cli, tmp_path, "--city", "广州", "--fields", "name") == BOM + "name\r\n张伟\r\n".encode()
    everything = exported(cli, tmp_path)
    assert b"lina_88" in everything and b"3****0" in everything and b"'=HYPERLINK" in everything
    assert b"12000.5" in everything and b"5000000" in everything
    # The default of a file: the mobiles, and the revealed ID and bank account, as ="…"; masked values,
    # the landline with its dash, amounts and everything else as in the plain file.
    quoted = masked.replace("13912340001", '"=""13912340001"""').replace("13912340002", '"=""13912340002"""')
    assert for_spreadsheet(cli, tmp_path, "--fields", fields) == BOM + (head + quoted).encode()
    revealed_quoted = revealed.replace("13912340001", '"=""13912340001"""').replace(
        "13912340002", '"=""13912340002"""').replace(RID, f'"=""{RID}"""').replace(
        "6222021234567890123", '"=""6222021234567890123"""')
    assert for_spreadsheet(cli, tmp_path, "--fields", fields, "--reveal") == BOM + (head + revealed_quoted).encode()
    assert for_spreadsheet(cli, tmp_path, "--fields", fields, "--encoding", "gbk") == (head + quoted).encode("gbk")
    assert for_spreadsheet(cli, tmp_path, "--fields", fields, "--excel") == BOM + (head + quoted).encode()
    assert cli.ok("export", "--fields", fields, "--excel").stdout_bytes == (head + quoted).encode()


def test_extra_values_of_any_json_type(archive, tmp_path):
    cli, db, (a, b, c) = archive
    extra = {"wechat": "=cmd|' /C calc'!A0", "children_count": 2, "hobbies": ["读书", "=x"],
             "marital_status": True, "hometown": 3.0, "school": None, "major": "a,b"}
    set_raw(db, c, extra=json.dumps(extra, ensure_ascii=False))
    set_raw(db, b, extra="{}")
    fields = "archive_no,wechat,children_count,hobbies,marital_status,hometown,school,major,annual_income"
    rows = (f"{a},lina_88,,,,,,,3****0\r\n"
            f"{b},,,,,,,,\r\n"
            f"{c},'=cmd|' /C calc'!A0,2,\"读书,=x\",true,3.0,,\"a,b\",\r\n")
    assert exported(cli, tmp_path, "--fields", fields) == BOM + (fields + "\r\n" + rows).encode()
    set_raw(db, b, extra=json.dumps({"wechat": "075588886666", "children_count": 12345678901234, "major": "+1"}))
    rows = rows.replace(f"{b},,,,,,,,", f'{b},"=""075588886666""",12345678901234,,,,,"=""+1""",')
    assert for_spreadsheet(cli, tmp_path, "--fields", fields) == BOM + (fields + "\r\n" + rows).encode()
    assert exported(cli, tmp_path, "--fields", "hobbies,archive_no,marital_status") == BOM + (
        f"hobbies,archive_no,marital_status\r\n,{a},\r\n,{b},\r\n\"读书,=x\",{c},true\r\n").encode()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cells=st.lists(st.lists(st.sampled_from(TRICKY), max_size=4).map("".join), min_size=3, max_size=3),
       amount=st.one_of(st.none(), st.floats(allow_nan=False), st.integers(-10**6, 10**6).map(float)))
@pytest.mark.slow
def test_any_stored_text(archive, tmp_path, cells, amount):
    cli, db, (a, b, c) = archive
    set_raw(db, a, notes=cells[0], address=cells[1], name=cells[2] or "x", annual_spend=amount)
    set_raw(db, c, city=cells[1] or None, notes=cells[2] or None)
    assert exported(cli, tmp_path, "--fields", ",".join(PLAIN)) == expected(db)
    assert exported(cli, tmp_path, "--fields", "notes") == expected(db, ("notes",))
    assert for_spreadsheet(cli, tmp_path, "--fields", ",".join(PLAIN)) == expected(db, spreadsheet=True)


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
    assert "Traceback" not in result.stderr


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


@pytest.mark.slow
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cells=st.lists(st.lists(st.sampled_from(TRICKY), max_size=4).map("".join), min_size=12, max_size=12))
def test_lines_that_need_care_across_batches(archive, monkeypatch, tmp_path, cells):
    """Lines that need care next to each other and at a batch's start or end (batches of 4 rows)."""
    from custarchive.transfer import export_csv

    cli, db, (a, b, c) = archive
    monkeypatch.setattr(export_csv, "BATCH", 4)
    with sqlite3.connect(db) as conn:
        conn.execute("DELETE FROM customers WHERE archive_no LIKE '%-0__'")  # the copies of an earlier example
    copies = clone(db, a, 10) + clone(db, b, 10) + clone(db, c, 10)
    for number, notes, address, city in zip(copies[::3], cells[0::3], cells[1::3], cells[2::3]):
        set_raw(db, number, notes=notes, address=address, city=city or None)
    set_raw(db, copies[1], annual_spend=-1e-05, notes="=1+1")
    data = exported(cli, tmp_path, "--fields", ",".join(PLAIN))
    assert data == expected(db) and data.count(b"\r\n") >= 34
    assert exported(cli, tmp_path, "--fields", "notes") == expected(db, ("notes",))
    assert exported(cli, tmp_path, "--fields", "address,annual_spend") == expected(db, ("address", "annual_spend"))
    assert for_spreadsheet(cli, tmp_path, "--fields", ",".join(PLAIN)) == expected(db, spreadsheet=True)

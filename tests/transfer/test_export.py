"""Export through the CLI: formats, filters, fields, headers, masking, neutralisation, sheets."""
from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest

from tests.builders import company, person, resident_id
from tests.helpers import Cli, db_exec


def seed(cli):
    rid = resident_id("19850315", male=False)
    a = cli.add(person(name="李娜", phone="13912340001", id_number=rid, city="广州", industry="零售",
                       bank_account="6222021234567890123", annual_spend="12000", notes="=HYPERLINK(\"x\")",
                       annual_income="300000"), "--category", "A")
    b = cli.add(company(name="深圳华强电子有限公司", city="深圳", industry="制造", registered_capital="500万",
                        contact_name="王经理", contact_title="采购经理", founded_date="2010-05-01"))
    c = cli.add(person(name="张伟", phone="13912340002", city="广州", industry="教育"))
    return a, b, c, rid


def csv_rows(text):
    return list(csv.DictReader(io.StringIO(text)))


def test_csv_to_stdout_filters_fields_and_masking(cli):
    a, b, c, rid = seed(cli)
    out = cli.ok("export", "--city", "广州").stdout
    assert not out.startswith("\ufeff")
    rows = csv_rows(out)
    assert [r["archive_no"] for r in rows] == sorted([a, c])
    first = next(r for r in rows if r["archive_no"] == a)
    assert first["id_number"] == rid[:6] + "********" + rid[-4:]
    assert first["bank_account"].endswith("0123") and "*" in first["bank_account"]
    assert first["annual_income"] == "3****0"  # template-sensitive extra field
    assert first["annual_spend"] == "12000" and first["notes"].startswith("'=")
    revealed = csv_rows(cli.ok("export", "--city", "广州", "--reveal").stdout)
    assert next(r for r in revealed if r["archive_no"] == a)["id_number"] == rid
    only = cli.ok("export", "--kind", "enterprise", "--fields", "name,credit_code,registered_capital").stdout
    assert only.splitlines()[0] == "name,credit_code,registered_capital"
    assert csv_rows(only)[0]["registered_capital"] == "5000000"
    assert cli.ok("export", "--category", "a", "--fields", "archive_no").stdout.split() == ["archive_no", a]
    bad = cli("export", "--fields", "name,nope")
    assert bad.exit_code == 2 and "nope" in bad.stderr


def test_csv_file_bom_gbk_and_zh_headers(cli, tmp_path):
    seed(cli)
    cli.ok("export", "-o", str(tmp_path / "a.csv"), "--headers", "zh")
    data = (tmp_path / "a.csv").read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    header = data.decode("utf-8-sig").splitlines()[0].split(",")
    assert header[:4] == ["档案编号", "客户类型", "客户类别", "模板"] and "身份证号" in header and "联系人" in header
    cli.ok("export", "-o", str(tmp_path / "g.csv"), "--encoding", "gbk")
    assert "深圳华强电子有限公司" in (tmp_path / "g.csv").read_bytes().decode("gbk")
    cli.add(person(name="林𠀀", phone="13912340009"))  # beyond GBK: written as GB18030, its superset
    cli.ok("export", "-o", str(tmp_path / "g2.csv"), "--encoding", "gbk")
    assert "林𠀀" in (tmp_path / "g2.csv").read_bytes().decode("gb18030")
    result = cli("export", "-o", str(tmp_path / "g3.csv"), "--encoding", "ascii")
    assert result.exit_code == 1 and "utf-8" in result.stderr and not (tmp_path / "g3.csv").exists()


def test_json_and_jsonl(cli):
    a, b, c, _ = seed(cli)
    data = json.loads(cli.ok("export", "--format", "json").stdout)
    assert [d["archive_no"] for d in data] == sorted([a, b, c])
    company_row = next(d for d in data if d["archive_no"] == b)
    assert company_row["registered_capital"] == 5000000 and company_row["contact_name"] == "王经理"
    lines = cli.ok("export", "--format", "jsonl", "--fields", "archive_no,name").stdout.splitlines()
    assert [json.loads(line) for line in lines][0] == {"archive_no": a, "name": "李娜"}


def test_xlsx_sheets_header_and_typed_cells(cli, tmp_path, db_target):
    from openpyxl import load_workbook

    a, b, c, _ = seed(cli)
    cli.ok("update", a, "--set", "city=佛山", "--reason", "搬家")
    cli.ok("doc", "add", b, "--class", "1", "--title", "营业执照", "--date", "2024-01-05")
    path = tmp_path / "out.xlsx"
    cli.ok("export", "-o", str(path), "--with-history", "--headers", "zh")
    book = load_workbook(path)
    assert book.sheetnames == ["客户", "变更记录", "documents"]
    sheet = book["客户"]
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref
    headers = [cell.value for cell in sheet[1]]
    assert sheet["A1"].font.b and headers[0] == "档案编号"
    rows = {row[0]: dict(zip(headers, row)) for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert rows[b]["注册资本"] == 5000000 and isinstance(rows[b]["注册资本"], (int, float))
    assert isinstance(rows[b]["成立日期"], dt.datetime) and rows[b]["成立日期"].date() == dt.date(2010, 5, 1)
    assert "*" in rows[a]["身份证号"] and rows[a]["备注"].startswith("=HYPERLINK")
    assert sheet.cell(row=[r[0] for r in sheet.iter_rows(values_only=True)].index(a) + 1,
                      column=headers.index("备注") + 1).quotePrefix
    history = list(book["变更记录"].iter_rows(values_only=True))
    assert history[0][:2] == ("archive_no", "at")
    assert any(row[0] == a and row[4] == "city" and row[6] == "佛山" for row in history[1:])
    assert not any(rid_like in str(row) for row in history for rid_like in ("19850315",))  # masked in the log too
    docs = list(book["documents"].iter_rows(values_only=True))
    assert docs[1][0] == b and "营业执照" in docs[1]
    assert cli("export", "--format", "xlsx").exit_code == 2
    assert cli("export", "--with-history").exit_code == 2


def test_vcard_export_readable_by_vobject(cli, tmp_path):
    import vobject

    a, b, c, _ = seed(cli)
    cli.ok("export", "--format", "vcf", "-o", str(tmp_path / "c.vcf"))
    cards = list(vobject.readComponents((tmp_path / "c.vcf").read_text(encoding="utf-8")))
    by_uid = {card.uid.value: card for card in cards}
    assert set(by_uid) == {a, b, c}
    assert by_uid[a].fn.value == "李娜" and by_uid[a].tel.value == "13912340001" and by_uid[a].version.value == "3.0"
    assert by_uid[b].fn.value == "王经理" and by_uid[b].org.value == ["深圳华强电子有限公司"]
    assert by_uid[b].title.value == "采购经理"


def test_export_refusals(cli, tmp_path, no_archive):
    empty, message = no_archive
    result = Cli(empty)("export")
    assert result.exit_code == 1 and message in result.stderr
    seed(cli)
    cli.ok("--as", "boss", "user", "add", "tester", "--role", "clerk")
    result = cli("export")
    assert result.exit_code == 1 and "may not export" in result.stderr


def test_csv_exact_bytes_on_both_backends(cli, tmp_path, db_target):
    """The one CSV writer, byte for byte, on SQLite and PostgreSQL: quoting, CR LF, formulas
    neutralised (numbers and harmless signs not), masking and --reveal, BOM, GBK."""
    a, b, c, rid = seed(cli)
    db_exec(db_target, "UPDATE customers SET address = :address, notes = :notes, city = :city, "
            "annual_spend = :spend WHERE archive_no = :n",
            [{"address": '广州市, "花城"大道 1号', "notes": "=SUM(A1)\r\n第二行", "city": "-x", "spend": -12.5, "n": a},
             {"address": None, "notes": "\n", "city": "+86 139", "spend": 5e6, "n": b},
             {"address": "\t开头", "notes": "@x,", "city": None, "spend": None, "n": c}])
    fields = "archive_no,name,id_number,address,notes,city,annual_spend"
    masked_id = rid[:6] + "********" + rid[-4:]
    rows = {a: f'{a},李娜,{masked_id},"广州市, ""花城""大道 1号","\'=SUM(A1)\r\n第二行",\'-x,-12.5\r\n',
            b: f'{b},深圳华强电子有限公司,,,"\n",+86 139,5000000\r\n',
            c: f"{c},张伟,,'\t开头,\"'@x,\",,\r\n"}
    text = fields + "\r\n" + "".join(rows[number] for number in sorted(rows))
    cli.ok("export", "-o", str(tmp_path / "a.csv"), "--fields", fields, "--plain")
    assert (tmp_path / "a.csv").read_bytes() == b"\xef\xbb\xbf" + text.encode()
    assert cli.ok("export", "--fields", fields).stdout_bytes == text.encode()
    cli.ok("export", "-o", str(tmp_path / "g.csv"), "--fields", fields, "--encoding", "gbk", "--plain")
    assert (tmp_path / "g.csv").read_bytes() == text.encode("gbk")
    revealed = cli.ok("export", "--fields", fields, "--reveal").stdout_bytes
    assert revealed == text.replace(masked_id, rid).encode()
    # The default of a file: a masked ID is text to a spreadsheet, the revealed one is written as ="…".
    cli.ok("export", "-o", str(tmp_path / "s.csv"), "--fields", fields)
    assert (tmp_path / "s.csv").read_bytes() == b"\xef\xbb\xbf" + text.encode()
    cli.ok("export", "-o", str(tmp_path / "s.csv"), "--fields", fields, "--reveal", "--encoding", "gbk")
    assert (tmp_path / "s.csv").read_bytes() == text.replace(masked_id, f'"=""{rid}"""').encode("gbk")
    zh = cli.ok("export", "--fields", "archive_no,annual_income,notes", "--headers", "zh", "--kind", "individual")
    assert zh.stdout_bytes == ("档案编号,个人年收入,备注\r\n" + f"{a},3****0,\"'=SUM(A1)\r\n第二行\"\r\n"
                               + f"{c},,\"'@x,\"\r\n").encode()


@pytest.mark.sqlite_only  # only another program can store text that is not UTF-8 (here: sqlite3 itself)
def test_text_that_is_not_utf8_is_one_line_not_a_traceback(cli, tmp_path, db_target):
    import sqlite3

    seed(cli)
    with sqlite3.connect(db_target) as conn:
        conn.execute("UPDATE customers SET address = CAST(x'e5ff41' AS TEXT) WHERE id = 1")
    for args in (["-o", str(tmp_path / "out.csv")], [], ["--format", "json"], ["--format", "jsonl"]):
        result = cli("export", *args)
        assert result.exit_code == 1 and "Traceback" not in result.stderr
        assert result.stderr.startswith("error: the archive holds text that is not valid UTF-8")
    assert not list(tmp_path.glob("out.csv*"))

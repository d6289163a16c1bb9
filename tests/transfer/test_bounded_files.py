"""Crafted and huge workbooks are refused within seconds with one line, before memory grows."""
from __future__ import annotations

import zipfile

from openpyxl import Workbook

from tests.helpers import no_archives, snapshot


def _workbook(path) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(["姓名", "手机"])
    sheet.append(["张三", "13912345678"])
    book.save(path)


def _replace(path, target, part: str, writer) -> None:
    """Copy the workbook at ``path`` to ``target`` with ``part`` written by ``writer(stream)``."""
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        for info in source.infolist():
            if info.filename == part:
                continue
            out.writestr(info, source.read(info.filename))
        with out.open(part, "w", force_zip64=True) as stream:
            writer(stream)


def test_shared_strings_bomb_is_refused_before_reading(cli, db_target, tmp_path):
    _workbook(tmp_path / "plain.xlsx")
    bomb = tmp_path / "bomb.xlsx"

    def strings(stream):
        stream.write(b'<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">')
        block = b"<si><t>" + b"a" * 1000 + b"</t></si>"
        for _ in range(110_000):   # 110 MB of XML, about 100 KB packed
            stream.write(block)
        stream.write(b"</sst>")

    _replace(tmp_path / "plain.xlsx", bomb, "xl/sharedStrings.xml", strings)
    assert bomb.stat().st_size < 2 << 20
    before = snapshot(db_target)
    result = cli("import", str(bomb))   # refused from the declared size, before anything is inflated
    assert result.exit_code == 1 and "expands to" in result.stderr and "MB" in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert snapshot(db_target) == before


def test_a_cell_past_excels_limit_is_refused_while_scanning(cli, db_target, tmp_path):
    _workbook(tmp_path / "plain.xlsx")
    huge = tmp_path / "huge.xlsx"

    def sheet(stream):
        stream.write(b'<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/'
                     b'main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>name</t></is></c>'
                     b'<c r="B1" t="inlineStr"><is><t>phone</t></is></c></row><row r="2">'
                     b'<c r="A2" t="inlineStr"><is><t>')
        for _ in range(20):
            stream.write("张".encode() * 100_000)   # a 2,000,000-character cell
        stream.write(b'</t></is></c></row></sheetData></worksheet>')

    _replace(tmp_path / "plain.xlsx", huge, "xl/worksheets/sheet1.xml", sheet)
    before = snapshot(db_target)
    result = cli("import", str(huge))
    assert result.exit_code == 1 and "32767 characters" in result.stderr, result.stderr
    assert snapshot(db_target) == before


def _rejecting_workbook(path) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(["姓名", "手机", "出生日期"])
    sheet.append(["张三", "13912345678", None])
    sheet.append(["李四", "12345", None])          # refused: not a phone
    book.save(path)


def test_errors_file_follows_the_name_given(cli, tmp_path):
    import csv

    _rejecting_workbook(tmp_path / "in.xlsx")
    out = tmp_path / "rejects.csv"
    result = cli("import", str(tmp_path / "in.xlsx"), "--errors", str(out))
    assert result.exit_code == 1
    assert not zipfile.is_zipfile(out)
    rows = list(csv.reader(out.read_text(encoding="utf-8-sig").splitlines()))
    assert rows[0] == ["姓名", "手机", "出生日期", "error"] and rows[1][:2] == ["李四", "12345"]
    assert "phone" in rows[1][3]


def test_errors_name_the_rows_cannot_take_is_refused(cli, tmp_path):
    _rejecting_workbook(tmp_path / "in.xlsx")
    out = tmp_path / "rejects.vcf"
    result = cli("import", str(tmp_path / "in.xlsx"), "--errors", str(out))
    assert result.exit_code == 2 and ".xlsx or .csv" in result.stderr
    assert not out.exists() and no_archives(cli)


def test_stderr_lists_a_few_hundred_rejected_rows_then_a_count(cli, tmp_path):
    import csv

    path = tmp_path / "bad.csv"
    path.write_text("姓名,手机\n" + "".join(f"客户{n},12{n:09d}\n" for n in range(700)) + "好人,13912345678\n",
                    encoding="utf-8")
    out = tmp_path / "rejects.csv"
    result = cli("import", str(path), "--errors", str(out))
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert sum(line.startswith("rejected:") for line in lines) == 200
    assert any("500 more rejected rows not shown" in line and str(out) in line for line in lines)
    assert len(list(csv.reader(out.read_text(encoding="utf-8-sig").splitlines()))) == 701


def test_nul_bytes_are_refused_with_line_and_field_and_tabs_kept(cli, tmp_path):
    path = tmp_path / "nul.csv"
    # (a NUL in the first 4 KB makes the whole file "binary"; past them it is a damaged cell)
    path.write_bytes(("姓名,手机,备注\n王芳,13912345602,\"第一行\n第二行\t制表\"\n"
                      + "".join(f"客户{n},139000{n:05d},{'备' * 40}\n" for n in range(60))
                      + "陈\x00静,13912345601,x\n").encode())
    result = cli("import", str(path), "--json")
    assert result.exit_code == 1
    import json

    summary = json.loads(result.stdout)
    assert summary["inserted"] == 61 and summary["rejected"] == 1
    reject = summary["rejected_rows"][0]
    assert reject["line"] == 64 and reject["field"] == "name" and "NUL" in reject["reason"]
    card = cli.json("show", "王芳")
    assert card["notes"] == "第一行\n第二行\t制表"


def test_utf16_unicode_text_keeps_a_tab_inside_a_quoted_cell(cli, tmp_path):
    path = tmp_path / "unicode.txt"
    path.write_bytes("姓名\t手机\t地址\n王芳\t13912345603\t\"（天河城）１０１号\t３单元\"\n".encode("utf-16"))
    result = cli("import", str(path))
    assert result.exit_code == 0, result.stderr
    assert cli.json("show", "王芳")["address"] == "（天河城）１０１号\t３单元"


def test_the_quick_text_length_check_agrees_with_an_exact_count():
    import random

    from custarchive.transfer.io import xlsx_reader

    limit = xlsx_reader.MAX_TEXT_BYTES
    rng = random.Random(3)
    for _ in range(500):
        parts = [b"a" * rng.choice([0, 5, limit // 3, limit // 2 + 7, limit, limit + 1, 2 * limit])
                 for _ in range(rng.randint(1, 5))]
        data, run = b"<".join(parts), rng.choice([0, 10, limit])
        pieces = data.split(b"<")
        exact = run + len(data) if len(pieces) == 1 else max(run + len(pieces[0]), *map(len, pieces[1:]))
        longest, open_run = xlsx_reader._longest_text(data, run)
        assert (longest > limit) == (exact > limit)
        assert open_run == (run + len(data) if len(pieces) == 1 else len(pieces[-1]))

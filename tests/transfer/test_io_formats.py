"""File-format layer: encodings, headers, bad input, writers, vCard, errors file, generator."""
from __future__ import annotations

import csv
import datetime as dt
import importlib.util
import io
import json
import os
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from custarchive.errors import ConfigError, CustarchiveError, UsageError, ValidationError
from custarchive.transfer.io.headers import LABELS_ZH, build_header_map, normalise_header
from custarchive.transfer.io.readers import open_rows
from custarchive.transfer.io.tables import MAX_CELL_CHARS, MAX_COLUMNS
from custarchive.transfer.io.vcard import ERROR_PROPERTY
from custarchive.transfer.io.writers import ErrorsWriter, write_rows

ROOT = Path(__file__).resolve().parents[2]


def read_all(source, **kwargs):
    with open_rows(source, **kwargs) as src:
        rows = list(src.rows())
        return src, rows


# --- encodings -------------------------------------------------------------

def test_gbk_without_bom_is_detected():
    data = "姓名,手机\n张三,13912345678\n欧阳娜娜,13800000000\n".encode("gbk")
    src, rows = read_all(data)
    assert src.encoding == "gb18030"
    assert src.headers == ["姓名", "手机"]
    assert rows[1].cells == ["欧阳娜娜", "13800000000"]


def test_utf8_bom_never_leaks_into_first_header(tmp_path):
    path = tmp_path / "c.csv"
    path.write_bytes("\ufeff姓名,手机\n张三,139\n".encode("utf-8"))
    src, rows = read_all(path)
    assert src.encoding == "utf-8-sig"
    assert src.headers[0] == "姓名"
    assert list(rows[0].values) == ["姓名", "手机"]
    # An explicit --encoding utf-8 still drops the BOM.
    src, _ = read_all(path, encoding="utf-8")
    assert src.headers[0] == "姓名"


def test_bad_byte_reports_line_and_byte():
    data = "姓名,手机\n张三,139\n".encode("utf-8") + b"\xa1\xff\xfe,138\n"
    with pytest.raises(ValidationError) as info:
        open_rows(data)
    message = str(info.value)
    assert "line 3" in message and "0x" in message and "byte" in message


def test_damaged_utf8_is_reported_not_read_as_gbk():
    good = "姓名,备注\n" + "".join(f"张三{i},中文备注内容\n" for i in range(30))
    data = good.encode("utf-8") + b"\xe4\xb8,x\n"
    with pytest.raises(ValidationError) as info:
        open_rows(data)
    assert "UTF-8" in str(info.value) and "line 32" in str(info.value)


def test_declared_encoding_is_honoured_and_unknown_refused():
    data = "姓名\n张三\n".encode("gbk")
    src, rows = read_all(data, encoding="gbk")
    assert rows[0].cells == ["张三"]
    with pytest.raises(UsageError):
        open_rows(data, encoding="klingon")
    with pytest.raises(ValidationError, match="ASCII.*line 2"):
        open_rows("name\n张三\n".encode("utf-8"), encoding="ascii")


def test_excel_unicode_text_utf16_tab_separated():
    data = "姓名\t手机\n张三\t139\n".encode("utf-16")
    src, rows = read_all(data)
    assert src.headers == ["姓名", "手机"] and rows[0].cells == ["张三", "139"]


# --- headers ---------------------------------------------------------------

def test_header_normalisation_and_chinese_labels():
    assert normalise_header("手机号（必填）") == normalise_header("手机号") == "手机号"
    assert normalise_header(" *姓名* ") == "姓名"
    hm = build_header_map(["姓名*", "ＥＭＡＩＬ", "Birth Date", "统一社会信用代码", "联系地址", "客户编号"])
    assert hm.fields == {0: "name", 1: "email", 2: "birth_date", 3: "credit_code", 4: "address", 5: "archive_no"}
    assert not hm.errors and not hm.unknown


def test_unknown_and_duplicate_and_conflicting_headers():
    hm = build_header_map(["姓名", "微信号", "", "姓名"])
    assert hm.unknown == [(1, "微信号"), (2, "")]
    assert any("same header" in e for e in hm.errors)
    hm = build_header_map(["手机", "联系电话"])
    assert any("both map to phone" in e for e in hm.errors)
    with pytest.raises(ValidationError):
        hm.check()


def test_template_extras_and_error_column():
    hm = build_header_map(["姓名", "微信号", "error"], extra_labels={"wechat": "微信号"})
    assert hm.fields == {0: "name", 1: "wechat"} and hm.ignored == [(2, "error")] and not hm.unknown


def test_map_file(tmp_path):
    mapping = tmp_path / "map.toml"
    mapping.write_text('"客户全称" = "name"\n"固定电话" = ""\n"联系电话" = "phone"\n', encoding="utf-8")
    hm = build_header_map(["客户全称", "手机", "固定电话"], map_file=mapping)
    assert hm.fields == {0: "name", 1: "phone"} and hm.ignored == [(2, "固定电话")]
    bad = tmp_path / "bad.toml"
    bad.write_text('"客户全称" = "fullname"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        build_header_map(["客户全称"], map_file=bad)
    assert "bad.toml" in str(info.value) and "客户全称" in str(info.value) and "fullname" in str(info.value)
    broken = tmp_path / "broken.toml"
    broken.write_text("= = =", encoding="utf-8")
    with pytest.raises(ConfigError):
        build_header_map(["x"], map_file=broken)


# --- bad input ---------------------------------------------------------------

@pytest.mark.parametrize("data", [b"", b"\xef\xbb\xbf", b"  \r\n\n"])
def test_empty_file(data):
    with pytest.raises(ValidationError, match="empty"):
        open_rows(data)


@pytest.mark.parametrize("fmt,data,message", [
    ("csv", "姓名,手机\n".encode(), "no data rows"),
    ("csv", "姓名,手机\n\n,\n".encode(), "no data rows"),
    ("json", b"[]", "no records"),
    ("json", b'{"customers": []}', "no records"),
    ("vcf", b"\r\n", "empty"),
])
def test_header_only_or_recordless_file(fmt, data, message):
    with pytest.raises(ValidationError, match=message):
        read_all(data, format=fmt)


def test_ragged_rows():
    data = "姓名,手机,邮箱\n张三,139\n李四,138,a@b.c,多余\n王五,137,,,\n".encode()
    _, rows = read_all(data)
    assert rows[0].cells == ["张三", "139", ""] and rows[0].error is None
    assert "4 cells" in rows[1].error and rows[1].line == 3
    assert rows[2].error is None and rows[2].cells == ["王五", "137", ""]


@pytest.mark.parametrize("data,fragment", [
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00", "PNG"),
    (b"abc\x00\x01\x02\x00" * 10, "binary"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 20, ".xls"),
    (b"PK\x03\x04" + b"\x00" * 20, "ZIP"),
])
def test_binary_file_named_csv(tmp_path, data, fragment):
    path = tmp_path / "customers.csv"
    path.write_bytes(data)
    with pytest.raises(ValidationError, match=fragment):
        open_rows(path)


def test_xls_and_broken_xlsx(tmp_path):
    (tmp_path / "old.xls").write_bytes(b"x")
    with pytest.raises(ValidationError, match="xlsx"):
        open_rows(tmp_path / "old.xls")
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04garbage")
    with pytest.raises(ValidationError, match="workbook"):
        open_rows(broken)


def test_megabyte_cell_rejects_only_its_row():
    big = "字" * (1 << 20)
    data = f"姓名,备注\n张三,{big}\n李四,ok\n".encode()
    _, rows = read_all(data)
    assert "characters" in rows[0].error and str(MAX_CELL_CHARS) in rows[0].error
    assert rows[1].error is None and rows[1].cells == ["李四", "ok"]


def test_ten_thousand_columns(tmp_path):
    header = ",".join(f"c{i}" for i in range(10_000))
    with pytest.raises(ValidationError, match=str(MAX_COLUMNS)):
        open_rows((header + "\n" + "," * 9999 + "x\n").encode())
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("s")
    ws.append([f"c{i}" for i in range(MAX_COLUMNS + 5)])
    ws.append(["x"] * 3)
    wb.save(tmp_path / "wide.xlsx")
    with pytest.raises(ValidationError, match="columns"):
        open_rows(tmp_path / "wide.xlsx")


def test_duplicated_headers_keep_both_columns():
    src, rows = read_all("姓名,姓名\n张三,李四\n".encode())
    assert rows[0].values == {"姓名": "张三", "姓名#2": "李四"}
    assert build_header_map(src.headers).errors


def test_title_row_and_multiline_record_line_numbers():
    data = '客户档案登记表,,\n姓名,备注,手机\n张三,"一\n二\n三",139\n李四,,138\n'.encode()
    src, rows = read_all(data)
    assert src.headers == ["姓名", "备注", "手机"] and src.warnings
    assert [r.line for r in rows] == [3, 6]


def test_csv_reader_undoes_export_neutralisation():
    _, rows = read_all("备注,手机\n'=1+2,'+86 139\n".encode())
    assert rows[0].cells == ["=1+2", "+86 139"]
    # beside a spreadsheet-safe cell (the default export of a file): '="12" is the text ="12", not 12
    _, rows = read_all('备注,手机,邮编\n"\'=""12""","=""013912345678""",="010010"\n'.encode())
    assert rows[0].cells == ['="12"', "013912345678", "010010"]


def test_semicolon_delimited():
    src, rows = read_all("姓名;手机\n张三;139\n".encode())
    assert src.delimiter == ";" and rows[0].cells == ["张三", "139"]


# --- json / jsonl ---------------------------------------------------------------

def test_json_array_object_with_list_and_nested_values():
    data = json.dumps({"version": 1, "customers": [
        {"name": "张三", "annual_spend": 1200.5, "vip": True, "age": 30, "x": None},
        {"name": "李四", "tags": ["a"], "annual_spend": 1},
        {"name": "王五", "extra": "new"},
        5,
    ]}, ensure_ascii=False).encode()
    src, rows = read_all(data, format="auto")
    assert src.format == "json" and src.headers == ["name", "annual_spend", "vip", "age", "x"]
    assert rows[0].cells == ["张三", "1200.5", "true", "30", ""] and rows[0].line == 1
    assert "nested" in rows[1].error and rows[1].line == 2 and rows[1].where == "record 2"
    assert "first record" in rows[2].error
    assert "not an object" in rows[3].error


def test_json_large_array_streams_and_invalid_json_is_one_line():
    records = [{"name": f"客户{i}", "phone": "139"} for i in range(5000)]
    _, rows = read_all(json.dumps(records, ensure_ascii=False).encode())
    assert len(rows) == 5000 and rows[-1].line == 5000
    with pytest.raises(ValidationError, match="line"):
        read_all(b'[{"name": "x"},\n {"name": ]')


def test_jsonl_line_numbers_and_broken_line():
    data = b'{"name": "a"}\n\n{"name": "b"}\n{broken\n'
    src, rows = read_all(data, format="auto")
    assert src.format == "jsonl"
    assert [r.line for r in rows] == [1, 3, 4] and "JSON" in rows[2].error


# --- xlsx ---------------------------------------------------------------------

def _workbook(path, build):
    from openpyxl import Workbook

    wb = Workbook()
    build(wb)
    wb.save(path)
    return path


def test_xlsx_values_sheets_and_row_numbers(tmp_path):
    def build(wb):
        ws = wb.active
        ws.title = "客户"
        ws.append(["客户档案登记表"])
        ws.append(["姓名", "年消费额", "出生日期", "身份证号", None])
        ws.append(["张三", 1200, dt.datetime(1990, 1, 5), "11010519491231002X"])
        ws.append([])
        ws.append(["李四", 99.5, dt.date(2001, 2, 3), 110105194912310000])
        other = wb.create_sheet("第二页")
        other.append(["姓名", "手机"])
        other.append(["王五", 13912345678])

    path = _workbook(tmp_path / "c.xlsx", build)
    with open_rows(path) as src:
        tables = []
        for table in src.tables():
            tables.append((table.name, table.headers, [(r.line, r.cells, r.error) for r in table.rows]))
    assert tables[0][1] == ["姓名", "年消费额", "出生日期", "身份证号"]
    assert tables[0][2][0] == (3, ["张三", "1200", "1990-01-05", "11010519491231002X"], None)
    assert tables[0][2][1][0] == 5 and "15 digits" in tables[0][2][1][2]
    assert tables[1] == ("第二页", ["姓名", "手机"], [(2, ["王五", "13912345678"], None)])
    _, rows = read_all(path, sheet="第二页")
    assert rows[0].where == "sheet '第二页' row 2"
    with pytest.raises(ValidationError, match="no such sheet"):
        open_rows(path, sheet="nope")


def test_xlsx_errors_file_truncates_oversized_cells(tmp_path):
    from openpyxl import Workbook, load_workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("s")
    ws.append(["姓名", "备注"])
    ws.append(["张三", "短"])
    wb.save(tmp_path / "long.xlsx")
    with open_rows(tmp_path / "long.xlsx") as src, ErrorsWriter(tmp_path / "err.xlsx", src) as errors:
        for row in src.rows():
            row.original = ("张三", "长" * 40000)  # openpyxl itself cuts cells at Excel's limit
            errors.write(row, "备注: too long")
    assert len(load_workbook(tmp_path / "err.xlsx")["s"]["B2"].value) == 32767


def test_xlsx_merged_cells_and_formulas(tmp_path):
    def build(wb):
        ws = wb.active
        ws.append(["姓名", "行业", "年消费额"])
        ws.append(["张三", "制造业", 10])
        ws.append(["李四", None, "=C2*2"])
        ws.append(["王五", "零售", 5])
        ws.merge_cells("B2:B3")

    path = _workbook(tmp_path / "m.xlsx", build)
    _, rows = read_all(path)
    assert "merged" in rows[0].error and "merged" in rows[1].error
    assert rows[2].error is None

    def build_formula(wb):
        ws = wb.active
        ws.append(["姓名", "年消费额"])
        ws.append(["张三", "=1+1"])

    path = _workbook(tmp_path / "f.xlsx", build_formula)
    _, rows = read_all(path)
    assert "formula" in rows[0].error

    def build_header_merge(wb):
        ws = wb.active
        ws.append(["姓名", "联系方式", None])
        ws.append(["张三", "139", "a@b.c"])
        ws.merge_cells("B1:C1")

    with pytest.raises(ValidationError, match="header row has merged"):
        open_rows(_workbook(tmp_path / "h.xlsx", build_header_merge))


# --- writers --------------------------------------------------------------------

ROWS = [
    {"name": "张三", "annual_spend": Decimal("-1200.50"), "birth_date": dt.date(1990, 1, 2),
     "notes": '=HYPERLINK("http://x","y")', "phone": "+86 139 1234 5678", "email": "@evil", "address": "-2+3+cmd"},
    {"name": "\t=cmd", "annual_spend": -3, "birth_date": None, "notes": "\r=1", "phone": "13912345678",
     "email": "a@b.c", "address": "普通地址"},
]
FIELDS = ["name", "annual_spend", "birth_date", "notes", "phone", "email", "address"]


def test_csv_export_neutralises_formulas_and_keeps_numbers(tmp_path):
    path = tmp_path / "out.csv"
    assert write_rows("csv", path, FIELDS, ROWS, labels=LABELS_ZH) == 2
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert table[0] == ["姓名", "年消费额", "出生日期", "备注", "手机", "邮箱", "地址"]
    for cells in table[1:]:
        for cell, field in zip(cells, FIELDS):
            if field == "annual_spend" or field == "phone":
                continue
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell
    assert table[1][1] == "-1200.50" and table[2][1] == "-3" and table[1][4] == "+86 139 1234 5678"
    _, rows = read_all(path)
    assert rows[0].cells[3] == ROWS[0]["notes"] and rows[1].cells[0] == "\t=cmd"


def test_csv_to_stream_has_no_bom_and_gbk_option(tmp_path):
    out = io.BytesIO()
    write_rows("csv", out, ["name"], [{"name": "张三"}])
    assert out.getvalue() == "name\r\n张三\r\n".encode()
    write_rows("csv", tmp_path / "g.csv", ["name"], [{"name": "张三"}], labels=LABELS_ZH, encoding="gbk")
    assert (tmp_path / "g.csv").read_bytes() == "姓名\r\n张三\r\n".encode("gbk")


def test_xlsx_export_cells(tmp_path):
    from openpyxl import load_workbook

    path = tmp_path / "out.xlsx"
    write_rows("xlsx", path, FIELDS, ROWS, labels=LABELS_ZH,
               extra_sheets=[("联系记录", ["archive_no", "内容"], [["A-2026-00001", "=SUM(1)"]])])
    wb = load_workbook(path)
    ws = wb["客户"]
    assert [c.value for c in ws[1]] == ["姓名", "年消费额", "出生日期", "备注", "手机", "邮箱", "地址"]
    assert ws[1][0].font.b and ws.freeze_panes == "A2" and ws.auto_filter.ref == "A1:G3"
    assert ws.column_dimensions["D"].width > 20
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            assert cell.data_type != "f"
            if isinstance(cell.value, str) and cell.value[:1] in "=+-@\t\r":
                assert cell.quotePrefix, cell.coordinate
    assert ws["B2"].value == -1200.5 and ws["B2"].data_type == "n"
    assert ws["B3"].value == -3 and ws["B3"].data_type == "n"
    assert ws["C2"].is_date and ws["C2"].value == dt.datetime(1990, 1, 2)
    assert ws["D2"].value == ROWS[0]["notes"]
    extra = wb["联系记录"]
    assert extra["B2"].value == "=SUM(1)" and extra["B2"].data_type == "s" and extra["B2"].quotePrefix


def test_json_and_jsonl_export_round_trip(tmp_path):
    for fmt in ("json", "jsonl"):
        path = tmp_path / f"out.{fmt}"
        write_rows(fmt, path, FIELDS, ROWS)
        _, rows = read_all(path)
        assert rows[0].values["annual_spend"] == "-1200.5" and rows[0].values["birth_date"] == "1990-01-02"
        assert rows[1].values["name"] == "\t=cmd"


# --- vCard ---------------------------------------------------------------------

def test_vcard_export_readable_by_vobject_and_round_trips(tmp_path):
    import vobject

    people = [
        {"kind": "individual", "name": "欧阳娜娜", "phone": "13912345678", "phones_extra": "010-88886666",
         "email": "nana@163.com", "province": "浙江省", "city": "杭州市", "address": "西湖区文三路1号",
         "employer": "某某科技有限公司", "title": "经理", "birth_date": dt.date(1990, 5, 6), "notes": "重要;客户,备注"},
        {"kind": "enterprise", "name": "杭州华鑫贸易有限公司", "phone": "0571-88886666", "email": "info@hx.cn"},
    ]
    path = tmp_path / "out.vcf"
    assert write_rows("vcf", path, [], people) == 2
    cards = list(vobject.readComponents(path.read_text(encoding="utf-8")))
    assert cards[0].n.value.family == "欧阳" and cards[0].n.value.given == "娜娜"
    assert cards[0].version.value == "3.0" and len(cards[0].contents["tel"]) == 2
    assert cards[1].org.value == ["杭州华鑫贸易有限公司"]
    src, rows = read_all(path)
    assert src.format == "vcf" and rows[0].line == 1
    first, second = rows[0].values, rows[1].values
    assert first["name"] == "欧阳娜娜" and first["kind"] == "individual" and first["phone"] == "13912345678"
    assert first["phones_extra"] == "010-88886666" and first["employer"] == "某某科技有限公司"
    assert first["city"] == "杭州市" and first["birth_date"] == "1990-05-06" and first["notes"] == "重要;客户,备注"
    assert second["kind"] == "enterprise" and second["name"] == "杭州华鑫贸易有限公司"
    assert rows[1].line > rows[0].line


def test_vcard_21_and_damaged_card():
    data = ("BEGIN:VCARD\r\nVERSION:2.1\r\nN:李;四\r\nFN:李四\r\nTEL;CELL:139\r\nTEL;HOME:010-1\r\nEND:VCARD\r\n"
            "BEGIN:VCARD\r\nVERSION:3.0\r\nN:;;;\r\nBDAY;VALUE=date:\x01\r\n:::\r\nEND:VCARD\r\n"
            "BEGIN:VCARD\r\nFN:无结尾\r\n").encode()
    _, rows = read_all(data)
    assert rows[0].values["name"] == "李四" and rows[0].values["phones_extra"] == "010-1"
    assert rows[-1].error and "END:VCARD" in rows[-1].error and rows[-1].line == 14
    with pytest.raises(ValidationError, match="vCard"):
        read_all(b"hello\nBEGIN:VCARD\n", format="vcf")


# --- errors file --------------------------------------------------------------------

def _rejects(source, out, **kwargs):
    with open_rows(source, **kwargs) as src, ErrorsWriter(out, src) as errors:
        for row in src.rows():
            if row.error or "坏" in "".join(row.cells):
                errors.write(row, row.error or "手机: 号码无效")
    return src


def test_errors_file_csv_keeps_encoding_and_columns(tmp_path):
    path = tmp_path / "in.csv"
    path.write_bytes("姓名,手机,备注\n张三,139,好\n李四,坏号码,\n王五,137,x,多余\n".encode("gbk"))
    _rejects(path, tmp_path / "err.csv")
    data = (tmp_path / "err.csv").read_bytes()
    text = data.decode("gbk")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["姓名", "手机", "备注", "error"]
    assert rows[1] == ["李四", "坏号码", "", "手机: 号码无效"]
    assert rows[2][:3] == ["王五", "137", "x"] and "cells" in rows[2][3] and rows[2][4] == "多余"
    # The fixed errors file imports again: the error column is ignored, not doubled.
    src, again = read_all(tmp_path / "err.csv")
    assert build_header_map(src.headers).ignored == [(3, "error")]
    _rejects(tmp_path / "err.csv", tmp_path / "err2.csv")
    assert (tmp_path / "err2.csv").read_bytes().decode("gbk").splitlines()[0] == "姓名,手机,备注,error"


def test_errors_file_xlsx_json_jsonl_vcf(tmp_path):
    from openpyxl import Workbook, load_workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "名单"
    ws.append(["姓名", "出生日期", "年消费额"])
    ws.append(["坏人", dt.datetime(1990, 1, 2), -5])
    ws.append(["好人", dt.datetime(1991, 1, 2), 7])
    wb.save(tmp_path / "in.xlsx")
    _rejects(tmp_path / "in.xlsx", tmp_path / "err.xlsx")
    ws = load_workbook(tmp_path / "err.xlsx")["名单"]
    assert [c.value for c in ws[1]] == ["姓名", "出生日期", "年消费额", "error"]
    assert ws["A2"].value == "坏人" and ws["B2"].is_date and ws["C2"].value == -5 and ws["D2"].value == "手机: 号码无效"

    (tmp_path / "in.json").write_text('[{"name": "坏", "n": 1}, {"name": "好"}]', encoding="utf-8")
    _rejects(tmp_path / "in.json", tmp_path / "err.json")
    assert json.loads((tmp_path / "err.json").read_text()) == [{"name": "坏", "n": 1, "error": "手机: 号码无效"}]

    (tmp_path / "in.jsonl").write_text('{"name": "坏"}\n{oops\n', encoding="utf-8")
    _rejects(tmp_path / "in.jsonl", tmp_path / "err.jsonl")
    lines = [json.loads(x) for x in (tmp_path / "err.jsonl").read_text().splitlines()]
    assert lines[0]["name"] == "坏" and lines[1]["_raw"] == "{oops" and "JSON" in lines[1]["error"]

    write_rows("vcf", tmp_path / "in.vcf", [], [{"name": "坏蛋"}, {"name": "好人"}])
    _rejects(tmp_path / "in.vcf", tmp_path / "err.vcf")
    text = (tmp_path / "err.vcf").read_text(encoding="utf-8")
    assert text.count("BEGIN:VCARD") == 1 and f"{ERROR_PROPERTY}:手机: 号码无效" in text
    _, rows = read_all(tmp_path / "err.vcf")
    assert rows[0].values["name"] == "坏蛋" and rows[0].values["notes"] == ""


def test_stdin_like_stream_is_spooled():
    class Pipe(io.RawIOBase):
        def __init__(self, data):
            self.inner = io.BytesIO(data)

        def readable(self):
            return True

        def seekable(self):
            return False

        def readinto(self, buffer):
            chunk = self.inner.read(len(buffer))
            buffer[: len(chunk)] = chunk
            return len(chunk)

    src, rows = read_all(Pipe("姓名,手机\n张三,139\n".encode("gbk")))
    assert src.format == "csv" and rows[0].cells == ["张三", "139"]
    src, rows = read_all(Pipe(b'[{"name": "x"}]'))
    assert src.format == "json"


# --- fuzz ---------------------------------------------------------------------

def _consume(data: bytes, fmt: str) -> None:
    try:
        with open_rows(data, format=fmt) as src:
            for row in src.rows():
                assert isinstance(row.cells, list) and all(isinstance(c, str) for c in row.cells)
    except CustarchiveError:
        pass


FUZZ = settings(max_examples=int(os.environ.get("FUZZ_EXAMPLES", "150")), deadline=None, suppress_health_check=[HealthCheck.too_slow])
texty = st.one_of(
    st.binary(max_size=300),
    st.text(alphabet=st.sampled_from(list(',;"\'\n\r\t =+-@{}[]:a1张三\ufeff\x00')), max_size=200).map(str.encode),
)


@FUZZ
@given(texty)
def test_fuzz_csv(data):
    _consume(data, "csv")


@FUZZ
@given(st.one_of(texty, st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=5),
                                     lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=3), c, max_size=3),
                                     max_leaves=10).map(lambda v: json.dumps(v).encode())))
def test_fuzz_json(data):
    _consume(data, "json")
    _consume(data, "jsonl")


vcard_lines = st.lists(st.sampled_from([
    "BEGIN:VCARD", "END:VCARD", "VERSION:3.0", "VERSION:2.1", "N:张;三;;;", "FN:张三", "TEL:139", "ORG:公司",
    "ADR:;;路;市;省;;", "BDAY:xx", "NOTE:a\\nb", ":::", "X-Y;;=:", " folded", "EMAIL;TYPE=bad=:", "N:", "ADR:",
]), max_size=20).map(lambda lines: "\r\n".join(lines).encode())


@FUZZ
@given(st.one_of(texty, vcard_lines))
def test_fuzz_vcard(data):
    _consume(data, "vcf")


# --- generator ---------------------------------------------------------------------

def _generator():
    spec = importlib.util.spec_from_file_location("bench_generate", ROOT / "bench" / "generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_generator_rows_are_valid_and_seeded():
    from stdnum.cn import ric, uscc

    generate = _generator()
    rows = list(generate.generate_rows(600, seed=42, kind="mixed"))
    assert rows == list(generate.generate_rows(600, seed=42, kind="mixed"))
    kinds = {r["kind"] for r in rows}
    assert kinds == {"individual", "enterprise"}
    lengths = set()
    for row in rows:
        assert len(row["phone"]) == 11 and row["phone"].isdigit() and row["phone"][0] == "1"
        if row["kind"] == "individual":
            number = row["id_number"]
            assert number[-1] == ric.calc_check_digit(number) and ric.is_valid(number)
            assert number[6:14] == row["birth_date"].replace("-", "")
            assert 1950 <= int(number[6:10]) <= 2005
            assert int(number[16]) % 2 == (1 if row["gender"] == "男" else 0)
            lengths.add(len(row["name"]))
        else:
            assert uscc.is_valid(row["credit_code"])
    assert {2, 3} <= lengths
    assert all(r["kind"] == "enterprise" for r in generate.generate_rows(20, seed=1, kind="enterprise"))


def test_generator_cli_streams_formats(tmp_path):
    generate = _generator()
    for fmt in ("csv", "jsonl", "xlsx"):
        out = tmp_path / f"g.{fmt}"
        assert generate.main(["--rows", "50", "--seed", "3", "--format", fmt, "-o", str(out)]) == 0
        _, rows = read_all(out)
        assert len(rows) == 50
        hm = build_header_map(rows[0].table.headers)
        assert not hm.errors and not hm.unknown
    out = tmp_path / "gbk.csv"
    generate.main(["--rows", "20", "--format", "csv", "--encoding", "gb18030", "--headers", "zh", "-o", str(out)])
    src, rows = read_all(out)
    assert src.encoding == "gb18030" and src.headers[3] == "姓名" and len(rows) == 20

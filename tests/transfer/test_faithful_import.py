"""Round trips that hold: a masked export re-imported leaves the stored values as they were; damaged
cells are rejected naming field and value; unusual phones are warned about, not refused; a refused
first import leaves no database file behind."""
from __future__ import annotations

import json
import os

from openpyxl import Workbook

from tests.builders import resident_id
from tests.helpers import backend_of, db_rows, snapshot

ID = resident_id("19900307", male=False)


def test_masked_export_edited_and_reimported_keeps_the_stored_values(cli, db_target, tmp_path):
    number = cli.add({"name": "张三", "phone": "13812341234", "id_number": ID, "bank_account": "6222020200112233445"},
                     "-t", "individual")
    out = tmp_path / "ex.csv"
    cli.ok("export", "-o", str(out))
    text = out.read_text(encoding="utf-8-sig")
    assert "110105********" in text and "6222020200112233445" not in text     # the export is masked
    out.write_text(text.replace("张三", "张三丰"), encoding="utf-8")
    result = cli("import", str(out), "--on-duplicate", "update", "--json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert (data["updated"], data["rejected"], data["masked_unchanged"]) == (1, 0, 2)
    card = cli.json("show", number, "--reveal")
    assert (card["name"], card["id_number"], card["bank_account"]) == ("张三丰", ID, "6222020200112233445")
    zh = cli("--lang", "zh", "import", str(out), "--on-duplicate", "update")
    assert "隐去的值(保留原值)" in zh.stdout and "已导入" in zh.stdout


def test_a_masked_phone_in_a_new_row_is_refused_naming_field_and_value(cli, db_target, tmp_path):
    cli.add({"name": "旧客户", "phone": "13900001111"}, "-t", "individual")
    path = tmp_path / "in.csv"
    path.write_text("姓名,手机\n王五,139****1234\n", encoding="utf-8")
    before = snapshot(db_target)
    result = cli("import", str(path), "-t", "individual", "--json")
    assert result.exit_code == 1
    [row] = json.loads(result.stdout)["rejected_rows"]
    assert (row["field"], row["value"]) == ("phone", "139****1234") and "masked" in row["reason"]
    assert snapshot(db_target) == before


def test_spreadsheet_damaged_cells_name_field_and_value(cli, db_target, tmp_path):
    cli.add({"name": "旧客户", "phone": "13900001111"}, "-t", "individual")
    csv_path = tmp_path / "dmg.csv"
    csv_path.write_text("姓名,手机,身份证号\n王一,13912345671,1.10105E+17\n王二,1.3912E+10,\n", encoding="utf-8")
    result = cli("import", str(csv_path), "-t", "individual", "--json")
    rows = json.loads(result.stdout)["rejected_rows"]
    assert [(r["line"], r["field"], r["value"]) for r in rows] == [(2, "id_number", "1.10105E+17"),
                                                                  (3, "phone", "1.3912E+10")]
    assert all("spreadsheet" in r["reason"] for r in rows)
    book = Workbook()
    sheet = book.active
    sheet.append(["姓名", "手机", "身份证号"])
    sheet.append(["王三", "13912345673", 110105199003071247])        # a number: Excel kept 15 digits
    xlsx = tmp_path / "dmg.xlsx"
    book.save(xlsx)
    result = cli("import", str(xlsx), "-t", "individual", "--json")
    assert result.exit_code == 1
    [row] = json.loads(result.stdout)["rejected_rows"]
    assert row["field"] == "id_number" and row["value"] == "1.101051990030712e+17" and "15 digits" in row["reason"]
    zh = cli("--lang", "zh", "import", str(csv_path), "-t", "individual")
    assert "拒绝:第 2 行:身份证号:已被电子表格改成了科学计数法" in zh.stderr


def test_unknown_phone_blocks_are_imported_with_a_warning(cli, db_target, tmp_path):
    path = tmp_path / "in.csv"
    path.write_text("姓名,手机\n李四,14912345678\n赵六,13912345678\n", encoding="utf-8")
    result = cli("import", str(path), "-t", "individual", "--json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["inserted"] == 2 and data["warning_count"] == 1
    assert data["warnings"][0]["line"] == 2 and data["warnings"][0]["value"] == "14912345678"
    assert "warning: line 2: phone 14912345678 is not in a block" in result.stderr
    assert db_rows(db_target, "SELECT phone FROM customers WHERE name = '李四'") == [("14912345678",)]


def test_a_refused_first_import_leaves_no_database_file(tmp_path, cli, db_target):
    if backend_of(db_target) != "sqlite":
        return                                   # a server database is not a file of ours to remove
    path = tmp_path / "in.csv"
    path.write_text("姓名,手机\n王一,1.3912E+10\n", encoding="utf-8")
    for extra in (("--strict",), ("--dry-run",), ()):
        result = cli("import", str(path), "-t", "individual", *extra)
        assert result.exit_code == 1
        assert not os.path.exists(db_target) and not os.path.exists(db_target + ".key")
        assert "no database was created" in result.stderr
    refused_add = cli("add", "--no-input", "-t", "individual", "--set", "name=x", "--set", "phone=1")
    assert refused_add.exit_code == 1 and not os.path.exists(db_target)
    good = tmp_path / "good.csv"
    good.write_text("姓名,手机\n王一,13912345678\n王二,1.3912E+10\n", encoding="utf-8")
    assert cli("import", str(good), "-t", "individual").exit_code == 1    # one row in: the database stays
    assert os.path.exists(db_target)


def test_default_csv_file_keeps_long_digits_as_text_and_round_trips(cli, db_target, tmp_path):
    import csv

    number = cli.add({"name": "张三", "phone": "13812341234", "id_number": ID, "bank_account": "6222020200112233445",
                      "registered_capital": "50000000000", "notes": "第一行\n第二行"}, "-t", "individual")
    for args in ((), ("--excel",)):                     # --excel: the default, still accepted
        excel = tmp_path / "excel.csv"
        result = cli("export", "--reveal", "-o", str(excel), *args)
        assert result.exit_code == 0, result.stderr
        assert "tip" not in result.stderr
        raw = excel.read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf")                              # UTF-8 BOM: Excel reads Chinese
        [row] = list(csv.DictReader(excel.read_text(encoding="utf-8-sig").splitlines(True)))
        assert (row["id_number"], row["phone"], row["bank_account"]) == (f'="{ID}"', '="13812341234"',
                                                                          '="6222020200112233445"')
        assert row["registered_capital"] == "50000000000" and row["archive_no"] == number   # amounts stay numbers
        assert row["notes"] == "第一行\n第二行"
        before = snapshot(db_target)
        back = cli("import", str(excel), "--on-duplicate", "update", "--json")
        assert back.exit_code == 0, back.stderr
        assert json.loads(back.stdout)["unchanged"] == 1
        assert snapshot(db_target) == before
    plain = tmp_path / "plain.csv"
    result = cli("export", "--reveal", "-o", str(plain), "--plain")
    assert '="' not in plain.read_text(encoding="utf-8-sig") and ID in plain.read_text(encoding="utf-8-sig")
    assert "tip: this is plain CSV" in result.stderr and "--plain" in result.stderr    # --plain: the tip
    zh = cli("--lang", "zh", "export", "-o", str(plain), "--plain")
    assert "提示:这是普通 CSV" in zh.stderr
    for args in (("--excel",), ("--plain",)):
        refused = cli("export", *args, "-f", "xlsx", "-o", str(tmp_path / "x.xlsx"))
        assert refused.exit_code == 2 and "CSV only" in refused.stderr
    assert cli("export", "-f", "xlsx", "-o", str(tmp_path / "x.xlsx")).exit_code == 0

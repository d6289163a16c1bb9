"""The spreadsheet form goes out and comes back in; the report workbook has its charts and prints on A4."""
from __future__ import annotations

import zipfile

import openpyxl

from tests.builders import person
from tests.helpers import db_rows


def test_form_prefills_archives_has_drop_downs_and_comes_back_through_import(cli, db_target, tmp_path):
    a1 = cli.add(person(name="周一"), "--category", "A")
    a2 = cli.add(person(name="吴二", phone="13600000001"), "--category", "A")
    cli.add(person(name="郑三", phone="13600000002"), "--category", "B")
    form = tmp_path / "问卷.xlsx"
    cli.ok("--lang", "zh", "survey", "form", "basic-habits", "--category", "A", "-o", str(form))
    book = openpyxl.load_workbook(form)
    assert book.sheetnames == ["说明", "答卷", "选项"]
    assert "客户基本信息与购买习惯调查" in book["说明"]["A1"].value
    sheet = book["答卷"]
    headers = [c.value for c in sheet[1]]
    assert headers[:4] == ["档案编号", "姓名", "日期", "渠道"] and "Q1 您的性别" in headers
    assert [(sheet.cell(r, 1).value, sheet.cell(r, 2).value) for r in (2, 3)] == [(a1, "周一"), (a2, "吴二")]
    assert sheet.cell(4, 1).value is None
    validations = {str(v.sqref).split(":")[0]: v for v in sheet.data_validations.dataValidation}
    gender_col = openpyxl.utils.get_column_letter(headers.index("Q1 您的性别") + 1)
    gender = validations[f"{gender_col}2"]
    assert gender.type == "list"
    start = gender.formula1.split("!")[1].split(":")[0].replace("$", "")
    assert book["选项"][start].value == "男"

    def column(prefix):
        return next(n for n, header in enumerate(headers) if header.startswith(prefix + " "))

    spend_col = openpyxl.utils.get_column_letter(column("Q10") + 1)
    assert validations[f"{spend_col}2"].type == "decimal"

    def put(row, header, value):
        sheet.cell(row, (headers.index(header) if not header.startswith("Q") else column(header)) + 1, value)

    put(2, "日期", "2024-05-01")
    put(2, "渠道", "邮寄")
    put(2, "Q1", "男")
    put(2, "Q4", "工程师")
    put(2, "Q8", "每季度")
    put(2, "Q7", "商场、网上商城")
    put(4, "姓名", "路人")
    put(4, "Q2", "25-34岁")
    put(4, "Q10", 250)
    book.save(form)
    result = cli.json("survey", "import", "basic-habits", str(form))
    assert (result["stored"], result["with_archive"], result["anonymous"], result["rejected"]) == (2, 1, 1, 0)
    card = cli.json("show", a1)
    assert card["occupation"] == "工程师" and card["purchase_frequency"] == "quarterly"
    assert db_rows(db_target, "SELECT number FROM survey_answers WHERE question = 'monthly_spend'") == [(250.0,)]


def test_form_refuses_an_unknown_kind_of_file_and_an_existing_file(cli, tmp_path):
    assert cli("survey", "form", "satisfaction", "-o", str(tmp_path / "x.docx")).exit_code == 2
    target = tmp_path / "x.xlsx"
    target.write_bytes(b"keep")
    result = cli("survey", "form", "satisfaction", "-o", str(target))
    assert result.exit_code == 1 and "exists already" in result.stderr and target.read_bytes() == b"keep"


def test_report_workbook_has_a_sheet_and_a_native_chart_per_question_set_up_for_a4(cli, tmp_path):
    number = cli.add(person(), "--category", "A")
    answers = tmp_path / "a.csv"
    answers.write_text(f"archive_no,quality_overall,complaint_handled,strengths\n{number},4,已解决,耐用\n,2,未解决,\n",
                       encoding="utf-8")
    cli.ok("survey", "import", "satisfaction", str(answers))
    out = tmp_path / "报告.xlsx"
    cli.ok("--lang", "zh", "survey", "report", "satisfaction", "--by", "category", "--xlsx", str(out))
    book = openpyxl.load_workbook(out)
    assert book.sheetnames[0] == "概况" and "Q1" in book.sheetnames and "Q9" in book.sheetnames
    q1 = book["Q1"]
    assert q1["A1"].value.startswith("Q1 ") and q1["A4"].value == "1 非常不满意"
    assert book["Q7"]["C4"].value == "耐用"
    with zipfile.ZipFile(out) as archive:
        names = archive.namelist()
        charts = [n for n in names if n.startswith("xl/charts/chart")]
        assert len(charts) == 6  # five scales and one choice; text answers have no chart
        sheet = archive.read("xl/worksheets/sheet2.xml").decode()
        assert 'paperSize="9"' in sheet and 'fitToHeight="0"' in sheet and "<fitToPage/>" in sheet.replace(
            '<pageSetUpPr fitToPage="1"/>', "<fitToPage/>")

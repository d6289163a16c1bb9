"""The default CSV file survives a double-click in Excel, WPS or LibreOffice (issue 20, "Round trips hold").

``export -o FILE.csv`` writes each text cell a spreadsheet would turn into a number (18-digit IDs, bank
accounts, mobiles, a leading 0 or +) as ``="…"``; ``--plain`` and CSV on stdout stay the plain CSV. A file
edited in a spreadsheet and saved (its ="…" cells kept, or saved as the plain digits) comes back with
only the edited value changed, masked cells meaning unchanged.
"""
from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys

import pytest

from tests.builders import credit_code, resident_id
from tests.helpers import ROOT

ID = resident_id("19900307", area="110108", seq=3, male=False)           # 18 digits
ID_X = "11010819900307069X"                                               # check digit X: text to a spreadsheet
DIGIT_CODE = credit_code(0)                                               # an all-digit credit code
assert DIGIT_CODE.isdigit() and ID_X == resident_id("19900307", area="110108", seq=34)
SHOP = '''name = "shop"
kind = "individual"
label_zh = "门店会员"
label_en = "Shop member"
[[sections]]
id = "basic"
label_zh = "基本"
label_en = "Basic"
fields = [ { name = "name", required = true }, { name = "phone" }, { name = "id_number" },
           { name = "bank_account" }, { name = "notes" },
           { name = "postcode", type = "text", label_zh = "邮编", label_en = "Postcode" },
           { name = "office_phone", type = "text", label_zh = "办公电话", label_en = "Office phone" },
           { name = "visits", type = "integer", label_zh = "到店次数", label_en = "Visits" } ]
'''


def shop(tmp_path) -> None:
    folder = tmp_path / "config" / "templates"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "shop.toml").write_text(SHOP, encoding="utf-8")


def read_csv(path, encoding="utf-8-sig") -> list[dict]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding=encoding), newline="")))


def test_default_file_csv_writes_damaged_digits_as_text(cli, db_target, tmp_path):
    shop(tmp_path)
    a = cli.add({"name": "上海（天河城）贸易㈱", "phone": "13912345678", "id_number": ID,
                 "bank_account": "6222021234567890123", "notes": "第一行\n第二行，１０１号", "postcode": "010010",
                 "office_phone": "075588886666", "visits": "12345678901234"}, "-t", "shop")
    b = cli.add({"name": "李四", "phone": "0755-88886666", "id_number": ID_X, "postcode": "518000",
                 "office_phone": "0755-88886666"}, "-t", "shop")
    c = cli.add({"name": "深圳华强电子有限公司", "phone": "+85291234567", "credit_code": DIGIT_CODE,
                 "registered_capital": "50000000000"}, "-t", "enterprise")
    out = tmp_path / "a.csv"
    result = cli("export", "--reveal", "-o", str(out))
    assert result.exit_code == 0, result.stderr
    assert out.read_bytes().startswith(b"\xef\xbb\xbf") and "tip" not in result.stderr
    rows = {row["archive_no"]: row for row in read_csv(out)}
    assert {key: rows[a][key] for key in ("phone", "id_number", "bank_account", "postcode", "office_phone")} == {
        "phone": '="13912345678"', "id_number": f'="{ID}"', "bank_account": '="6222021234567890123"',
        "postcode": '="010010"', "office_phone": '="075588886666"'}
    # free text exactly as stored; counts and amounts stay numbers; text a spreadsheet keeps is left alone
    assert rows[a]["name"] == "上海（天河城）贸易㈱" and rows[a]["notes"] == "第一行\n第二行，１０１号"
    assert rows[a]["visits"] == "12345678901234" and rows[c]["registered_capital"] == "50000000000"
    assert (rows[b]["phone"], rows[b]["id_number"], rows[b]["postcode"]) == ("0755-88886666", ID_X, "518000")
    assert (rows[c]["phone"], rows[c]["credit_code"]) == ('="+85291234567"', f'="{DIGIT_CODE}"')
    assert b'"=""13912345678"""' in out.read_bytes()            # the csv module's quoting of ="…"
    plain = tmp_path / "plain.csv"
    cli.ok("export", "--reveal", "-o", str(plain), "--plain")
    assert out.read_bytes().replace(b'"=""', b"").replace(b'"""', b"") == plain.read_bytes()
    cli.ok("export", "-o", str(out))                                        # masked by default
    masked = {row["archive_no"]: row for row in read_csv(out)}
    assert masked[a]["id_number"] == ID[:6] + "********" + ID[-4:] and masked[a]["phone"] == '="13912345678"'
    assert masked[a]["bank_account"].startswith("*") and not masked[a]["bank_account"].startswith("=")


def _edited(source, target, number: str, phone: str, keep_formulas: bool, encoding: str = "utf-8-sig") -> None:
    """The file a spreadsheet saves after one phone was typed over: its ="…" cells kept as they were read,
    or (``keep_formulas`` false) saved as the digits they showed."""
    table = list(csv.reader(io.StringIO(source.read_text(encoding="utf-8-sig"), newline="")))
    header = table[0]
    for row in table[1:]:
        if row[header.index("archive_no")] == number:
            row[header.index("phone")] = phone
        if not keep_formulas:
            row[:] = [cell[2:-1] if cell.startswith('="') and cell.endswith('"') else cell for cell in row]
    buffer = io.StringIO(newline="")
    csv.writer(buffer).writerows(table)
    target.write_bytes(buffer.getvalue().encode(encoding))


@pytest.mark.parametrize("keep_formulas, encoding", [(True, "utf-8-sig"), (False, "utf-8-sig"), (False, "gbk")])
def test_spreadsheet_edit_of_the_default_export_changes_only_the_edited_phone(cli, db_target, tmp_path,
                                                                              keep_formulas, encoding):
    shop(tmp_path)
    numbers = [cli.add({"name": f"客户{i}", "phone": f"1391234567{i}", "id_number": resident_id(seq=100 + i),
                        "bank_account": f"622202123456789012{i}", "notes": "第一行\n第二行（备注）",
                        "postcode": "010010", "office_phone": "075588886666"}, "-t", "shop") for i in range(3)]
    numbers.append(cli.add({"name": "华信公司", "phone": "010-62345678", "credit_code": DIGIT_CODE}, "-t", "enterprise"))
    before = [json.loads(line) for line in cli.ok("export", "-f", "jsonl", "--reveal").stdout.splitlines()]
    exported = tmp_path / "export.csv"
    cli.ok("export", "-o", str(exported))                                    # masked, the default form
    edited = tmp_path / "edited.csv"
    _edited(exported, edited, numbers[1], '="13800001111"' if keep_formulas else "13800001111", keep_formulas,
            encoding)
    result = cli("import", str(edited), "--on-duplicate", "update", "--json")
    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)
    assert (summary["updated"], summary["unchanged"], summary["rejected"]) == (1, 3, 0)
    after = [json.loads(line) for line in cli.ok("export", "-f", "jsonl", "--reveal").stdout.splitlines()]
    changed = [{key for key in old if old[key] != new[key] and key != "updated_at"}
               for old, new in zip(before, after)]
    assert changed == [set(), {"phone"}, set(), set()]
    assert after[1]["phone"] == "13800001111" and after[1]["id_number"] == before[1]["id_number"]
    log = [(entry["action"], entry["field"], entry["old"], entry["new"])
           for entry in cli.json("history", numbers[1])["changes"] if entry["action"] != "create"]
    assert log == [("update", "phone", "13912345671", "13800001111")]


def _export(db: str, stdout, *args: str) -> tuple[int, bytes | None, str]:
    """``custarchive [args before --db] export …`` in a real process, stdout to ``stdout`` (a file or PIPE)."""
    before = [arg for arg in args if arg in ("--quiet", "--lang", "zh")]
    after = [arg for arg in args if arg not in before]
    done = subprocess.run([sys.executable, "-m", "custarchive", *before, "--db", db, "export", *after], stdout=stdout,
                          stderr=subprocess.PIPE, env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=120)
    return done.returncode, done.stdout, done.stderr.decode()


def test_stdout_stays_plain_and_a_redirect_to_a_file_gets_a_tip(cli, db_target, tmp_path):
    cli.add({"name": "张三", "phone": "13912345678", "id_number": ID}, "-t", "individual")
    expected = f"name,phone,id_number\r\n张三,13912345678,{ID[:6]}********{ID[-4:]}\r\n".encode()
    code, piped, stderr = _export(db_target, subprocess.PIPE, "--fields", "name,phone,id_number")
    assert (code, piped, stderr) == (0, expected, "")                       # a pipe: plain, no BOM, no tip
    with open(tmp_path / "b.csv", "wb") as handle:                           # export > b.csv
        code, _, stderr = _export(db_target, handle, "--fields", "name,phone,id_number")
    assert code == 0 and (tmp_path / "b.csv").read_bytes() == expected      # the same bytes
    assert stderr.count("\n") == 1 and stderr.startswith("tip:") and "-o FILE.csv" in stderr
    with open(tmp_path / "c.csv", "wb") as handle:
        chinese = _export(db_target, handle, "--lang", "zh")[2]
        jsonl = _export(db_target, handle, "-f", "jsonl")[2]
        quiet = _export(db_target, handle, "--quiet")[2]
    assert chinese.startswith("提示:") and "-o 文件名.csv" in chinese
    assert jsonl == "" and quiet == ""


APOSTROPHES = ["'=1", "'+86 139 0000 0000", "''=x", "'-", "'abc", "O'Brien", "'@home", "=SUM(A1)", "-12.5"]


@pytest.mark.parametrize("form", [("-o", "out.csv"), ("-o", "out.csv", "--plain"), ("--encoding", "gbk", "-o", "out.csv"),
                                  ("stdout",)])
def test_text_that_starts_with_an_apostrophe_comes_back_whole(cli, tmp_path, form):
    """The CSV reader takes the apostrophe off a neutralised formula ('=1 → =1); text that itself starts
    with an apostrophe before a formula start got its own apostrophe taken off. The writers now add one."""
    numbers = [cli.add({"name": f"客户{n}", "phone": f"1390000{n:04d}", "notes": text})
               for n, text in enumerate(APOSTROPHES)]
    target = tmp_path / "out.csv"
    if form == ("stdout",):
        target.write_bytes(cli.ok("export", "--format", "csv").stdout_bytes)
    else:
        cli.ok("export", *[str(tmp_path / part) if part == "out.csv" else part for part in form])
    from tests.helpers import Cli

    other = Cli(str(tmp_path / "other.db"))
    other.ok("import", str(target), "--keep-numbers")
    assert [other.json("show", number).get("notes") for number in numbers] == APOSTROPHES

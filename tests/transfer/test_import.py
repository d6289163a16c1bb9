"""Batch import through the CLI: formats, headers, rejected rows, duplicates, atomicity, bad input."""
from __future__ import annotations

import csv
import io
import json
import os
import signal
import subprocess
import sys
import time

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from tests.builders import credit_code, person, resident_id
from tests.helpers import ROOT, backend_of, db_rows, snapshot


def write_csv(path, header, rows, encoding="utf-8"):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return str(path)


def summary(cli, *args):
    result = cli("import", *args, "--json")
    assert "Traceback" not in result.stderr
    return result, json.loads(result.stdout)


def test_gbk_csv_with_chinese_headers(cli, tmp_path):
    rid = resident_id("19850315", male=False)
    path = write_csv(tmp_path / "gbk.csv", ["姓名", "手机号码", "身份证号", "城市", "所属行业", "年消费额", "微信号"],
                     [["李娜", "139 1234 5678", rid, "广州", "零售", "1.2万", "lina88"],
                      ["王强", "13800000001", "", "深圳", "", "￥1,200.50", ""]], encoding="gbk")
    result, data = summary(cli, path)
    assert result.exit_code == 0, result.stderr
    assert (data["read"], data["inserted"], data["rejected"]) == (2, 2, 0)
    found = cli.json("search", "李娜")[0]
    card = json.loads(cli.ok("show", found["archive_no"], "--json", "--reveal").stdout)
    assert card["phone"] == "13912345678" and card["annual_spend"] == 12000 and card["city"] == "广州"
    assert card["birth_date"] == "1985-03-15" and card["gender"] == "female" and card["wechat"] == "lina88"
    history = cli.json("history", found["archive_no"])["changes"]
    assert history[0]["action"] == "create" and history[0]["source"] == "import"
    assert history[0]["batch_id"] == data["batch_id"]


def test_utf8_bom_and_stdin(cli, tmp_path):
    path = tmp_path / "bom.csv"
    path.write_bytes("\ufeffname,phone\n张三,13912345678\n".encode("utf-8"))
    assert summary(cli, str(path))[1]["inserted"] == 1
    result = cli("import", "-", "--format", "csv", "--json", input="name,phone\n李四,13912345679\n")
    assert result.exit_code == 0 and json.loads(result.stdout)["inserted"] == 1
    assert {c["name"] for c in cli.json("list")} == {"张三", "李四"}


def test_xlsx_two_sheets_and_sheet_option(cli, tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    first = book.active
    first.title = "个人"
    first.append(["姓名", "手机", "出生日期"])
    first.append(["赵六", 13912340001, "1990/1/5"])
    second = book.create_sheet("企业")
    second.append(["公司名称", "统一社会信用代码", "联系电话", "注册资本"])
    second.append(["深圳华强电子有限公司", credit_code(), "0755-83123456", 5000000])
    path = tmp_path / "two.xlsx"
    book.save(path)
    _, data = summary(cli, str(path), "--sheet", "企业", "--dry-run")
    assert data["read"] == 1 and data["inserted"] == 1 and data["committed"] is False
    _, data = summary(cli, str(path))
    assert data["read"] == 2 and data["inserted"] == 2
    cards = {c["name"]: c for c in cli.json("list")}
    assert cards["深圳华强电子有限公司"]["kind"] == "enterprise"
    assert cards["赵六"]["birth_date"] == "1990-01-05"
    result = cli("import", str(path), "--sheet", "没有")
    assert result.exit_code == 1 and "no such sheet" in result.stderr


def test_json_and_jsonl(cli, tmp_path):
    (tmp_path / "a.json").write_text(json.dumps({"customers": [
        {"name": "孙七", "phone": "13912340002", "annual_spend": 3000, "kind": None},
        {"name": "周八", "phone": "13912340003", "annual_spend": "", "kind": "个人"}]}, ensure_ascii=False), encoding="utf-8")
    (tmp_path / "b.jsonl").write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in [
        {"name": "吴九", "phone": "13912340004", "category": "a"},
        {"name": "郑十", "phone": "13912340005", "category": None}]) + "\n", encoding="utf-8")
    assert summary(cli, str(tmp_path / "a.json"))[1]["inserted"] == 2
    assert summary(cli, str(tmp_path / "b.jsonl"))[1]["inserted"] == 2
    cards = {c["name"]: c for c in cli.json("list")}
    assert cards["孙七"]["annual_spend"] == 3000 and cards["吴九"]["category"] == "A" and cards["郑十"]["category"] == "C"


def test_vcf_import(cli, tmp_path):
    (tmp_path / "c.vcf").write_text(
        "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:钱多多\r\nN:钱;多多;;;\r\nTEL;TYPE=CELL:13912340006\r\n"
        "TEL;TYPE=WORK:010-62345678\r\nEMAIL:qdd@example.com\r\nORG:华信科技\r\nEND:VCARD\r\n"
        "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:北京华信科技有限公司\r\nN:;;;;\r\nORG:北京华信科技有限公司\r\n"
        "X-ABShowAs:COMPANY\r\nTEL:010-62345679\r\nEND:VCARD\r\n", encoding="utf-8")
    _, data = summary(cli, str(tmp_path / "c.vcf"))
    assert data["inserted"] == 2
    cards = {c["name"]: c for c in cli.json("list")}
    assert cards["钱多多"]["employer"] == "华信科技" and "010-62345678" in cards["钱多多"]["notes"]
    assert cards["北京华信科技有限公司"]["kind"] == "enterprise"


def test_map_file_and_unknown_columns(cli, tmp_path):
    (tmp_path / "map.toml").write_text('"客户姓名" = "name"\n"移动电话" = "phone"\n"内部编码" = ""\n', encoding="utf-8")
    path = write_csv(tmp_path / "m.csv", ["客户姓名", "移动电话", "内部编码", "喜欢的颜色", "微信号"],
                     [["冯一", "13912340007", "X1", "红", "feng1"], ["陈二", "13912340008", "X2", "蓝", ""]])
    result = cli("import", path, "--map", str(tmp_path / "map.toml"))
    assert result.exit_code == 0, result.stderr
    assert result.stderr.count("喜欢的颜色") == 1 and "内部编码" not in result.stderr
    card = cli.json("show", "冯一")
    assert card["phone"] == "13912340007" and card["wechat"] == "feng1" and "喜欢的颜色" not in card
    result = cli("import", path, "--map", str(tmp_path / "nope.toml"))
    assert result.exit_code == 1 and "map file" in result.stderr


def test_rejected_rows_reported_and_errors_file_reimportable(cli, tmp_path, db_target):
    path = write_csv(tmp_path / "bad.csv", ["姓名", "手机", "身份证号", "出生日期"],
                     [["好人", "13912340009", "", ""],
                      ["坏电话", "12345", "", ""],
                      ["坏日期", "13912340010", "", "2024-02-30"],
                      ["", "13912340011", "", ""]], encoding="gbk")
    result, data = summary(cli, path, "--errors", str(tmp_path / "err.csv"))
    assert result.exit_code == 1
    assert (data["inserted"], data["rejected"]) == (1, 3)
    by_line = {r["line"]: r for r in data["rejected_rows"]}
    assert by_line[3]["field"] == "phone" and by_line[3]["value"] == "12345"
    assert by_line[4]["field"] == "birth_date" and "calendar" in by_line[4]["reason"]
    assert by_line[5]["field"] == "name" and "required" in by_line[5]["reason"]
    assert "line 3: phone" in result.stderr
    errors = (tmp_path / "err.csv").read_bytes().decode("gbk").splitlines()
    assert errors[0] == "姓名,手机,身份证号,出生日期,error" and len(errors) == 4
    assert errors[1].startswith("坏电话,12345,,,phone:")
    fixed = (tmp_path / "err.csv").read_bytes().decode("gbk").replace("12345", "13912340012") \
        .replace("2024-02-30", "2024-02-28").replace("\n,13912340011", "\n无名,13912340011")
    (tmp_path / "fixed.csv").write_bytes(fixed.encode("gbk"))
    result, data = summary(cli, str(tmp_path / "fixed.csv"))
    assert result.exit_code == 0 and data["inserted"] == 3 and not data["notices"]
    assert len(cli.json("list")) == 4


def test_duplicates_error_skip_update(cli, tmp_path, db_target):
    rid = resident_id("19800101")
    number = cli.add(person(name="老客户", id_number=rid, city="北京"))
    path = write_csv(tmp_path / "d.csv", ["name", "id_number", "phone", "city", "email"],
                     [["老客户", rid, "13912345678", "上海", ""],
                      ["新客户", resident_id("19810101"), "13912345678", "", "x@example.com"]])
    before = snapshot(db_target)
    result, data = summary(cli, path, "--strict")
    assert result.exit_code == 1 and data["rejected"] == 1 and data["committed"] is False
    assert "already in archive " + number in data["rejected_rows"][0]["reason"]
    assert snapshot(db_target) == before
    _, data = summary(cli, path, "--on-duplicate", "skip")
    assert (data["inserted"], data["skipped"], data["rejected"]) == (1, 1, 0), data
    assert data["possible_duplicate_count"] >= 1
    assert {d["field"] for d in data["possible_duplicates"]} == {"phone"}
    _, data = summary(cli, path, "--on-duplicate", "update")
    assert (data["updated"], data["unchanged"], data["rejected"]) == (1, 1, 0)  # row 2 now matches its own archive
    card = cli.json("show", number)
    assert card["city"] == "上海" and card["phone"] == "13912345678"
    changes = [c for c in cli.json("history", number)["changes"] if c["action"] == "update"]
    assert {c["field"] for c in changes} == {"city"}
    assert changes[0]["source"] == "import" and changes[0]["batch_id"] == data["batch_id"]


def test_duplicates_within_the_file(cli, tmp_path):
    code = credit_code()
    path = write_csv(tmp_path / "e.csv", ["名称", "统一社会信用代码", "城市"],
                     [["甲公司", code, "北京"], ["甲公司(重复)", code.lower(), "天津"]])
    result, data = summary(cli, path)
    assert result.exit_code == 1 and data["inserted"] == 1
    assert "same as line 2 of this file" in data["rejected_rows"][0]["reason"]
    _, data = summary(cli, path, "--on-duplicate", "update")
    assert data["updated"] == 1 and data["inserted"] == 0
    assert cli.json("list")[0]["city"] == "天津"


def test_bulk_update_by_archive_no(cli, tmp_path):
    first = cli.add(person(name="一号"))
    second = cli.add(person(name="二号", phone="13912340013"))
    path = write_csv(tmp_path / "u.csv", ["档案编号", "城市", "信用额度", "手机"],
                     [[first, "杭州", "5万", ""], [second.lower(), "", "", "13912340014"], ["C-1999-00001", "x", "", ""]])
    result, data = summary(cli, path)
    assert result.exit_code == 1 and data["updated"] == 2 and data["inserted"] == 0
    assert data["rejected_rows"][0]["field"] == "archive_no"
    one, two = cli.json("show", first), cli.json("show", second)
    assert one["city"] == "杭州" and one["credit_limit"] == 50000 and one["phone"] == "13912345678"
    assert two["phone"] == "13912340014" and two["city"] == "北京"


def test_dry_run_and_strict_write_nothing(cli, tmp_path, db_target):
    cli.add(person())
    path = write_csv(tmp_path / "n.csv", ["name", "phone"], [["甲", "13912340015"], ["乙", "bad"]])
    before = snapshot(db_target)
    result, data = summary(cli, path, "--dry-run")
    assert data["inserted"] == 1 and data["rejected"] == 1 and data["dry_run"] is True
    assert snapshot(db_target) == before
    result, data = summary(cli, path, "--strict")
    assert result.exit_code == 1 and data["committed"] is False
    assert snapshot(db_target) == before
    ok = write_csv(tmp_path / "ok.csv", ["name", "phone"], [["甲", "13912340015"]])
    _, data = summary(cli, ok, "--dry-run")
    assert data["inserted"] == 1 and snapshot(db_target) == before


def test_permission_and_unknown_options(cli, tmp_path, db_target):
    cli.add(person())
    cli.ok("--as", "boss", "user", "add", "tester", "--role", "viewer")
    path = write_csv(tmp_path / "p.csv", ["name", "phone"], [["甲", "13912340015"]])
    result = cli("import", path)
    assert result.exit_code == 1 and "may not import" in result.stderr
    assert cli("import", path, "--on-duplicate", "merge").exit_code == 2
    assert cli("import", path, "--category", "Z").exit_code == 1


def _bad_inputs(tmp_path):
    from openpyxl import Workbook

    cases = {}
    cases["empty.csv"] = b""
    cases["header-only.csv"] = "name,phone\n".encode()
    cases["binary.csv"] = bytes(range(256)) * 20
    cases["dup-headers.csv"] = "name,phone,name\n甲,13912340015,乙\n".encode()
    cases["wide.csv"] = (",".join(f"c{i}" for i in range(10_000)) + "\n" + ",".join("x" * 10_000) + "\n").encode()
    cases["unquoted.csv"] = 'name,phone\n"甲,13912340015\n'.encode()
    cases["nothing-known.csv"] = "foo,bar\n1,2\n".encode()
    book = Workbook()
    sheet = book.active
    sheet.append(["姓名", "手机"])
    sheet.append(["甲", "13912340015"])
    sheet.merge_cells("A1:B1")
    book.save(tmp_path / "merged.xlsx")
    cases["merged.xlsx"] = (tmp_path / "merged.xlsx").read_bytes()
    return cases


def test_bad_files_exit_1_without_traceback(cli, tmp_path, db_target):
    cli.add(person())
    before = snapshot(db_target)
    for name, content in _bad_inputs(tmp_path).items():
        path = tmp_path / name
        path.write_bytes(content)
        result = cli("import", str(path))
        assert result.exit_code == 1, (name, result.stdout, result.stderr)
        assert result.stderr.startswith("error: ") and "Traceback" not in result.stderr, (name, result.stderr)
        assert snapshot(db_target) == before, name


def test_bad_rows_are_rejected_one_by_one(cli, tmp_path, db_target):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["姓名", "手机", "备注"])
    sheet.append(["甲", "13912340015", "'=1+1"])
    sheet.append(["乙", "13912340016", None])
    sheet["C3"] = "=A2&B2"
    sheet.append(["丙", "13912340017", "x"])
    sheet.merge_cells("A4:A5")
    sheet.append([None, "13912340018", "y"])
    book.save(tmp_path / "f.xlsx")
    result, data = summary(cli, str(tmp_path / "f.xlsx"))
    assert result.exit_code == 1
    reasons = {r["line"]: r["reason"] for r in data["rejected_rows"]}
    assert "formula" in reasons[3] and "merged" in reasons[4] and "merged" in reasons[5]
    assert cli.json("show", "甲")["notes"] == "'=1+1"
    ragged = tmp_path / "r.csv"
    ragged.write_text("name,phone\n丁,13912340019,extra\n戊,13912340020\n" + "己," + "9" * (1 << 20) + "\n",
                      encoding="utf-8")
    result, data = summary(cli, str(ragged))
    assert result.exit_code == 1 and data["inserted"] == 1 and data["rejected"] == 2
    assert any("characters" in r["reason"] for r in data["rejected_rows"])
    assert len(result.stdout) < 10_000  # a 1 MB value is not echoed back whole


def customer_indexes(db_target) -> list:
    """The customers table's indexes (name, columns, unique), as the database reports them."""
    from sqlalchemy import inspect

    from tests.helpers import engine_for

    engine = engine_for(db_target)
    try:
        with engine.connect() as conn:
            return sorted((i["name"], tuple(i["column_names"]), bool(i["unique"]))
                          for i in inspect(conn).get_indexes("customers"))
    finally:
        engine.dispose()


def test_large_import_rebuilds_its_deferred_indexes(cli, tmp_path, monkeypatch, db_target):
    """Past the threshold the plain indexes are rebuilt at the end; a dry run leaves them as they were."""
    from custarchive.transfer import importing

    monkeypatch.setattr(importing, "CHUNK_ROWS", 16)
    monkeypatch.setattr(importing, "DEFER_INDEXES_AFTER", 20)
    cli.add(person(name="先来客户", phone="13900000007"))
    fresh = customer_indexes(db_target)
    assert len(fresh) >= 8
    rows = [[f"批量{n}", f"139{n:08d}", "北京"] for n in range(100)]
    path = write_csv(tmp_path / "big.csv", ["name", "phone", "city"], rows)
    before = snapshot(db_target)
    result, data = summary(cli, path, "--dry-run")
    assert result.exit_code == 0 and data["inserted"] == 100
    assert snapshot(db_target) == before and customer_indexes(db_target) == fresh
    result, data = summary(cli, path)
    assert result.exit_code == 0 and data["inserted"] == 100
    assert customer_indexes(db_target) == fresh
    # both the old archive and the new row sharing its phone are found through the rebuilt indexes
    assert [(d["line"], d["field"], d["value"]) for d in data["possible_duplicates"]] == [(9, "phone", "13900000007")]
    assert [c["name"] for c in cli.json("search", "批量42")] == ["批量42"]
    assert cli.json("show", "13900000042")["name"] == "批量42"
    assert cli.json("check")["ok"] is True


def test_rows_of_one_file_sharing_a_phone_are_both_listed(cli, tmp_path):
    path = write_csv(tmp_path / "p.csv", ["name", "phone"],
                     [["甲", "13912340001"], ["乙", "13912340002"], ["丙", "13912340001"]])
    result, data = summary(cli, path)
    assert result.exit_code == 0 and data["possible_duplicate_count"] == 2
    listed = {d["line"]: d for d in data["possible_duplicates"]}
    assert sorted(listed) == [2, 4]
    assert listed[2]["others"] == [listed[4]["archive_no"]] and listed[4]["others"] == [listed[2]["archive_no"]]


def _import_is_writing(db_target) -> bool:
    """Well into its transaction: 2 MB in the SQLite WAL, or a PostgreSQL writer busy for over a second."""
    if backend_of(db_target) == "sqlite":
        wal = db_target + "-wal"
        return os.path.exists(wal) and os.path.getsize(wal) > 2_000_000
    return bool(db_rows(db_target, "SELECT 1 FROM pg_stat_activity WHERE application_name = 'custarchive' "
                                   "AND backend_xid IS NOT NULL AND clock_timestamp() - xact_start > interval '1 second'"))


@pytest.mark.slow
def test_kill_9_mid_import_leaves_nothing(tmp_path, db_target):
    from tests.transfer.test_io_formats import _generator

    from custarchive.transfer.io import write_rows
    from custarchive.transfer.io.headers import FIELDS

    write_rows("csv", tmp_path / "big.csv", FIELDS, _generator().generate_rows(30_000, seed=11))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    subprocess.run([sys.executable, "-m", "custarchive", "--db", db_target, "add", "--no-input",
                    "--set", "name=先来", "--set", "phone=13912345678"], env=env, check=True, capture_output=True)
    before, indexes_before = snapshot(db_target), customer_indexes(db_target)
    process = subprocess.Popen([sys.executable, "-m", "custarchive", "--db", db_target, "import",
                                str(tmp_path / "big.csv")], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while time.time() < deadline and process.poll() is None:
        if _import_is_writing(db_target):
            break
        time.sleep(0.05)
    assert process.poll() is None, "the import finished before it could be killed"
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert snapshot(db_target) == before
    assert customer_indexes(db_target) == indexes_before


def _mixed_rows(count: int) -> list[list[str]]:
    """Valid rows with, spread over every chunk, bad values and duplicates of earlier rows."""
    rows = []
    for n in range(count):
        rid = resident_id("19700101", seq=n)
        if n % 7 == 3:
            rows.append([f"客户{n}", "not-a-phone", rid, "上海"])
        elif n % 11 == 5 and n > 20:
            rows.append([f"重复{n}", f"139{n:08d}", resident_id("19700101", seq=n - 20), "杭州"])
        else:
            rows.append([f"客户{n}", f"139{n:08d}", rid, "北京"])
    return rows


@pytest.mark.sqlite_only  # two fresh databases side by side; the write path is the same on PostgreSQL
@pytest.mark.parametrize("mode", ["error", "update"])
def test_small_chunks_match_one_chunk(cli, tmp_path, monkeypatch, mode):
    """Duplicates and bad rows spread over many chunks: the outcome must equal the import in one chunk
    (rows of earlier chunks are found in the database, uncommitted)."""
    from custarchive.transfer import importing

    path = write_csv(tmp_path / "m.csv", ["name", "phone", "id_number", "city"], _mixed_rows(130))
    outcomes = []
    for chunk_rows in (16, 1000):
        monkeypatch.setattr(importing, "CHUNK_ROWS", chunk_rows)
        db = str(tmp_path / f"{chunk_rows}.db")
        result = cli("--db", db, "import", path, "--on-duplicate", mode, "--json")
        data = json.loads(result.stdout)
        assert result.exit_code == 1 and "Traceback" not in result.stderr
        cards = cli.json("--db", db, "list")
        outcomes.append(({key: data[key] for key in ("read", "inserted", "updated", "unchanged", "rejected")},
                         [(r["line"], r["field"], r["reason"]) for r in data["rejected_rows"]],
                         [(c["archive_no"], c["name"], c["city"], c["phone"]) for c in cards]))
        assert cli.json("--db", db, "check")["ok"] is True
    # the same rows refused for the same fields; a chunk reports its bad values before its duplicates, and a
    # duplicate names the earlier row's archive once that row's chunk is written ("same as line N" before)
    assert outcomes[0][0] == outcomes[1][0] and outcomes[0][2] == outcomes[1][2]
    assert sorted((line, field, reason.split(":")[0]) for line, field, reason in outcomes[0][1]) == \
        sorted((line, field, reason.split(":")[0]) for line, field, reason in outcomes[1][1])
    counts, rejected, cards = outcomes[0]
    assert counts["read"] == 130 and counts["rejected"] == len(rejected) > 0
    assert rejected[0][0] == 5 and rejected[0][1] == "phone"  # line 5: the header is line 1
    if mode == "update":
        assert counts["updated"] > 0 and any(city == "杭州" for _n, _name, city, _p in cards)
    else:
        assert any("made from an earlier row of this file" in reason for _l, _f, reason in rejected)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.lists(st.lists(st.text(max_size=12), min_size=1, max_size=4), min_size=0, max_size=5),
       header=st.lists(st.sampled_from(["name", "phone", "姓名", "kind", "id_number", "archive_no", "", "x"]),
                       min_size=1, max_size=4))
def test_fuzz_import_never_crashes(cli, tmp_path, data, header):
    path = tmp_path / "fuzz.csv"
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(data)
    path.write_text(buffer.getvalue(), encoding="utf-8")
    result = cli("import", str(path), "--json")
    assert result.exit_code in (0, 1), (result.stdout, result.stderr, result.exception)
    assert "Traceback" not in result.stderr
    if result.exit_code == 0 or result.stdout:
        json.loads(result.stdout)


def test_keep_numbers_claims_and_advances_the_counter(cli, tmp_path):
    path = write_csv(tmp_path / "k.csv", ["archive_no", "category", "name", "phone"],
                     [["A-2020-00007", "A", "旧一", "13912340021"], ["A-2020-00003", "A", "旧二", "13912340022"],
                      ["B-2020-00001", "A", "错类", "13912340023"]])
    result, data = summary(cli, path, "--keep-numbers")
    assert data["inserted"] == 2 and data["rejected"] == 1
    assert "pattern" in data["rejected_rows"][0]["reason"]
    assert cli.json("show", "A-2020-00007")["name"] == "旧一"
    assert cli.add(person(name="新", phone="13912340024"), "--category", "A").startswith("A-")


def test_bad_file_creates_no_database(cli, tmp_path, db_target):
    (tmp_path / "empty.csv").write_bytes(b"")
    result = cli("import", str(tmp_path / "empty.csv"))
    assert result.exit_code == 1 and "empty" in result.stderr
    assert not os.path.exists(db_target)


def test_listed_duplicates_carry_the_dedupe_scorers_verdict(cli, tmp_path):
    """The import's possible duplicates are judged by the scorer ``add`` and ``dedupe`` use: the same
    person entered again is a likely duplicate; another name on a shared phone is related."""
    cli.add({"name": "王建国", "phone": "13912340001", "birth_date": "1975-03-02", "gender": "male",
             "address": "北京市海淀区中关村大街1号"})
    path = write_csv(tmp_path / "p.csv", ["name", "phone", "birth_date", "gender", "address"],
                     [["王建国", "139 1234 0001", "1975-03-02", "男", "北京市海淀区中关村大街1号"],
                      ["李秀英", "13912340001", "1949-10-01", "女", ""]])
    table = cli("--lang", "zh", "import", str(path), "--dry-run")
    assert "可能重复(100%)" in table.stdout and "相关档案" in table.stdout
    result, data = summary(cli, path)
    assert result.exit_code == 0
    listed = {d["line"]: d for d in data["possible_duplicates"]}
    assert listed[2]["relation"] == "duplicate" and listed[2]["probability"] >= 0.98
    assert listed[3]["relation"] == "related"

"""Erasure keeps a tombstone and a verifiable chain; the subject export gives the customer everything held."""
from __future__ import annotations

import json
from pathlib import Path

from tests.builders import person, resident_id
from tests.helpers import backend_of, db_exec, db_rows, file_store, snapshot

BANK = "6222020200112233445"


def _raw(db_target: str) -> bytes:
    """What is stored: the SQLite file and its WAL byte for byte, or every row of every PostgreSQL table."""
    if backend_of(db_target) == "postgresql":
        return repr(snapshot(db_target)).encode()
    return b"".join(Path(db_target + s).read_bytes() for s in ("", "-wal") if Path(db_target + s).exists())


def test_erase_removes_personal_data_and_keeps_a_tombstone(cli, db_target):
    rid = resident_id("19820202")
    keep = cli.add(person(name="留下", phone="13800000005"))
    number = cli.add(person(name="欧阳娜娜", phone="13712345678", email="nana@example.com", id_number=rid,
                            bank_account=BANK, address="北京市海淀区中关村大街1号"))
    cli.ok("update", number, "--set", "city=上海", "--set", "notes=VIP客户，喜欢红茶")
    cli.ok("consent", "add", number, "--purpose", "会员", "--channel", "app")
    result = cli.json("--as", "boss", "erase", number, "--reason", "客户依法要求删除")
    assert result["archive_no"] == number and result["operator"] == "boss"
    card = cli.json("show", number)
    assert card["status"] == "erased" and card["name"] == "[erased]"
    assert all(card[f] is None for f in ("phone", "email", "id_number", "bank_account", "address", "notes", "city"))
    history = cli.json("history", number)["changes"]
    assert history[-1]["action"] == "erase" and history[-1]["reason"] == "客户依法要求删除"
    assert all(entry["old"] is None and entry["new"] is None for entry in history)
    raw = _raw(db_target)
    for secret in ("欧阳娜娜", "13712345678", "nana@example.com", "中关村大街", "喜欢红茶", rid, BANK):
        assert secret.encode() not in raw, secret
    assert cli.json("check")["ok"] is True
    assert cli.json("search", "欧阳") == []
    assert cli("show", rid).exit_code == 1
    assert db_rows(db_target, "SELECT archive_no, operator, reason FROM erasures") == [
        (number, "boss", "客户依法要求删除")]
    assert [c["archive_no"] for c in cli.json("list", "--status", "erased")] == [number]
    assert [c["archive_no"] for c in cli.json("list")] == [keep]
    later = cli.add(person(name="后来", phone="13800000006"))
    assert later.endswith("00003")
    assert cli.json("show", keep)["name"] == "留下"


def test_erased_archive_takes_no_changes(cli, db_target):
    number = cli.add(person())
    cli.ok("erase", number, "--reason", "要求删除")
    before = snapshot(db_target)
    for args in (["update", number, "--set", "city=上海"], ["erase", number, "--reason", "again"],
                 ["close", number], ["consent", "add", number, "--purpose", "x", "--channel", "y"]):
        result = cli(*args)
        assert result.exit_code == 1 and "erased" in result.stderr, args
    assert cli("erase", number).exit_code == 2
    assert snapshot(db_target) == before


def test_erase_needs_a_reason_and_the_permission(cli, db_target):
    number = cli.add(person())
    before = snapshot(db_target)
    assert cli("erase", number, "--reason", "  ").exit_code == 1
    assert snapshot(db_target) == before


def test_erase_covers_tables_added_by_other_modules(cli, db_target, tmp_path):
    number = cli.add(person())
    cid = db_rows(db_target, "SELECT id FROM customers WHERE archive_no = :n", n=number)[0][0]
    db_exec(db_target, "CREATE TABLE contacts (id INTEGER PRIMARY KEY, customer_id INTEGER REFERENCES customers (id), "
                       "name TEXT, phone TEXT)")
    db_exec(db_target, "CREATE TABLE contact_notes (id INTEGER PRIMARY KEY, contact_id INTEGER REFERENCES contacts (id), "
                       "customer_id INTEGER, text TEXT)")
    db_exec(db_target, "INSERT INTO contacts VALUES (1, :c, '李秘书', '13611112222')", {"c": cid})
    db_exec(db_target, "INSERT INTO contact_notes VALUES (1, 1, :c, '周五联系')", {"c": cid})
    exported = cli.ok("subject-export", number, "-o", str(tmp_path / "me.json"))
    data = json.loads((tmp_path / "me.json").read_text(encoding="utf-8"))
    assert data["other"]["contacts"][0]["name"] == "李秘书" and "周五联系" in json.dumps(data, ensure_ascii=False)
    assert exported.stdout == ""
    cli.ok("erase", number, "--reason", "要求删除")
    assert db_rows(db_target, "SELECT COUNT(*) FROM contacts") == [(0,)]
    assert db_rows(db_target, "SELECT COUNT(*) FROM contact_notes") == [(0,)]


def test_subject_export_json_and_xlsx(cli, tmp_path):
    import openpyxl

    rid = resident_id("19930303")
    number = cli.add(person(id_number=rid, bank_account=BANK))
    cli.ok("update", number, "--set", "city=深圳", "--reason", "搬家")
    cli.ok("consent", "add", number, "--purpose", "会员服务", "--scope", "sensitive", "--channel", "纸质表格")
    out = tmp_path / "subject.json"
    cli.ok("subject-export", number, "-o", str(out))
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["archive"]["id_number"] == rid and data["archive"]["bank_account"] == BANK
    assert data["consents"][0]["purpose"] == "会员服务"
    created = json.loads(data["changes"][0]["new"])
    assert created["id_number"] == rid
    assert any(entry["field"] == "city" and entry["reason"] == "搬家" for entry in data["changes"])
    book = tmp_path / "subject.xlsx"
    cli.ok("subject-export", number, "-o", str(book))
    workbook = openpyxl.load_workbook(book)
    assert {"archive", "consents", "changes"} <= set(workbook.sheetnames)
    pairs = {row[0]: row[1] for row in workbook["archive"].iter_rows(values_only=True)}
    assert pairs["id_number"] == rid and pairs["name"] == "张伟"
    reveals = [e for e in cli.json("history", number)["changes"] if e["action"] == "reveal"]
    assert [e["new"] for e in reveals] == ["subject-export", "subject-export"]
    assert cli("subject-export", number, "-o", str(tmp_path / "x.txt")).exit_code == 1


def test_erase_deletes_attachment_files_no_other_archive_uses(cli, db_target, tmp_path):
    scan = tmp_path / "身份证复印件.txt"
    scan.write_text("110105199001011234 张伟 身份证复印件", encoding="utf-8")
    shared = tmp_path / "合同范本.txt"
    shared.write_text("标准合同范本", encoding="utf-8")
    number = cli.add(person())
    other = cli.add(person(name="李四", phone="13800000011"))
    cli.ok("doc", "add", number, "--class", "1", "--title", "身份证", "--file", str(scan))
    cli.ok("doc", "add", number, "--class", "2", "--title", "合同", "--file", str(shared))
    cli.ok("doc", "add", other, "--class", "2", "--title", "合同", "--file", str(shared))
    store = file_store(db_target)
    before = {p.name for p in store.rglob("*") if p.is_file()}
    assert len(before) == 2
    cli.ok("erase", number, "--reason", "客户要求删除")
    after = [p for p in store.rglob("*") if p.is_file()]
    assert len(after) == 1 and after[0].read_text(encoding="utf-8") == "标准合同范本"
    assert cli.json("check")["ok"] is True

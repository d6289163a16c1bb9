"""Documents and the archive catalogue through the CLI: numbering, file store, export, refusals."""
from __future__ import annotations

import hashlib
import json
import os
import stat

import pytest

from tests.builders import person
from tests.helpers import file_store, snapshot


@pytest.fixture
def number(cli):
    return cli.add(person(), "--category", "A")


def test_documents_are_numbered_per_class_inside_the_archive(cli, number):
    first = cli.ok("doc", "add", number, "--class", "2", "--title", "购销合同", "--date", "2024/3/1").stdout.strip()
    second = cli.ok("doc", "add", number, "--class", "2", "--title", "补充协议", "--date", "2023-01-05").stdout.strip()
    other = cli.ok("doc", "add", number, "--class", "1", "--title", "入会登记表").stdout.strip()
    assert first == f"{number}/2-001" and second == f"{number}/2-002" and other == f"{number}/1-001"


def test_catalogue_lists_all_five_classes_and_contracts_in_date_order(cli, number):
    cli.ok("doc", "add", number, "--class", "2", "--title", "新合同", "--date", "2024-03-01")
    cli.ok("doc", "add", number, "--class", "2", "--title", "旧合同", "--date", "2022-07-15")
    cli.ok("doc", "add", number, "--class", "5", "--title", "同行促销方案")
    catalogue = cli.json("doc", "list", number)
    assert catalogue["archive_no"] == number
    assert [c["class"] for c in catalogue["classes"]] == [1, 2, 3, 4, 5]
    contracts = catalogue["classes"][1]["documents"]
    assert [d["title"] for d in contracts] == ["旧合同", "新合同"]
    assert contracts[0]["date"] == "2022-07-15"
    assert catalogue["classes"][4]["documents"][0]["title"] == "同行促销方案"
    human = cli.ok("--lang", "zh", "doc", "list", number).stdout
    assert "合同协议" in human and "旧合同" in human


def test_class_by_chinese_name(cli, number):
    assert cli.ok("doc", "add", number, "--class", "投诉折价", "--title", "折价审批").stdout.strip().endswith("/4-001")


def test_attached_file_is_stored_by_hash_and_given_back(cli, number, db_target, tmp_path):
    source = tmp_path / "身份证复印件.pdf"
    content = b"%PDF-1.4 id copy" + os.urandom(64)
    source.write_bytes(content)
    doc = json.loads(cli.ok("doc", "add", number, "--class", "1", "--title", "身份证复印件", "--file", str(source),
                            "--json").stdout)
    sha = hashlib.sha256(content).hexdigest()
    assert doc["sha256"] == sha and doc["size"] == len(content)
    stored = file_store(db_target) / sha[:2] / sha[2:]
    assert stored.read_bytes() == content
    source.unlink()
    out = tmp_path / "back.pdf"
    cli.ok("doc", "export", number, "1-001", "-o", str(out))
    assert out.read_bytes() == content
    by_full_number = tmp_path / "again.pdf"
    cli.ok("doc", "export", number, doc["doc_no"], "-o", str(by_full_number))
    assert by_full_number.read_bytes() == content
    assert cli("doc", "export", number, "1-001", "-o", str(out)).exit_code == 1
    cli.ok("doc", "export", number, "1-001", "-o", str(out), "--force")


def test_same_content_twice_is_stored_once_and_never_overwritten(cli, number, db_target, tmp_path):
    source = tmp_path / "a.txt"
    source.write_text("合同正文", encoding="utf-8")
    cli.ok("doc", "add", number, "--class", "2", "--title", "合同", "--file", str(source))
    stored = next(p for p in file_store(db_target).rglob("*") if p.is_file())
    before = stored.stat()
    copy = tmp_path / "b.txt"
    copy.write_text("合同正文", encoding="utf-8")
    cli.ok("doc", "add", number, "--class", "2", "--title", "合同副本", "--file", str(copy))
    files = [p for p in file_store(db_target).rglob("*") if p.is_file()]
    assert files == [stored]
    after = stored.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert stat.S_IMODE(after.st_mode) == 0o400


def test_export_refuses_a_tampered_file(cli, number, db_target, tmp_path):
    source = tmp_path / "c.txt"
    source.write_text("original", encoding="utf-8")
    cli.ok("doc", "add", number, "--class", "3", "--title", "还款计划", "--file", str(source))
    stored = next(p for p in file_store(db_target).rglob("*") if p.is_file())
    stored.chmod(0o600)
    stored.write_text("altered", encoding="utf-8")
    result = cli("doc", "export", number, "3-001", "-o", str(tmp_path / "out.txt"))
    assert result.exit_code == 1 and "SHA-256" in result.stderr
    assert not (tmp_path / "out.txt").exists()


def test_export_to_stdout(cli, number, tmp_path):
    source = tmp_path / "d.txt"
    source.write_text("hello archive", encoding="utf-8")
    cli.ok("doc", "add", number, "--class", "1", "--title", "背景资料", "--file", str(source))
    assert cli.ok("doc", "export", number, "1-001", "-o", "-").stdout == "hello archive"


def test_document_without_file_cannot_be_exported(cli, number, tmp_path):
    cli.ok("doc", "add", number, "--class", "1", "--title", "走访报告")
    result = cli("doc", "export", number, "1-001", "-o", str(tmp_path / "x"))
    assert result.exit_code == 1 and "no attached file" in result.stderr


def test_document_addition_is_in_the_history(cli, number):
    cli.ok("doc", "add", number, "--class", "2", "--title", "年度合同", "--date", "2024-01-01")
    entries = cli.json("history", number)["changes"]
    logged = [e for e in entries if e["action"] == "document"]
    assert logged and logged[0]["field"] == f"{number}/2-001" and "年度合同" in logged[0]["new"]


@pytest.mark.parametrize("args, field", [
    (["--class", "6", "--title", "x"], "--class"),
    (["--class", "abc", "--title", "x"], "--class"),
    (["--class", "1", "--title", "x", "--date", "2024-02-30"], "--date"),
    (["--class", "1", "--title", "  "], "--title"),
    (["--class", "1", "--title", "x", "--file", "/no/such/file.pdf"], "--file"),
])
def test_bad_input_changes_nothing(cli, number, db_target, args, field):
    before = snapshot(db_target)
    result = cli("doc", "add", number, *args)
    assert result.exit_code == 1 and field in result.stderr and "Traceback" not in result.stderr
    assert snapshot(db_target) == before
    assert not file_store(db_target).exists()


def test_unknown_ref_and_unknown_document(cli, number, db_target):
    before = snapshot(db_target)
    assert cli("doc", "add", "C-1999-99999", "--class", "1", "--title", "x").exit_code == 1
    assert snapshot(db_target) == before
    assert cli("doc", "export", number, "1-009", "-o", "-").exit_code == 1
    assert cli("doc", "list", "无此人").exit_code == 1


def test_classes_reference(cli):
    classes = json.loads(cli.ok("doc", "classes", "--json").stdout)
    assert [c["label_zh"] for c in classes] == ["基础资料", "合同协议", "欠款还款", "投诉折价", "同行业动态"]


def test_store_directory_is_configurable(cli, number, tmp_path):
    store = tmp_path / "elsewhere"
    config = tmp_path / "config"
    config.mkdir(exist_ok=True)
    (config / "settings.toml").write_text(f'[documents]\nstore = "{store.as_posix()}"\n', encoding="utf-8")
    source = tmp_path / "e.txt"
    source.write_text("x", encoding="utf-8")
    cli.ok("doc", "add", number, "--class", "1", "--title", "t", "--file", str(source))
    assert any(p.is_file() for p in store.rglob("*"))


def test_sizes_beyond_two_gib_are_kept(cli, number, db_target, tmp_path):
    """PostgreSQL's INTEGER ends at 2 GiB; the size column holds any file's size on both backends."""
    from tests.helpers import db_exec

    source = tmp_path / "scan.pdf"
    source.write_bytes(b"%PDF-1.4 scan")
    cli.ok("doc", "add", number, "--class", "1", "--title", "扫描件", "--file", str(source))
    db_exec(db_target, "UPDATE documents SET size = :s", {"s": 5 * 2**30})
    [doc] = cli.json("doc", "list", number)["classes"][0]["documents"]
    assert doc["title"] == "扫描件" and doc["size"] == 5 * 2**30

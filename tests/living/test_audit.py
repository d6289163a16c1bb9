"""audit through the CLI: each kind of problem planted and reported; exit 1 when anything is found."""
from __future__ import annotations

import datetime
import json

from tests.builders import person
from tests.helpers import Cli, db_exec, file_store


def _audit(cli, *args):
    result = cli("audit", "--json", *args)
    return result.exit_code, json.loads(result.stdout)


def test_clean_archive_passes_with_exit_0(cli, tmp_path):
    number = cli.add(person())
    source = tmp_path / "ok.txt"
    source.write_text("fine", encoding="utf-8")
    cli.ok("doc", "add", number, "--class", "1", "--title", "登记表", "--file", str(source))
    code, report = _audit(cli)
    assert code == 0 and report["ok"] and report["findings"] == []
    assert cli.ok("audit").stdout == ""


def test_every_kind_of_problem_is_reported(cli, db_target, tmp_path):
    fresh = cli.add(person(name="新客户", phone="13900000001"))
    # 1. a required field of the template missing (the name removed behind the tool's back)
    incomplete = cli.add(person(name="缺资料", phone="13900000002"))
    db_exec(db_target, "UPDATE customers SET name = '' WHERE archive_no = :n", {"n": incomplete})
    # 2. an archive nobody has touched for two years
    stale = cli.add(person(name="老档案", phone="13900000003"))
    old = (datetime.datetime.now().astimezone() - datetime.timedelta(days=800)).isoformat(timespec="seconds")
    db_exec(db_target, "UPDATE customers SET updated_at = :at WHERE archive_no = :n", {"at": old, "n": stale})
    db_exec(db_target, "UPDATE change_log SET at = :at WHERE archive_no = :n", {"at": old, "n": stale})
    # 3. a complaint still open after 60 days
    complaint = cli.ok("log", "add", fresh, "--type", "complaint", "房间有异味",
                       "--at", (datetime.date.today() - datetime.timedelta(days=60)).isoformat()).stdout.strip()
    cli.ok("log", "add", fresh, "--type", "complaint", "昨天的投诉")
    # 4. a tampered attachment and a missing one
    for name, text in (("a.txt", "contract"), ("b.txt", "id copy")):
        source = tmp_path / name
        source.write_text(text, encoding="utf-8")
        cli.ok("doc", "add", fresh, "--class", "2", "--title", name, "--file", str(source))
    store = file_store(db_target)
    tampered = store / _sha("contract")[:2] / _sha("contract")[2:]
    tampered.chmod(0o600)
    tampered.write_text("contract, altered", encoding="utf-8")
    (store / _sha("id copy")[:2] / _sha("id copy")[2:]).unlink()
    # 5. a numbering gap: an archive row removed behind the tool's back
    gone = cli.add(person(name="被删", phone="13900000004"))
    db_exec(db_target, "DELETE FROM name_grams WHERE customer_id = (SELECT id FROM customers WHERE archive_no = :n)",
            {"n": gone})
    db_exec(db_target, "DELETE FROM customers WHERE archive_no = :n", {"n": gone})

    code, report = _audit(cli)
    assert code == 1 and not report["ok"]
    by_kind = {}
    for finding in report["findings"]:
        by_kind.setdefault(finding["kind"], []).append(finding)
    assert [f["archive_no"] for f in by_kind["missing_fields"]] == [incomplete]
    assert by_kind["missing_fields"][0]["fields"] == ["name"]
    assert [f["archive_no"] for f in by_kind["stale"]] == [stale]
    assert by_kind["stale"][0]["age_days"] >= 799
    assert [f["entry_id"] for f in by_kind["open_complaint"]] == [int(complaint)]
    assert sorted(f["problem"] for f in by_kind["attachment"]) == ["hash mismatch", "missing"]
    assert [f["archive_no"] for f in by_kind["numbering_gap"]] == [gone]
    assert report["counts"] == {"missing_fields": 1, "stale": 1, "open_complaint": 1, "attachment": 2,
                                "numbering_gap": 1}

    human = cli("--lang", "zh", "audit")
    assert human.exit_code == 1
    assert "编号缺口" in human.stdout and "附件异常" in human.stdout


def _sha(text: str) -> str:
    import hashlib

    return hashlib.sha256(text.encode()).hexdigest()


def test_thresholds_from_options_and_settings(cli, tmp_path):
    number = cli.add(person())
    cli.ok("log", "add", number, "--type", "complaint", "x", "--at", "2024-01-01")
    soon = (datetime.date.today() + datetime.timedelta(days=40)).isoformat()
    code, report = _audit(cli, "--as-of", soon, "--complaint-days", "100000")
    assert code == 0 and report["findings"] == []
    code, report = _audit(cli, "--days", "10", "--as-of", soon, "--complaint-days", "100000")
    assert code == 1 and [f["kind"] for f in report["findings"]] == ["stale"]
    (tmp_path / "config").mkdir(exist_ok=True)
    (tmp_path / "config" / "settings.toml").write_text("[audit]\nstale_days = 10\ncomplaint_days = 100000\n",
                                                       encoding="utf-8")
    code, report = _audit(cli, "--as-of", soon)
    assert code == 1 and report["stale_days"] == 10 and [f["kind"] for f in report["findings"]] == ["stale"]
    code, report = _audit(cli, "--days", "365")
    assert code == 0


def test_activity_keeps_an_archive_alive(cli, db_target):
    number = cli.add(person())
    old = (datetime.datetime.now().astimezone() - datetime.timedelta(days=800)).isoformat(timespec="seconds")
    db_exec(db_target, "UPDATE customers SET updated_at = :at", {"at": old})
    db_exec(db_target, "UPDATE change_log SET at = :at", {"at": old})
    assert _audit(cli)[1]["counts"]["stale"] == 1
    cli.ok("log", "add", number, "--type", "visit", "上门拜访")
    code, report = _audit(cli)
    assert code == 0 and report["counts"]["stale"] == 0


def test_audit_on_missing_database_is_refused(no_archive):
    target, message = no_archive
    result = Cli(target)("audit")
    assert result.exit_code == 1 and message in result.stderr

"""Duplicates and merging through the CLI: candidates with reasons, and a merge that loses nothing."""
from __future__ import annotations

import json

import pytest

from tests.builders import company, credit_code, person, resident_id
from tests.helpers import db_rows, engine_for, snapshot


# --- merge ----------------------------------------------------------------------------------------

@pytest.fixture
def pair(cli, tmp_path):
    """KEEP (hotel guest) and DROP (individual card) with documents, timeline and transactions each."""
    keep = cli.add(person(name="张伟", phone="13911112222", city=None, favourite_dishes="清蒸鲈鱼", notes="喜欢靠窗"),
                   "--template", "hotel-guest", "--category", "A")
    rid = resident_id("19800202")
    drop = cli.add(person(name="张玮", phone="13833334444", email="zw@example.com", id_number=rid, wechat="zw_wx",
                          children_count="2", hobbies="旅游,钓鱼", annual_income="30万", notes="老客户介绍",
                          city="上海"), "--template", "individual")
    files = {}
    for owner, label in ((keep, "keep"), (drop, "drop")):
        source = tmp_path / f"{label}.pdf"
        source.write_bytes(f"{label} contract".encode())
        files[owner] = source.read_bytes()
        cli.ok("doc", "add", owner, "--class", "2", "--title", f"{label}合同", "--date", "2024-01-01",
               "--file", str(source))
        cli.ok("doc", "add", owner, "--class", "1", "--title", f"{label}登记表")
        cli.ok("log", "add", owner, "--type", "visit", f"{label}走访", "--at", "2024-02-01")
        cli.ok("log", "add", owner, "--type", "complaint", f"{label}投诉")
        cli.ok("txn", "add", owner, "--type", "order", "--amount", "1000", "--date", "2024-03-01",
               "--due", "2024-03-31")
    cli.ok("txn", "add", drop, "--type", "payment", "--amount", "400", "--date", "2024-03-10")
    return {"keep": keep, "drop": drop, "rid": rid, "files": files}


def test_merge_loses_nothing_of_either_archive(cli, db_target, pair, tmp_path):
    keep, drop = pair["keep"], pair["drop"]
    keep_before = json.loads(cli.ok("show", keep, "--json", "--reveal").stdout)
    drop_before = json.loads(cli.ok("show", drop, "--json", "--reveal").stdout)
    docs_before = {n: cli.json("doc", "list", n) for n in (keep, drop)}
    log_before = {n: cli.json("timeline", n)["entries"] for n in (keep, drop)}
    txn_before = {n: cli.json("txn", "list", n, "--as-of", "2024-06-01")["transactions"] for n in (keep, drop)}
    counts_before = {t: db_rows(db_target, f"SELECT COUNT(*) FROM {t}")[0][0] for t in ("documents", "timeline",
                                                                                      "transactions")}

    cli.ok("merge", keep, drop, "--yes")

    after = json.loads(cli.ok("show", keep, "--json", "--reveal").stdout)
    # KEEP's own values stay; its empty fields are filled from DROP; the rest of DROP is in the notes
    for field, value in keep_before.items():
        if field not in ("updated_at", "notes") and value not in (None, "", []):
            assert after[field] == value, field
    assert after["notes"].startswith("喜欢靠窗")
    assert after["email"] == "zw@example.com" and after["wechat"] == "zw_wx" and after["city"] == "上海"
    assert after["id_number"] == pair["rid"] and after["birth_date"] == "1980-02-02"
    history = json.loads(cli.ok("history", keep, "--json", "--reveal").stdout)["changes"]
    snapshot_entry = next(e for e in history if e["action"] == "merge" and e["field"] == "*")
    kept_card = json.loads(snapshot_entry["new"])["card"]
    for field, value in drop_before.items():
        if value in (None, "", []) or field in ("status", "updated_at", "created_at", "created_by", "template",
                                                "kind", "category", "archive_no"):
            continue
        shown = "、".join(value) if isinstance(value, list) else str(value)
        reachable = after.get(field) == value or shown in after["notes"] or str(value) in after["notes"]
        assert reachable or kept_card.get(field) == value, field
    assert "张玮" in after["notes"] and "13833334444" in after["notes"] and "老客户介绍" in after["notes"]
    assert kept_card["annual_income"] == 300000 and kept_card["id_number"] == pair["rid"]

    # every document, timeline entry and transaction of both is now KEEP's
    catalogue = cli.json("doc", "list", keep)
    titles = sorted(d["title"] for c in catalogue["classes"] for d in c["documents"])
    expected = sorted(d["title"] for n in (keep, drop) for c in docs_before[n]["classes"] for d in c["documents"])
    assert titles == expected
    moved = {d["former_no"]: d["doc_no"] for c in catalogue["classes"] for d in c["documents"] if d["former_no"]}
    assert set(moved) == {f"{drop}/2-001", f"{drop}/1-001"}
    assert moved[f"{drop}/2-001"] == f"{keep}/2-002"
    out = tmp_path / "back.pdf"
    cli.ok("doc", "export", keep, f"{drop}/2-001", "-o", str(out))
    assert out.read_bytes() == pair["files"][drop]
    entries = cli.json("timeline", keep)["entries"]
    assert sorted((e["type"], e["text"], e["state"]) for e in entries) == sorted(
        (e["type"], e["text"], e["state"]) for n in (keep, drop) for e in log_before[n])
    txns = cli.json("txn", "list", keep, "--as-of", "2024-06-01")
    assert sorted((t["type"], t["amount"], t["date"]) for t in txns["transactions"]) == sorted(
        (t["type"], t["amount"], t["date"]) for n in (keep, drop) for t in txn_before[n])
    assert txns["stats"]["outstanding"] == 1600
    assert {t: db_rows(db_target, f"SELECT COUNT(*) FROM {t}")[0][0] for t in counts_before} == counts_before

    # history shows the moves, on KEEP (and DROP's own past is part of KEEP's history)
    moves = [e for e in history if e["action"] == "merge-in"]
    assert sorted({e["field"] for e in moves}) == ["documents", "timeline", "transactions"]
    assert len(moves) == 2 + 2 + 2
    assert any(e["action"] == "merge" and e["field"] == "email" and e["new"] == "zw@example.com" for e in history)
    assert any(e["archive_no"] == drop and e["action"] == "create" for e in history)

    # DROP is a closed tombstone whose number still leads to KEEP
    assert cli.json("show", drop)["archive_no"] == keep
    status, merged_into, id_number = db_rows(db_target, "SELECT status, merged_into, id_number FROM customers "
                                                      "WHERE archive_no = :n", n=drop)[0]
    keep_id = db_rows(db_target, "SELECT id FROM customers WHERE archive_no = :n", n=keep)[0][0]
    assert (status, merged_into, id_number) == ("merged", keep_id, None)
    assert [c["archive_no"] for c in cli.json("list")] == [keep]
    assert cli.json("show", pair["rid"])["archive_no"] == keep


def test_identity_keys_stay_on_drop_when_keep_has_its_own(cli, db_target):
    keep = cli.add(company(name="华信科技", credit_code=credit_code(501)))
    drop_code = credit_code(502)
    drop = cli.add(company(name="华信科技有限公司", credit_code=drop_code, phone="010-62345679"))
    plan = json.loads(cli.ok("merge", keep, drop, "--dry-run", "--json").stdout)
    assert {f["field"]: f["action"] for f in plan["fields"]}["credit_code"] == "kept on drop"
    cli.ok("merge", keep, drop, "--yes")
    assert cli.json("show", keep)["credit_code"] != drop_code
    assert db_rows(db_target, "SELECT credit_code FROM customers WHERE archive_no = :n", n=drop)[0][0] == drop_code


def test_merge_moves_assessments(cli, db_target):
    keep = cli.add(company(name="甲公司", phone="13900000001"))
    drop = cli.add(company(name="乙公司", phone="13900000002"))
    cli.ok("grade", drop, "--model", "enterprise", "--no-input", "--input", "on_time_rate=0.9",
           "--input", "longest_delay_days=3", "--score", "operator_quality=4", "--score", "prospects=3", "--input", "debt_to_asset=0.5",
           "--input", "current_ratio=1.5", "--input", "quick_ratio=1", "--input", "average_delay_days=2")  # enough evidence to be rated
    result = json.loads(cli.ok("merge", keep, drop, "--yes", "--json").stdout)
    assert result["moved"]["assessments"] == 1
    keep_id = db_rows(db_target, "SELECT id FROM customers WHERE archive_no = :n", n=keep)[0][0]
    assert db_rows(db_target, "SELECT customer_id FROM assessments") == [(keep_id,)]
    assert any(e["action"] == "merge-in" and e["field"] == "assessments" for e in cli.json("history", keep)["changes"])


def test_every_per_archive_table_is_either_moved_or_deliberately_kept(cli, db_target):
    cli.add(person())
    import tomllib

    from custarchive.config import package_data

    data = tomllib.loads(package_data("living", "merge.toml").read_text(encoding="utf-8"))
    known = {t["table"] for t in data["tables"]} | set(data["keep"]["tables"])
    from sqlalchemy import inspect

    engine = engine_for(db_target)
    try:
        inspector = inspect(engine)
        owning = {t for t in inspector.get_table_names()
                  if any(col["name"] == "customer_id" for col in inspector.get_columns(t))}
    finally:
        engine.dispose()
    assert owning - known == set(), "add these tables to custarchive/data/living/merge.toml"


def test_merge_without_a_terminal_needs_yes(cli, db_target, pair):
    before = snapshot(db_target)
    result = cli("merge", pair["keep"], pair["drop"])
    assert result.exit_code == 2 and "--yes" in result.stderr
    assert snapshot(db_target) == before


def test_merge_dry_run_shows_the_combined_card(cli, db_target, pair):
    before = snapshot(db_target)
    out = cli.ok("merge", pair["keep"], pair["drop"], "--dry-run").stdout
    assert "zw@example.com" in out and "documents" in cli.ok("merge", pair["keep"], pair["drop"], "--dry-run").stderr
    assert snapshot(db_target) == before


@pytest.mark.parametrize("refs", [("SAME", "SAME"), ("KEEP", "C-1999-00001"), ("C-1999-00001", "DROP")])
def test_bad_merges_are_refused(cli, db_target, pair, refs):
    lookup = {"SAME": pair["keep"], "KEEP": pair["keep"], "DROP": pair["drop"]}
    before = snapshot(db_target)
    result = cli("merge", *(lookup.get(r, r) for r in refs), "--yes")
    assert result.exit_code == 1 and "Traceback" not in result.stderr
    assert snapshot(db_target) == before


def test_merging_twice_is_refused(cli, db_target, pair):
    cli.ok("merge", pair["keep"], pair["drop"], "--yes")
    before = snapshot(db_target)
    result = cli("merge", pair["keep"], pair["drop"], "--yes")
    assert result.exit_code == 1 and "same archive" in result.stderr
    assert snapshot(db_target) == before


@pytest.mark.slow
def test_merge_asks_on_a_terminal(db_target, pair):
    pexpect = pytest.importorskip("pexpect")
    import os
    import sys

    from tests.helpers import ROOT

    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "120"}
    child = pexpect.spawn(sys.executable, ["-m", "custarchive", "--db", db_target, "merge", pair["keep"], pair["drop"]],
                          env=env, encoding="utf-8", timeout=60)
    child.expect("Merge .* into")
    child.send("n")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 1
    assert db_rows(db_target, "SELECT status FROM customers WHERE archive_no = :n", n=pair["drop"]) == [("active",)]
    child = pexpect.spawn(sys.executable, ["-m", "custarchive", "--db", db_target, "merge", pair["keep"], pair["drop"]],
                          env=env, encoding="utf-8", timeout=60)
    child.expect("Merge .* into")
    child.send("y")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert db_rows(db_target, "SELECT status FROM customers WHERE archive_no = :n", n=pair["drop"]) == [("merged",)]


def test_merge_moves_worksheets_and_statements_without_loss(cli):
    keep = cli.add(company(name="保留公司"))
    drop = cli.add(company(name="重复公司"))
    for ref in (keep, drop):
        cli.ok("swot", ref, "add", "S", f"{ref} 的优势")
        cli.ok("swot", ref, "add", "O", f"{ref} 的机会", "--impact", "4", "--probability", "4")
        cli.ok("swot", ref, "compete", "add", "竞争者X")
        cli.ok("finance", "add", ref, "--period", "2025", "--set", "revenue=100万")
    cli.ok("finance", "add", drop, "--period", "2025", "--set", "net_profit=10万")
    cli.ok("finance", "add", drop, "--period", "2024", "--set", "revenue=80万")
    cli.ok("merge", keep, drop, "--yes")
    items = cli.json("swot", keep, "show")
    texts = sorted(item["text"] for item in (items["items"] if isinstance(items, dict) else items))
    assert texts == sorted([f"{keep} 的优势", f"{keep} 的机会", f"{drop} 的优势", f"{drop} 的机会"])
    compete = json.dumps(cli.json("swot", keep, "compete"), ensure_ascii=False)
    assert "竞争者X" in compete and f"竞争者X ({drop})" in compete
    periods = json.dumps(cli.json("finance", "show", keep), ensure_ascii=False)
    assert "2024" in periods and "2025" in periods
    history = json.dumps(cli.json("history", keep), ensure_ascii=False)
    assert "1000000" in history or "100万" in history or "revenue" in history

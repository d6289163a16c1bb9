"""No code path writes a customer without logging it.

Every writing command is run, then each archive is rebuilt from its change
log alone and compared with the stored row: a value that changed without a
log entry shows up as a difference.
"""
from __future__ import annotations

import json

from sqlalchemy import text

from custarchive.core.changelog import encode_value
from tests.builders import company, person, resident_id
from tests.helpers import engine_for

REPLAYED = ("name", "phone", "email", "city", "address", "category", "kind", "status", "grade", "credit_limit",
            "annual_spend", "id_number", "birth_date", "gender", "credit_code", "industry", "notes")


def replay(db_target: str) -> dict[int, dict]:
    engine = engine_for(db_target)
    conn = engine.connect()
    state: dict[int, dict] = {}
    for cid, action, field, new in conn.execute(text(
            "SELECT customer_id, action, field, new_value FROM change_log WHERE customer_id IS NOT NULL ORDER BY id")):
        if action == "create":
            state[cid] = {key: encode_value(value) for key, value in json.loads(new).items() if key != "extra"}
            state[cid].update({key: encode_value(value) for key, value in json.loads(new).get("extra", {}).items()})
            state[cid].setdefault("status", "active")
        elif field and field != "*":
            state[cid][field] = new
    conn.close()
    engine.dispose()
    return state


def stored(db_target: str) -> dict[int, dict]:
    engine = engine_for(db_target)
    conn = engine.connect()
    rows = {}
    for row in conn.execute(text("SELECT * FROM customers")).mappings():
        values = {key: encode_value(row[key]) for key in REPLAYED}
        values.update({key: encode_value(value) for key, value in json.loads(row["extra"] or "{}").items()})
        rows[row["id"]] = values
    conn.close()
    engine.dispose()
    return rows


def writing_commands(cli) -> None:
    """Every command that writes customer data; extend when a command is added."""
    a = cli.add(person(id_number=resident_id("19800101")), "--category", "A")
    b = cli.add(company())
    cli.ok("add", "--from", "-", input=json.dumps([person(name="批量一", phone="13800000001"),
                                                   person(name="批量二", phone="13800000002")]))
    cli.ok("update", a, "--set", "city=上海", "--set", "children_count=2", "--reason", "x")
    cli.ok("update", a, "--unset", "city", "--set", "category=B")
    cli.ok("update", b, "--set", "name=北京新名称有限公司", "--set", "credit_limit=10万")
    cli.ok("close", b)
    cli.ok("reopen", b)
    cli.ok("finance", "add", b, "--period", "2025", "--set", "revenue=500万", "--set", "net_profit=50万",
           "--set", "equity=200万", "--set", "total_assets=500万", "--set", "total_liabilities=300万")
    cli.ok("grade", b, "--model", "5c", "--no-input", "--score", "character=4", "--score", "capacity=3",
           "--score", "collateral=2", "--score", "condition=4", "--input", "on_time_rate=0.95", "--apply-limit")
    cli.ok("close", a)


def test_every_write_is_in_the_change_log(cli, db_target):
    writing_commands(cli)
    replayed, actual = replay(db_target), stored(db_target)
    assert set(replayed) == set(actual)
    for cid, row in actual.items():
        rebuilt = replayed[cid]
        for key, value in row.items():
            assert rebuilt.get(key) == value, (cid, key, rebuilt.get(key), value)


def test_chain_verifies_after_writes(cli, db_target):
    from custarchive.core.changelog import verify_chain

    writing_commands(cli)
    engine = engine_for(db_target)
    with engine.connect() as conn:
        count, problem = verify_chain(conn)
    engine.dispose()
    assert problem is None and count > 5

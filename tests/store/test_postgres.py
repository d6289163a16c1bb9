"""One archive shared by a team on PostgreSQL: concurrent writers, empty and foreign databases,
URLs, index-backed prefix search, and search results identical to SQLite."""
from __future__ import annotations

import itertools
import threading
from collections import defaultdict

import pytest
from sqlalchemy import text

from custarchive.cards import archive, lookup
from custarchive.core.changelog import Actor, verify_chain
from custarchive.store.db import open_database, table_names
from custarchive.core.templates import load_template
from tests.builders import person
from tests.helpers import Cli, engine_for


def _prepared(name: str, phone: str, category: str, **more) -> dict:
    return archive.prepare({"name": name, "phone": phone, **more}, load_template("individual"), category)


def test_concurrent_writers_keep_numbers_gap_free_and_one_chain(cli, db_target):
    """Eight writers at once, each adding batches across categories in a different order and updating
    one shared card: no deadlock, no lost update, numbers unique and gap-free, one hash chain."""
    shared = cli.add(person(name="共享客户", phone="13900000000"))
    threads, rounds = 8, 4
    errors: list[BaseException] = []
    phones = itertools.count(13_700_000_000)
    lock = threading.Lock()

    def writer(w: int) -> None:
        db = open_database(db_target, create=True)
        actor = Actor(f"writer{w}")
        try:
            for r in range(rounds):
                categories = ["A", "B", "C"] if (w + r) % 2 else ["C", "B", "A"]
                with lock:
                    batch = [(f"并发{w}-{r}-{c}", str(next(phones)), c) for c in categories]
                with db.write() as conn:
                    archive.insert_cards(conn, [_prepared(*item) for item in batch], actor)
                with db.write() as conn:
                    archive.update_card(conn, shared, {"notes": f"w{w}r{r}"}, [], actor)
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            errors.append(exc)
        finally:
            db.dispose()

    workers = [threading.Thread(target=writer, args=(w,)) for w in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(300)
    assert not errors, errors
    engine = engine_for(db_target)
    with engine.connect() as conn:
        numbers = [row[0] for row in conn.execute(text("SELECT archive_no FROM customers"))]
        count, problem = verify_chain(conn)
        notes = conn.execute(text("SELECT old_value, new_value FROM change_log WHERE field = 'notes' ORDER BY id")).all()
    engine.dispose()
    by_prefix = defaultdict(list)
    for number in numbers:
        prefix, seq = number.rsplit("-", 1)
        by_prefix[prefix].append(int(seq))
    assert len(numbers) == len(set(numbers)) == 1 + threads * rounds * 3
    assert all(sorted(seqs) == list(range(1, len(seqs) + 1)) for seqs in by_prefix.values()), by_prefix
    assert problem is None and count == 1 + threads * rounds * 4
    # every logged update starts from the value the previous one left: no writer worked on stale data
    assert len(notes) == threads * rounds and notes[0][0] is None
    assert all(later[0] == earlier[1] for earlier, later in zip(notes, notes[1:]))


# --- PostgreSQL only --------------------------------------------------------------------------


def test_read_command_on_an_empty_server_database_creates_nothing(pg_empty):
    url = pg_empty()
    cli = Cli(url)
    for args in (["list"], ["show", "X"], ["search", "x"]):
        result = cli(*args)
        assert result.exit_code == 1 and "no archive" in result.stderr and "Traceback" not in result.stderr
    engine = engine_for(url)
    with engine.connect() as conn:
        assert table_names(conn) == []
    engine.dispose()
    assert cli.add(person()).startswith("C-")
    assert [card["name"] for card in cli.json("list")] == ["张伟"]


def test_a_database_holding_other_tables_is_refused(pg_empty):
    url = pg_empty()
    engine = engine_for(url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE invoices (id INTEGER PRIMARY KEY)"))
    result = Cli(url)("add", "--no-input", "--set", "name=张伟", "--set", "phone=13912345678")
    assert result.exit_code == 1 and "invoices" in result.stderr
    with engine.connect() as conn:
        assert table_names(conn) == ["invoices"]
    engine.dispose()


def test_plain_postgresql_urls_work_and_passwords_stay_hidden(pg_empty):
    url = pg_empty()
    plain = "postgresql://" + url.split("://", 1)[1]
    assert Cli(plain).add(person()).startswith("C-")
    assert Cli(url).json("search", "zw")[0]["name"] == "张伟"
    result = Cli("postgresql://someone:s3cret-pw@127.0.0.1:1/nowhere")("list")
    assert result.exit_code == 1 and "Traceback" not in result.stderr
    assert "s3cret-pw" not in result.stderr and "***" in result.stderr


@pytest.fixture
def zh_collated(pg_server):
    """A database in a Chinese (ICU) collation, as a team's server may well be set up:
    there a plain btree index cannot serve ``LIKE 'x%'``."""
    name = f"{pg_server.prefix}_zh"
    pg_server.execute(f"CREATE DATABASE {name} TEMPLATE template0 ENCODING 'UTF8' LOCALE_PROVIDER icu "
                      "ICU_LOCALE 'zh-Hans'")
    yield pg_server.url(name)
    pg_server.drop(name)


SAMPLE = [("张伟", "13912345678", "zhangwei@163.com"), ("张伟民", "13912340000", None),
          ("欧阳娜娜", "13800001111", "ouyang@qq.com"), ("李娜", "13712345678", "lina@126.com"),
          ("北京华信科技有限公司", "01062345678", "info@huaxin.cn"), ("Ｚｈａｎｇ Wei", "+85291234567", None),
          ("王小明", "15000000001", "xm_wang@163.com"), ("王明", "15000000002", "wm%x@163.com")]
QUERIES = ["张", "张伟", "伟", "zw", "zhangwei", "zhang", "ZW", "欧阳", "yang", "ony", "oynn", "娜", "华信", "科技",
           "139", "1391234", "+852", "150000", "lina@", "xm_wang@", "xm_", "wm%x@", "wm_x@", "wm", "C-20", "c-2026-0000", "有限公司",
           "zhang wei", "不存在", "wang", "wxm", "w"]


def _fill(target: str) -> None:
    db = open_database(target, create=True)
    with db.write() as conn:
        cards = [_prepared(name, phone, "C", **({"email": email} if email else {}))
                 for name, phone, email in SAMPLE]
        archive.insert_cards(conn, cards, Actor("tester"))
    db.dispose()


def _search_all(target: str) -> dict[str, list[str]]:
    db = open_database(target, create=False)
    with db.read() as conn:
        found = {query: [card["name"] for card in lookup.search(conn, query)] for query in QUERIES}
    db.dispose()
    return found


def test_search_gives_the_same_results_as_sqlite(tmp_path, zh_collated):
    sqlite_target = str(tmp_path / "same.db")
    _fill(sqlite_target)
    _fill(zh_collated)
    on_sqlite, on_postgres = _search_all(sqlite_target), _search_all(zh_collated)
    assert on_postgres == on_sqlite
    assert on_sqlite["zw"] == ["张伟", "张伟民"] and on_sqlite["xm_wang@"] == ["王小明"] and on_sqlite["wm%x@"] == ["王明"] and on_sqlite["wm_x@"] == [] and on_sqlite["不存在"] == []
    assert {query for query, names in on_sqlite.items() if not names} == {"ony", "xm_", "wm_x@", "不存在"}
    assert on_sqlite["yang"] == ["欧阳娜娜"]  # pinyin from any character position


def test_prefix_and_substring_searches_use_indexes(zh_collated):
    _fill(zh_collated)
    engine = engine_for(zh_collated)
    probes = {column: "x" for column in ("archive_no", "name_pinyin", "name_initials", "phone", "email")}
    with engine.connect() as conn:
        conn.execute(text("SET enable_seqscan = off"))
        for column in probes:
            plan = "\n".join(row[0] for row in conn.execute(text(
                f"EXPLAIN SELECT id FROM customers WHERE {column} LIKE :p"), {"p": "ab%"}))
            assert "Index" in plan and "Seq Scan" not in plan, (column, plan)
        plan = "\n".join(row[0] for row in conn.execute(text(
            "EXPLAIN SELECT customer_id FROM name_grams WHERE gram = :g"), {"g": "张伟"}))
        assert "Index" in plan and "Seq Scan" not in plan, plan
    engine.dispose()

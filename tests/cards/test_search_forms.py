"""Search finds what people type: phones in any written form or by their last digits, landlines
with or without area code, pinyin and initials from any position, every reading of a surname."""
from __future__ import annotations

import sqlite3

import pytest

from custarchive.core.searchindex import name_keys
from tests.builders import company, person


def numbers_found(cli, query: str) -> set[str]:
    return {card["archive_no"] for card in cli.json("search", query)}


@pytest.fixture()
def archive(cli):
    made = {
        "landline": cli.add(company(name="北京华信科技有限公司", phone="0755-88886666")),
        "mobile": cli.add(person(name="张伟", phone="13912345393")),
        "zeng": cli.add(person(name="曾荣", phone="13700000001")),
        "shan": cli.add(person(name="单田芳", phone="13700000002")),
        "qin": cli.add(person(name="覃小明", phone="13700000003")),
        "ou": cli.add(person(name="区家明", phone="13700000004")),
    }
    return made


@pytest.mark.parametrize("query", ["0755-88886666", "88886666", "075588886666", "0755 8888 6666",
                                   "(0755)88886666", "6666"])
def test_landline_in_every_written_form(cli, archive, query):
    assert archive["landline"] in numbers_found(cli, query)


@pytest.mark.parametrize("query", ["+86 139 1234 5393", "139-1234-5393", "5393", "345393", "139 1234"])
def test_mobile_in_every_written_form_and_by_its_last_digits(cli, archive, query):
    assert archive["mobile"] in numbers_found(cli, query)


def test_last_digits_do_not_find_other_numbers(cli, archive):
    assert numbers_found(cli, "5393") == {archive["mobile"]}


@pytest.mark.parametrize("query", ["huaxin", "keji", "hxkj", "youxiangongsi", "beijing"])
def test_pinyin_and_initials_from_any_position(cli, archive, query):
    assert archive["landline"] in numbers_found(cli, query)


@pytest.mark.parametrize("key, queries", [("zeng", ["zr", "zengrong", "cr", "rong"]),
                                          ("shan", ["stf", "shantianfang", "dtf", "tianfang"]),
                                          ("qin", ["qxm", "qinxiaoming", "txm"]),
                                          ("ou", ["ojm", "oujiaming", "qjm"])])
def test_every_reading_of_a_polyphonic_surname(cli, archive, key, queries):
    for query in queries:
        assert archive[key] in numbers_found(cli, query), query


def test_name_keys_put_the_surname_reading_first():
    assert name_keys("曾荣") == ("zengrong cengrong", "zr cr")
    assert name_keys("翟志刚")[1].split()[0] == "zzg" and name_keys("解晓东")[1].split()[0] == "xxd"
    assert name_keys("北京华信科技有限公司") == ("beijinghuaxinkejiyouxiangongsi", "bjhxkjyxgs")


def test_migration_rekeys_existing_archives(tmp_path):
    from tests.helpers import Cli

    db = str(tmp_path / "old.db")
    cli = Cli(db)
    number = cli.add(person(name="曾荣"))
    with sqlite3.connect(db) as conn:   # as an older version stored it
        conn.execute("UPDATE customers SET name_pinyin = 'cengrong', name_initials = 'cr'")
        conn.execute("DELETE FROM schema_migrations WHERE name LIKE 'm080%'")
    cli.ok("info")
    assert number in numbers_found(cli, "zr")

"""Every real value accepted, nothing typed changed: phones, resident-ID area codes, free text, NUL."""
from __future__ import annotations

import pytest

from custarchive.core.phones import phone_caution, search_forms
from custarchive.core.resident_id import area_codes
from custarchive.core.values import parse_value, value_parser
from custarchive.errors import ValidationError
from tests.builders import person, resident_id, set_args
from tests.helpers import no_archives

PHONES = {  # as written by customers → stored form
    "14912345678": "14912345678",        # China Telecom data-card block, unknown to phonenumbers
    "14612345678": "14612345678",
    "14812345678": "14812345678",
    "19212345678": "19212345678",
    "139 1234 5678": "13912345678",
    "+86 139 1234 5678": "13912345678",
    "0086-139-1234-5678": "13912345678",
    "１３９１２３４５６７８": "13912345678",
    "0755-88886666": "0755-88886666",
    "075588886666": "0755-88886666",
    "(0755) 8888 6666": "0755-88886666",
    "（０７５５）８８８８６６６６": "0755-88886666",
    "010-62345678": "010-62345678",
    "02088886666": "020-88886666",
    "0991-2345678": "0991-2345678",      # a 7-digit local number
    "88886666": "88886666",              # no area code: kept, with a warning
    "400-810-8888": "4008108888",
    "+852 2345 6789": "+85223456789",
}
NOT_PHONES = ["12345678901", "1391234567", "139123456789", "0755-123", "abc", "110", "+86 12"]


@pytest.mark.parametrize("raw, stored", PHONES.items())
def test_every_real_phone_shape_is_accepted(raw, stored):
    assert parse_value("phone", raw) == stored == value_parser("phone", "phone")(raw)


@pytest.mark.parametrize("raw", NOT_PHONES)
def test_what_cannot_be_a_phone_is_refused(raw):
    with pytest.raises(ValidationError, match="phone"):
        parse_value("phone", raw, "phone")


def test_unknown_blocks_are_cautioned_not_refused():
    assert "not in a block" in phone_caution("14912345678")
    assert "no area code" in phone_caution("88886666")
    assert phone_caution("13912345678") is None and phone_caution("0755-88886666") is None


@pytest.mark.parametrize("area", ["620201", "830000", "810000", "820000", "441900", "442000", "110105",
                                  "440305", "469001"])
def test_every_county_level_and_permit_code_is_accepted(area):
    number = resident_id("19800101", area=area, seq=7)
    assert parse_value("id_number", number) == number


@pytest.mark.parametrize("area, kind", [("110000", "province"), ("440000", "province"), ("440100", "prefecture"), ("320100", "prefecture"),
                                        ("110100", "prefecture"), ("999999", "no official list")])
def test_codes_no_card_carries_are_refused(area, kind):
    with pytest.raises(ValidationError, match=kind):
        parse_value("id_number", resident_id("19800101", area=area, seq=7), "id_number")


def test_area_code_list_is_data_with_sources():
    codes = area_codes()
    assert len(codes) > 6000 and "620201" in codes and "830000" in codes and "110000" not in codes


FREE_TEXT = ["…", "（天河城）１０１号，３单元", "工程师①", "上海㈱公司", "第一行\n第二行", "a\tb", "张  三",
             "北京华信科技（集团）有限公司", "Ｒｏｏｍ　１２０１", "第一行\r\n第二行"]


@pytest.mark.parametrize("raw", FREE_TEXT)
def test_free_text_is_stored_as_given(raw):
    assert parse_value("text", raw) == raw == value_parser("text", "notes")(raw)


def test_only_the_blank_margins_of_free_text_go():
    assert parse_value("text", "  张三\n") == "张三"


@pytest.mark.parametrize("kind", ["text", "phone", "choice", "amount"])
def test_a_nul_byte_is_refused_with_its_field(kind):
    choices = ({"value": "a", "label_zh": "甲"},)
    for parse in (lambda raw: parse_value(kind, raw, "notes", choices=choices),
                  value_parser(kind, "notes", choices=choices)):
        with pytest.raises(ValidationError, match="NUL") as caught:
            parse("陈\x00静")
        assert caught.value.field == "notes"


def test_phone_search_forms():
    assert search_forms("0755-88886666") == (["075588886666", "0755-88886666"], "075588886666")
    assert search_forms("+86 139 1234 5678")[0] == ["13912345678"]
    assert search_forms("5393") == (["5393"], "5393")
    assert search_forms("张三") == ([], None)


def test_cli_keeps_free_text_and_warns_about_unknown_phone_blocks(cli):
    result = cli.ok("add", "--no-input", *set_args(person(
        name="上海㈱公司", phone="14912345678", address="（天河城）１０１号，３单元",
        notes="第一行\n第二行\t工程师①…")))
    number = result.stdout.strip()
    assert "14912345678 is not in a block" in result.stderr
    card = cli.json("show", number)
    assert card["name"] == "上海㈱公司" and card["phone"] == "14912345678"
    assert card["address"] == "（天河城）１０１号，３单元" and card["notes"] == "第一行\n第二行\t工程师①…"
    result = cli.ok("update", number, "--set", "phone=88886666")
    assert "no area code" in result.stderr and cli.json("show", number)["phone"] == "88886666"


def test_cli_refuses_nul_and_leaves_the_database(cli):
    result = cli("add", "--no-input", *set_args(person(name="陈\x00静")))
    assert result.exit_code == 1 and "NUL" in result.stderr and "name" in result.stderr
    assert no_archives(cli)

"""Phone address books as Android, iPhone and Google write them, imported through the CLI."""
from __future__ import annotations

import json

ANDROID = (
    "BEGIN:VCARD\r\nVERSION:2.1\r\n"
    "N;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:=E7=8E=8B;=E8=8A=B3;;;\r\n"
    "FN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:=E7=8E=8B=E8=8A=B3\r\n"
    "TEL;CELL:139-1234-5601\r\nTEL;HOME:0755-88886666\r\n"
    "NOTE;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:=E7=8E=8B=E8=8A=B3=E5=A5=B3=E5=A3=AB,=E4=B8=8A=E6=B5=B7=E5=88=86=\r\n"
    "=E5=85=AC=E5=8F=B8=0A=E7=AC=AC=E4=BA=8C=E8=A1=8C\r\n"
    "PHOTO;ENCODING=BASE64;JPEG:/9j/4AAQSkZJRgABAQAAAQABAAD\r\n"
    " /2wBDAAgGBgcGBQgHBwcJCQgKDBQNDAsLDBkSEw8UHRofHh0a\r\n"
    "\r\n"
    "END:VCARD\r\n")
VCARD4 = (
    "BEGIN:VCARD\r\nVERSION:4.0\r\nFN:李娜\r\nN:李;娜;;;\r\n"
    "TEL;VALUE=uri;TYPE=cell:tel:+86-147-1234-5678\r\n"
    "TEL;TYPE=work;VALUE=uri:tel:+86-10-6234-5678;ext=12\r\n"
    "BDAY:--05-18\r\nORG:北京华信科技有限公司;销售部\r\nEND:VCARD\r\n")
IPHONE = (
    "BEGIN:VCARD\r\nVERSION:3.0\r\nN:张;伟;;;\r\nFN:张伟\r\n"
    "TEL;type=CELL;type=VOICE;type=pref:139 1234 5602\r\n"
    "EMAIL;type=INTERNET;type=HOME:zw@example.com\r\nEMAIL;type=INTERNET;type=WORK:zhang@corp.cn\r\n"
    "BDAY;X-APPLE-OMIT-YEAR=1604:1604-05-18\r\n"
    "PHOTO;ENCODING=b;TYPE=JPEG:/9j/4AAQSkZJRgABAQAAAQABAAD\r\n /2wBDAAgGBgcGBQgHBwcJCQgKDBQNDAsLDBkSEw8UHRofHh0a\r\n"
    "END:VCARD\r\n")
GOOGLE = (
    "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:陈静\r\nN:陈;静;;;\r\nTEL;TYPE=CELL:+86 139-1234-5603\r\n"
    "BDAY:1990-05-18\r\nNOTE:第一行\\n第二行\\, 含逗号\r\nEND:VCARD\r\n")


def imported(cli, tmp_path, text: str) -> tuple[dict, object]:
    path = tmp_path / "book.vcf"
    path.write_text(text, encoding="utf-8")
    result = cli("import", str(path), "--json")
    assert result.exit_code == 0, result.stderr
    assert "ERROR" not in result.stderr and "Skipped line" not in result.stderr
    cards = {card["name"]: card for card in (cli.json("show", row["archive_no"]) for row in cli.json("list"))}
    return cards, json.loads(result.stdout)


def test_android_quoted_printable_note_is_read_whole(cli, tmp_path):
    cards, _ = imported(cli, tmp_path, ANDROID)
    card = cards["王芳"]
    assert card["phone"] == "13912345601"
    assert card["notes"].startswith("王芳女士,上海分公司\n第二行") and "0755-88886666" in card["notes"]


def test_vcard_4_tel_uri_yearless_birthday_and_org_units(cli, tmp_path):
    cards, _ = imported(cli, tmp_path, VCARD4)
    card = cards["李娜"]
    assert card["phone"] == "14712345678" and card["employer"] == "北京华信科技有限公司"
    assert card.get("birth_date") is None
    assert "生日: 05-18" in card["notes"] and "部门: 销售部" in card["notes"] and "转12" in card["notes"]


def test_iphone_birthday_without_year_is_not_1604(cli, tmp_path):
    cards, _ = imported(cli, tmp_path, IPHONE)
    card = cards["张伟"]
    assert card.get("birth_date") is None and "生日: 05-18" in card["notes"]
    assert card["email"] == "zw@example.com" and "zhang@corp.cn" in card["notes"]


def test_google_card_keeps_escaped_text(cli, tmp_path):
    cards, _ = imported(cli, tmp_path, ANDROID + VCARD4 + IPHONE + GOOGLE)
    assert len(cards) == 4
    assert cards["陈静"]["birth_date"] == "1990-05-18" and cards["陈静"]["notes"] == "第一行\n第二行, 含逗号"

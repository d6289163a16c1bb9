"""vCard 3.0 in and out: the format every phone and address book speaks.

A card maps onto the customer card loosely (several phones, one name split in
two parts), so reading flattens it to canonical fields and keeps what does not
fit (second and later phones and emails) in auxiliary columns instead of
dropping it.  Cards are cut out of the file by their BEGIN/END lines and parsed
one at a time, so a damaged card is one rejected row, not a failed import.
"""
from __future__ import annotations

from typing import Iterator, TextIO

from custarchive.errors import ValidationError

VCF_HEADERS: tuple[str, ...] = (
    "kind", "name", "phone", "phones_extra", "email", "emails_extra", "province", "city",
    "address", "employer", "title", "birth_date", "notes",
)
ERROR_PROPERTY = "X-CUSTARCHIVE-ERROR"

# Two-character surnames, so 欧阳娜娜 becomes N:欧阳;娜娜 rather than N:欧;阳娜娜.
_COMPOUND_SURNAMES = frozenset(
    "欧阳 司马 诸葛 上官 东方 皇甫 尉迟 公孙 慕容 长孙 宇文 司徒 夏侯 令狐 端木 独孤 南宫 西门 轩辕 呼延 申屠 万俟 闻人 澹台 公冶 太史".split()
)


def split_chinese_name(name: str) -> tuple[str, str]:
    """(family, given) of a Chinese personal name; non-Chinese names split at the last space."""
    name = name.strip()
    if " " in name:
        given, _, family = name.rpartition(" ")
        return family, given
    if len(name) >= 3 and name[:2] in _COMPOUND_SURNAMES:
        return name[:2], name[2:]
    return name[:1], name[1:]


def _text_of(prop) -> str:
    value = prop.value
    if isinstance(value, (list, tuple)):
        return ";".join(str(part) for part in value if part)
    return str(value).strip()


def card_to_fields(card) -> dict[str, str]:
    """Canonical fields of one parsed vobject card."""
    contents = card.contents
    out = dict.fromkeys(VCF_HEADERS, "")
    family = given = ""
    if "n" in contents:
        n = contents["n"][0].value
        family = str(getattr(n, "family", "") or "").strip()
        given = str(getattr(n, "given", "") or "").strip()
    org = _text_of(contents["org"][0]) if "org" in contents else ""
    fn = _text_of(contents["fn"][0]) if "fn" in contents else ""
    person = (family + given) if _is_cjk(family + given) else " ".join(p for p in (given, family) if p)
    show_as = contents.get("x-abshowas")
    company_only = bool(org) and (not person or fn == org or (show_as and _text_of(show_as[0]).upper() == "COMPANY"))
    if company_only:
        out["kind"] = "enterprise"
        out["name"] = org
    else:
        out["kind"] = "individual"
        out["name"] = fn or person
        out["employer"] = org
    phones = [_text_of(p) for p in contents.get("tel", []) if _text_of(p)]
    emails = [_text_of(p) for p in contents.get("email", []) if _text_of(p)]
    out["phone"] = phones[0] if phones else ""
    out["phones_extra"] = "; ".join(phones[1:])
    out["email"] = emails[0] if emails else ""
    out["emails_extra"] = "; ".join(emails[1:])
    if "adr" in contents:
        adr = contents["adr"][0].value
        out["province"] = str(getattr(adr, "region", "") or "").strip()
        out["city"] = str(getattr(adr, "city", "") or "").strip()
        street = getattr(adr, "street", "")
        out["address"] = (" ".join(street) if isinstance(street, list) else str(street or "")).strip()
    for field, key in (("title", "title"), ("birth_date", "bday"), ("notes", "note")):
        if key in contents:
            out[field] = _text_of(contents[key][0])
    return out


def _is_cjk(text: str) -> bool:
    return any("\u3400" <= char <= "\u9fff" for char in text)


def _quiet_vobject() -> None:
    """vobject logs skipped lines; unconfigured, Python would print them on the user's stderr."""
    import logging

    logger = logging.getLogger("vobject")
    if not any(isinstance(h, logging.NullHandler) for h in logger.handlers):
        logger.addHandler(logging.NullHandler())


def parse_card(text: str) -> dict[str, str]:
    """Fields of a card's text; raises ValueError with a reason if vobject cannot read it."""
    import vobject

    _quiet_vobject()
    try:
        card = vobject.readOne(text, ignoreUnreadable=True)
        return card_to_fields(card)
    except Exception as exc:  # vobject raises a zoo of types for malformed cards
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ValueError(f"cannot read this vCard: {reason[:120]}") from None


def iter_cards(text: TextIO, name: str, limit: int) -> Iterator[tuple[int, list[str], str, str | None]]:
    """(start line, cells in VCF_HEADERS order, card text, error) for every card of the file."""
    number = 0
    start = 0
    lines: list[str] = []
    size = 0
    found = False
    for raw in text:
        number += 1
        stripped = raw.strip()
        upper = stripped.upper()
        if not lines:
            if upper.lstrip("\ufeff") == "BEGIN:VCARD":
                start, lines, size = number, [raw.lstrip("\ufeff")], len(raw)
            elif not found and stripped.lstrip("\ufeff"):
                raise ValidationError(None, None, f"{name}: line {number}: not a vCard file (expected BEGIN:VCARD)")
            continue
        if upper.startswith(ERROR_PROPERTY):
            continue  # our own mark from an errors file: dropped on re-import
        size += len(raw)
        if size <= limit:
            lines.append(raw)
        if upper != "END:VCARD":
            continue
        found = True
        card = "".join(lines)
        lines = []
        if size > limit:
            yield start, [""] * len(VCF_HEADERS), "", f"this vCard is longer than {limit} characters"
            continue
        try:
            fields = parse_card(card)
        except ValueError as exc:
            yield start, [""] * len(VCF_HEADERS), card, str(exc)
            continue
        yield start, [fields[h] for h in VCF_HEADERS], card, None
    if lines:
        yield start, [""] * len(VCF_HEADERS), "".join(lines)[:limit], "this vCard has no END:VCARD line"
    elif not found:
        raise ValidationError(None, None, f"{name}: no vCard (BEGIN:VCARD … END:VCARD) found")


def fields_to_card(record: dict) -> str:
    """vCard 3.0 text of one customer (canonical field dict), CRLF line ends."""
    import vobject

    def get(key: str) -> str:
        value = record.get(key)
        return "" if value is None else str(value).strip()

    card = vobject.vCard()
    name = get("name") or get("archive_no") or "?"
    enterprise = get("kind") == "enterprise"
    card.add("fn").value = name
    if enterprise:
        card.add("n").value = vobject.vcard.Name()
        card.add("org").value = [name]
        card.add("x-abshowas").value = "COMPANY"
    else:
        family, given = split_chinese_name(name)
        card.add("n").value = vobject.vcard.Name(family=family, given=given)
        if get("employer"):
            card.add("org").value = [get("employer")]
    phones = [get("phone")] + [p.strip() for p in get("phones_extra").split(";")]
    for index, phone in enumerate(p for p in phones if p):
        tel = card.add("tel")
        tel.value = phone
        tel.type_param = "CELL" if index == 0 and not enterprise else "WORK"
    emails = [get("email")] + [e.strip() for e in get("emails_extra").split(";")]
    for email in (e for e in emails if e):
        card.add("email").value = email
    if get("address") or get("city") or get("province"):
        adr = card.add("adr")
        adr.value = vobject.vcard.Address(street=get("address"), city=get("city"), region=get("province"), country="中国")
        adr.type_param = "WORK" if enterprise else "HOME"
    if get("title"):
        card.add("title").value = get("title")
    birth = record.get("birth_date")
    if birth:
        card.add("bday").value = birth.isoformat() if hasattr(birth, "isoformat") else str(birth)
    if get("notes"):
        card.add("note").value = get("notes")
    if get("archive_no"):
        card.add("uid").value = get("archive_no")
    return card.serialize()


def mark_card(card_text: str, error: str) -> str:
    """The original card with the rejection reason as an X- property before END:VCARD."""
    reason = error.replace("\\", "\\\\").replace("\n", "\\n").replace(",", "\\,").replace(";", "\\;")
    body = card_text.rstrip("\r\n")
    head, sep, tail = body.rpartition("\n")
    if sep and tail.strip().upper() == "END:VCARD":
        return f"{head.rstrip(chr(13))}\r\n{ERROR_PROPERTY}:{reason}\r\n{tail.strip()}\r\n"
    return f"{body}\r\n{ERROR_PROPERTY}:{reason}\r\n"

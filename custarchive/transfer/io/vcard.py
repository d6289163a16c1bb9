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
    units = contents["org"][0].value if "org" in contents else ""
    units = [str(unit).strip() for unit in units] if isinstance(units, (list, tuple)) else [str(units).strip()]
    org = units[0] if units else ""          # ORG:company;department;…
    department = " ".join(unit for unit in units[1:] if unit)
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
    phones = [_phone_of(_text_of(p)) for p in contents.get("tel", []) if _text_of(p)]
    emails = [_text_of(p) for p in contents.get("email", []) if _text_of(p)]
    plain = [phone for phone in phones if "转" not in phone]   # an extension cannot be the main phone
    out["phone"] = plain[0] if plain else ""
    out["phones_extra"] = "; ".join(phone for phone in phones if phone != out["phone"])
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
    kept = [out["notes"]] if out["notes"] else []
    if "bday" in contents:
        month_day = _yearless_birthday(contents["bday"][0])
        if month_day:
            out["birth_date"] = ""
            kept.append(f"生日: {month_day}")
    if department:
        kept.append(f"部门: {department}")
    out["notes"] = "\n".join(kept)
    return out


def _phone_of(value: str) -> str:
    """A vCard 4.0 ``tel:`` URI as the number people write: ``tel:+86-147-1234-5678`` →
    ``+86-147-1234-5678``; an extension (``;ext=12``) is kept as ``转12``."""
    if value[:4].lower() != "tel:":
        return value
    number, *params = value[4:].split(";")
    extension = next((param[4:] for param in params if param.lower().startswith("ext=")), "")
    return f"{number} 转{extension}" if extension else number


def _yearless_birthday(prop) -> str | None:
    """``MM-DD`` of a birthday given without a year (``--05-18``, ``--0518``, or iPhone's
    ``X-APPLE-OMIT-YEAR=1604:1604-05-18``), else None."""
    value = _text_of(prop)
    omitted = prop.params.get("X-APPLE-OMIT-YEAR") or []
    if value.startswith("--"):
        digits = value[2:].replace("-", "")
        return f"{digits[:2]}-{digits[2:4]}" if len(digits) == 4 and digits.isdigit() else None
    if omitted and value[:4] in omitted and len(value) >= 10:
        return value[5:10]
    return None


def _is_cjk(text: str) -> bool:
    return any("\u3400" <= char <= "\u9fff" for char in text)


def _quiet_vobject() -> None:
    """vobject logs skipped lines through a handler of its own (``vobject.base ERROR Skipped
    line``): its loggers are switched off, a card it cannot read is one rejected row instead."""
    import logging

    for name in [*logging.root.manager.loggerDict, "vobject"]:
        if name == "vobject" or name.startswith("vobject."):
            logging.getLogger(name).disabled = True


_BINARY_PROPERTIES = ("PHOTO", "LOGO", "SOUND", "KEY")


def _decoded(line: str) -> str:
    """A quoted-printable property decoded here, in its charset, and written as vCard 3.0 text
    (vobject's own decoding stops at the first comma of a note)."""
    import quopri

    head, value = line.split(":", 1)
    params = [param for param in head.split(";")[1:]]
    charset = next((param.split("=", 1)[1] for param in params if param.upper().startswith("CHARSET=")), "utf-8")
    try:
        text = quopri.decodestring(value.encode("ascii", "replace")).decode(charset, "replace")
    except LookupError:
        text = quopri.decodestring(value.encode("ascii", "replace")).decode("utf-8", "replace")
    kept = [param for param in params if param.upper().split("=", 1)[0] not in ("ENCODING", "CHARSET")
            and param.upper() != "QUOTED-PRINTABLE"]
    escaped = text.replace("\\", "\\\\").replace("\r\n", "\n").replace("\n", "\\n").replace(",", "\\,")
    return ";".join([head.split(";")[0], *kept]) + ":" + escaped


def _readable(text: str) -> str:
    """The card as vobject can read it: quoted-printable soft line breaks (a line ending in
    ``=``, Android's vCard 2.1) joined, and pictures and sounds left out (ignored; their
    base64 is often cut or unpadded and would reject the whole card)."""
    out: list[str] = []
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        line = lines[index]
        index += 1
        head = line.split(":", 1)[0].upper()
        name = head.split(";", 1)[0].split(".")[-1]
        if name in _BINARY_PROPERTIES:
            while index < len(lines) and (lines[index][:1] in (" ", "\t") or ":" not in lines[index]):
                index += 1
            continue
        if "QUOTED-PRINTABLE" in head and ":" in line:
            while line.endswith("=") and index < len(lines):
                line = line[:-1] + lines[index]
                index += 1
            line = _decoded(line)
        out.append(line)
    return "\r\n".join(out) + "\r\n"


def parse_card(text: str) -> dict[str, str]:
    """Fields of a card's text; raises ValueError with a reason if vobject cannot read it."""
    import vobject

    _quiet_vobject()
    try:
        card = vobject.readOne(_readable(text), ignoreUnreadable=True)
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

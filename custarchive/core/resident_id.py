"""PRC resident ID numbers (居民身份证号码) and residence permits: check digit, birth date, area code.

The area code must be one a real card can carry: a county-level code of *any* official GB/T 2260
list (an ID keeps the code in force when it was issued, whatever the birth year or today's list),
or a residence-permit code for Hong Kong, Macau and Taiwan residents (810000, 820000, 830000).
Province (``110000``) and prefecture codes with counties (``440300``) are refused: no card
carries them. The list is data, ``custarchive/data/id_area_codes.toml``, with its sources
(``scripts/build_area_codes.py`` rebuilds it).
"""
from __future__ import annotations

import datetime as _dt

from custarchive.errors import ValidationError

_WEIGHTS = tuple(pow(2, 17 - position, 11) for position in range(17))
_area_codes: frozenset[str] | None = None
_first_today: _dt.date | None = None


def area_codes() -> frozenset[str]:
    """Every area code a card can carry, read once from the package data."""
    global _area_codes
    if _area_codes is None:
        import tomllib
        from importlib import resources

        data = tomllib.loads(resources.files("custarchive").joinpath("data/id_area_codes.toml").read_text("utf-8"))
        codes = set(data["permits"])
        for province, rests in data["counties"].items():
            codes.update(province + rest for rest in rests.split())
        _area_codes = frozenset(codes)
    return _area_codes


def check_digit(body: str) -> str:
    """ISO 7064 MOD 11-2, as GB 11643-1999 defines it."""
    total = sum(int(digit) * weight for digit, weight in zip(body, _WEIGHTS))
    return "10X98765432"[total % 11]


def _past_today() -> _dt.date:
    """A day that is not after today (the first today asked for): birth dates before it need no clock."""
    global _first_today
    if _first_today is None:
        _first_today = _dt.date.today()
    return _first_today


def parse_id_number(text: str, raw, field: str | None, today: _dt.date | None = None) -> str:
    """``text`` is ``raw`` already compacted and upper-cased; the reasons name what is wrong."""
    if len(text) != 18:
        raise ValidationError(field, raw, f"a resident ID has 18 characters, not {len(text)}")
    if not text[:17].isdigit() or not (text[17].isdigit() or text[17] == "X") or not text.isascii():
        raise ValidationError(field, raw, "a resident ID is 17 digits followed by a digit or X")
    if check_digit(text) != text[17]:
        raise ValidationError(field, raw, "resident ID check digit is wrong")
    try:
        birth = _dt.date(int(text[6:10]), int(text[10:12]), int(text[12:14]))
    except ValueError:
        raise ValidationError(field, raw, "resident ID holds an impossible birth date") from None
    future = birth > today if today else birth >= _past_today() and birth > _dt.date.today()
    if future or birth.year < 1890:
        raise ValidationError(field, raw, "resident ID birth date is in the future or too old")
    code = text[:6]
    if code not in area_codes():
        if code.endswith("0000"):
            reason = f"resident ID area code {code} is a province: a real ID carries a county code"
        elif code.endswith("00"):
            reason = f"resident ID area code {code} is a prefecture: a real ID carries a county code"
        else:
            reason = f"resident ID area code {code} is in no official list of county codes"
        raise ValidationError(field, raw, reason)
    return text

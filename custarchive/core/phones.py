"""Phone numbers: parsed by shape, checked against phonenumbers' plan, searched in any written form.

A number a customer gives must never lose its row: phonenumbers' metadata lags the blocks
operators open (it refuses 146, 148 and 149 mobiles, issued for data-card SIMs) and does not know
every landline range. So a number with the *shape* of a mainland mobile (11 digits, ``1[3-9]``)
or landline (``010``/``02X`` + 8 digits, ``0XXX`` + 7 or 8 digits) is accepted;
:func:`phone_caution` then says when phonenumbers does not know it, and callers warn. Anything
else (service numbers such as 400/800, foreign numbers with ``+``) must satisfy phonenumbers.

Stored forms: mobiles as their 11 digits, landlines as ``0AREA-NUMBER`` (010-88886666), local
numbers without an area code as their digits, foreign numbers in E.164.
"""
from __future__ import annotations

import re

from custarchive.errors import ValidationError

_SEPARATORS = re.compile(r"[\s\-().\u2010-\u2015\u2212\uff0d\uff08\uff09]")
_MOBILE_SHAPE = re.compile(r"1[3-9]\d{9}")
_LANDLINE_SHAPE = re.compile(r"0(?:10|2\d)\d{8}|0[3-9]\d{2}\d{7,8}")
_LOCAL_SHAPE = re.compile(r"[2-9]\d{6,7}")
_FULL_WIDTH_DIGITS = str.maketrans("０１２３４５６７８９＋", "0123456789+")
_known_cache: dict[str, bool] = {}
_mobile_pattern = None


def compact_digits(raw: str) -> str:
    """Separators and full-width digits gone, ``+86``/``0086`` dropped: ``+86 139 1234 5678`` → 13912345678."""
    text = _SEPARATORS.sub("", str(raw).translate(_FULL_WIDTH_DIGITS))
    if text.startswith("+86"):
        return text[3:]
    if text.startswith("0086"):
        return text[4:]
    return text


def area_code_length(compact: str) -> int:
    """010 and 020-029 have three digits, every other mainland area code four (GB/T 16657 plan)."""
    return 3 if compact[1] in "12" else 4


def parse_phone(raw: str, field: str | None = "phone") -> str:
    """Mainland China mobile or landline unless it starts with ``+``; stored in its canonical form."""
    compact = compact_digits(raw)
    if compact.startswith("+"):
        return _parse_foreign(raw, compact, field)
    if not compact.isdigit():
        raise ValidationError(field, raw, "a phone number may hold only digits, spaces, - and a leading +")
    if _MOBILE_SHAPE.fullmatch(compact):
        return compact
    if _LANDLINE_SHAPE.fullmatch(compact):
        cut = area_code_length(compact)
        return f"{compact[:cut]}-{compact[cut:]}"
    if _LOCAL_SHAPE.fullmatch(compact) or _known(compact):
        return compact
    raise ValidationError(field, raw, "not a mainland China mobile (11 digits from 13-19) or landline "
                                      "(area code and 7-8 digits); foreign numbers start with +")


def phone_caution(stored: str) -> str | None:
    """Why a stored mainland number is unusual (accepted, worth a warning), or None."""
    if not stored or stored.startswith("+"):
        return None
    compact = stored.replace("-", "")
    if "-" not in stored and _LOCAL_SHAPE.fullmatch(compact):
        return f"phone {stored} has no area code"
    if _known(compact):
        return None
    return f"phone {stored} is not in a block phonenumbers knows (stored as given)"


def _known(compact: str) -> bool:
    """phonenumbers' verdict, cached per 7-digit prefix and length (a 100,000-row import parses few)."""
    if len(compact) == 11 and compact[0] == "1":
        return _mobile_regex().fullmatch(compact) is not None
    key = f"{compact[:7]}:{len(compact)}"
    valid = _known_cache.get(key)
    if valid is None:
        import phonenumbers

        try:
            valid = phonenumbers.is_valid_number(phonenumbers.parse(compact, "CN"))
        except phonenumbers.NumberParseException:
            valid = False
        _known_cache[key] = valid
    return valid


def _mobile_regex():
    """phonenumbers' own CN mobile pattern, matched directly: the library's data without a per-row parse."""
    global _mobile_pattern
    if _mobile_pattern is None:
        from phonenumbers import PhoneMetadata

        _mobile_pattern = re.compile(PhoneMetadata.metadata_for_region("CN").mobile.national_number_pattern)
    return _mobile_pattern


def _parse_foreign(raw: str, compact: str, field: str | None) -> str:
    import phonenumbers

    try:
        number = phonenumbers.parse(compact, None)
    except phonenumbers.NumberParseException:
        raise ValidationError(field, raw, "not a valid international phone number") from None
    if not phonenumbers.is_valid_number(number):
        raise ValidationError(field, raw, "not a valid international phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def search_forms(query: str) -> tuple[list[str], str | None]:
    """What a typed phone query can match: (stored-form prefixes, trailing digits).

    ``0755-88886666``, ``075588886666`` → prefix ``0755-88886666``; ``88886666`` or ``5393``
    (尾号, the last digits callers are known by) → a suffix of the stored digits;
    ``+86 139 1234 5678`` → ``13912345678``. None when the query is not a phone at all.
    """
    compact = compact_digits(query)
    digits = compact.lstrip("+")
    if not digits.isdigit() or len(digits) < 3:
        return [], None
    prefixes = [compact]
    if compact[0] == "0" and len(compact) > 4:
        cut = area_code_length(compact)
        prefixes.append(f"{compact[:cut]}-{compact[cut:]}")
    return prefixes, (digits if len(digits) >= 4 else None)

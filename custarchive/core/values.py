"""Normalise and validate one typed value, exactly the same way for every entry path.

``add``, ``update``, ``edit``, ``import`` and the interactive prompts all call
:func:`parse_value`, so a value accepted in one place is accepted everywhere.
Validation that another library already solves (check digits, phone plans) is
delegated to python-stdnum and phonenumbers; the results are cached per
prefix so that a 100,000-row import does not pay for a full parse per row.
"""
from __future__ import annotations

import datetime as _dt
import re
import unicodedata
from typing import Any, Callable, Iterable

from custarchive.core import phones, resident_id
from custarchive.errors import ValidationError

FIELD_TYPES = (
    "text", "integer", "amount", "date", "choice", "multi-choice",
    "phone", "email", "id_number", "credit_code", "bool",
)

_DATE_PATTERNS = (
    re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$"),
)
_AMOUNT = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
_EMAIL = re.compile(r"^[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}$")
_TRUE = {"1", "true", "yes", "y", "是", "有", "√", "t", "on"}
_FALSE = {"0", "false", "no", "n", "否", "无", "×", "f", "off"}
_MAX_TEXT = 10_000


def normalize_text(raw: Any) -> str:
    """Full-width to half-width (NFKC), trimmed, inner whitespace collapsed."""
    text = str(raw)
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)
    return " ".join(text.split())


def parse_date(raw: str, field: str | None = "date") -> str:
    """Accept the contract's date spellings and return ISO ``YYYY-MM-DD``."""
    text = normalize_text(raw).replace(" ", "")
    for pattern in _DATE_PATTERNS:
        match = pattern.match(text)
        if match:
            year, month, day = (int(part) for part in match.groups())
            try:
                return _dt.date(year, month, day).isoformat()
            except ValueError:
                raise ValidationError(field, raw, "not a real calendar date") from None
    raise ValidationError(field, raw, "not a date (use 2024-01-05, 2024/1/5, 20240105 or 2024年1月5日)")


def parse_amount(raw: str, field: str | None = "amount", minimum: float | None = None) -> float:
    """Money with thousands separators, currency signs and 万/亿 units, to 2 decimals."""
    text = raw if raw.__class__ is str and _AMOUNT.match(raw) else None
    if text is not None:  # a plain number: nothing to normalise
        return _amount_value(raw, field, minimum, float(text))
    text = normalize_text(raw).replace(",", "").replace(" ", "").replace("¥", "")
    text = text.removesuffix("元").removeprefix("RMB").removeprefix("CNY")
    factor = 1
    if text.endswith("万"):
        factor, text = 10_000, text[:-1]
    elif text.endswith("亿"):
        factor, text = 100_000_000, text[:-1]
    if not _AMOUNT.match(text):
        raise ValidationError(field, raw, "not an amount (examples: 1,200.50, ¥1200, 12万)")
    return _amount_value(raw, field, minimum, float(text) * factor)


def _amount_value(raw: str, field: str | None, minimum: float | None, number: float) -> float:
    value = round(number, 2)
    if value != value or abs(value) > 1e15:
        raise ValidationError(field, raw, "amount out of range")
    if minimum is not None and value < minimum:
        raise ValidationError(field, raw, f"must be at least {minimum:g}")
    return value


def parse_integer(raw: str, field: str | None = "integer", minimum: int | None = None) -> int:
    text = normalize_text(raw).replace(",", "").replace(" ", "")
    if not re.fullmatch(r"[+-]?\d{1,18}", text):
        raise ValidationError(field, raw, "not a whole number")
    value = int(text)
    if minimum is not None and value < minimum:
        raise ValidationError(field, raw, f"must be at least {minimum}")
    return value


def parse_bool(raw: str, field: str | None = "bool") -> bool:
    text = normalize_text(raw).lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValidationError(field, raw, "not yes/no (use true/false, yes/no, 是/否)")


def parse_email(raw: str, field: str | None = "email") -> str:
    text = normalize_text(raw).replace(" ", "")
    if len(text) > 254 or not _EMAIL.match(text):
        raise ValidationError(field, raw, "not a valid email address")
    local, domain = text.rsplit("@", 1)
    return f"{local}@{domain.lower()}"


def parse_id_number(raw: str, field: str | None = "id_number", today: _dt.date | None = None) -> str:
    """A PRC resident ID or residence permit: 18 characters, check digit, real past birth date, and
    an area code a real card can carry (see :mod:`custarchive.core.resident_id`).

    ``stdnum.cn.ric.validate`` also demands that the county existed in the birth
    year; an ID's area code is the one in force when the card was *issued*, so
    that rule would refuse many real cards and is not applied here.
    """
    text = normalize_text(raw).replace(" ", "").upper()
    return resident_id.parse_id_number(text, raw, field, today)


def id_number_facts(number: str) -> dict[str, str]:
    """What a valid resident ID tells us: birth date and gender (odd sequence = male)."""
    birth = f"{number[6:10]}-{number[10:12]}-{number[12:14]}"
    gender = "male" if int(number[16]) % 2 else "female"
    return {"birth_date": birth, "gender": gender}


_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"   # GB 32100-2015: digits and letters but I O Z S V
_USCC_VALUES = {char: index for index, char in enumerate(_USCC_ALPHABET)}
_USCC_WEIGHTS = tuple(pow(3, position, 31) for position in range(17))


def _well_formed_credit_code(text: str) -> bool:
    """The common case decided without python-stdnum's per-call clean-up (~20 µs): 18 known
    characters, 8 leading digits, and the mod-31 check digit. Anything else goes to stdnum,
    which gives the exact reason; ``tests/test_value_parsers.py`` holds the two to agreement."""
    if len(text) != 18 or not text[:8].isdigit() or not text.isascii():
        return False
    values = _USCC_VALUES
    try:
        total = sum(values[char] * weight for char, weight in zip(text, _USCC_WEIGHTS))
        return values[text[17]] == (31 - total % 31) % 31
    except KeyError:
        return False


def parse_credit_code(raw: str, field: str | None = "credit_code") -> str:
    """A unified social credit code (统一社会信用代码), checked by python-stdnum."""
    text = normalize_text(raw).replace(" ", "").replace("-", "").upper()
    if _well_formed_credit_code(text):
        return text
    from stdnum.cn import uscc
    from stdnum.exceptions import ValidationError as StdnumError

    try:
        return uscc.validate(text)
    except StdnumError as exc:
        reason = {
            "InvalidLength": "a credit code has 18 characters",
            "InvalidChecksum": "credit code check digit is wrong",
        }.get(type(exc).__name__, "not a valid unified social credit code")
        raise ValidationError(field, raw, reason) from None


def parse_phone(raw: str, field: str | None = "phone") -> str:
    """Mainland China mobile or landline unless it starts with ``+`` (:mod:`custarchive.core.phones`)."""
    return phones.parse_phone(raw if raw.isascii() else normalize_text(raw), field)


_SCIENTIFIC = re.compile(r"\s*[+-]?\d+(\.\d+)?[eE][+-]?\d+\s*")
SPREADSHEET_DAMAGE = ("a spreadsheet turned this into a rounded number and its digits are lost "
                      "(type it again; export to a file with -o FILE.csv, not --plain, to keep them)")


def _names_damage(parse: Callable[..., str]) -> Callable[..., str]:
    """``parse``, whose refusal of ``1.10105E+17`` says what happened: a spreadsheet opened the CSV and
    rounded the long digit string (the value cannot be recovered from the file)."""
    def checked(raw, *args, **kwargs):
        try:
            return parse(raw, *args, **kwargs)
        except ValidationError as exc:
            if isinstance(raw, str) and _SCIENTIFIC.fullmatch(raw):
                raise ValidationError(exc.field, raw, SPREADSHEET_DAMAGE) from None
            raise
    checked.__doc__, checked.__name__ = parse.__doc__, parse.__name__
    return checked


parse_phone = _names_damage(parse_phone)
parse_id_number = _names_damage(parse_id_number)
parse_credit_code = _names_damage(parse_credit_code)


def caution(kind: str, value: Any) -> str | None:
    """Why a stored value is unusual though accepted (a warning for the user), or None."""
    if kind == "phone" and isinstance(value, str):
        return phones.phone_caution(value)
    return None


def card_cautions(card: dict) -> list[str]:
    """The warnings a stored card deserves: accepted values that are unusual (a phone block
    phonenumbers does not know yet, a number without area code)."""
    found = phones.phone_caution(card.get("phone") or "")
    return [found] if found else []


def exact_text(raw: str, field: str | None, limit: int) -> str:
    """Free text as given: only the blank margins go; inner line breaks, tabs and full-width
    punctuation stay (a legal name with （） is still the legal name). A NUL is refused: no
    person types one, it is a damaged file."""
    text = raw.strip()
    if "\x00" in text:
        raise ValidationError(field, raw.replace("\x00", "\\x00")[:40], "holds a NUL byte (damaged data)")
    if len(text) > limit:
        raise ValidationError(field, text[:20] + "…", f"longer than {limit} characters")
    return text


_choice_index: dict[int, tuple[Any, dict[str, str]]] = {}


def _names_of(choices) -> dict[str, str]:
    """Every accepted spelling → value, built once per choice list."""
    cached = _choice_index.get(id(choices))
    if cached is None or cached[0] is not choices:
        names: dict[str, str] = {}
        for choice in choices:
            for name in (choice["value"], choice.get("label_zh", ""), choice.get("label_en", ""),
                         *choice.get("aliases", ())):
                if name:
                    names.setdefault(str(name).lower(), str(choice["value"]))
        cached = _choice_index[id(choices)] = (choices, names)
    return cached[1]


def parse_choice(raw: str, choices: Iterable[dict], field: str | None = "choice") -> str:
    """Accept a choice by its value or either label, case-insensitively."""
    if not isinstance(choices, (tuple, list)):
        choices = tuple(choices)
    found = _names_of(choices).get(normalize_text(raw).lower())
    if found is not None:
        return found
    allowed = ", ".join(f"{c['value']} ({c.get('label_zh', '')})" for c in choices)
    raise ValidationError(field, raw, f"not one of: {allowed}")


def parse_multi_choice(raw: Any, choices: Iterable[dict], field: str | None = "choice") -> list[str]:
    """Several choices, given as a list or separated by , ， ; 、 or |."""
    choices = list(choices)
    items = raw if isinstance(raw, (list, tuple)) else re.split(r"[,;、|]", normalize_text(raw))
    values = [parse_choice(item, choices, field) for item in items if normalize_text(item)]
    return list(dict.fromkeys(values))


def latest_bound(kind: str, latest: str | None) -> Any:
    """The last plausible value of a field whose spec says ``latest`` (today's date, this year + N)."""
    if latest is None:
        return None
    today = _dt.date.today()
    if kind == "date":
        return today.isoformat()
    return today.year + int(latest.partition("+")[2] or 0)


def _plausible(value: Any, bound: Any, field: str | None, raw: Any) -> Any:
    """Refuse a value that cannot be real yet: a birth or founding date after today, a year too far ahead."""
    if bound is not None and value is not None and value > bound:
        if isinstance(bound, str):
            raise ValidationError(field, raw, "is in the future")
        raise ValidationError(field, raw, f"must be at most {bound}")
    return value


def parse_value(kind: str, raw: Any, field: str | None = None, *, choices=(), minimum=None,
                max_length: int | None = None, latest: str | None = None) -> Any:
    """Parse ``raw`` as a value of type ``kind``; empty input means "no value" (None).

    ``latest`` (dates and integer years) bounds the value by today (see :func:`latest_bound`).
    """
    if latest is not None:
        value = parse_value(kind, raw, field, choices=choices, minimum=minimum, max_length=max_length)
        return _plausible(value, latest_bound(kind, latest), field, raw)
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if kind == "multi-choice":
        result = parse_multi_choice(raw, choices, field)
        return result or None
    if isinstance(raw, bool):
        raw = "true" if raw else "false"
    elif isinstance(raw, (int, float)) and kind in ("amount", "integer", "text", "phone", "bool"):
        raw = repr(raw) if isinstance(raw, float) else str(raw)
    elif not isinstance(raw, str):
        raise ValidationError(field, raw, "expected a single value, not a list or object")
    if "\x00" in raw:
        raise ValidationError(field, raw.replace("\x00", "\\x00")[:40], "holds a NUL byte (damaged data)")
    if kind == "text":
        return exact_text(raw, field, max_length or _MAX_TEXT)
    if kind == "choice":
        return parse_choice(raw, choices, field)
    if kind == "phone":
        return parse_phone(raw, field)
    if kind == "date":
        return parse_date(raw, field)
    if kind == "amount":
        return parse_amount(raw, field, minimum)
    if kind == "integer":
        return parse_integer(raw, field, minimum)
    if kind == "email":
        return parse_email(raw, field)
    if kind == "id_number":
        return parse_id_number(raw, field)
    if kind == "credit_code":
        return parse_credit_code(raw, field)
    if kind == "bool":
        return parse_bool(raw, field)
    raise ValidationError(field, kind, "unknown field type")


_BY_KIND = {"phone": parse_phone, "date": parse_date, "email": parse_email, "id_number": parse_id_number,
            "credit_code": parse_credit_code, "bool": parse_bool}


def value_parser(kind: str, field: str | None = None, *, choices=(), minimum=None,
                 max_length: int | None = None, latest: str | None = None) -> Callable[[Any], Any]:
    """:func:`parse_value` with its arguments bound, for many values of one field (import).

    The type is dispatched once instead of per value; a text value takes the same steps inline.
    Anything but a non-blank ``str`` goes through :func:`parse_value` itself, so the two agree.
    """
    if latest is not None:
        plain = value_parser(kind, field, choices=choices, minimum=minimum, max_length=max_length)
        bound = latest_bound(kind, latest)

        def bounded(raw):
            return _plausible(plain(raw), bound, field, raw)
        return bounded

    def generic(raw):
        return parse_value(kind, raw, field, choices=choices, minimum=minimum, max_length=max_length)

    if kind == "text":
        limit = max_length or _MAX_TEXT

        def parse(raw):
            if raw.__class__ is not str or not raw.strip():
                return generic(raw)
            text = raw.strip()
            if len(text) > limit or "\x00" in text:
                return exact_text(raw, field, limit)
            return text
        return parse
    if kind == "choice":
        if not isinstance(choices, (tuple, list)):
            choices = tuple(choices)

        def parse(raw):
            if raw.__class__ is not str or not raw.strip() or "\x00" in raw:
                return generic(raw)
            return parse_choice(raw, choices, field)
        return parse
    if kind in ("amount", "integer"):
        specific = parse_amount if kind == "amount" else parse_integer

        def parse(raw):
            if raw.__class__ is not str or not raw.strip() or "\x00" in raw:
                return generic(raw)
            return specific(raw, field, minimum)
        return parse
    specific = _BY_KIND.get(kind)
    if specific is None:
        return generic

    def parse(raw):
        if raw.__class__ is not str or not raw.strip() or "\x00" in raw:
            return generic(raw)
        return specific(raw, field)
    return parse

"""The archive as columns of numbers: what the comparisons need of every record, and nothing more.

A million archives as Python dicts would take over a gigabyte, so each record is reduced while it
is read (in chunks) to integer hashes of its normalised values plus two short byte strings (the
name's pinyin and the e-mail, for the fuzzy levels), held in preallocated numpy arrays: about
95 bytes a record. Hashes are Python's own (salted per process, stable within one): equality is
all they are used for; 0 stands for "missing".

Normalising is where the office variants meet: a phone keeps its digits without a +86/0086 prefix;
a name loses spaces, brackets and width differences; a company name also loses its own city and
province and its legal form (有限公司 …); pinyin makes homophones (晓/小) and traditional
characters (張偉) agree.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import text

COLUMNS = ("id", "kind", "name", "gender", "birth_date", "id_number_hmac", "credit_code", "phone", "email",
           "province", "city", "address", "employer")
CHUNK = 5_000
_BRACKETED = re.compile(r"[(（\[【]([^)）\]】]{1,8})[)）\]】]")
_DISTRICT = re.compile(r"^(.{1,12}?(?:自治县|自治旗|区|县|旗|市))")


_MASK = 0x7FFF_FFFF_FFFF_FFFF
_MASK32 = 0x7FFF_FFFF
_TEXT = 20       # bytes of pinyin and e-mail kept for the fuzzy levels


def _h(value) -> int:
    """A 63-bit hash of a present value, 0 for a missing one (a present value hashing to 0: 2**-63)."""
    return hash(value) & _MASK if value else 0


def phone_key(raw: str | None) -> str:
    """Digits only, without the country prefix: '+86 139-1111-2222' and '13911112222' agree."""
    if not raw:
        return ""
    digits = "".join(ch for ch in unicodedata.normalize("NFKC", raw) if ch.isdigit())
    if digits.startswith("0086"):
        digits = digits[4:]
    elif digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    return digits


def plain(raw: str | None) -> str:
    """NFKC, lower case, no white space."""
    return "".join(unicodedata.normalize("NFKC", raw).split()).lower() if raw else ""


def _place_words(*places: str | None) -> list[str]:
    words = []
    for place in places:
        place = plain(place)
        if not place:
            continue
        words.append(place)
        for tail in ("特别行政区", "自治区", "地区", "省", "市", "盟", "州"):
            if place.endswith(tail) and len(place) - len(tail) >= 2:
                words.append(place[:-len(tail)])
    return sorted(set(words), key=len, reverse=True)


@lru_cache(maxsize=1)
def place_names() -> tuple[str, ...]:
    """Province and prefecture names (full and short: 杭州市, 杭州) and county names (full only),
    longest first, from python-stdnum's table of PRC divisions: the places a company name may start
    with. County short forms are left out: too many are ordinary words (东方, 长安)."""
    from pathlib import Path

    import stdnum

    names: set[str] = set()
    path = Path(stdnum.__file__).parent / "cn" / "loc.dat"
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line or line.startswith("#") or '"' not in line:
            continue
        top = not line.startswith(" ")
        prefecture = not top and line.split()[0].endswith("00")
        for variant in line.split('"')[1].split(","):
            name = variant.split("]", 1)[-1]
            if name in ("市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划") or len(name) < 2:
                continue
            names.add(name)
            if top or prefecture:
                names.update(_place_words(name))
    return tuple(sorted(names, key=len, reverse=True))


def core_name(name: str, company: bool, legal_forms: list[str], province: str | None = None,
              city: str | None = None) -> str:
    """The distinctive part of a name. For a company: without its legal form and without a place at
    the start or in brackets (its own city, or any province, prefecture or county: a company that
    moved keeps its name); a person's name only loses spaces and width."""
    core = plain(name)
    if not company:
        return core
    return _company_core(core, legal_forms, frozenset(_place_words(city, province)))


def _spoken(text_: str) -> tuple[str, ...]:
    readings = _pinyin_table()
    return tuple(readings[ch] for ch in text_)


def _company_core(core: str, legal_forms: list[str], own: frozenset[str]) -> str:
    """Legal form removed by its pinyin, so 有限責任公司 (traditional) goes as 有限责任公司 does, then
    up to two leading places. At least three characters stay."""
    places = _places_set()
    if "(" in core or "[" in core or "【" in core:
        core = _BRACKETED.sub(lambda m: "" if m.group(1) in own or m.group(1) in places else m.group(0),
                              core)
        for sign in "()[]【】":
            core = core.replace(sign, "")
    spoken = _spoken(core)
    forms = _forms_spoken(tuple(legal_forms))
    changed = True
    while changed:
        changed = False
        for form in forms:          # longest first
            if len(spoken) > len(form) + 1 and spoken[-len(form):] == form:
                core, spoken = core[:-len(form)], spoken[:-len(form)]
                changed = True
    own_spoken = {_spoken(place) for place in own}
    for _ in range(2):              # 浙江杭州华鑫科技 → 华鑫科技
        for length in range(min(len(core) - 3, 16), 1, -1):
            # any place by its characters; the card's own city and province also by pinyin (南陽 for
            # 南阳市: any place by pinyin would take 合远 for 河源)
            if core[:length] in places or spoken[:length] in own_spoken:
                core, spoken = core[length:], spoken[length:]
                break
        else:
            break
    return core


@lru_cache(maxsize=1)
def _places_set() -> frozenset[str]:
    return frozenset(place_names())


@lru_cache(maxsize=4)
def _forms_spoken(legal_forms: tuple[str, ...]) -> tuple[tuple[str, ...], ...]:
    return tuple(sorted({_spoken(plain(form)) for form in legal_forms}, key=len, reverse=True))


@dataclass
class Table:
    """One row per active archive; every array has the same length."""
    ids: Any          # int32 customer ids, ascending
    kind: Any         # int8: 1 individual, 2 enterprise
    name: Any         # int64 hash of the core name
    pinyin: Any       # int64 hash of its pinyin
    pinyin_text: Any  # S20: the pinyin itself (fuzzy level)
    birth: Any        # int32 yyyymmdd, 0 missing
    gender: Any       # int32 hash (so are city, district and employer: few distinct values)
    id_number: Any    # int64 hash of the resident ID's keyed hash
    credit_code: Any
    phone: Any
    email: Any
    email_text: Any   # S20
    city: Any
    district: Any
    address: Any
    employer: Any

    def __len__(self) -> int:
        return len(self.ids)


def count(conn) -> int:
    return conn.execute(text("SELECT COUNT(*) FROM customers WHERE status = 'active'")).scalar_one()


def _pinyin_table():
    """Character → its first toneless reading ('' for none): searchindex's cache (a dict lookup)."""
    from custarchive.core import searchindex

    return searchindex._pinyin_cache


class _Memo(dict):
    """value -> computed features, computed once: names, places, dates and employers repeat a lot."""

    def __init__(self, compute, limit: int = 60_000):
        super().__init__()
        self.compute, self.limit = compute, limit

    def __missing__(self, key):
        if len(self) >= self.limit:      # memory stays bounded on a million distinct names
            self.clear()
        value = self[key] = self.compute(key)
        return value


class _Readings(dict):
    """Code point → toneless pinyin, for ``str.translate``: a name's pinyin in one C call."""

    def __missing__(self, code: int) -> str:
        reading = self[code] = _pinyin_table()[chr(code)]
        return reading


_READINGS = _Readings()


class Featurizer:
    """Turns columns of raw values into the Table's columns; one instance per run (its memos)."""

    def __init__(self, legal_forms: list[str]):
        self.legal_forms = sorted(legal_forms, key=len, reverse=True)

        def person(raw: str) -> tuple[int, int, bytes]:
            core = plain(raw)
            # Each character's first reading (a surname read as a surname would not change equality).
            spoken = core.translate(_READINGS) or core
            return hash(core) & _MASK32, hash(spoken) & _MASK, spoken.encode()[:_TEXT]

        def birth(raw) -> int:
            digits = (raw or "").replace("-", "")
            return int(digits) if digits.isdigit() and len(digits) == 8 else 0

        self.people = _Memo(person)
        self.births = _Memo(birth)
        self.small = _Memo(lambda raw: _h(plain(raw)) & _MASK32)
        self.places = _Memo(lambda key: (plain(key[1]) or plain(key[0]), frozenset(_place_words(key[1], key[0]))))
        self.employers = _Memo(lambda raw: _h(core_name(raw, True, self.legal_forms)) & _MASK32)

    def company(self, raw: str, province, city) -> tuple[int, int, bytes]:
        core = _company_core(plain(raw), self.legal_forms, self.places[(province, city)][1])
        spoken = core.translate(_READINGS) or core
        return hash(core) & _MASK32, hash(spoken) & _MASK, spoken.encode()[:_TEXT]

    def columns(self, rows: list) -> dict[str, list]:
        """``rows``: tuples in COLUMNS order."""
        ids, kinds, names, genders, births, hmacs, codes, phones, emails, provinces, cities, addresses, employers = (
            zip(*rows))
        people = self.people
        named = [people[n] if k != "enterprise" else self.company(n, p, c)
                 for k, n, p, c in zip(kinds, names, provinces, cities)]
        mails = [(e.lower() if e.isascii() else plain(e)) if e else "" for e in emails]
        city, district, address = [], [], []
        places_of = self.places
        for province, town, text_ in zip(provinces, cities, addresses):
            where, places = places_of[(province, town)]
            city.append(hash(where) & _MASK32 if where else 0)
            if not text_:
                district.append(0)
                address.append(0)
                continue
            rest = plain(text_)
            for place in places:
                if rest.startswith(place):
                    rest = rest[len(place):]
                    break
            found = _DISTRICT.match(rest)
            district.append(hash((where, found.group(1))) & _MASK32 if found else 0)
            address.append(hash((where, rest)) & _MASK32 if rest else 0)
        return {"id": list(ids), "kind": [2 if k == "enterprise" else 1 for k in kinds], "name": [n[0] for n in named],
                "pinyin": [n[1] for n in named], "pinyin_text": [n[2] for n in named],
                "birth": [self.births[b] for b in births], "gender": [self.small[g] if g else 0 for g in genders],
                "id_number": [hash(v) & _MASK if v else 0 for v in hmacs],
                "credit_code": [hash(v) & _MASK if v else 0 for v in codes],
                "phone": [(hash(v if len(v) == 11 and v.isdigit() else phone_key(v)) & _MASK) if v else 0
                          for v in phones],
                "email": [hash(m) & _MASK if m else 0 for m in mails],
                "email_text": [m.encode()[:_TEXT] for m in mails], "city": city, "district": district,
                "address": address, "employer": [self.employers[e] if e else 0 for e in employers]}


# Hashes only compared within pairs are 31-bit (a false "same" needs a collision inside one pair:
# 1 in 2**31); those that form blocking groups are 63-bit (a million values would collide in 31).
_DTYPES = {"id": "int32", "kind": "int8", "birth": "int32", "pinyin_text": f"S{_TEXT}", "email_text": f"S{_TEXT}",
           "name": "int32", "gender": "int32", "city": "int32", "district": "int32", "address": "int32",
           "employer": "int32"}
_FIELDS = ("id", "kind", "name", "pinyin", "pinyin_text", "birth", "gender", "id_number", "credit_code", "phone",
           "email", "email_text", "city", "district", "address", "employer")


def load(conn, legal_forms: list[str], progress=None) -> Table:
    """Every active archive, read in chunks of CHUNK rows (keyset on id) into preallocated arrays."""
    import numpy as np

    from custarchive.core import authz

    visible, scope = authz.visible_sql(conn)  # a clerk's duplicates among the archives they see
    total = conn.execute(text(f"SELECT COUNT(*) FROM customers WHERE status = 'active' AND {visible}"),
                         scope).scalar_one()
    arrays = {name: np.zeros(total, dtype=_DTYPES.get(name, "int64")) for name in _FIELDS}
    query = text(f"SELECT {', '.join(COLUMNS)} FROM customers WHERE status = 'active' AND id > :last "
                 f"AND {visible} ORDER BY id LIMIT {CHUNK}")
    featurizer = Featurizer(legal_forms)
    filled, last = 0, 0
    while filled < total:
        rows = conn.execute(query, {"last": last, **scope}).all()
        if not rows:
            break
        rows = rows[:total - filled]
        for name, values in featurizer.columns(rows).items():
            arrays[name][filled:filled + len(values)] = values
        filled += len(rows)
        last = rows[-1][0]
        if progress:
            progress(len(rows))
    if filled < total:       # rows closed meanwhile
        arrays = {name: array[:filled] for name, array in arrays.items()}
    return Table(ids=arrays["id"], **{name: arrays[name] for name in _FIELDS if name != "id"})


def table_of(rows: list, legal_forms: list[str]) -> Table:
    """A table from a few rows (tuples in COLUMNS order): the record being entered and its candidates."""
    import numpy as np

    columns = Featurizer(legal_forms).columns(rows)
    arrays = {name: np.array(columns[name], dtype=_DTYPES.get(name, "int64")) for name in _FIELDS}
    return Table(ids=arrays["id"], **{name: arrays[name] for name in _FIELDS if name != "id"})

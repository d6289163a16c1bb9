"""The archive as columns of numbers: what the comparisons need of every record, and nothing more.

A million archives as Python dicts would take over a gigabyte, so each record is reduced while it
is read (in chunks) to integer hashes of its normalised values plus two short byte strings (the
name's pinyin and the e-mail, for the fuzzy levels), held in preallocated numpy arrays: about
150 bytes a record. Hashes are Python's own (salted per process, stable within one): equality is
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

from sqlalchemy import text

COLUMNS = ("id", "kind", "name", "gender", "birth_date", "id_number_hmac", "credit_code", "phone", "email",
           "province", "city", "address", "employer")
CHUNK = 20_000
_BRACKETED = re.compile(r"[(（\[【]([^)）\]】]{1,8})[)）\]】]")
_DISTRICT = re.compile(r"^(.{1,12}?(?:自治县|自治旗|区|县|旗|市))")
_SPACE = re.compile(r"\s+")


def _h(value) -> int:
    """A non-zero 63-bit hash of a present value, 0 for a missing one."""
    if not value:
        return 0
    return (hash(value) & 0x7FFF_FFFF_FFFF_FFFF) or 1


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
    return _SPACE.sub("", unicodedata.normalize("NFKC", raw or "")).lower()


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
    places = set(_place_words(city, province))
    core = _BRACKETED.sub(lambda m: "" if plain(m.group(1)) in places or plain(m.group(1)) in _places_set()
                          else m.group(0), core)
    for sign in "()（）[]【】":
        core = core.replace(sign, "")
    changed = True
    while changed:
        changed = False
        for form in legal_forms:    # longest first
            if core.endswith(form) and len(core) > len(form) + 1:
                core = core[:-len(form)]
                changed = True
    for _ in range(2):
        place = next((p for p in (*sorted(places, key=len, reverse=True), *_leading_places(core))
                      if core.startswith(p)), None)
        if place is None or len(core) - len(place) < 3:
            break
        core = core[len(place):]
    return core


@lru_cache(maxsize=1)
def _places_set() -> frozenset[str]:
    return frozenset(place_names())


@lru_cache(maxsize=1)
def _by_first_char() -> dict[str, tuple[str, ...]]:
    index: dict[str, list[str]] = {}
    for place in place_names():
        index.setdefault(place[0], []).append(place)
    return {char: tuple(places) for char, places in index.items()}


def _leading_places(core: str) -> tuple[str, ...]:
    return _by_first_char().get(core[:1], ()) if core else ()


def address_parts(province: str | None, city: str | None, address: str | None) -> tuple[str, str, str]:
    """(city, district, the whole address) normalised; the city falls back on the province."""
    where = plain(city) or plain(province)
    rest = plain(address)
    for place in _place_words(province, city):
        if rest.startswith(place):
            rest = rest[len(place):]
    found = _DISTRICT.match(rest)
    district = found.group(1) if found else ""
    return where, district, rest


@dataclass
class Table:
    """One row per active archive; every array has the same length."""
    ids: object          # int64 customer ids
    kind: object         # int8: 1 individual, 2 enterprise
    name: object         # int64 hash of the core name
    pinyin: object       # int64 hash of its pinyin
    pinyin_text: object  # S32: the pinyin itself (fuzzy level)
    birth: object        # int32 yyyymmdd, 0 missing
    gender: object       # int64 hash
    id_number: object    # int64 hash of the resident ID's keyed hash
    credit_code: object
    phone: object
    email: object
    email_text: object   # S32
    city: object
    district: object
    address: object
    employer: object

    def __len__(self) -> int:
        return len(self.ids)


def count(conn) -> int:
    return conn.execute(text("SELECT COUNT(*) FROM customers WHERE status = 'active'")).scalar_one()


def record_features(row: dict, legal_forms: list[str]) -> dict:
    """The comparable values of one record (a dict with the COLUMNS), as in the table."""
    company = row.get("kind") == "enterprise"
    from custarchive.core.searchindex import pinyin_keys

    core = core_name(row.get("name") or "", company, legal_forms, row.get("province"), row.get("city"))
    spoken = pinyin_keys(core)[0] or core
    where, district, rest = address_parts(row.get("province"), row.get("city"), row.get("address"))
    birth = (row.get("birth_date") or "").replace("-", "")
    employer = core_name(row["employer"], True, legal_forms) if row.get("employer") else ""
    email = plain(row.get("email"))
    return {"id": row.get("id") or 0, "kind": 2 if company else 1, "name": _h(core), "pinyin": _h(spoken),
            "pinyin_text": spoken.encode()[:32], "birth": int(birth) if birth.isdigit() else 0,
            "gender": _h(row.get("gender")), "id_number": _h(row.get("id_number_hmac")),
            "credit_code": _h(plain(row.get("credit_code"))), "phone": _h(phone_key(row.get("phone"))),
            "email": _h(email), "email_text": email.encode()[:32], "city": _h(where),
            "district": _h(where + "|" + district) if district else 0,
            "address": _h(where + "|" + rest) if rest else 0, "employer": _h(employer)}


_DTYPES = {"id": "int64", "kind": "int8", "birth": "int32", "pinyin_text": "S32", "email_text": "S32"}
_FIELDS = ("id", "kind", "name", "pinyin", "pinyin_text", "birth", "gender", "id_number", "credit_code", "phone",
           "email", "email_text", "city", "district", "address", "employer")


def load(conn, legal_forms: list[str], progress=None) -> Table:
    """Every active archive, read in chunks of CHUNK rows (keyset on id) into preallocated arrays."""
    import numpy as np

    total = count(conn)
    arrays = {name: np.zeros(total, dtype=_DTYPES.get(name, "int64")) for name in _FIELDS}
    query = text(f"SELECT {', '.join(COLUMNS)} FROM customers WHERE status = 'active' AND id > :last "
                 f"ORDER BY id LIMIT {CHUNK}")
    filled, last = 0, 0
    while filled < total:
        rows = conn.execute(query, {"last": last}).mappings().all()
        if not rows:
            break
        rows = rows[:total - filled]
        values = [record_features(row, legal_forms) for row in rows]
        for name in _FIELDS:
            arrays[name][filled:filled + len(values)] = [v[name] for v in values]
        filled += len(values)
        last = rows[-1]["id"]
        if progress:
            progress(len(values))
    if filled < total:       # rows closed meanwhile
        arrays = {name: array[:filled] for name, array in arrays.items()}
    return Table(ids=arrays["id"], **{name: arrays[name] for name in _FIELDS if name != "id"})


def table_of(records: list[dict]) -> Table:
    """A table from feature dicts (one record being entered, or its candidates)."""
    import numpy as np

    arrays = {name: np.array([r[name] for r in records], dtype=_DTYPES.get(name, "int64")) for name in _FIELDS}
    return Table(ids=arrays["id"], **{name: arrays[name] for name in _FIELDS if name != "id"})

"""Search keys computed once, when a card is written: name grams and pinyin.

Short Chinese names defeat FTS5's trigram tokenizer (queries under three
characters match nothing), so names are indexed by their bigrams in
``name_grams``, plus the last character alone: every character of a name
then starts at least one gram, so a one-character query is a prefix range
on the index, a two-character one a direct lookup, and a longer one
intersects its bigrams and is checked as a substring, giving exactly the
rows ``LIKE '%q%'`` gives without a table scan. (Indexing every unigram too
would double the rows an import writes for no faster answer.)
Pinyin is looked up one character at a time through a cache: pypinyin costs
~90 µs per name call, the cache makes it a dict lookup. Only pypinyin's
single-character table is read (its JSON file, directly): importing the
package also loads its phrase dictionary, about 55 MB that single characters
never use.
"""
from __future__ import annotations

import unicodedata

_char_table: dict[str, str] | None = None
_TONE_MARKS = {"\u0300", "\u0301", "\u0304", "\u030c"}


def _readings() -> dict[str, str]:
    """pypinyin's character table (code point → "zhāng,cháng"), without importing pypinyin."""
    global _char_table
    if _char_table is None:
        import importlib.util
        import json
        from pathlib import Path

        spec = importlib.util.find_spec("pypinyin")
        path = Path(spec.submodule_search_locations[0]) / "pinyin_dict.json"
        _char_table = json.loads(path.read_text(encoding="utf-8"))
    return _char_table


def _toneless(reading: str) -> str:
    """``lüè`` → ``lve``: pypinyin's NORMAL style, with ü written v."""
    decomposed = unicodedata.normalize("NFD", reading)
    plain = unicodedata.normalize("NFC", "".join(ch for ch in decomposed if ch not in _TONE_MARKS))
    return plain.replace("ü", "v")


def normalize_query(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip().lower()


def grams(name: str) -> set[str]:
    text = normalize_query(name).replace(" ", "")
    if not text:
        return set()
    found = {text[i:i + 2] for i in range(len(text) - 1)}
    found.add(text[-1])
    return found


def query_grams(query: str) -> list[str]:
    text = normalize_query(query).replace(" ", "")
    if len(text) <= 1:
        return [text] if text else []
    return sorted({text[i:i + 2] for i in range(len(text) - 1)})


class _PinyinCache(dict):
    """Character → toneless reading ('' for none), computed on first use."""

    def __missing__(self, char: str) -> str:
        if char.isascii():
            reading = char.lower() if char.isalnum() else ""
        else:
            found = _readings().get(str(ord(char)))
            reading = _toneless(found.split(",", 1)[0]) if found else ""
        self[char] = reading
        return reading


_pinyin_cache = _PinyinCache()


def _char_pinyin(char: str) -> str:
    return _pinyin_cache[char]


_surnames: dict[str, list[str]] | None = None
_VARIANT_NAME_LENGTH = 6     # people's names, short shop names: longer names keep one reading
_MAX_READINGS = 4


def surname_readings(char: str) -> list[str]:
    """Every reading of a name's first character, its surname readings first (data/surnames.toml):
    曾 → ['zeng', 'ceng'], 单 → ['shan', 'dan', 'chan']."""
    global _surnames
    if _surnames is None:
        import tomllib
        from importlib import resources

        text = resources.files("custarchive").joinpath("data/surnames.toml").read_text("utf-8")
        _surnames = tomllib.loads(text)["readings"]
    if char.isascii():
        return [_pinyin_cache[char]] if _pinyin_cache[char] else []
    found = _readings().get(str(ord(char)))
    others = [_toneless(reading) for reading in found.split(",")] if found else []
    return list(dict.fromkeys([*_surnames.get(char, ()), *others]))[:_MAX_READINGS]


def _syllables(name: str) -> list[str]:
    return [s for s in map(_pinyin_cache.__getitem__, unicodedata.normalize("NFKC", name)) if s]


def pinyin_keys(name: str) -> tuple[str, str]:
    """(full pinyin, initials) of the preferred reading, a surname read as a surname:
    张伟 → ('zhangwei', 'zw'), 曾荣 → ('zengrong', 'zr')."""
    text = unicodedata.normalize("NFKC", name).strip()
    syllables = _syllables(text)
    if syllables and text and not text[0].isascii():
        first = surname_readings(text[0])
        if first and _pinyin_cache[text[0]]:
            syllables[0] = first[0]
    return "".join(syllables), "".join(s[0] for s in syllables)


def name_keys(name: str) -> tuple[str, str]:
    """The stored search keys: every reading of a short name's first character, space separated
    (曾荣 → ('zengrong cengrong', 'zr cr')), so the pinyin or initials people type, from any
    character position, are a substring of one variant. Cut to the columns' sizes (600, 200)."""
    text = unicodedata.normalize("NFKC", name).strip()
    syllables = _syllables(text)
    if not syllables or len(text) > _VARIANT_NAME_LENGTH or text[0].isascii() or not _pinyin_cache[text[0]]:
        return "".join(syllables)[:600], "".join(s[0] for s in syllables)[:200]
    rest = syllables[1:]
    readings = surname_readings(text[0])
    full = " ".join(dict.fromkeys(reading + "".join(rest) for reading in readings))
    initials = " ".join(dict.fromkeys(reading[0] + "".join(s[0] for s in rest) for reading in readings))
    return full[:600], initials[:200]

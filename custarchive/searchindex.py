"""Search keys computed once, when a card is written: name grams and pinyin.

Short Chinese names defeat FTS5's trigram tokenizer (queries under three
characters match nothing), so names are indexed by their unigrams and
bigrams in ``name_grams``: any query of one character is a direct lookup, a
longer one intersects its bigrams and is then checked as a substring, giving
exactly the rows ``LIKE '%q%'`` gives without a table scan.
Pinyin is looked up one character at a time through a cache: pypinyin costs
~90 µs per name call, the cache makes it a dict lookup.
"""
from __future__ import annotations

import unicodedata

_pinyin_cache: dict[str, str] = {}


def normalize_query(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip().lower()


def grams(name: str) -> set[str]:
    text = normalize_query(name).replace(" ", "")
    found = set(text)
    found.update(text[i:i + 2] for i in range(len(text) - 1))
    return found


def query_grams(query: str) -> list[str]:
    text = normalize_query(query).replace(" ", "")
    if len(text) <= 1:
        return [text] if text else []
    return sorted({text[i:i + 2] for i in range(len(text) - 1)})


def _char_pinyin(char: str) -> str:
    cached = _pinyin_cache.get(char)
    if cached is None:
        if char.isascii():
            cached = char.lower() if char.isalnum() else ""
        else:
            from pypinyin import Style, lazy_pinyin

            result = lazy_pinyin(char, style=Style.NORMAL, errors="ignore")
            cached = result[0].replace("ü", "v") if result else ""
        _pinyin_cache[char] = cached
    return cached


def pinyin_keys(name: str) -> tuple[str, str]:
    """(full pinyin, initials): 张伟 → ('zhangwei', 'zw')."""
    syllables = [_char_pinyin(char) for char in unicodedata.normalize("NFKC", name)]
    syllables = [s for s in syllables if s]
    full = "".join(syllables)
    initials = "".join(s[0] for s in syllables)
    return full, initials

"""Possible duplicate archives: shared keys and similar names, listed for a person to judge.

Comparing every pair is quadratic, so candidates are blocked: archives are
compared only inside groups that share a phone, an email, an identity key,
or a name key: the full pinyin of the name without company-form words, or
the pinyin of its first two characters (and, for names longer than three,
of its last two). A block too large to compare pair by pair (a shared
switchboard number, a very common name) is compared only with its
neighbours in pinyin order.
"""
from __future__ import annotations

import unicodedata
from itertools import combinations

from sqlalchemy import text

from custarchive.core import authz
from custarchive.core.searchindex import pinyin_keys
from custarchive.core.settings import number, section

KEY_REASONS = {"id_number": "same resident ID", "credit_code": "same credit code", "phone": "same phone",
               "email": "same email"}


def dedupe_settings() -> dict:
    settings = section("dedupe", "dedupe.toml")
    number(settings, "min_score", "dedupe")
    number(settings, "max_block", "dedupe", minimum=2)
    number(settings, "window", "dedupe", minimum=1)
    return settings


def core_name(name: str, noise: list[str]) -> str:
    """The distinctive part of a name: NFKC, no spaces or brackets, company-form words removed."""
    core = unicodedata.normalize("NFKC", name).replace(" ", "")
    for sign in "()()[]【】":
        core = core.replace(sign, "")
    for word in sorted(noise, key=len, reverse=True):
        stripped = core.replace(word, "")
        if stripped:
            core = stripped
    return core


def name_score(a: dict, b: dict) -> int:
    """Similarity 0-100: the better of the distinctive names compared by characters and by pinyin."""
    from rapidfuzz.fuzz import ratio

    return int(round(max(ratio(a["core"], b["core"]), ratio(a["core_pinyin"], b["core_pinyin"]))))


def _scorer(threshold: float):
    """A fast comparer for the blocking loop: imports once, and lets rapidfuzz stop early below the threshold."""
    from rapidfuzz.fuzz import ratio

    def score(a: dict, b: dict) -> int:
        best = ratio(a["core_pinyin"], b["core_pinyin"], score_cutoff=threshold)
        if best < 100:
            best = max(best, ratio(a["core"], b["core"], score_cutoff=threshold))
        return int(round(best))

    return score


def _load(conn, noise: list[str]) -> list[dict]:
    visible, params = authz.visible_sql(conn)  # a clerk's duplicates among the archives they see
    rows = conn.execute(text("SELECT id, archive_no, name, phone, email, id_number_hmac, credit_code FROM customers "
                             f"WHERE status = 'active' AND {visible} ORDER BY archive_no"), params).all()
    items = []
    for cid, archive_no, name, phone, email, id_number, credit_code in rows:
        core = core_name(name, noise)
        pinyin = pinyin_keys(core)[0] or core.lower()
        items.append({"id": cid, "archive_no": archive_no, "name": name, "phone": phone, "email": email,
                      "id_number": id_number, "credit_code": credit_code, "core": core, "core_pinyin": pinyin,
                      "head": pinyin_keys(core[:2])[0], "tail": pinyin_keys(core[-2:])[0] if len(core) > 3 else None})
    return items


def _pairs_in(block: list[dict], max_block: int, window: int):
    if len(block) <= max_block:
        yield from combinations(block, 2)
        return
    ordered = sorted(block, key=lambda item: (item["core_pinyin"], item["archive_no"]))
    for index, item in enumerate(ordered):
        for other in ordered[index + 1:index + 1 + window]:
            yield item, other


def find_candidates(conn, min_score: float | None = None) -> list[dict]:
    """Pairs of active archives that may be the same customer, with the reasons and a name score."""
    settings = dedupe_settings()
    threshold = settings["min_score"] if min_score is None else min_score
    max_block, window = int(settings["max_block"]), int(settings["window"])
    items = _load(conn, list(settings.get("noise", [])))
    found: dict[tuple[int, int], dict] = {}

    def note(a: dict, b: dict, reason: str, score: int | None = None) -> None:
        if a["archive_no"] > b["archive_no"]:
            a, b = b, a
        pair = found.setdefault((a["id"], b["id"]), {"a": a, "b": b, "reasons": [], "score": None})
        if reason not in pair["reasons"]:
            pair["reasons"].append(reason)
        if score is not None:
            pair["score"] = score

    for key, reason in KEY_REASONS.items():
        groups: dict[str, list[dict]] = {}
        for item in items:
            if item[key]:
                groups.setdefault(item[key].lower() if key == "email" else item[key], []).append(item)
        for group in groups.values():
            if len(group) > 1:
                for a, b in _pairs_in(group, max_block, window):
                    note(a, b, reason)

    blocks: dict[str, list[dict]] = {}
    for item in items:
        for prefix, value in (("p", item["core_pinyin"]), ("h", item["head"]), ("t", item["tail"])):
            if value:
                blocks.setdefault(f"{prefix}:{value}", []).append(item)
    compared: set[tuple[int, int]] = set()
    score_of = _scorer(threshold)
    for block in blocks.values():
        if len(block) < 2:
            continue
        for a, b in _pairs_in(block, max_block, window):
            pair = (min(a["id"], b["id"]), max(a["id"], b["id"]))
            if pair in compared:
                continue
            compared.add(pair)
            score = score_of(a, b)
            if score >= threshold:
                note(a, b, "same name" if a["name"] == b["name"] else "similar name", score)

    from rapidfuzz.distance import Levenshtein

    results = []
    for pair in found.values():
        a, b = pair["a"], pair["b"]
        score = pair["score"] if pair["score"] is not None else name_score(a, b)
        results.append({"a": a["archive_no"], "a_name": a["name"], "b": b["archive_no"], "b_name": b["name"],
                        "reasons": pair["reasons"], "score": score, "distance": Levenshtein.distance(a["name"], b["name"])})
    identity = {"same resident ID", "same credit code"}
    results.sort(key=lambda r: (not identity & set(r["reasons"]), -len(r["reasons"]), -r["score"], r["a"], r["b"]))
    return results

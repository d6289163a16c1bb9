"""Fellegi–Sunter record linkage on numpy: blocking, comparison levels, m/u by EM, match probability.

The method is Splink's (and the textbook's): each candidate pair gets a comparison level per field;
each level has m = P(level | same customer) and u = P(level | different customers); the pair's
match weight is log2 of the prior odds plus the sum of log2(m/u) over the fields, and its match
probability follows from the weight. u is measured on random pairs of the archive, m and the prior
by expectation–maximisation over the blocked pairs (grouped by their comparison pattern, so each
EM step costs the number of distinct patterns, not of pairs). The name's agreement levels use
term-frequency adjusted u (Splink's "tf adjustment"): sharing 张伟 is weak evidence, sharing a rare
name strong.

Why not Splink itself: it needs pandas and DuckDB (≈ 250 MB resident before any data) and a copy
of the archive in DuckDB, which does not fit a million archives in 300 MB on two cores; the same
model on numpy arrays of hashes does (bench/dedupe.py measures it).
"""
from __future__ import annotations

from dataclasses import dataclass

# Field -> the names of its levels, weakest agreement first (level 0 = disagree; -1 = missing).
LEVELS: dict[str, tuple[str, ...]] = {
    "name": ("different", "similar", "same pinyin", "same"),
    # Phone and address together: a family shares both, so counted as two independent agreements
    # they would outweigh a different name and birth date (Fellegi–Sunter assumes independence).
    "contact": ("different", "same city", "same district", "same address", "same phone",
                "same phone and address"),
    "email": ("different", "typo", "same"),
    "id_number": ("different", "same"),
    "credit_code": ("different", "same"),
    "birth_date": ("different", "same year", "same"),
    "gender": ("different", "same"),
    "employer": ("different", "same"),
}
FIELDS = tuple(LEVELS)
_SIMILAR_NAME = 0.8         # normalised Levenshtein similarity of the pinyin (one syllable's typo)
_EMAIL_TYPO = 2             # edits
_FLOOR = 1e-5
_PRIOR_PAIRS = 20
_PRIOR_U_PAIRS = 10_000


@dataclass
class Pairs:
    """Candidate pairs as row indexes into a Table (left < right) and their comparison levels."""
    left: object
    right: object
    levels: object = None    # int8 array (pairs, fields)


def block_pairs(keys, order_by, max_block: int, window: int):
    """Pairs of rows sharing a non-zero key: every pair in a block of up to ``max_block`` rows,
    only the ``window`` nearest neighbours (in ``order_by`` order) in a larger one."""
    import numpy as np

    present = np.flatnonzero(keys)
    if len(present) < 2:
        return np.empty(0, np.int64)
    key = keys[present]
    order = np.lexsort((order_by[present], key))
    rows, key = present[order], key[order]
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    sizes = np.diff(np.r_[starts, len(key)])
    keep = np.repeat(sizes > 1, sizes)
    rows, key, size = rows[keep], key[keep], np.repeat(sizes, sizes)[keep]
    found = []
    widest = int(size.max()) if len(size) else 0
    for step in range(1, min(widest, max_block)):
        same = key[:-step] == key[step:]
        if step > window:
            same &= size[:-step] <= max_block
        if not same.any():
            break
        a, b = rows[:-step][same], rows[step:][same]
        found.append(np.minimum(a, b) * (1 << 31) + np.maximum(a, b))
    return np.concatenate(found) if found else np.empty(0, np.int64)


def candidates(table, max_block: int, window: int, progress=None) -> Pairs:
    """The union of the blocking rules' pairs, each pair once."""
    import numpy as np

    mix = np.uint64(0x9E3779B97F4A7C15)
    with np.errstate(over="ignore"):
        name_year = np.where((table.pinyin != 0) & (table.birth != 0),
                             (table.pinyin.astype(np.uint64) ^ ((table.birth // 10000).astype(np.uint64) * mix))
                             .astype(np.int64) | 1, 0)
        name_city = np.where((table.pinyin != 0) & (table.city != 0),
                             (table.pinyin.astype(np.uint64) * np.uint64(31) ^ table.city.astype(np.uint64))
                             .astype(np.int64) | 1, 0)
    rules = [(table.phone, table.pinyin), (table.email, table.pinyin), (table.id_number, table.pinyin),
             (table.credit_code, table.pinyin), (name_year, table.birth), (name_city, table.birth),
             (table.pinyin, table.birth)]
    codes = []
    for keys, order_by in rules:
        codes.append(block_pairs(keys, order_by, max_block, window))
        if progress:
            progress(1)
    code = np.unique(np.concatenate(codes))
    return Pairs(left=(code >> 31).astype(np.int64), right=(code & ((1 << 31) - 1)).astype(np.int64))


def compare(table, left, right):
    """The comparison level of every field for the pairs (left[i], right[i]): int8 (pairs, fields)."""
    import numpy as np
    from rapidfuzz import process
    from rapidfuzz.distance import Levenshtein

    n = len(left)
    out = np.zeros((n, len(FIELDS)), dtype=np.int8)

    def exact(column):
        a, b = column[left], column[right]
        level = (a == b).astype(np.int8)
        level[(a == 0) | (b == 0)] = -1
        return level

    name = np.where(table.name[left] == table.name[right], 3, np.where(table.pinyin[left] == table.pinyin[right], 2, 0))
    rest = np.flatnonzero(name == 0)
    if len(rest):
        similarity = process.cpdist(list(table.pinyin_text[left[rest]]), list(table.pinyin_text[right[rest]]),
                                    scorer=Levenshtein.normalized_similarity, workers=1)
        name[rest[similarity >= _SIMILAR_NAME]] = 1
    out[:, FIELDS.index("name")] = name
    email = exact(table.email) * 2
    typo = np.flatnonzero(email == 0)
    if len(typo):
        distance = process.cpdist(list(table.email_text[left[typo]]), list(table.email_text[right[typo]]),
                                  scorer=Levenshtein.distance, workers=1)
        email[typo[distance <= _EMAIL_TYPO]] = 1
    email[email < 0] = -1
    out[:, FIELDS.index("email")] = email
    out[:, FIELDS.index("id_number")] = exact(table.id_number)
    out[:, FIELDS.index("credit_code")] = exact(table.credit_code)
    a, b = table.birth[left], table.birth[right]
    birth = np.where(a == b, 2, np.where(a // 10000 == b // 10000, 1, 0))
    birth[(a == 0) | (b == 0)] = -1
    out[:, FIELDS.index("birth_date")] = birth
    out[:, FIELDS.index("gender")] = exact(table.gender)
    city = exact(table.city)
    district = exact(table.district)
    address = exact(table.address)
    place = np.where(address == 1, 3, np.where(district == 1, 2, np.where(city == 1, 1, np.where(city == 0, 0, -1))))
    phone = exact(table.phone)
    contact = np.where(phone == 1, np.where(place == 3, 5, 4), np.maximum(place, 0))
    contact[(phone == -1) & (place == -1)] = -1
    out[:, FIELDS.index("contact")] = contact
    out[:, FIELDS.index("employer")] = exact(table.employer)
    return out


def random_pairs(table, count: int, seed: int = 20261204):
    """Pairs drawn at random (same kind only): u probabilities are what random pairs look like."""
    import numpy as np

    rng = np.random.default_rng(seed)
    n = len(table)
    if n < 2:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    a, b = rng.integers(0, n, count), rng.integers(0, n, count)
    keep = (a != b) & (table.kind[a] == table.kind[b])
    return a[keep], b[keep]


def estimate_u(levels, prior_u: dict, records: int) -> dict:
    """u per field and level from random pairs' levels, blended with the configured u as if it had
    been measured on _PRIOR_U_PAIRS pairs: a small archive has few distinct pairs to measure (two
    archives: one pair, maybe the duplicate itself), a large one outweighs the configured values."""
    import numpy as np

    distinct = records * (records - 1) / 2
    u = {}
    for f, field in enumerate(FIELDS):
        column = levels[:, f]
        column = column[column >= 0]
        counts = np.bincount(column, minlength=len(LEVELS[field])).astype(float)
        prior = np.array(prior_u[field], dtype=float)
        total = counts.sum()
        if not total:
            u[field] = prior.tolist()
            continue
        seen = min(total, distinct * total / max(len(levels), 1))
        share = (counts / total * seen + prior * _PRIOR_U_PAIRS) / (seen + _PRIOR_U_PAIRS)
        u[field] = np.maximum(share, _FLOOR).tolist()
    return u


def name_u(others, records: int, u_same: float):
    """Term-frequency u of an agreeing name: the share of the other archives with the same name,
    blended with the configured u as for estimate_u (two 张伟 in a two-card archive is no statistic)."""
    return (others + u_same * _PRIOR_U_PAIRS) / (records + _PRIOR_U_PAIRS)


def estimate_m(levels, u: dict, m: dict, prior: float, iterations: int = 25,
               excluded: tuple[str, ...] = (), only_prior: bool = False) -> tuple[dict, float]:
    """EM for m and the match share among ``levels``' pairs, u held fixed (Splink's training order).

    ``excluded`` fields count as missing: those the pairs were selected by, whose agreement says
    nothing (Splink excludes a training session's blocking columns the same way).
    ``only_prior``: m fixed too, only the match share is estimated.
    """
    import numpy as np

    if not len(levels):
        return m, prior
    levels = levels.copy()
    for name in excluded:
        levels[:, FIELDS.index(name)] = -1
    width = len(FIELDS)
    shifted = levels.astype(np.int64) + 1
    code = np.zeros(len(levels), dtype=np.int64)
    for f in range(width):
        code = code * 8 + shifted[:, f]
    patterns, first, weight = np.unique(code, return_index=True, return_counts=True)
    pattern_levels = levels[first]
    weight = weight.astype(float)
    start = {field: np.array(values, dtype=float) for field, values in m.items()}
    m = dict(start)
    uu = {field: np.array(values, dtype=float) for field, values in u.items()}
    lam = prior
    for _ in range(iterations):
        log_m = np.zeros(len(patterns))
        log_u = np.zeros(len(patterns))
        for f, field in enumerate(FIELDS):
            level = pattern_levels[:, f]
            seen = level >= 0
            log_m[seen] += np.log(m[field][level[seen]])
            log_u[seen] += np.log(uu[field][level[seen]])
        odds = np.exp(np.clip(np.log(lam) - np.log1p(-lam) + log_m - log_u, -50, 50))
        p = odds / (1 + odds)
        matched = p * weight
        lam = float(np.clip(matched.sum() / weight.sum(), 1e-6, 1 - 1e-6))
        if only_prior:
            continue
        for f, field in enumerate(FIELDS):
            if field in excluded:
                continue
            level = pattern_levels[:, f]
            seen = level >= 0
            counts = np.bincount(level[seen], weights=matched[seen], minlength=len(LEVELS[field]))
            # The starting values weigh as _PRIOR_PAIRS pairs: a small archive keeps them, a large one
            # outweighs them.
            m[field] = np.maximum((counts + _PRIOR_PAIRS * start[field]) / (counts.sum() + _PRIOR_PAIRS), _FLOOR)
    return {field: values.tolist() for field, values in m.items()}, lam


def weights(levels, m: dict, u: dict, name_u=None):
    """log2(m/u) per pair and field (0 where missing); ``name_u`` overrides u for name agreements."""
    import numpy as np

    out = np.zeros(levels.shape, dtype=np.float32)
    for f, field in enumerate(FIELDS):
        level = levels[:, f]
        seen = level >= 0
        ratio = np.log2(np.array(m[field]) / np.array(u[field]))
        out[seen, f] = ratio[level[seen]]
        if field == "name" and name_u is not None:
            agree = level >= 2
            out[agree, f] = np.log2(np.array(m[field])[level[agree]] / np.maximum(name_u[agree], _FLOOR))
    return out


def probability(field_weights, prior: float):
    import numpy as np

    total = field_weights.sum(axis=1) + np.log2(prior / (1 - prior))
    return 1 / (1 + np.exp2(-np.clip(total, -60, 60)))

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
    # A household shared under another name is a family (or a shared number), not the same customer:
    # its own level, so EM weighs it apart from a household shared under the same name.
    "contact": ("different", "same city", "same district", "same address", "same phone",
                "same phone and address", "same phone or address, other name"),
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
    only the ``window`` nearest neighbours (in ``order_by`` order) in a larger one.

    Most keys are held by one row: those rows are dropped after one sort of the keys, and only the
    rows in groups are ordered by (key, order_by), so the working memory is a few arrays of the
    archive's length, not of its square."""
    import numpy as np

    present = np.flatnonzero(keys).astype(np.int32)
    if len(present) < 2:
        return np.empty(0, np.int64)
    key = keys[present]
    order = np.argsort(key, kind="stable")
    key = key[order]
    repeated = key[1:] == key[:-1]
    grouped = np.zeros(len(key), dtype=bool)
    grouped[1:] |= repeated
    grouped[:-1] |= repeated
    rows = present[order[grouped]]
    del present, order, key, repeated, grouped
    key = keys[rows]
    order = np.lexsort((order_by[rows], key))
    rows, key = rows[order], key[order]
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    sizes = np.diff(np.r_[starts, len(key)])
    size = np.repeat(sizes, sizes)
    found = []
    widest = int(sizes.max()) if len(sizes) else 0
    for step in range(1, min(widest, max_block)):
        same = key[:-step] == key[step:]
        if step > window:
            same &= size[:-step] <= max_block
        if not same.any():
            break
        a, b = rows[:-step][same].astype(np.int64), rows[step:][same].astype(np.int64)
        found.append(np.minimum(a, b) * (1 << 31) + np.maximum(a, b))
    return np.concatenate(found) if found else np.empty(0, np.int64)


def candidates(table, max_block: int, window: int, progress=None) -> Pairs:
    """The union of the blocking rules' pairs, each pair once."""
    import numpy as np

    mix = np.uint64(0x9E3779B97F4A7C15)

    def combined(other):
        """The name's pinyin hash mixed with another key (0 where either is missing), built in place."""
        key = other.astype(np.uint64)
        with np.errstate(over="ignore"):
            key *= mix
        key ^= table.pinyin.view(np.uint64)
        key = key.view(np.int64)
        key |= 1
        key[table.pinyin == 0] = 0
        key[other == 0] = 0
        return key

    # (keys, order inside an oversized group, its size cap, its window); keys are built one rule at a
    # time. A person's name alone is no rule (张伟 alone pairs every 张伟: ten times the pairs for a
    # few re-entries that lost their birth date, phone and e-mail at once); a company's core name
    # alone is, with a tighter cap, since a company has no birth date and may have moved.
    rules = [(lambda: table.phone, max_block, window), (lambda: table.email, max_block, window),
             (lambda: table.id_number, max_block, window), (lambda: table.credit_code, max_block, window),
             (lambda: combined(table.birth // 10000), max_block, window),
             (lambda: combined(table.city), max_block, window),
             (lambda: np.where(table.kind == 2, table.pinyin, 0), max(max_block // 3, 2), max(window // 3, 1))]
    orders = [table.pinyin, table.pinyin, table.pinyin, table.pinyin, table.birth, table.birth, table.city]
    codes = []
    for (keys, cap, width), order_by in zip(rules, orders):
        codes.append(block_pairs(keys(), order_by, cap, width))
        if progress:
            progress(1)
    code = np.concatenate(codes)
    del codes
    code.sort()                      # in place (np.unique takes several copies)
    code = code[np.r_[True, code[1:] != code[:-1]]] if len(code) else code
    # row indexes fit int32 (a table holds under 2**31 rows): made as int32 here, not as int64 to be
    # narrowed by the caller
    left = (code >> 31).astype(np.int32)
    code &= (1 << 31) - 1
    right = code.astype(np.int32)
    del code
    return Pairs(left=left, right=right)


_ROLE_MAILBOXES = {b"info", b"sales", b"service", b"hr", b"admin", b"contact", b"office", b"support", b"kefu",
                   b"market", b"finance", b"job", b"jobs", b"mail", b"webmaster"}


def _typo(a: bytes, b: bytes) -> bool:
    """Two e-mails a few edits apart are one mistyped address only if the slip is in a mailbox name
    of four or more characters at the same domain, or in the domain of a mailbox name long enough
    to be personal: info@abc.com and info@abd.com are two companies, wa@163.com and wb@163.com two
    people."""
    local_a, _, domain_a = a.partition(b"@")
    local_b, _, domain_b = b.partition(b"@")
    if domain_a == domain_b:
        return len(min(local_a, local_b, key=len)) >= 4
    return local_a == local_b and len(local_a) >= 5 and local_a not in _ROLE_MAILBOXES


def _pairwise(texts, left, right, scorer, chunk: int = 100_000):
    """``scorer`` of texts[left[i]] and texts[right[i]], in chunks: each pair's two strings exist as
    Python objects only while their chunk is scored (two million pairs would be 200 MB of them)."""
    import numpy as np
    from rapidfuzz import process

    out = np.empty(len(left), dtype=np.float64)
    for start in range(0, len(left), chunk):
        part = slice(start, start + chunk)
        out[part] = process.cpdist(texts[left[part]].tolist(), texts[right[part]].tolist(), scorer=scorer, workers=1)
    return out


def compare(table, left, right, chunk: int = 250_000):
    """The comparison level of every field for the pairs (left[i], right[i]): int8 (pairs, fields).

    In chunks of pairs, so the gathered values of two million pairs never exist at once."""
    import numpy as np

    out = np.empty((len(left), len(FIELDS)), dtype=np.int8)
    for start in range(0, len(left), chunk):
        part = slice(start, start + chunk)
        out[part] = _compare(table, left[part], right[part])
    return out


def _compare(table, left, right):
    import numpy as np
    from rapidfuzz.distance import Levenshtein

    n = len(left)
    out = np.zeros((n, len(FIELDS)), dtype=np.int8)

    def exact(column):
        a, b = column[left], column[right]
        level = (a == b).astype(np.int8)
        level[(a == 0) | (b == 0)] = -1
        return level

    name = np.zeros(n, dtype=np.int8)
    name[table.pinyin[left] == table.pinyin[right]] = 2
    name[(table.name[left] == table.name[right]) & (name == 2)] = 3
    rest = np.flatnonzero(name == 0)
    if len(rest):
        similarity = _pairwise(table.pinyin_text, left[rest], right[rest], Levenshtein.normalized_similarity)
        name[rest[similarity >= _SIMILAR_NAME]] = 1
    out[:, FIELDS.index("name")] = name
    email = exact(table.email) * 2
    typo = np.flatnonzero(email == 0)
    if len(typo):
        distance = _pairwise(table.email_text, left[typo], right[typo], Levenshtein.distance)
        close = typo[distance <= _EMAIL_TYPO]
        email[close[[_typo(table.email_text[left[i]], table.email_text[right[i]]) for i in close]]] = 1
    email[email < 0] = -1
    out[:, FIELDS.index("email")] = email
    out[:, FIELDS.index("id_number")] = exact(table.id_number)
    out[:, FIELDS.index("credit_code")] = exact(table.credit_code)
    a, b = table.birth[left], table.birth[right]
    birth = (a // 10000 == b // 10000).astype(np.int8)
    birth[a == b] = 2
    birth[(a == 0) | (b == 0)] = -1
    del a, b
    out[:, FIELDS.index("birth_date")] = birth
    out[:, FIELDS.index("gender")] = exact(table.gender)
    city = exact(table.city)
    district = exact(table.district)
    address = exact(table.address)
    place = city.copy()                     # -1 missing, 0 different, 1 same city
    place[district == 1] = 2
    place[address == 1] = 3
    phone = exact(table.phone)
    contact = np.maximum(place, 0)
    contact[phone == 1] = 4
    contact[(phone == 1) & (place == 3)] = 5
    contact[(phone == -1) & (place == -1)] = -1
    contact[(contact >= 3) & (name == 0)] = 6
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


def against(levels, decisive: tuple[str, ...]):
    """Pairs two of whose ``decisive`` values (resident ID, credit code) are both present and differ.

    Those are two customers whatever else they share: a person has one resident ID and a company
    one credit code, and the archive refuses a second card with the same one. Fellegi–Sunter would
    add up the fields as independent evidence, and a namesake born the same day (王丽红, with a
    million archives there are thousands) outweighed the different ID."""
    import numpy as np

    out = np.zeros(len(levels), dtype=bool)
    for name in decisive:
        out |= levels[:, FIELDS.index(name)] == 0
    return out


def estimate_m(levels, u: dict, m: dict, prior: float, iterations: int = 25,
               excluded: tuple[str, ...] = (), only_prior: bool = False,
               decisive: tuple[str, ...] = ()) -> tuple[dict, float]:
    """EM for m and the match share among ``levels``' pairs, u held fixed (Splink's training order).

    ``excluded`` fields count as missing: those the pairs were selected by, whose agreement says
    nothing (Splink excludes a training session's blocking columns the same way).
    ``only_prior``: m fixed too, only the match share is estimated.
    ``decisive``: pairs these fields tell apart (``against``) are known non-matches in every step,
    so a blocked set crowded with namesakes is not taken for a set of duplicates.
    """
    import numpy as np

    if not len(levels):
        return m, prior
    levels = levels.copy()
    for name in excluded:
        levels[:, FIELDS.index(name)] = -1
    width = len(FIELDS)
    code = np.zeros(len(levels), dtype=np.int64)
    for f in range(width):          # column by column: a pairs × fields int64 copy is 130 MB at 2M pairs
        code *= 8
        code += levels[:, f]
        code += 1
    patterns, first, weight = np.unique(code, return_index=True, return_counts=True)
    pattern_levels = levels[first]
    known_apart = against(pattern_levels, decisive)
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
        p[known_apart] = 0.0
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


def probability(levels, m: dict, u: dict, name_u, prior: float, decisive: tuple[str, ...] = ()):
    """The match probability of every pair: prior odds plus the fields' weights, summed field by
    field (a pairs × fields matrix of weights would double the memory of a million-archive run);
    0 for a pair its ``decisive`` fields tell apart (``against``)."""
    import numpy as np

    total = np.full(len(levels), np.log2(prior / (1 - prior)))
    for f, field in enumerate(FIELDS):
        level = levels[:, f]
        ratio = np.append(np.log2(np.array(m[field]) / np.array(u[field])), 0.0)   # level -1: missing, 0
        total += ratio[level]
        if field == "name" and name_u is not None:
            agree = np.flatnonzero(level >= 2)
            total[agree] += (np.log2(np.array(m[field])[level[agree]] / np.maximum(name_u[agree], _FLOOR))
                             - ratio[level[agree]])
    out = 1 / (1 + np.exp2(-np.clip(total, -60, 60)))
    out[against(levels, decisive)] = 0.0
    return out

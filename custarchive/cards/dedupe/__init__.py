"""Duplicate archives a clerk can act on: ranked by match probability, each with its evidence.

``find`` reads every active archive into columns (features), pairs only archives that share a
blocking key — phone, e-mail, identity key, the pinyin of the name with the birth year or the city,
a company's core name — with a cap on a group's size so 张伟 stays linear (model.block_pairs), scores
the pairs with a Fellegi–Sunter model estimated on this archive (model), and splits them into likely
duplicates (probability ≥ ``min_probability``) and related archives (a family or a shared number:
same phone, address or e-mail, but not the same customer). Pairs a person marked "not a duplicate"
(``decisions``) are never proposed again.
"""
from __future__ import annotations

from dataclasses import dataclass, field as dataclass_field

from sqlalchemy import text

from custarchive.core.settings import number, section
from custarchive.errors import ValidationError


IDENTITY_KEYS = ("id_number", "credit_code")


def dedupe_settings() -> dict:
    settings = section("dedupe", "dedupe.toml")
    number(settings, "min_probability", "dedupe")
    number(settings, "max_block", "dedupe", minimum=2)
    number(settings, "window", "dedupe", minimum=1)
    number(settings, "random_pairs", "dedupe", minimum=1000)
    from custarchive.cards.dedupe.model import FIELDS

    decisive = settings.get("decisive", [])
    if not isinstance(decisive, list) or any(name not in FIELDS for name in decisive):
        raise ValidationError("dedupe.decisive", decisive, "must be a list of: " + ", ".join(FIELDS))
    settings["decisive"] = tuple(decisive)
    return settings


class Listing:
    """Pairs made into dicts (numbers, names, evidence) only when read: thirty thousand of them at
    once would be a hundred megabytes, and a terminal shows twenty."""

    def __init__(self, indexes, build):
        self.indexes, self.build = indexes, build

    def __len__(self) -> int:
        return len(self.indexes)

    def __iter__(self):
        return (self.build(int(i)) for i in self.indexes)

    def __getitem__(self, at):
        if isinstance(at, slice):
            return [self.build(int(i)) for i in self.indexes[at]]
        return self.build(int(self.indexes[at]))


@dataclass
class Found:
    duplicates: Listing
    related: Listing
    model: dict
    counts: dict = dataclass_field(default_factory=dict)


def _evidence(levels_row, weight_row) -> dict:
    from custarchive.cards.dedupe.model import FIELDS, LEVELS

    fields, agree, against, missing = {}, [], [], []
    for f, name in enumerate(FIELDS):
        level = int(levels_row[f])
        if level < 0:
            missing.append(name)
            continue
        w = round(float(weight_row[f]), 1)
        fields[name] = {"level": LEVELS[name][level], "weight": w}
        (agree if w > 0 else against).append(name)
    return {"fields": fields, "for": agree, "against": against, "missing": missing}


def _names(conn, ids: list[int]) -> dict[int, tuple[str, str]]:
    found: dict[int, tuple[str, str]] = {}
    ids = sorted(set(ids))
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        marks = ", ".join(str(int(i)) for i in chunk)
        for cid, number_, name in conn.execute(text(f"SELECT id, archive_no, name FROM customers WHERE id IN ({marks})")):
            found[cid] = (number_, name)
    return found


def declined(conn) -> set[tuple[int, int]]:
    """Pairs of customer ids a person marked "not a duplicate"."""
    return {(a, b) for a, b in conn.execute(text("SELECT customer_a, customer_b FROM dedupe_decisions "
                                                 "WHERE decision = 'not'"))}


def _without(table, left, right, skipped):
    """The pairs minus those declined (customer ids mapped to rows: the table is in id order)."""
    import numpy as np

    ids = np.array(sorted(skipped), dtype=np.int64)
    rows = np.searchsorted(table.ids, ids).clip(0, len(table) - 1)
    present = (table.ids[rows[:, 0]] == ids[:, 0]) & (table.ids[rows[:, 1]] == ids[:, 1])
    a, b = rows[present, 0], rows[present, 1]
    codes = np.minimum(a, b) * (1 << 31) + np.maximum(a, b)
    keep = ~np.isin(left.astype(np.int64) * (1 << 31) + right, codes)
    return left[keep], right[keep]


def train_u(table, settings: dict) -> dict:
    """u from random pairs of this archive (what two different customers look like)."""
    from custarchive.cards.dedupe import model

    a, b = model.random_pairs(table, int(settings["random_pairs"]))
    return model.estimate_u(model.compare(table, a, b), settings["u"], len(table))


def train(pairs_levels, u: dict, settings: dict) -> tuple[dict, float]:
    """(m, prior) by EM over the blocked pairs, u fixed."""
    from custarchive.cards.dedupe import model

    m = {field: list(values) for field, values in settings["m"].items()}
    name, email, birth = (model.FIELDS.index(f) for f in ("name", "email", "birth_date"))
    # Two training sessions, as Splink trains: pairs sharing the name's pinyin and birth year teach
    # every field but those two; pairs sharing an e-mail teach every field but the e-mail. (Not pairs
    # sharing a phone: most of those are families, and EM would learn "family" as the match class.)
    by_name = pairs_levels[(pairs_levels[:, name] >= 2) & (pairs_levels[:, birth] >= 1)]
    by_email = pairs_levels[pairs_levels[:, email] == 2]
    prior = float(settings["prior"])
    decisive = settings["decisive"]
    m_name, _ = model.estimate_m(by_name, u, m, 0.3, excluded=("name", "birth_date"), decisive=decisive)
    m_email, _ = model.estimate_m(by_email, u, m, 0.3, excluded=("email",), decisive=decisive)
    for field in model.FIELDS:
        if field in ("name", "birth_date"):
            m[field] = m_email[field]
        elif field == "email":
            m[field] = m_name[field]
        else:
            m[field] = [(x + y) / 2 for x, y in zip(m_name[field], m_email[field])]
    for field in IDENTITY_KEYS:     # unique keys: never learnt from pairs (a match never has both)
        m[field] = list(settings["m"][field])
    _m, prior = model.estimate_m(pairs_levels, u, m, prior, only_prior=True, decisive=decisive)
    return m, prior


def name_frequency(table, u_same: float):
    """Per row: the share of the other archives whose name has the same pinyin (the tf-adjusted u of an
    agreeing name: the chance that a different customer has it too)."""
    import numpy as np

    from custarchive.cards.dedupe.model import name_u

    _values, inverse, counts = np.unique(table.pinyin, return_inverse=True, return_counts=True)
    return name_u((counts[inverse] - 1).astype(np.float64), len(table), u_same)


def find(conn, min_probability: float | None = None, progress=None, related: bool = False) -> Found:
    """Likely duplicates (ranked, most likely first) among the active archives, and the related ones
    (counted; listed with ``related``: a million-archive run may have hundreds of thousands)."""
    import numpy as np

    from custarchive.cards.dedupe import features, model

    settings = dedupe_settings()
    threshold = settings["min_probability"] if min_probability is None else min_probability
    total = features.count(conn)
    done = 0

    def loaded(rows: int) -> None:
        nonlocal done
        done += rows
        if progress:
            progress(done, total)

    table = features.load(conn, list(settings["legal_forms"]), loaded)
    if progress:
        progress(0, 9, "blocking")
    steps = iter(range(1, 10))

    def step(_n=1) -> None:
        if progress:
            progress(next(steps), 9, "blocking")

    u = train_u(table, settings)
    step()
    pairs = model.candidates(table, int(settings["max_block"]), int(settings["window"]), step)
    left, right = pairs.left, pairs.right    # int32 row indexes
    del pairs
    skipped = declined(conn)
    if skipped and len(left):
        left, right = _without(table, left, right, skipped)
    levels = model.compare(table, left, right)
    step()
    ids, kind = table.ids, table.kind
    frequency = name_frequency(table, u["name"][-1])[left]
    size = len(table)
    del table                        # the columns are no longer needed: their memory goes back
    if progress:
        progress(0, 3, "scoring")
    m, prior = train(levels, u, settings)
    if progress:
        progress(1, 3, "scoring")
    probability = model.probability(levels, m, u, frequency, prior, settings["decisive"])
    probability[kind[left] != kind[right]] = 0.0
    likely = probability >= threshold
    contact, email = model.FIELDS.index("contact"), model.FIELDS.index("email")
    shared = ~likely & ((levels[:, contact] >= 3) | (levels[:, email] == 2))
    order = np.flatnonzero(likely)[np.argsort(-probability[likely], kind="stable")]
    rel_order = np.flatnonzero(shared) if related else np.empty(0, dtype=np.int64)
    shown = np.r_[order, rel_order]
    names = _names(conn, [int(ids[i]) for i in np.r_[left[shown], right[shown]]])
    weights = dict(zip(shown.tolist(), model.weights(levels[shown], m, u, frequency[shown])))

    def pair(i: int, relation: str) -> dict:
        a, b = names[int(ids[left[i]])], names[int(ids[right[i]])]
        if a[0] > b[0]:
            a, b = b, a
        return {"a": a[0], "a_name": a[1], "b": b[0], "b_name": b[1], "relation": relation,
                "probability": round(float(probability[i]), 4), **_evidence(levels[i], weights[i])}

    duplicates = Listing(order, lambda i: pair(i, "duplicate"))
    related_pairs = Listing(rel_order, lambda i: pair(i, "related"))
    if progress:
        progress(3, 3, "scoring")
    summary = {"archives": size, "candidate_pairs": int(len(left)), "declined": len(skipped),
               "min_probability": threshold, "prior": round(prior, 6),
               "m": {k: [round(x, 5) for x in v] for k, v in m.items()},
               "u": {k: [round(x, 7) for x in v] for k, v in u.items()}}
    return Found(duplicates=duplicates, related=related_pairs, model=summary,
                 counts={"duplicates": len(duplicates), "related": int(shared.sum())})

"""Reading archives: resolve a REF, fetch a card, list, search, history.

Queries are composed from the Core tables of ``custarchive.models`` (no ORM:
``show`` and ``search`` are on the start-up path, and ``sqlalchemy.orm`` alone
costs about 0.2 s to import). The list/export path streams rows straight from
the driver, so its SQL stays text, with the column list taken from the card.
"""
from __future__ import annotations

import json
from typing import Any

from sqlalchemy import and_, func, literal_column, or_, select, text

from custarchive.core import authz, values
from custarchive.core.crypto import INDEX_COLUMNS, keyring, open_card, open_logged
from custarchive.core.fields import CANONICAL
from custarchive.core.phones import search_forms as phone_search_forms
from custarchive.core.searchindex import normalize_query, query_grams
from custarchive.core.sqlutil import chunks, prefix_params
from custarchive.core.values import normalize_text
from custarchive.errors import Ambiguous, NotFound, ValidationError
from custarchive.models import DERIVED_COLUMNS, Card, change_log, customers, name_grams

DATA_COLUMNS = tuple(name for name in CANONICAL if name not in ("archive_no", "kind", "category"))
# id, archive_no, kind, category, template, status, merged_into, grade, created_at, updated_at, created_by
SYSTEM_COLUMNS = tuple(column.name for column in customers.c
                       if column.name not in DATA_COLUMNS + DERIVED_COLUMNS + ("extra",))
CARD_COLUMNS = SYSTEM_COLUMNS + DATA_COLUMNS + ("extra",)
_CARD = select(*(customers.c[name] for name in CARD_COLUMNS))  # a name missing from the table fails here
_SELECT = f"SELECT {', '.join(CARD_COLUMNS)} FROM customers"  # the streamed list/export path
LIST_FILTERS = ("category", "kind", "industry", "city", "grade", "status", "owner", "team")
SORTABLE = set(CARD_COLUMNS) - {"extra"}


def visible(conn, query):
    """``query`` (on customers) narrowed to the archives the reading operator may see: their data scope
    (own / team / all, collaborations and the pool: ``authz.Scope``), set on the connection by Database."""
    scope = authz.current_scope(conn)
    condition = scope.condition() if scope is not None else None
    return query.where(text(condition[0]).bindparams(**condition[1])) if condition else query


def _hidden(conn) -> frozenset[str]:
    scope = authz.current_scope(conn)
    return authz.hidden_columns(scope.role) if scope is not None else frozenset()


def _card_select(conn):
    """The card columns, a column the role may not read (a viewer's sensitive ones) as NULL."""
    hidden = _hidden(conn)
    if not hidden:
        return _CARD
    return select(*(literal_column("NULL").label(name) if name in hidden else customers.c[name]
                    for name in CARD_COLUMNS))


def row_to_card(row, conn=None) -> Card:
    """A card in clear; with ``conn``, encrypted values are opened (the key is loaded only if needed)."""
    card: dict[str, Any] = dict(zip(CARD_COLUMNS, row))
    extra = card.pop("extra")
    card["extra"] = json.loads(extra) if extra else {}
    return open_card(conn, card) if conn is not None else card  # type: ignore[return-value]


def fetch_by_ids(conn, ids: list[int]) -> list[Card]:
    cards = []
    for part in chunks(list(ids)):
        query = visible(conn, _card_select(conn).where(customers.c.id.in_(part)))
        cards += [row_to_card(row, conn) for row in conn.execute(query)]
    order = {value: n for n, value in enumerate(ids)}
    return sorted(cards, key=lambda card: order[card["id"]])


def get_by_number(conn, archive_no: str) -> Card | None:
    row = conn.execute(visible(conn, _card_select(conn).where(customers.c.archive_no == archive_no))).first()
    return row_to_card(row, conn) if row else None


def _follow_merge(conn, card: Card) -> Card:
    seen = set()
    while card["status"] == "merged" and card["merged_into"] and card["id"] not in seen:
        seen.add(card["id"])
        target = fetch_by_ids(conn, [card["merged_into"]])
        if not target:
            break
        card = target[0]
    return card


def resolve(conn, ref: str) -> Card:
    """The one way to turn a REF into an archive: number, or a unique name/phone/ID/code/email."""
    ref = (ref or "").strip()
    if not ref:
        raise ValidationError("REF", ref, "empty reference")
    card = get_by_number(conn, normalize_query(ref).upper())
    if card:
        return _follow_merge(conn, card)

    conditions = [customers.c.name.in_({normalize_text(ref), ref})]
    for column, parse in _identity_parsers():
        try:
            value = parse(ref)
        except ValidationError:
            continue
        if column in INDEX_COLUMNS:
            conditions.append(customers.c[INDEX_COLUMNS[column]] == keyring(conn).index(column, value))
        else:
            conditions.append(customers.c[column] == value)
    rows = conn.execute(visible(conn, _card_select(conn).where(or_(*conditions), customers.c.status != "merged"))
                        .order_by(customers.c.archive_no).limit(21)).all()
    if not rows:
        raise NotFound(f"no archive matches {ref!r}")
    if len(rows) > 1:
        raise Ambiguous(ref, [f"{row[1]} {row[CARD_COLUMNS.index('name')]}" for row in rows])
    return row_to_card(rows[0], conn)


def _identity_parsers():
    return (("phone", values.parse_phone), ("id_number", values.parse_id_number),
            ("credit_code", values.parse_credit_code), ("email", values.parse_email))


def list_where(filters: dict[str, str | None], conn=None) -> tuple[str, dict]:
    """`` WHERE …`` for the ``list``/``export`` filters: active archives unless a status is given;
    with ``conn``, only those the reading operator may see (:func:`visible`)."""
    conditions, params = [], {}
    scope = authz.current_scope(conn) if conn is not None else None
    condition = scope.condition() if scope is not None else None
    if condition:
        conditions.append(condition[0])
        params.update(condition[1])
    for key in LIST_FILTERS:
        value = filters.get(key)
        if value is None:
            continue
        if key == "status" and value == "all":
            continue
        conditions.append(f"{key} = :{key}")
        params[key] = value.upper() if key in ("category", "grade") else value
    if filters.get("status") is None:
        conditions.append("status = 'active'")
    return (f" WHERE {' AND '.join(conditions)}" if conditions else ""), params


def list_query(filters: dict[str, str | None], sort: str = "archive_no", limit: int | None = None,
               descending: bool = False, columns: str | None = None, conn=None) -> tuple[str, dict]:
    """The SELECT behind ``list`` and ``export``: filters, default active only, stable order; with
    ``conn``, the reading operator's scope and hidden columns apply."""
    if sort not in SORTABLE:
        raise ValidationError("--sort", sort, f"cannot sort by this (use one of: {', '.join(sorted(SORTABLE))})")
    where, params = list_where(filters, conn)
    order = f" ORDER BY {sort} {'DESC' if descending else 'ASC'}, archive_no"
    hidden = _hidden(conn) if conn is not None else frozenset()
    if hidden and not columns:
        columns = ", ".join(f"NULL AS {name}" if name in hidden else name for name in CARD_COLUMNS)
    select = f"SELECT {columns} FROM customers" if columns else _SELECT
    return select + where + order + (f" LIMIT {int(limit)}" if limit else ""), params


def list_cards(conn, filters: dict[str, str | None], sort: str = "archive_no", limit: int | None = None,
               descending: bool = False) -> list[Card]:
    query, params = list_query(filters, sort, limit, descending, conn=conn)
    return [row_to_card(row, conn) for row in conn.execute(text(query), params)]


def iter_rows(conn, query: str, params: dict, batch: int = 1000):
    """Rows of a query fetched in batches from a server-side cursor: memory stays flat for any size.

    On SQLite the driver's own cursor is used (it understands ``:name``
    parameters): plain tuples, without a SQLAlchemy Row per record.
    """
    if conn.dialect.name == "sqlite":
        cursor = conn.connection.driver_connection.cursor()
        try:
            cursor.execute(query, params)
            while part := cursor.fetchmany(batch):
                yield from part
        finally:
            cursor.close()
        return
    # per statement: ``conn.execution_options()`` would change the connection itself, and a later
    # UPDATE on it would then be sent as a server-side cursor
    result = conn.execute(text(query), params, execution_options={"stream_results": True, "yield_per": batch})
    try:
        for part in result.partitions(batch):
            yield from part
    finally:
        result.close()


def iter_cards(conn, filters: dict[str, str | None], sort: str = "archive_no"):
    """Stream cards for export without holding them all in memory."""
    query, params = list_query(filters, sort, conn=conn)
    for row in iter_rows(conn, query, params):
        yield row_to_card(row)


def _prefix(conn, column, value: str):
    """A prefix match that uses the column's btree index on both backends (``sqlutil.prefix_condition``):
    a range on SQLite, ``LIKE 'x%'`` on PostgreSQL (whose indexes have ``varchar_pattern_ops``)."""
    if conn.dialect.name == "sqlite":
        return and_(column >= value, column < value + chr(0x10FFFF))
    return column.like(prefix_params("p", value)["p_like"])


def search(conn, query: str, limit: int = 50, include_closed: bool = False) -> list[Card]:
    """Archive number, name substring, full pinyin or initials, phone, email, industry."""
    q = normalize_query(query)
    if not q:
        raise ValidationError("TEXT", query, "empty search")
    ids: dict[int, None] = {}

    def first(query, size: int | None = None):
        """Only the first ``limit`` (or ``size``) by number of one large match set can reach the answer."""
        query = visible(conn, query)
        if not include_closed:
            query = query.where(customers.c.status == "active")
        return query.order_by(customers.c.archive_no).limit(size or limit) if limit else query

    def collect(*where, limited: bool = False) -> None:
        query = select(customers.c.id).where(*where)
        for (found,) in conn.execute(first(query) if limited else visible(conn, query)):
            ids.setdefault(found, None)

    c = customers.c
    collect(_prefix(conn, c.archive_no, q.upper()))
    _name_matches(conn, q, ids, first, limit)
    compact = q.replace(" ", "").replace("-", "")
    if compact.isascii() and compact.isalpha():
        _pinyin_matches(compact, collect)
    _phone_matches(conn, q, collect)
    _sealed_matches(conn, compact, collect)
    if "@" in q or (q.isascii() and "." in q):
        collect(_prefix(conn, c.email, q))
    industries = [row[0] for row in conn.execute(select(c.industry).distinct().where(c.industry.is_not(None)))
                  if q in normalize_query(row[0])]
    for part in chunks(industries):
        collect(c.industry.in_(part), limited=True)
    cards = fetch_by_ids(conn, list(ids))
    if not include_closed:
        cards = [card for card in cards if card["status"] == "active"]
    cards.sort(key=lambda card: card["archive_no"])
    return cards[:limit] if limit else cards


def _sealed_matches(conn, compact: str, collect) -> None:
    """Resident IDs and bank accounts are encrypted: only an exact match, through their keyed hash."""
    if not compact.isascii() or not compact.isalnum() or len(compact) < 8:
        return
    try:
        collect(customers.c.id_number_hmac == keyring(conn).index("id_number", values.parse_id_number(compact)))
    except ValidationError:
        pass
    if compact.isdigit():
        collect(customers.c.bank_account_hmac == keyring(conn).index("bank_account", compact))


def _pinyin_matches(compact: str, collect) -> None:
    """Full pinyin or initials from any character position (``huaxin`` finds 北京华信科技有限公司),
    under every reading of a surname (``zr`` finds 曾荣): a substring of the stored keys."""
    pattern = f"%{compact.lower()}%"   # letters only: nothing to escape
    collect(customers.c.name_pinyin.like(pattern))
    collect(customers.c.name_initials.like(pattern))


def _phone_matches(conn, q: str, collect) -> None:
    """A phone in any written form (``+86 139 1234 5678``, ``075588886666``, ``0755-88886666``) by
    its stored form, and by its last 4 or more digits (尾号 5393, a landline without area code)."""
    prefixes, tail = phone_search_forms(q)
    for prefix in prefixes:
        collect(_prefix(conn, customers.c.phone, prefix))
    if tail:
        collect(func.replace(customers.c.phone, "-", "").like("%" + tail))


def _name_matches(conn, q: str, ids: dict, first=None, limit: int = 0) -> None:
    wanted = query_grams(q)
    if not wanted:
        return
    if len(wanted) == 1 and len(wanted[0]) == 1 and first is not None:
        _first_by_number(conn, wanted[0], ids, first, limit)
        return
    candidates: set[int] | None = None
    for gram in sorted(wanted, key=len):
        # every character starts a gram (see searchindex): one character is a prefix of grams
        match = _prefix(conn, name_grams.c.gram, gram) if len(gram) == 1 else name_grams.c.gram == gram
        found = {row[0] for row in conn.execute(select(name_grams.c.customer_id).where(match))}
        candidates = found if candidates is None else candidates & found
        if not candidates:
            return
    needle = q.replace(" ", "")
    if len(needle) <= 2:
        # a one- or two-character query is itself a gram: the index answer is already exact
        for found in sorted(candidates):
            ids.setdefault(found, None)
        return
    for part in chunks(sorted(candidates)):
        for found, name in conn.execute(select(customers.c.id, customers.c.name).where(customers.c.id.in_(part))):
            if needle in normalize_query(name).replace(" ", ""):
                ids.setdefault(found, None)


WALK_PAGE = 2000    # archives read per step of the walk in number order
WALK_PAGES = 10     # steps before the walk gives way to one query over the holders
FEW_HOLDERS = 2000  # so few holders that one query over them is cheaper than any walk


def _first_by_number(conn, character: str, ids: dict, first, limit: int) -> None:
    """One character (a surname typed alone) matches a tenth of a Chinese archive; only the first
    ``limit`` by number are shown. The holders come from one range of the gram index; then the
    archives are walked in number order a page at a time until ``limit`` of them are holders: for
    王 among a million archives the first page does. Few holders, or a walk that finds too few,
    take one query over the holders instead. No step leaves the plan to the server's estimates:
    right after an import PostgreSQL hashed all million archives to find 50 (4.7 s)."""
    grams = select(name_grams.c.customer_id).where(_prefix(conn, name_grams.c.gram, character))
    holders = {row[0] for row in conn.execute(grams)}
    if not holders:
        return
    found: list[int] = []
    walked = False
    if limit and len(holders) > FEW_HOLDERS:
        last = None
        for _ in range(WALK_PAGES):
            page = select(customers.c.id, customers.c.archive_no)
            if last is not None:
                page = page.where(customers.c.archive_no > last)
            rows = conn.execute(first(page, WALK_PAGE)).all()
            found += [cid for cid, _number in rows if cid in holders]
            if len(found) >= limit or len(rows) < WALK_PAGE:
                walked, found = True, found[:limit]    # in number order: the first ``limit`` are the answer
                break
            last = rows[-1][1]
    if not walked and len(holders) <= FEW_HOLDERS:   # by id: the primary key, whatever the estimates
        found = [row[0] for part in chunks(sorted(holders))
                 for row in conn.execute(first(select(customers.c.id).where(customers.c.id.in_(part))))]
    elif not walked:
        found = [row[0] for row in conn.execute(first(select(customers.c.id).where(customers.c.id.in_(grams))))]
    for cid in found:
        ids.setdefault(cid, None)


def history(conn, customer_id: int, reveal: bool = False) -> list[dict]:
    """The archive's log, including that of archives merged into it (each entry names its archive).

    Sensitive values come masked unless ``reveal`` (the caller logs the reveal).
    """
    ids, frontier = [customer_id], [customer_id]
    while frontier:
        frontier = [row[0] for row in conn.execute(select(customers.c.id).where(
            customers.c.merged_into.in_(frontier), customers.c.status == "merged")) if row[0] not in ids]
        ids += frontier
    log = change_log.c
    rows = conn.execute(select(log.id, log.at, log.operator, log.action, log.field, log.old_value.label("old"),
                               log.new_value.label("new"), log.reason, log.source, log.batch_id, log.archive_no)
                        .where(log.customer_id.in_(ids)).order_by(log.id))
    entries = [dict(row._mapping) for row in rows]
    for entry in entries:
        for side in ("old", "new"):
            entry[side] = open_logged(conn, entry["field"], entry[side], reveal)
    return entries


DUPLICATE_COLUMNS = ("phone", "email", "name")


def duplicate_hits(conn, column: str, value: str, exclude_id: int | None = None) -> list[tuple[str, str, str | None]]:
    """Active archives with this phone, e-mail or name, *whoever owns them*: (number, name, owner) only.

    Entry must warn of a customer another salesperson already follows, though the operator may not
    read that archive: so no scope here, and nothing but number, name and owner comes back. On a
    PostgreSQL archive with row-level security the same three columns come from the server function
    ``custarchive_duplicates`` (SECURITY DEFINER; see ``store/pgroles.py``).
    """
    if column not in DUPLICATE_COLUMNS:
        raise ValueError(column)
    if conn.dialect.name == "postgresql" and conn.execute(text(
            "SELECT to_regproc('custarchive_duplicates') IS NOT NULL")).scalar():
        rows = conn.execute(text("SELECT archive_no, name, owner FROM custarchive_duplicates(:c, :v, :x)"),
                            {"c": column, "v": value, "x": exclude_id or -1})
    else:
        rows = conn.execute(select(customers.c.archive_no, customers.c.name, customers.c.owner).where(
            customers.c[column] == value, customers.c.status == "active", customers.c.id != (exclude_id or -1))
            .order_by(customers.c.archive_no).limit(5))
    return [tuple(row) for row in rows]  # type: ignore[misc]


def possible_duplicates(conn, card: dict, exclude_id: int | None = None) -> list[str]:
    """Archives sharing a phone or email, or with the same name: warned about, never refused."""
    found = []
    for column in DUPLICATE_COLUMNS:
        value = card.get(column)
        if not value:
            continue
        found += [f"{no} {name} (same {column}" + (f"; owner {owner})" if owner else ")")
                  for no, name, owner in duplicate_hits(conn, column, value, exclude_id)]
    return found

"""Small portable SQL helpers for the fast paths (executemany, prefix matches)."""
from __future__ import annotations

from typing import Iterable, Sequence


def placeholder(conn) -> str:
    return "?" if conn.dialect.paramstyle == "qmark" else "%s"


def bulk_insert(conn, table: str, columns: Sequence[str], rows: Iterable[Sequence]) -> None:
    """executemany straight to the driver: ~4x cheaper than Core insert() per row."""
    rows = list(rows)
    if not rows:
        return
    mark = placeholder(conn)
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join([mark] * len(columns))})"
    conn.exec_driver_sql(sql, rows)


def prefix_condition(conn, column: str, param: str) -> str:
    """A prefix match that uses the column's btree index on both backends."""
    if conn.dialect.name == "sqlite":
        return f"({column} >= :{param} AND {column} < :{param} || char(1114111))"
    return f"({column} LIKE :{param}_like)"


def prefix_params(param: str, value: str) -> dict:
    escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return {param: value, f"{param}_like": escaped + "%"}


def chunks(items: Sequence, size: int = 500):
    for start in range(0, len(items), size):
        yield items[start:start + size]


def now() -> str:
    import datetime

    return datetime.datetime.now().astimezone().isoformat(timespec="seconds")


def select_in(conn, sql: str, values: Sequence, size: int = 500):
    """Rows of ``sql`` (holding one ``IN ({marks})``) for all ``values``, a chunk at a time.

    Straight to the driver: SQLAlchemy would compile a new statement for every
    distinct list length, which costs milliseconds per chunk on the bulk paths.
    """
    mark = placeholder(conn)
    for part in chunks(list(values), size):
        yield from conn.exec_driver_sql(sql.format(marks=", ".join([mark] * len(part))), tuple(part))


def picker(indexes: list[int]):
    """The cells of a row at ``indexes`` as a tuple, in one C call (itemgetter alone gives a bare
    value for a single index)."""
    from operator import itemgetter

    if len(indexes) == 1:
        index = indexes[0]
        return lambda row: (row[index],)
    return itemgetter(*indexes)

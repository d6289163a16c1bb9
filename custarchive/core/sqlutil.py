"""Small portable SQL helpers for the fast paths (executemany, prefix matches)."""
from __future__ import annotations

from typing import Iterable, Sequence


def placeholder(conn) -> str:
    return "?" if conn.dialect.paramstyle == "qmark" else "%s"


COPY_FROM_ROWS = 50  # PostgreSQL: batches of at least this many rows go through COPY


def bulk_insert(conn, table: str, columns: Sequence[str], rows: Iterable[Sequence]) -> None:
    """executemany straight to the driver: ~4x cheaper than Core insert() per row; on PostgreSQL a
    batch goes through ``COPY … FROM STDIN`` instead (one stream, no per-row statement), in the same
    transaction, so it is rolled back with everything else."""
    rows = list(rows)
    if not rows:
        return
    if conn.dialect.name == "postgresql" and len(rows) >= COPY_FROM_ROWS:
        copy_rows(conn, table, columns, rows)
        return
    mark = placeholder(conn)
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join([mark] * len(columns))})"
    conn.exec_driver_sql(sql, rows)


def copy_rows(conn, table: str, columns: Sequence[str], rows: Iterable[Sequence]) -> None:
    """Rows into a PostgreSQL table by ``COPY FROM STDIN`` on the connection's own transaction."""
    cursor = conn.connection.dbapi_connection.cursor()
    try:
        with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            write = copy.write_row
            for row in rows:
                write(row)
    finally:
        cursor.close()


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


class DeferredIndexes:
    """A table's plain (non-unique) indexes set aside during a bulk load on SQLite and rebuilt before
    the load commits.

    Keeping seven random-key indexes up to date row by row costs more than the
    rows themselves; building each once from a sort costs a fraction of it. The
    drop and the rebuild are part of the load's transaction, so a crash or a
    rollback leaves the indexes as they were, and readers in WAL mode keep
    seeing the committed schema meanwhile. Unique indexes stay, since the load
    checks identity against them as it goes. PostgreSQL is left alone: there
    ``DROP INDEX`` would lock the table against every reader until commit.
    """

    def __init__(self, conn, table: str):
        self.conn = conn
        self.table = table
        self.dropped: list[str] = []
        self.deferred = conn.dialect.name != "sqlite"  # nothing to do elsewhere

    def defer(self) -> None:
        if self.deferred:
            return
        self.deferred = True
        found = self.conn.exec_driver_sql(
            "SELECT name, sql FROM sqlite_schema WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL "
            "AND upper(sql) NOT LIKE 'CREATE UNIQUE%'", (self.table,)).all()
        for name, sql in found:
            self.conn.exec_driver_sql(f'DROP INDEX "{name}"')
            self.dropped.append(sql)

    SORT_CACHE_KIB = 8000

    def rebuild(self) -> None:
        """Build the indexes again. Each sort takes as much memory as the page cache is allowed, on
        top of the cache itself, so the cache is made small meanwhile: the peak of a long import then
        stays where the rows left it (the sorts spill to temporary files instead)."""
        if not self.dropped:
            return
        cache = self.conn.exec_driver_sql("PRAGMA cache_size").scalar()
        self.conn.exec_driver_sql(f"PRAGMA cache_size = -{self.SORT_CACHE_KIB}")
        try:
            while self.dropped:
                self.conn.exec_driver_sql(self.dropped.pop())
        finally:
            self.conn.exec_driver_sql(f"PRAGMA cache_size = {int(cache)}")

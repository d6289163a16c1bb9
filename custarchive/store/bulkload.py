"""A table that one long write transaction grows a lot (an import): keep PostgreSQL's plans fit for it.

Autovacuum cannot see rows a transaction has not committed, so PostgreSQL keeps planning for
the table as it was before the import, and psycopg's prepared statements keep that plan cached.
Measured (issue 18): the import's per-chunk identity probe (``id_number_hmac IN (…)``, 500 values)
ran as a sequential scan over every row inserted so far, so the import grew quadratically —
100,000 rows 62 s against 6 s on SQLite; per chunk 17 ms at first, 4.7 s at the end.

Two measures, both no-ops on SQLite:

- ``ANALYZE`` of the table inside the transaction each time it has doubled (log n times in all;
  ANALYZE samples a bounded number of rows). It counts the transaction's own new rows and
  invalidates the cached plans, so the probes use the unique indexes again.
- no prepared statements while the load runs (:meth:`unprepared`): where the login does not own
  the table PostgreSQL skips the ANALYZE with a warning, and a statement planned afresh is still
  planned for the table's current size (PostgreSQL scales the row estimate by the current pages).
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

ANALYZE_AFTER = 1000  # rows added before the first ANALYZE


class GrowingTable:
    def __init__(self, conn, table: str, rows_before: int):
        self.conn = conn
        self.table = table
        self.server = conn.dialect.name == "postgresql"
        self.added_at_last = 0
        self.size_at_last = rows_before

    @contextmanager
    def unprepared(self) -> Iterator[None]:
        driver = self.conn.connection.dbapi_connection if self.server else None
        if driver is None or not hasattr(driver, "prepare_threshold"):
            yield
            return
        before = driver.prepare_threshold
        driver.prepare_threshold = None
        try:
            yield
        finally:
            driver.prepare_threshold = before

    def grew(self, added: int) -> None:
        """``added`` rows in all so far: analyse the table when it has doubled since the last time."""
        if not self.server:
            return
        grown = added - self.added_at_last
        if grown < max(ANALYZE_AFTER, self.size_at_last):
            return
        self.conn.exec_driver_sql(f"ANALYZE {self.table}")
        self.added_at_last = added
        self.size_at_last += grown

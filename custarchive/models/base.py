"""The one ``MetaData`` every table is described on, and the column types the schema uses.

The database itself is built by ``custarchive.store.migrations`` (the history of real files);
these tables describe the result, for composed queries and derived column lists, and
``tests/store/test_migrations.py`` proves the two agree in full (types, nullability,
defaults, keys, unique constraints, indexes) on SQLite and PostgreSQL.
SQLAlchemy Core only: building these tables costs about a millisecond, where the
ORM would add about 80 ms to every command that opens the archive.
"""
from sqlalchemy import DOUBLE_PRECISION, BigInteger, Column, Integer, MetaData, String, Table

metadata = MetaData()

# The migrations write ``DOUBLE PRECISION`` on both backends (not FLOAT).
Double = DOUBLE_PRECISION
# m071 widened documents.size on PostgreSQL only; SQLite's INTEGER is 64-bit already.
Size = BigInteger().with_variant(Integer(), "sqlite")

schema_migrations = Table(
    "schema_migrations", metadata,
    Column("name", String(100), primary_key=True),
    Column("applied_at", String(32), nullable=False),
)

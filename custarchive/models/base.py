"""Declarative base shared by every model.

The database schema itself is created by ``custarchive.store.migrations``; these
models describe it for queries and writes, and ``tests/test_migrations.py``
checks that the two agree.
"""
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass

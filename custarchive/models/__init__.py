"""Typed SQLAlchemy models: the schema in one place.

Importing this package pulls in ``sqlalchemy.orm`` (about 0.2 s), so the
start-up path (``--help``, ``show``) does not import it.
"""
from custarchive.models.base import Base
from custarchive.models.changes import ChainHead, Change, User
from custarchive.models.customer import Category, Counter, Customer, NameGram
from custarchive.models.protection import Consent, Erasure, ProtectionMeta, SecurityEvent

__all__ = ["Base", "Category", "ChainHead", "Change", "Consent", "Counter", "Customer", "Erasure", "NameGram",
           "ProtectionMeta", "SecurityEvent", "User"]

"""Typed SQLAlchemy models: the schema in one place.

Importing this package pulls in ``sqlalchemy.orm`` (about 0.2 s), so the
start-up path (``--help``, ``show``) does not import it.
"""
from custarchive.models.base import Base
from custarchive.models.changes import ChainHead, Change, User
from custarchive.models.credit import Assessment, FinanceStatement
from custarchive.models.customer import Category, Counter, Customer, NameGram
from custarchive.models.protection import Consent, Erasure, ProtectionMeta
from custarchive.models.living import Document, TimelineEntry, Transaction
from custarchive.models.worksheets import (CompetitiveAdvantage, Competitor, PerformanceIndex, ProfileValue,
                                           SwotItem)


__all__ = [
    "Assessment",
    "Base",
    "Category",
    "ChainHead",
    "Change",
    "CompetitiveAdvantage",
    "Competitor",
    "Consent",
    "Counter",
    "Customer",
    "Erasure",
    "Document",
    "FinanceStatement",
    "NameGram",
    "PerformanceIndex",
    "ProfileValue",
    "ProtectionMeta",
    "SwotItem",
    "TimelineEntry",
    "Transaction",
    "User",
]

"""The schema in one place: SQLAlchemy Core tables on one ``MetaData``.

Domain modules compose their queries from these tables and derive their column lists
from them. Core only, no ``sqlalchemy.orm``: building every table costs about a millisecond,
so the start-up path (``show``, ``search``) may import this package.
"""
from custarchive.models.base import metadata, schema_migrations
from custarchive.models.changes import chain_head, change_log, collaborators, security_log, users
from custarchive.models.credit import assessments, finance_statements
from custarchive.models.customer import (DERIVED_COLUMNS, Card, categories, counters, customers,
                                         dedupe_decisions, name_grams)
from custarchive.models.living import documents, timeline, transactions
from custarchive.models.protection import consents, erasures, protection_meta
from custarchive.models.surveys import survey_answers, survey_batches, survey_responses
from custarchive.models.worksheets import (competitive_advantages, competitors, customer_profiles,
                                           performance_indices, swot_items)

__all__ = [
    "Card", "DERIVED_COLUMNS", "assessments", "categories", "chain_head", "change_log", "collaborators", "competitive_advantages",
    "competitors", "consents", "counters", "customer_profiles", "customers", "dedupe_decisions", "documents", "erasures",
    "finance_statements", "metadata", "name_grams", "performance_indices", "protection_meta",
    "schema_migrations", "security_log", "survey_answers", "survey_batches", "survey_responses", "swot_items", "timeline",
    "transactions", "users",
]

"""Questionnaire answers (surveys/): one response per respondent and date, one answer row per question
(a multiple choice gives one row per ticked option, so counts are a GROUP BY)."""
from sqlalchemy import Column, ForeignKey, Index, Integer, String, Table, Text

from custarchive.models.base import Double, metadata

# One imported file (or one interview): what was read, so the same file is not counted twice.
survey_batches = Table(
    "survey_batches", metadata,
    Column("id", String(40), primary_key=True),
    Column("survey", String(60), nullable=False),
    Column("file_name", String(300)),
    Column("sha256", String(64)),
    Column("responses", Integer, nullable=False),
    Column("created_at", String(32), nullable=False),
    Column("created_by", String(64), nullable=False),
    Index("ix_survey_batches_sha256", "survey", "sha256"),
)

survey_responses = Table(
    "survey_responses", metadata,
    Column("id", Integer, primary_key=True),
    Column("survey", String(60), nullable=False),
    Column("customer_id", Integer, ForeignKey("customers.id")),
    Column("responded_on", String(10), nullable=False),
    Column("channel", String(12), nullable=False),
    Column("batch_id", String(40)),
    Column("line", Integer),
    Column("created_at", String(32), nullable=False),
    Column("created_by", String(64), nullable=False),
    Index("ix_survey_responses_survey", "survey", "responded_on"),
    Index("ix_survey_responses_customer", "customer_id"),
)

# customer_id repeats the respondent's, so subject-export, erase and merge find answers by that column.
survey_answers = Table(
    "survey_answers", metadata,
    Column("response_id", Integer, ForeignKey("survey_responses.id"), primary_key=True),
    Column("question", String(60), primary_key=True),
    Column("item", Integer, primary_key=True, autoincrement=False),
    Column("choice", String(100)),
    Column("number", Double),
    Column("text", Text),
    Column("customer_id", Integer, ForeignKey("customers.id")),
    sqlite_with_rowid=False,
)

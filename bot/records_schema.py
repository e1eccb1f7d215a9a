"""The tables of the records database (SQLAlchemy Core), as the newest migration leaves them.

The code reads and writes through these :class:`sqlalchemy.Table` objects; the schema itself is made
and changed only by the migrations in ``bot/migrations/versions`` (which spell their own DDL, so an
old migration never changes when a table here does).
"""
from __future__ import annotations

from sqlalchemy import Boolean, Column, Integer, MetaData, Table, Text, UniqueConstraint

metadata = MetaData()

feedback = Table(
    "feedback", metadata,
    Column("id", Integer, primary_key=True),
    Column("created_at", Text, nullable=False),
    Column("useful", Integer, nullable=False),
    Column("question", Text, nullable=False),
    Column("region", Text),
    Column("outcome", Text),
    Column("reason", Text),
    Column("conclusion", Text),
    Column("doc_ids", Text, nullable=False, server_default="[]"),
)

queue = Table(
    "queue", metadata,
    Column("id", Integer, primary_key=True),
    Column("created_at", Text, nullable=False),
    Column("kind", Text, nullable=False),
    Column("question", Text, nullable=False),
    Column("region", Text),
    Column("reason", Text),
    Column("conclusion", Text),
    Column("handled_at", Text),
    Column("handled_by", Text),
    Column("note", Text),
)

vetted = Table(
    "vetted", metadata,
    Column("id", Integer, primary_key=True),
    Column("question_key", Text, nullable=False),
    Column("region_key", Text, nullable=False),
    Column("question", Text, nullable=False),
    Column("region", Text),
    Column("answer", Text, nullable=False),
    Column("cited", Text, nullable=False),
    Column("comment", Text),
    Column("vetted_by", Text, nullable=False),
    Column("vetted_at", Text, nullable=False),
    UniqueConstraint("question_key", "region_key"),
)

reports = Table(
    "reports", metadata,
    Column("id", Integer, primary_key=True),
    Column("number", Text, nullable=False, unique=True),
    Column("created_at", Text, nullable=False),
    Column("what", Text, nullable=False),
    Column("platform", Text),
    Column("city", Text),
    Column("contact", Text),
    Column("status", Text, nullable=False),
    Column("forwarded_to", Text),
    Column("outcome", Text),
    Column("updated_at", Text),
    Column("updated_by", Text),
    Column("first_response_at", Text),
    Column("closed_at", Text),
)

asked = Table(
    "asked", metadata,
    Column("id", Integer, primary_key=True),
    Column("day", Text, nullable=False),
    Column("week", Text, nullable=False),
    Column("region", Text, nullable=False, server_default=""),
    Column("job", Text, nullable=False, server_default=""),
    Column("topic", Text, nullable=False, server_default=""),
    Column("outcome", Text, nullable=False),
    Column("reason", Text, nullable=False, server_default=""),
)

login_attempts = Table(
    "login_attempts", metadata,
    Column("id", Integer, primary_key=True),
    Column("at", Text, nullable=False),
    Column("account", Text, nullable=False),
    Column("client", Text, nullable=False),
    Column("ok", Boolean, nullable=False),
)

"""The records as the SQLite-only releases left them: feedback, queue, vetted, reports, asked.

A file made before migrations existed has some or all of these tables and no ``alembic_version``:
this revision creates only the tables that are missing and adds the two report columns that came
later (``first_response_at``, ``closed_at``), so such a file upgrades without losing a row.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _id():
    return sa.Column("id", sa.Integer, primary_key=True)


TABLES = {
    "feedback": lambda: [
        _id(),
        sa.Column("created_at", sa.Text, nullable=False),
        sa.Column("useful", sa.Integer, nullable=False),
        sa.Column("question", sa.Text, nullable=False),
        sa.Column("region", sa.Text), sa.Column("outcome", sa.Text), sa.Column("reason", sa.Text),
        sa.Column("conclusion", sa.Text),
        sa.Column("doc_ids", sa.Text, nullable=False, server_default="[]"),
    ],
    "queue": lambda: [
        _id(),
        sa.Column("created_at", sa.Text, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("question", sa.Text, nullable=False),
        sa.Column("region", sa.Text), sa.Column("reason", sa.Text), sa.Column("conclusion", sa.Text),
        sa.Column("handled_at", sa.Text), sa.Column("handled_by", sa.Text), sa.Column("note", sa.Text),
    ],
    "vetted": lambda: [
        _id(),
        sa.Column("question_key", sa.Text, nullable=False),
        sa.Column("region_key", sa.Text, nullable=False),
        sa.Column("question", sa.Text, nullable=False),
        sa.Column("region", sa.Text),
        sa.Column("answer", sa.Text, nullable=False),
        sa.Column("cited", sa.Text, nullable=False),
        sa.Column("comment", sa.Text),
        sa.Column("vetted_by", sa.Text, nullable=False),
        sa.Column("vetted_at", sa.Text, nullable=False),
        sa.UniqueConstraint("question_key", "region_key"),
    ],
    "reports": lambda: [
        _id(),
        sa.Column("number", sa.Text, nullable=False, unique=True),
        sa.Column("created_at", sa.Text, nullable=False),
        sa.Column("what", sa.Text, nullable=False),
        sa.Column("platform", sa.Text), sa.Column("city", sa.Text), sa.Column("contact", sa.Text),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("forwarded_to", sa.Text), sa.Column("outcome", sa.Text),
        sa.Column("updated_at", sa.Text), sa.Column("updated_by", sa.Text),
    ],
    "asked": lambda: [
        _id(),
        sa.Column("day", sa.Text, nullable=False),
        sa.Column("week", sa.Text, nullable=False),
        sa.Column("region", sa.Text, nullable=False, server_default=""),
        sa.Column("job", sa.Text, nullable=False, server_default=""),
        sa.Column("topic", sa.Text, nullable=False, server_default=""),
        sa.Column("outcome", sa.Text, nullable=False),
        sa.Column("reason", sa.Text, nullable=False, server_default=""),
    ],
}
LATER_REPORT_COLUMNS = ("first_response_at", "closed_at")


def upgrade() -> None:
    inspector = sa.inspect(op.get_bind())
    have = set(inspector.get_table_names())
    for name, columns in TABLES.items():
        if name not in have:
            op.create_table(name, *columns())
    report_columns = {c["name"] for c in sa.inspect(op.get_bind()).get_columns("reports")}
    for column in LATER_REPORT_COLUMNS:
        if column not in report_columns:
            op.add_column("reports", sa.Column(column, sa.Text))
    if "asked_week" not in {i["name"] for i in sa.inspect(op.get_bind()).get_indexes("asked")}:
        op.create_index("asked_week", "asked", ["week"])


def downgrade() -> None:
    raise NotImplementedError("the records are never migrated down: restore a backup instead")

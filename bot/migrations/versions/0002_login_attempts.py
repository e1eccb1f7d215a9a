"""Staff login attempts (who tried which account from where, and whether it worked), for the
login throttle and the staff page."""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "login_attempts",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("at", sa.Text, nullable=False),
        sa.Column("account", sa.Text, nullable=False),
        sa.Column("client", sa.Text, nullable=False),
        sa.Column("ok", sa.Boolean, nullable=False),
    )
    op.create_index("login_attempts_at", "login_attempts", ["at"])


def downgrade() -> None:
    raise NotImplementedError("the records are never migrated down: restore a backup instead")

"""meeting window end (a window that closes with no meeting held is a missed 1:1); action events by time

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.add_column(sa.Column("window_end", storage.models.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_index("ix_meeting_status_window_end", ["status", "window_end"], unique=False)
    with op.batch_alter_table("actionevent", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_actionevent_at"), ["at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("actionevent", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_actionevent_at"))
    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.drop_index("ix_meeting_status_window_end")
        batch_op.drop_column("window_end")

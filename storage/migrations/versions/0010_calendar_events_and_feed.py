"""calendar events, proposals of another time, and personal calendar feeds

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import storage.models

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "calendarfeed",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("token", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("token_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("created_at", storage.models.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name=op.f("fk_calendarfeed_person_id_person")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendarfeed")),
        sa.UniqueConstraint("person_id", name=op.f("uq_calendarfeed_person_id")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_calendarfeed_token_hash")),
    )
    with op.batch_alter_table("calendarfeed", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_calendarfeed_team_id"), ["team_id"], unique=False)

    with op.batch_alter_table("meeting", schema=None) as batch_op:
        # Existing meetings start at SEQUENCE 0, as their first calendar event will.
        batch_op.add_column(sa.Column("calendar_sequence", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("proposed_at", storage.models.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("proposal_note", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.drop_column("proposal_note")
        batch_op.drop_column("proposed_at")
        batch_op.drop_column("calendar_sequence")

    with op.batch_alter_table("calendarfeed", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_calendarfeed_team_id"))

    op.drop_table("calendarfeed")

"""archive documents: a plan changed after it was filed is filed again as the next version

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 14:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("archivedocument", schema=None) as batch_op:
        batch_op.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
        # Documents filed before this revision hold the plan as it was then; its digest was not kept.
        batch_op.add_column(sa.Column("digest", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True))
        batch_op.drop_constraint(batch_op.f("uq_archivedocument_meeting_id"), type_="unique")
        batch_op.create_index(batch_op.f("ix_archivedocument_meeting_id"), ["meeting_id"], unique=False)
        batch_op.create_unique_constraint(batch_op.f("uq_archivedocument_meeting_id"), ["meeting_id", "version"])


def downgrade() -> None:
    op.execute("DELETE FROM archivedocument WHERE version > 1")
    with op.batch_alter_table("archivedocument", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_archivedocument_meeting_id"), type_="unique")
        batch_op.drop_index(batch_op.f("ix_archivedocument_meeting_id"))
        batch_op.create_unique_constraint(batch_op.f("uq_archivedocument_meeting_id"), ["meeting_id"])
        batch_op.drop_column("digest")
        batch_op.drop_column("version")

"""Slack OAuth installation and state stores

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23

The tables are slack-sdk's own (``SQLAlchemyInstallationStore`` and ``SQLAlchemyOAuthStateStore``), built
from the stores' table definitions so they match what the stores read and write; created here rather than
with the stores' ``create_tables()`` so that only ``mal-bot migrate`` changes the schema.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _store_tables() -> sa.MetaData:
    metadata = sa.MetaData()
    SQLAlchemyInstallationStore.build_installations_table(
        metadata, SQLAlchemyInstallationStore.default_installations_table_name
    )
    SQLAlchemyInstallationStore.build_bots_table(metadata, SQLAlchemyInstallationStore.default_bots_table_name)
    SQLAlchemyOAuthStateStore.build_oauth_states_table(metadata, SQLAlchemyOAuthStateStore.default_table_name)
    return metadata


def upgrade() -> None:
    _store_tables().create_all(op.get_bind())


def downgrade() -> None:
    _store_tables().drop_all(op.get_bind())

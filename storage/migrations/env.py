"""Alembic environment: runs against the engine handed over by ``storage.db.migrate``."""

from alembic import context
from alembic.runtime.environment import NameFilterParentNames, NameFilterType
from sqlmodel import SQLModel

from storage import models  # noqa: F401

config = context.config
target_metadata = SQLModel.metadata

# slack-sdk's OAuth stores own these tables (migration 0004); they are not SQLModel models.
SLACK_STORE_TABLES = frozenset({"slack_installations", "slack_bots", "slack_oauth_states"})


def include_name(name: str | None, type_: NameFilterType, parent_names: NameFilterParentNames) -> bool:
    """Autogenerate must neither drop nor alter the OAuth stores' tables and indexes."""
    if type_ == "table":
        return name not in SLACK_STORE_TABLES
    return parent_names.get("table_name") not in SLACK_STORE_TABLES


def run_migrations_online() -> None:
    engine = config.attributes.get("engine")
    if engine is None:
        from bot.settings import load_settings
        from storage.db import make_engine

        engine = make_engine(load_settings(require_slack=False).database_url)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=True,
            include_name=include_name,
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run_migrations_online()

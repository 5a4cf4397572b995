"""Engine, sessions and schema migrations.

The schema is owned by Alembic: ``migrate`` brings any database to head. Tests and the sandbox call the
same function, so the schema they run on is the one production runs on.
"""

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from alembic.config import Config
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel

from storage import models  # noqa: F401  (registers the tables on SQLModel.metadata)

if TYPE_CHECKING:
    from alembic.runtime.environment import NameFilterParentNames, NameFilterType

MIGRATIONS = Path(__file__).parent / "migrations"
SQLITE_POOL = 40


def make_engine(url: str) -> Engine:
    """One engine per process; SQLite gets WAL and a busy timeout so a bot and a tick can share a file.

    A SQLite connection is a file handle: the pool keeps as many as there are listener threads, since a
    connection opened beyond the pool is closed again on return and the next request pays for opening it
    and its pragmas. Nothing can drop it either, so it needs no ping before use.
    """
    kwargs: dict[str, Any] = {"pool_pre_ping": True}
    if url.startswith("sqlite"):
        kwargs = {
            "connect_args": {"check_same_thread": False, "timeout": 30},
            "pool_size": SQLITE_POOL,
            "max_overflow": SQLITE_POOL,
        }
    engine = sa.create_engine(url, **kwargs)
    if url.startswith("sqlite"):

        @sa.event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        OneWriter(timeout=30).attach(engine)

    return engine


class OneWriter:
    """Writers of this process take turns on a lock before SQLite's own.

    SQLite lets one connection write at a time; the others poll for its lock with growing sleeps (1, 2,
    5, 10 … 100 ms), so under load some wait far longer than the writes ahead of them take. Queued on a
    lock, the next writer starts the moment the previous one commits. A write that cannot get the lock
    within SQLite's own timeout goes ahead and lets SQLite decide, as before.
    """

    KEY = "mal_writer"

    def __init__(self, timeout: float) -> None:
        self.lock = threading.Lock()
        self.timeout = timeout

    def attach(self, engine: Engine) -> None:
        # Held until the connection is back in the pool: after its commit or rollback, never before.
        sa.event.listen(engine, "before_cursor_execute", self._before)
        for event in ("checkin", "invalidate", "detach", "close"):
            sa.event.listen(engine.pool, event, self._release)

    def _before(self, conn: sa.Connection, _cursor: Any, statement: str, *_: Any) -> None:
        if self.KEY not in conn.info and statement.lstrip()[:7].upper().startswith(_WRITES):
            conn.info[self.KEY] = self.lock.acquire(timeout=self.timeout)

    def _release(self, _dbapi_conn: Any, record: Any, *_: Any) -> None:
        if record is not None and record.info.pop(self.KEY, False):
            self.lock.release()


_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")


def alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def schema_revisions(engine: Engine) -> tuple[str | None, str | None]:
    """(the database's revision, the newest this code knows): equal when the schema is current."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    with engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
    return current, ScriptDirectory.from_config(alembic_config(engine)).get_current_head()


def migrate(engine: Engine, revision: str = "head") -> None:
    from alembic import command  # with its autogenerate and templating: only where a schema is changed

    command.upgrade(alembic_config(engine), revision)


def downgrade(engine: Engine, revision: str = "base") -> None:
    from alembic import command

    command.downgrade(alembic_config(engine), revision)


# slack-sdk's OAuth stores own these tables (migration 0004); they are not SQLModel models.
SLACK_STORE_TABLES = frozenset({"slack_installations", "slack_bots", "slack_oauth_states"})


def include_name(name: str | None, type_: "NameFilterType", parent_names: "NameFilterParentNames") -> bool:
    """Autogenerate (and the test comparing models with migrations) must neither drop nor alter the OAuth
    stores' tables and indexes."""
    if type_ == "table":
        return name not in SLACK_STORE_TABLES
    return parent_names.get("table_name") not in SLACK_STORE_TABLES


def metadata() -> sa.MetaData:
    return SQLModel.metadata


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A unit of work: commit on success, roll back on any error, so nothing is half-saved."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise

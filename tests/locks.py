"""Another connection holding the database's write lock, as a long tick, a backup or a migration would."""

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from sqlalchemy.engine import make_url


@contextmanager
def write_lock_held(database_url: str, tables: tuple[str, ...] = ("action",)) -> Iterator[threading.Event]:
    """Hold the write lock until the block ends (or the yielded event is set): on SQLite the whole file's
    (``BEGIN IMMEDIATE`` in a connection of its own), on PostgreSQL that of ``tables`` (EXCLUSIVE mode lets
    others read them but not write)."""
    url = make_url(database_url)
    release = threading.Event()
    held = threading.Event()
    failure: list[BaseException] = []

    def hold() -> None:
        try:
            if url.get_backend_name() == "sqlite":
                conn = sqlite3.connect(str(url.database), isolation_level=None, timeout=30)
                conn.execute("BEGIN IMMEDIATE")
                held.set()
                release.wait(60)
                conn.execute("ROLLBACK")
                conn.close()
                return
            engine = sa.create_engine(url)
            with engine.connect() as pg:
                names = ", ".join(f'"{table}"' for table in tables)
                pg.execute(sa.text(f"LOCK TABLE {names} IN EXCLUSIVE MODE"))
                held.set()
                release.wait(60)
                pg.rollback()
            engine.dispose()
        except BaseException as exc:  # pragma: no cover - surfaced to the test below
            failure.append(exc)
            held.set()

    thread = threading.Thread(target=hold, daemon=True)
    thread.start()
    held.wait(30)
    if failure:
        raise failure[0]
    try:
        yield release
    finally:
        release.set()
        thread.join(30)


def waiting_on_locks(database_url: str) -> int:
    """PostgreSQL sessions now waiting for a lock (0 on SQLite, which cannot tell)."""
    url = make_url(database_url)
    if url.get_backend_name() != "postgresql":
        return 0
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return int(
                conn.execute(
                    sa.text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = :db"),
                    {"db": url.database},
                ).scalar_one()
            )
    finally:
        engine.dispose()

"""Three `mal-bot run --http` replicas share one PostgreSQL database and all run the tick. A fan-out of
thousands of nudges goes out while one replica is killed with SIGKILL: every message arrives, and a
second copy is possible only for a message the dead replica had sent but not yet marked."""

import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.emulator.server import SlackEmulator
from storage.db import make_engine
from storage.models import Outbox, Pairing, Person
from tests.harness import BOT_TOKEN, PG_ENV, SIGNING_SECRET

pytestmark = pytest.mark.skipif(not os.environ.get(PG_ENV), reason=f"needs PostgreSQL: set {PG_ENV}")
ROOT = Path(__file__).resolve().parent.parent
PAIRS = int(os.environ.get("MAL_TEST_REPLICA_PAIRS", "300"))
START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # Monday, 10:00 in Oslo


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def seed(url: str, emulator: SlackEmulator) -> None:
    """Thousands of pairs whose nudge is due now, written in bulk as an import would leave them."""
    team = emulator.team_id
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(
            sa.insert(Person),
            [
                {
                    "team_id": team,
                    "slack_user_id": f"U{kind}{i:05d}",
                    "name": f"{kind}{i}",
                    "tz": "Europe/Oslo",
                    "language": "en",
                    "is_admin": False,
                    "active": True,
                    "created_at": START,
                }
                for i in range(PAIRS)
                for kind in ("M", "E")
            ],
        )
        query = sa.select(Person.slack_user_id, Person.id)  # type: ignore[call-overload]
        ids = {r.slack_user_id: r.id for r in conn.execute(query)}
        conn.execute(
            sa.insert(Pairing),
            [
                {
                    "team_id": team,
                    "manager_id": ids[f"UM{i:05d}"],
                    "employee_id": ids[f"UE{i:05d}"],
                    "cadence": "monthly",
                    "template": "monthly",
                    "paused": False,
                    "anchor": date(2026, 12, 3),
                    "next_window_at": START + timedelta(days=10),
                    "nudge_at": START - timedelta(minutes=1),
                    "created_at": START,
                }
                for i in range(PAIRS)
            ],
        )
    engine.dispose()
    for i in range(PAIRS):
        emulator.add_user(f"UM{i:05d}", f"m{i}", locale="en-US")
        emulator.add_user(f"UE{i:05d}", f"e{i}", locale="en-US")


def test_three_replicas_send_each_message_once_when_one_is_killed(emulator: SlackEmulator, database_url: str) -> None:
    seed(database_url, emulator)
    env = {
        **{k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")},
        "DATABASE_URL": database_url,
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": emulator.api_url,
        "MAL_CLOCK_START": START.isoformat(),
        "MAL_TICK_SECONDS": "1",
        "MAL_OUTBOX_LEASE_SECONDS": "5",
        "MAL_OUTBOX_BATCH": "20",
    }
    replicas = [
        subprocess.Popen(
            [sys.executable, "-m", "bot", "run", "--http", "--host", "127.0.0.1", "--port", str(free_port())],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(3)
    ]
    try:

        def posted() -> int:
            return emulator.count_calls("chat.postMessage")

        assert emulator.wait_for(lambda: posted() >= PAIRS // 3, timeout=120), f"only {posted()} sent"
        os.kill(replicas[0].pid, signal.SIGKILL)
        replicas[0].wait(timeout=10)
        killed_at = posted()
        assert killed_at < PAIRS, "the fan-out finished before the kill; make it larger"

        def everyone_has_one() -> bool:
            got = Counter(m["channel"] for m in emulator.all_messages())
            return len(got) >= PAIRS

        if not emulator.wait_for(everyone_has_one, timeout=180):
            engine = make_engine(database_url)
            with engine.connect() as conn:
                rows = conn.execute(
                    sa.text(
                        "select status, count(*), min(not_before), max(attempts), "
                        "min(error) from outbox group by status"
                    )
                ).all()
            engine.dispose()
            pytest.fail(
                f"messages lost: {len(Counter(m['channel'] for m in emulator.all_messages()))} of {PAIRS} "
                f"received; outbox {rows}; alive {[p.poll() for p in replicas]}"
            )
        time.sleep(0)  # nothing to wait for: the condition above is the end of the fan-out
    finally:
        for p in replicas:
            if p.poll() is None:
                p.terminate()
        for p in replicas:
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                p.kill()

    per_channel = Counter(m["channel"] for m in emulator.all_messages())
    duplicates = sum(n - 1 for n in per_channel.values())
    assert set(per_channel) == {emulator.dm_channel_id(f"UM{i:05d}") for i in range(PAIRS)}
    # The killed replica drains one message at a time: at most one was between Slack's answer and its mark.
    assert duplicates <= 1, f"{duplicates} duplicates"
    engine = make_engine(database_url)
    with engine.connect() as conn:
        statuses = Counter(r[0] for r in conn.execute(sa.select(Outbox.status)))  # type: ignore[call-overload]
    engine.dispose()
    assert statuses == {"sent": PAIRS}
    print(f"replicas: {PAIRS} messages, killed after {killed_at}, duplicates {duplicates}")

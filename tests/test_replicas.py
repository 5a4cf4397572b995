"""Three `mal-bot run --http` replicas share one PostgreSQL database and all run the tick. A fan-out of
thousands of nudges goes out while one replica is killed with SIGKILL: every message arrives, and a
second copy is possible only for a message the dead replica had sent but not yet marked. The test prints the
figures: duration, rate, when the kill came, how many leases the survivors took over, and the duplicate window.

``MAL_TEST_REPLICA_PAIRS`` sets the size of the fan-out (default 3,000)."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import Session

from bot.delivery import drain
from bot.emulator.server import SlackEmulator
from bot.gateway import SendResult, SlackGateway
from flows.cadence import WorkingHours
from flows.clock import ManualClock
from flows.planner import PlanSettings, plan
from storage import outbox
from storage.db import make_engine
from storage.models import Outbox, Pairing, Person
from storage.repo import Repo
from tests.harness import BOT_TOKEN, PG_ENV, SIGNING_SECRET, Harness

needs_postgres = pytest.mark.skipif(not os.environ.get(PG_ENV), reason=f"needs PostgreSQL: set {PG_ENV}")
ROOT = Path(__file__).resolve().parent.parent
PAIRS = int(os.environ.get("MAL_TEST_REPLICA_PAIRS", "3000"))
START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # Monday, 10:00 in Oslo


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def poll(condition: Callable[[], bool], timeout: float) -> bool:
    """Real processes run in real time: look twice a second. (``emulator.wait_for`` re-checks after every post
    with the emulator's lock held; a predicate over thousands of messages would slow the fan-out it measures.)"""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.5)
    return condition()


def scrape(port: int, path: str = "/metrics") -> tuple[int, str]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as response:
            return int(response.status), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, ""


def counter(port: int, name: str, where: str = "") -> float:
    """The sum of a counter's samples on one replica's /metrics (those whose labels hold ``where``)."""
    _, text = scrape(port)
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith(name) and not line.startswith("#") and where in line and "_created" not in line
    )


def sent_counted(port: int) -> float:
    return counter(port, "mal_messages_total{", 'outcome="sent"')


def seed(url: str, emulator: SlackEmulator, pairs: int = PAIRS) -> None:
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
                for i in range(pairs)
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
                for i in range(pairs)
            ],
        )
    engine.dispose()
    for i in range(pairs):
        emulator.add_user(f"UM{i:05d}", f"m{i}", locale="en-US")
        emulator.add_user(f"UE{i:05d}", f"e{i}", locale="en-US")


@needs_postgres
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
    ports = [free_port() for _ in range(3)]
    replicas = [
        subprocess.Popen(
            [sys.executable, "-m", "bot", "run", "--http", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for port in ports
    ]
    started = time.monotonic()
    try:

        def posted() -> int:
            return emulator.count_calls("chat.postMessage")

        def outbox_statuses() -> Counter[str]:
            engine = make_engine(database_url)
            with engine.connect() as conn:
                rows = conn.execute(sa.select(Outbox.status, sa.func.count()).group_by(Outbox.status))  # type: ignore[call-overload]
                found = Counter({r[0]: int(r[1]) for r in rows})
            engine.dispose()
            return found

        assert poll(lambda: posted() >= PAIRS // 3, timeout=120), f"only {posted()} sent"
        assert all(scrape(port, "/readyz")[0] == 200 for port in ports)
        seen_by_victim = sent_counted(ports[0])  # its last scrape: what it sent after this dies with it
        posted_at_scrape = posted()
        os.kill(replicas[0].pid, signal.SIGKILL)
        replicas[0].wait(timeout=10)
        killed_at = posted()
        assert killed_at < PAIRS, "the fan-out finished before the kill; make it larger"

        def everyone_has_one() -> bool:
            return posted() >= PAIRS and len({m["channel"] for m in emulator.all_messages()}) >= PAIRS

        # The survivors mark each message right after Slack's answer; the end is every row marked sent.
        if not poll(lambda: everyone_has_one() and outbox_statuses() == {"sent": PAIRS}, timeout=PAIRS / 10):
            pytest.fail(
                f"messages lost: {len({m['channel'] for m in emulator.all_messages()})} of {PAIRS} received; "
                f"outbox {dict(outbox_statuses())}; alive {[p.poll() for p in replicas]}"
            )
        elapsed = time.monotonic() - started
        survivors = sent_counted(ports[1]) + sent_counted(ports[2])
        takeovers = sum(counter(ports[i], "mal_outbox_lease_takeovers_total") for i in (1, 2))
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
    assert set(per_channel) == {emulator.dm_channel_id(f"UM{i:05d}") for i in range(PAIRS)}
    twice = {channel for channel, n in per_channel.items() if n > 1}
    engine = make_engine(database_url)
    with engine.connect() as conn:
        rows = conn.execute(sa.select(Outbox.recipient, Outbox.attempts)).all()  # type: ignore[call-overload]
    engine.dispose()
    reclaimed = {emulator.dm_channel_id(r.recipient) for r in rows if r.attempts > 1}
    # A second copy is allowed only for a row whose lease ran out after the killed replica had posted it and
    # before it could mark it: it drained one message at a time, so at most one was in that window.
    assert twice <= reclaimed, f"sent twice without a lost lease: {sorted(twice - reclaimed)}"
    assert sum(per_channel[c] - 1 for c in twice) <= 1, f"{len(twice)} messages sent twice"
    # What the replicas' /metrics counted adds up to what Slack received: all but what the killed replica sent
    # between its last scrape and its death (its counters died with it).
    received = emulator.count_calls("chat.postMessage")
    unseen = killed_at - posted_at_scrape
    assert received - unseen <= seen_by_victim + survivors <= received, (seen_by_victim, survivors, received, unseen)
    assert takeovers >= 1  # the operator sees that the survivors took over the dead replica's messages
    print(
        f"replicas: {PAIRS} messages in {elapsed:.0f} s ({PAIRS / elapsed:.0f}/s), killed after {killed_at}, "
        f"{len(reclaimed)} leases taken over, duplicate window: {len(twice)} message(s) sent twice; "
        f"/metrics counted {seen_by_victim + survivors:.0f} sent of {received} received ({unseen} sent by the "
        f"killed replica after its last scrape), {takeovers:.0f} lease takeovers"
    )


class SlowSlack(SlackGateway):
    """Slack answering slowly, in injected time: each post takes two seconds, and after each one another
    worker looks for rows whose lease has run out."""

    def __init__(self, h: Harness) -> None:
        super().__init__(h.gateway.client)
        self.h = h
        self.taken_over: list[int] = []

    def post(self, channel: str, text: str, blocks: list[dict[str, Any]], team_id: str = "") -> SendResult:
        result = super().post(channel, text, blocks, team_id=team_id)
        assert self.h.svc is not None
        now = self.h.clock.advance(timedelta(seconds=2))
        self.taken_over += [
            r.id for r in outbox.claim(self.h.svc.engine, now, "other", 50, timedelta(seconds=5))[0] if r.id
        ]
        return result


def test_a_batch_slower_than_its_lease_keeps_its_rows_and_sends_each_once(
    emulator: SlackEmulator, database_url: str, clock: ManualClock
) -> None:
    seed(database_url, emulator, pairs=8)
    h = Harness(emulator, clock, database_url, overrides={"mal_outbox_lease_seconds": 5}).start()
    assert h.svc is not None
    try:
        with h.repo() as repo:
            plan(repo, clock.now(), h.svc.plan_settings)
        slow = SlowSlack(h)
        report = drain(h.svc, slow, worker="first", limit=8)
    finally:
        h.stop()
    assert report.sent == 8, "sixteen seconds of sending under a five-second lease, renewed as it went"
    assert slow.taken_over == []
    per_channel = Counter(m["channel"] for m in emulator.all_messages())
    assert len(per_channel) == 8 and set(per_channel.values()) == {1}


def test_a_worker_that_lost_its_lease_learns_it_when_renewing(emulator: SlackEmulator, database_url: str) -> None:
    seed(database_url, emulator, pairs=3)
    engine = make_engine(database_url)
    try:
        with Session(engine) as session:
            plan(Repo(session), START, PlanSettings(WorkingHours(), "Europe/Oslo", 10))
            session.commit()
        mine = [r.id for r in outbox.claim(engine, START, "first", 3, timedelta(seconds=5))[0] if r.id is not None]
        later = START + timedelta(seconds=6)
        theirs = [r.id for r in outbox.claim(engine, later, "second", 2, timedelta(seconds=5))[0]]
        kept = outbox.renew(engine, mine, "first", later + timedelta(seconds=5))
    finally:
        engine.dispose()
    assert len(mine) == 3 and len(theirs) == 2
    assert kept == set(mine) - set(theirs)

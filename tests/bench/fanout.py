"""Figure 2: how fast one organisation's due messages go out, and whether Slack's limits cost any.

10,000 pairs fall due at once; the scheduler's tick plans their nudges into the outbox and drains it
through the emulator. First with no limit (mal's own ceiling, ticks back to back), then with Slack's
limits scaled in time (a minute lasts 60/scale seconds) and the tick on its production interval scaled
the same way, so the achieved rate is comparable with the allowed one. The emulator's record of posted
messages is the ground truth: every recipient must have exactly one.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

import bot.jobs
from bot.gateway import SlackGateway, build_gateway, bulk_client
from bot.jobs import tick
from bot.scheduler import MIN_DELAY
from bot.services import Services
from bot.settings import Settings
from flows.clock import Clock
from storage import outbox
from storage.db import make_engine
from storage.models import Pairing
from tests.bench.common import (
    START,
    BenchEmulator,
    NewDatabase,
    Outcome,
    Section,
    Size,
    progress,
    running_emulator,
)
from tests.bench.seed import Seeder, migrated_engine
from tests.harness import BOT_TOKEN, SIGNING_SECRET

WORKSPACE_PER_MINUTE = 600  # the emulator's chat.postMessage workspace cap, as Slack's


class ScaledClock:
    """Real time, ``factor`` times as fast, as the emulator's scaled limits count it: time passes during a tick
    as it does in production (a frozen clock would stamp a whole drain with one moment, so mal's own limiter
    and Slack's windows would disagree), and the tick's pacing waits really wait, shortened by ``factor``."""

    def __init__(self, start: datetime, factor: float) -> None:
        self._start, self._factor, self._t0 = start, factor, time.perf_counter()

    def now(self) -> datetime:
        return self._start + timedelta(seconds=(time.perf_counter() - self._t0) * self._factor)

    def sleep(self, seconds: float) -> None:
        time.sleep(max(0.0, seconds) / self._factor)


def settings_for(url: str, emulator: BenchEmulator) -> Settings:
    return Settings(
        slack_bot_token=BOT_TOKEN,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=emulator.api_url,
        database_url=url,
        mal_timezone="Europe/Oslo",
        mal_locale="nb",
    )


@dataclass
class Parts:
    """Wall time inside the tick's two halves, to tell planning from sending."""

    plan: float = 0.0
    drain: float = 0.0


@contextmanager
def timed_parts() -> Iterator[Parts]:
    """Wraps the tick's own references to plan and drain, so the tick itself runs unchanged."""
    parts = Parts()
    namespace = vars(bot.jobs)
    plan, drain = namespace["plan"], namespace["drain"]

    def timed_plan(*args: Any, **kwargs: Any) -> Any:
        t = time.perf_counter()
        try:
            return plan(*args, **kwargs)
        finally:
            parts.plan += time.perf_counter() - t

    def timed_drain(*args: Any, **kwargs: Any) -> Any:
        t = time.perf_counter()
        try:
            return drain(*args, **kwargs)
        finally:
            parts.drain += time.perf_counter() - t

    namespace["plan"], namespace["drain"] = timed_plan, timed_drain
    try:
        yield parts
    finally:
        namespace["plan"], namespace["drain"] = plan, drain


@dataclass
class Delivery:
    messages: int
    ticks: int = 0
    wall: float = 0.0
    plan: float = 0.0
    drain: float = 0.0
    sent: int = 0
    rate_limited: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    lost: int = 0
    duplicated: int = 0
    first_tick_planned: int = 0
    scale: float = 1.0

    @property
    def rate(self) -> float:
        return self.messages / self.wall if self.wall else 0.0


def seed(url: str, n: int, emulator: BenchEmulator) -> tuple[sa.Engine, list[str]]:
    """n pairs, each its own manager and report, all due now: n nudges to n different DMs."""
    engine = migrated_engine(url)
    seeder = Seeder(engine, START)
    managers = [f"UF{i:06d}" for i in range(n)]
    ids = seeder.people(managers + [f"UW{i:06d}" for i in range(n)])
    due = START - timedelta(minutes=1)
    seeder.pairings(list(zip(ids[:n], ids[n:], strict=True)), [due] * n)
    seeder.finish()
    emulator.add_users_quietly(managers)
    return engine, managers


def pairs_due(engine: sa.Engine, clock: Clock) -> int:
    table = Pairing.__table__  # type: ignore[attr-defined]
    with engine.connect() as conn:
        return int(
            conn.execute(
                sa.select(sa.func.count()).where(table.c.ended_at.is_(None), table.c.nudge_at <= clock.now())
            ).scalar()
            or 0
        )


def deliver(url: str, n: int, scale: float | None, deadline: float) -> Delivery:
    """Tick until every due pair has been nudged; with ``scale``, Slack's limits and the tick interval apply."""
    with running_emulator() as emulator:
        engine, managers = seed(url, n, emulator)
        engine.dispose()
        settings = settings_for(url, emulator)
        factor = scale or 1.0
        interval = settings.mal_tick_seconds / factor if scale else 0.0
        if scale:
            emulator.enable_slack_rate_limits(scale=scale)
            emulator.time_scale = scale
        clock = ScaledClock(START, factor)
        svc = Services(settings=settings, engine=make_engine(url), clock=clock)
        # Under Slack's limits the production sender, with its own account of them; for the ceiling, none.
        gateway = build_gateway(svc) if scale else SlackGateway(bulk_client(settings.bot_token, settings.slack_api_url))
        result = Delivery(messages=n, scale=factor)
        with timed_parts() as parts:
            t0 = time.perf_counter()
            while True:
                report = tick(svc, gateway)
                result.ticks += 1
                result.sent += report.drain.sent
                if result.ticks == 1:
                    result.first_tick_planned = report.plan.planned
                counts = outbox.counts(svc.engine)
                waiting = counts.get("pending", 0) + counts.get("claimed", 0)
                if waiting == 0 and pairs_due(svc.engine, clock) == 0:
                    break
                if time.perf_counter() - t0 > deadline:
                    progress(f"fan-out: gave up after {deadline:.0f} s with {waiting} waiting")
                    break
                if interval:
                    # APScheduler skips a run that falls while the tick still runs: the next is on the grid,
                    # unless Slack slowed the drain down and the scheduler moved the tick to when it may go on.
                    elapsed = time.perf_counter() - t0
                    pause = math.ceil(elapsed / interval + 1e-9) * interval - elapsed
                    if report.resume_at is not None:
                        wait = max(report.resume_at - clock.now(), MIN_DELAY).total_seconds() / factor
                        pause = min(pause, wait)
                    time.sleep(pause)
            result.wall = time.perf_counter() - t0
        result.plan, result.drain = parts.plan, parts.drain
        result.statuses = outbox.counts(svc.engine)
        result.rate_limited = emulator.rate_limited_count("chat.postMessage")
        per_dm = emulator.bot_message_counts()
        result.lost = sum(1 for m in managers if per_dm.get(emulator.dm_channel_id(m), 0) == 0)
        result.duplicated = sum(c - 1 for c in per_dm.values() if c > 1)
        svc.engine.dispose()
    return result


def best_time(n: int, scale: float, ceiling: float) -> float:
    """The soonest the n-th message can be accepted: Slack's window refills a minute after each post.

    The first 600 go as fast as mal sends (its ceiling); the next 600 no sooner than a (scaled) minute
    later, and so on. For a long run this tends to 600 a minute; for a short one it credits the burst.
    """
    window = 60 / scale
    return (n - 1) // WORKSPACE_PER_MINUTE * window + ((n - 1) % WORKSPACE_PER_MINUTE) / ceiling


def choose_scale(ceiling: float) -> float:
    """Compress time only as far as mal can keep up: the allowed rate stays at most half its ceiling.

    Otherwise the run would measure the ceiling again instead of how mal paces itself under the limits.
    """
    per_second = WORKSPACE_PER_MINUTE / 60
    return float(max(1, min(60, int(ceiling / 2 / per_second))))


def run(new_database: NewDatabase, size: Size, label: str, scale: float | None = None) -> Outcome:
    out = Outcome()
    n = size.fanout
    progress(f"fan-out [{label}]: {n:,} due pairs, no rate limit")
    with new_database() as url:
        free = deliver(url, n, None, deadline=600)
    chosen = scale or choose_scale(free.rate)
    allowed = WORKSPACE_PER_MINUTE / 60 * chosen
    n_limited = min(n, max(2 * WORKSPACE_PER_MINUTE, int(allowed * size.fanout_limited_seconds)))
    progress(f"fan-out [{label}]: ceiling {free.rate:.0f}/s; {n_limited:,} under Slack's limits at scale {chosen:g}")
    with new_database() as url:
        limited = deliver(url, n_limited, chosen, deadline=900)
    section = Section(
        f"2. Fan-out [{label}] — nudges planned by the tick, delivered through the emulator",
        [
            "run",
            "messages",
            "ticks",
            "wall s",
            "plan s",
            "drain s",
            "msgs/s",
            "allowed msgs/s",
            "share of allowed",
            "429s",
            "lost",
            "duplicated",
            "outbox",
        ],
    )
    for name, d in (("no rate limit (mal's ceiling)", free), (f"Slack's limits, time ×{d_scale(limited)}", limited)):
        allowed_rate = d.messages / best_time(d.messages, d.scale, free.rate) if d is limited else None
        section.rows.append(
            [
                name,
                f"{d.messages:,}",
                str(d.ticks),
                f"{d.wall:.1f}",
                f"{d.plan:.1f}",
                f"{d.drain:.1f}",
                f"{d.rate:.0f}",
                f"{allowed_rate:.0f}" if allowed_rate else "–",
                f"{d.rate / allowed_rate:.0%}" if allowed_rate else "–",
                str(d.rate_limited),
                str(d.lost),
                str(d.duplicated),
                ", ".join(f"{k} {v}" for k, v in sorted(d.statuses.items())),
            ]
        )
        out.check(d.lost == 0, f"fan-out ({name}): {d.lost} recipients got no message")
        out.check(d.duplicated == 0, f"fan-out ({name}): {d.duplicated} messages sent twice")
        out.check(d.statuses == {"sent": d.messages}, f"fan-out ({name}): outbox ended as {d.statuses}")
    section.notes += [
        "Each pair has its own manager, so every nudge goes to a different DM and only the workspace-wide "
        f"cap ({WORKSPACE_PER_MINUTE}/min for chat.postMessage) binds. Allowed rate: messages over the soonest "
        "Slack would have accepted the last one (a full window at once at mal's own ceiling, then "
        f"{WORKSPACE_PER_MINUTE} per scaled minute); it tends to {WORKSPACE_PER_MINUTE}/min for long runs.",
        f"The first tick planned {free.first_tick_planned:,} of {n:,}. Without a limit the ticks run back to back; "
        f"with limits every {60 / limited.scale:.1f} s (the 60 s interval in scaled time), as the scheduler runs "
        "them, or sooner when a drain was rate-limited: then at the soonest moment a waiting message may go.",
        f"Time is compressed only as far as mal keeps up (allowed rate at most half the ceiling), so the limited run "
        f"sends {n_limited:,} messages, about {size.fanout_limited_seconds:.0f} s of wall time and "
        f"{n_limited / WORKSPACE_PER_MINUTE:.1f} of Slack's minute windows.",
        "Lost and duplicated are counted at the emulator: every recipient's DM must hold exactly one message.",
    ]
    out.sections.append(section)
    return out


def d_scale(d: Delivery) -> str:
    return f"{d.scale:g}"

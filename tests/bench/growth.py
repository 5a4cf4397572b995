"""Figure 3: does mal's cost follow the work that is due, or the size of the organisation?

The tick runs every minute on every replica, so its cost with nothing due, and with the same 100 pairs
due, must stay flat from 1,000 to 100,000 pairs. `/mal` is a person waiting, so its cost with a small
and a very large team shows whether it reads a page or the whole team's history.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from bot.gateway import SlackGateway, bulk_client
from bot.jobs import tick
from bot.services import Services
from flows.clock import ManualClock
from storage.db import make_engine
from storage.models import Meeting, Outbox, Pairing
from tests.bench.common import (
    MAL_COMMAND,
    START,
    BenchEmulator,
    LoadResult,
    NewDatabase,
    Outcome,
    PayloadDriver,
    Request,
    Section,
    Size,
    bot_env,
    cpu_load,
    cpu_ms,
    ms,
    percentiles,
    progress,
    ratio,
    run_load,
    running_emulator,
    server_process,
)
from tests.bench.fanout import settings_for, timed_parts
from tests.bench.latency import mal_answer_check
from tests.bench.seed import Seeder, migrated_engine

REPORTS_PER_MANAGER = 8
HISTORY_MEETINGS = 1
ANSWERS_PER_MEETING = 3
DUE_REPS = 3
IDLE_REPS = 5


@dataclass
class Org:
    pairings: int
    people: int
    actions: int
    due_ids: list[int]
    due_managers: list[str]
    due_at: datetime
    next_window_at: datetime


def seed_org(url: str, n: int, due: int, emulator: BenchEmulator) -> Org:
    """n pairs, eight reports to a manager, two actions per report (one done, one open weeks ahead), and
    last month's meeting of every pair with the employee's preparation and evaluation.

    The first report of each of the first ``due`` managers is due now; every other pair falls due on
    some later day of the month, as in an organisation whose pairs started at different times.
    """
    engine = migrated_engine(url)
    seeder = Seeder(engine, START)
    managers = [f"UC{i:06d}" for i in range(max(due, -(-n // REPORTS_PER_MANAGER)))]
    manager_ids = seeder.people(managers)
    employee_ids = seeder.people([f"UR{i:07d}" for i in range(n)])
    pairs = [(manager_ids[i // REPORTS_PER_MANAGER], e) for i, e in enumerate(employee_ids)]
    due_index = {k * REPORTS_PER_MANAGER for k in range(due)}
    due_at = START - timedelta(minutes=1)
    nudges = [due_at if i in due_index else START + timedelta(days=1 + i % 27, minutes=i % 1440) for i in range(n)]
    pairing_ids = seeder.pairings(pairs, nudges)
    history = seeder.history(pairing_ids, HISTORY_MEETINGS)
    seeder.prepared(history, {p: e for p, (_, e) in zip(pairing_ids, pairs, strict=True)}, ANSWERS_PER_MEETING)
    rows: list[dict[str, Any]] = []
    for i, (manager_id, employee_id) in enumerate(pairs):
        seeder.actions_for(employee_id, manager_id, 2, 1, [], rows, open_due_from=20 + i % 40)
        if len(rows) >= 50_000:
            seeder.insert("action", rows)
            rows = []
    seeder.insert("action", rows)
    seeder.finish()
    engine.dispose()
    emulator.add_users_quietly(managers[:due])
    return Org(
        pairings=n,
        people=len(managers) + n,
        actions=2 * n,
        due_ids=[pairing_ids[i] for i in sorted(due_index)],
        due_managers=managers[:due],
        due_at=due_at,
        next_window_at=seeder.next_window_at or START,
    )


def make_due_again(engine: sa.Engine, org: Org, emulator: BenchEmulator) -> None:
    """Put the same pairs back where they were before the tick, so the same work can be timed again."""
    pairing = Pairing.__table__  # type: ignore[attr-defined]
    meeting = Meeting.__table__  # type: ignore[attr-defined]
    box = Outbox.__table__  # type: ignore[attr-defined]
    with engine.begin() as conn:
        conn.execute(box.delete())
        conn.execute(meeting.delete().where(meeting.c.pairing_id.in_(org.due_ids), meeting.c.period.notlike("past-%")))
        conn.execute(
            pairing.update()
            .where(pairing.c.id.in_(org.due_ids))
            .values(nudge_at=org.due_at, next_window_at=org.next_window_at)
        )
    emulator.forget_messages()


@dataclass
class TickTimes:
    org: Org
    due: float
    due_plan: float
    due_drain: float
    idle: float


def tick_times(new_database: NewDatabase, n: int, size: Size, out: Outcome) -> TickTimes:
    with running_emulator() as emulator, new_database() as url:
        progress(f"growth: seeding {n:,} pairs")
        org = seed_org(url, n, size.growth_due, emulator)
        settings = settings_for(url, emulator)
        clock = ManualClock(START)
        svc = Services(settings=settings, engine=make_engine(url), clock=clock)
        gateway = SlackGateway(bulk_client(settings.bot_token, settings.slack_api_url))
        dues, plans, drains, idles = [], [], [], []
        for rep in range(DUE_REPS):
            if rep:
                make_due_again(svc.engine, org, emulator)
            clock.set(START)
            with timed_parts() as parts:
                t = time.perf_counter()
                report = tick(svc, gateway)
                dues.append(time.perf_counter() - t)
            plans.append(parts.plan)
            drains.append(parts.drain)
            per_dm = emulator.bot_message_counts()
            got = sum(per_dm.get(emulator.dm_channel_id(m), 0) for m in org.due_managers)
            out.check(
                report.drain.sent == size.growth_due and got == size.growth_due and sum(per_dm.values()) == got,
                f"growth {n:,}: the due tick sent {report.drain.sent} and DMs hold {got}, "
                f"expected {size.growth_due} to the due managers only",
            )
            for _ in range(IDLE_REPS):
                clock.advance(timedelta(minutes=1))
                t = time.perf_counter()
                idle = tick(svc, gateway)
                idles.append(time.perf_counter() - t)
                out.check(idle.plan.planned == 0 and idle.drain.sent == 0, f"growth {n:,}: an idle tick sent mail")
        svc.engine.dispose()
    return TickTimes(
        org,
        statistics.median(dues),
        statistics.median(plans),
        statistics.median(drains),
        statistics.median(idles),
    )


def team_latency(new_database: NewDatabase, size: Size, out: Outcome) -> list[tuple[int, int, LoadResult]]:
    """`/mal` for one manager with a small and one with a very large team, same history per report."""
    results = []
    with running_emulator() as emulator, new_database() as url:
        engine = migrated_engine(url)
        seeder = Seeder(engine, datetime.now(UTC))
        teams = [
            seeder.teams(
                [f"UT{reports:04d}"],
                reports,
                size.actions_per_report,
                size.open_per_report,
                size.meetings_per_pair,
            )[0]
            for reports in size.growth_teams
        ]
        seeder.finish()
        engine.dispose()
        emulator.add_users_quietly([u for t in teams for u in [t.manager, *t.reports]])
        driver = PayloadDriver(emulator)
        with server_process(MAL_COMMAND, bot_env(emulator, url), profile="growth-teams") as server:
            for team in teams:

                def prepare(
                    w: int, manager: str = team.manager, open_count: int = len(team.open_action_ids)
                ) -> Request:
                    with driver.lock:
                        driver.slash_command(manager, "")
                        body, ctype, headers = driver.captured
                    return Request(body, ctype, headers, check=mal_answer_check(open_count))

                run_load(server.url, 1, size.warmup, prepare)
                load = cpu_load(server, 1, size.growth_requests, prepare)
                out.check(not load.errors, f"/mal for {len(team.reports)} reports: {load.errors[:3]}")
                results.append((len(team.reports), len(team.open_action_ids), load))
    return results


def run(new_database: NewDatabase, size: Size, label: str) -> Outcome:
    out = Outcome()
    times = [tick_times(new_database, n, size, out) for n in size.growth_pairings]
    base = times[0]
    ticks = Section(
        f"3a. Tick cost against organisation size [{label}] — the same {size.growth_due} pairs due",
        [
            "pairs",
            "people",
            "actions",
            "prep answers",
            "due tick ms",
            "of which plan ms",
            "of which drain ms",
            f"due tick vs {base.org.pairings:,}",
            "idle tick ms",
            f"idle tick vs {base.org.pairings:,}",
        ],
    )
    for t in times:
        ticks.rows.append(
            [
                f"{t.org.pairings:,}",
                f"{t.org.people:,}",
                f"{t.org.actions:,}",
                f"{t.org.pairings * ANSWERS_PER_MEETING * HISTORY_MEETINGS:,}",
                ms(t.due),
                ms(t.due_plan),
                ms(t.due_drain),
                ratio(t.due, base.due),
                ms(t.idle),
                ratio(t.idle, base.idle),
            ]
        )
    ticks.notes += [
        f"Due tick: plans and sends the {size.growth_due} nudges (median of {DUE_REPS}, the same pairs made due "
        f"again each time). Idle tick: nothing due (median of {DUE_REPS * IDLE_REPS}). Flat ratios mean the cost "
        "follows the due work, not the organisation.",
    ]
    out.sections.append(ticks)
    progress(f"growth [{label}]: /mal for teams of {size.growth_teams}")
    teams = team_latency(new_database, size, out)
    small = percentiles(teams[0][2].answered)
    section = Section(
        f"3b. `/mal` against team size [{label}] — concurrency 1, {size.growth_requests} requests each",
        ["reports", "open actions", "p50 ms", "p95 ms", "p99 ms", "CPU ms/req", f"p50 vs {teams[0][0]} reports"],
    )
    for reports, open_count, load in teams:
        p = percentiles(load.answered)
        section.rows.append([str(reports), f"{open_count:,}", *(ms(v) for v in p), cpu_ms(load), ratio(p[0], small[0])])
    section.notes.append(
        f"Each report has {size.actions_per_report} actions ({size.open_per_report} open) and "
        f"{size.meetings_per_pair} past meetings; the answer shows one page of 15 either way."
    )
    out.sections.append(section)
    return out

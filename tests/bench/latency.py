"""Figure 1: how fast mal answers, set against the bare framework on the same server stack.

The bot runs as in production, in its own process (`mal-bot run --http`), so the load generator and
the emulator do not share its interpreter lock. Each of 1, 8 or 32 workers plays one manager with
the same team (50 reports, 5,000 actions, 500 open), so that every Home published and every reply
posted belongs to exactly one request and is timed to the moment the person would see it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from storage.models import Action
from tests.bench.common import (
    FLOOR_COMMAND,
    MAL_COMMAND,
    BenchEmulator,
    LoadResult,
    NewDatabase,
    Outcome,
    PayloadDriver,
    Request,
    Section,
    ServerProcess,
    SignedClient,
    Size,
    bot_env,
    cpu_load,
    cpu_ms,
    ms,
    percentiles,
    progress,
    rate,
    ratio,
    run_load,
    running_emulator,
    server_process,
)
from tests.bench.seed import Seeder, Team, migrated_engine

PAGE = 15
ENDPOINTS = ("/mal", "Done", "Home")
# ``--endpoints`` narrows the figure to some of them (e.g. to profile one), set by ``tests.bench.__main__``.
CHOSEN: list[str] = list(ENDPOINTS)


def mal_answer_check(open_count: int) -> Callable[[int, bytes], str | None]:
    """A right answer lists a full first page of Done buttons and says how many actions are open."""

    def check(status: int, body: bytes) -> str | None:
        try:
            answer = json.loads(body)
        except ValueError:
            return f"/mal answered no JSON: {body[:120]!r}"
        blocks = answer.get("blocks") or []
        buttons = sum(
            1
            for b in blocks
            if b.get("type") == "actions"
            for e in b.get("elements") or []
            if e.get("action_id") == "action_done"
        )
        contexts = " ".join(
            e.get("text", "") for b in blocks if b.get("type") == "context" for e in b.get("elements") or []
        )
        if buttons != min(PAGE, open_count):
            return f"/mal showed {buttons} Done buttons, expected {min(PAGE, open_count)}"
        if str(open_count) not in contexts:
            return f"/mal did not say {open_count} open actions: {contexts[:120]!r}"
        return None

    return check


def floor_check(status: int, body: bytes) -> str | None:
    return None if b"ok" in body else f"floor answered {body[:80]!r}"


@dataclass
class Bench:
    """The seeded store, the emulator and payload building shared by mal's and the floor's runs."""

    emulator: BenchEmulator
    engine: sa.Engine
    teams: list[Team]
    driver: PayloadDriver
    sources: dict[str, dict[str, Any]]
    cursor: dict[str, int]

    def reopen(self) -> None:
        """Presses of Done close actions; before each level every action pressed is open again."""
        table = Action.__table__  # type: ignore[attr-defined]
        ids = [aid for t in self.teams for aid in t.open_action_ids]
        with self.engine.begin() as conn:
            for start in range(0, len(ids), 1000):
                conn.execute(
                    table.update()
                    .where(table.c.id.in_(ids[start : start + 1000]))
                    .values(status="open", closed_by=None, closed_at=None)
                )
        for team in self.teams:
            self.cursor[team.manager] = 0

    def closed_among_pressed(self) -> tuple[int, int]:
        table = Action.__table__  # type: ignore[attr-defined]
        pressed = [aid for t in self.teams for aid in t.open_action_ids[: self.cursor[t.manager]]]
        done = 0
        with self.engine.connect() as conn:
            for start in range(0, len(pressed), 1000):
                chunk = pressed[start : start + 1000]
                done += int(
                    conn.execute(
                        sa.select(sa.func.count()).where(table.c.id.in_(chunk), table.c.status == "done")
                    ).scalar()
                    or 0
                )
        return done, len(pressed)

    def prepare(self, endpoint: str, app: str) -> Callable[[int], Request]:
        def slash(w: int) -> Request:
            team = self.teams[w % len(self.teams)]
            with self.driver.lock:
                self.driver.slash_command(team.manager, "")
                body, ctype, headers = self.driver.captured
            check = mal_answer_check(len(team.open_action_ids)) if app == "mal" else floor_check
            return Request(body, ctype, headers, check=check)

        def done(w: int) -> Request:
            team = self.teams[w % len(self.teams)]
            with self.driver.lock:
                n = self.cursor[team.manager]
                self.cursor[team.manager] = n + 1
                aid = team.open_action_ids[n % len(team.open_action_ids)]
                self.driver.block_action(
                    team.manager,
                    "action_done",
                    source=self.sources[team.manager],
                    value=str(aid),
                    block_id=f"action_buttons:{aid}",
                )
                body, ctype, headers = self.driver.captured
                url = self.driver.last_response_url
            assert url is not None
            return Request(body, ctype, headers, pending=self.emulator.expect("url:" + url))

        def home(w: int) -> Request:
            team = self.teams[w % len(self.teams)]
            with self.driver.lock:
                self.driver.app_home_opened(team.manager)
                body, ctype, headers = self.driver.captured
            return Request(body, ctype, headers, pending=self.emulator.expect("home:" + team.manager))

        return {"/mal": slash, "Done": done, "Home": home}[endpoint]


def seed(url: str, size: Size, emulator: BenchEmulator) -> Bench:
    engine = migrated_engine(url)
    seeder = Seeder(engine, datetime.now(UTC))
    managers = [f"UM{k:03d}" for k in range(size.clones)]
    teams = seeder.teams(managers, size.reports, size.actions_per_report, size.open_per_report, size.meetings_per_pair)
    seeder.finish()
    emulator.add_users_quietly([u for t in teams for u in [t.manager, *t.reports]])
    return Bench(emulator, engine, teams, PayloadDriver(emulator), {}, {t.manager: 0 for t in teams})


def source_messages(bench: Bench, base_url: str) -> None:
    """The `/mal` answer each manager sees, as the message whose Done button is pressed."""
    client = SignedClient(base_url)
    try:
        for team in bench.teams:
            with bench.driver.lock:
                bench.driver.slash_command(team.manager, "")
                body, ctype, headers = bench.driver.captured
            status, answer = client.post(body, ctype, headers)
            assert status == 200, answer
            blocks = json.loads(answer)["blocks"]
            channel = bench.emulator.dm_channel_id(team.manager)
            bench.sources[team.manager] = bench.emulator.add_ephemeral(channel, team.manager, "mal", blocks)
    finally:
        client.close()


def measure(
    bench: Bench,
    server: ServerProcess,
    app: str,
    size: Size,
    out: Outcome,
    results: dict[tuple[str, int, str], LoadResult],
) -> None:
    base_url = server.url
    for endpoint in CHOSEN:
        for conc in size.concurrency:
            prepare = bench.prepare(endpoint, app)
            if endpoint == "Done":
                bench.reopen()
            run_load(base_url, conc, size.warmup, prepare)
            result = cpu_load(server, conc, size.requests, prepare)
            results[(endpoint, conc, app)] = result
            out.check(not result.errors, f"{app} {endpoint} c={conc}: {len(result.errors)} failed: {result.errors[:3]}")
            if endpoint == "Done" and app == "mal":
                closed, pressed = bench.closed_among_pressed()
                out.check(closed == pressed, f"Done c={conc}: {pressed} pressed but {closed} closed in the store")
            p50, _, p99 = percentiles(result.visible)
            progress(
                f"  {app:5} {endpoint:5} c={conc:<2} p50 {ms(p50)} ms  p99 {ms(p99)} ms  "
                f"CPU {cpu_ms(result)} ms/req  n={result.count}"
            )
    if app == "mal" and "Home" in CHOSEN:
        for team in bench.teams[:1]:
            view = bench.emulator.home_view(team.manager) or {}
            out.check(len(view.get("blocks") or []) > 5, f"Home of {team.manager} has too few blocks")


def run(new_database: NewDatabase, size: Size, label: str) -> Outcome:
    out = Outcome()
    results: dict[tuple[str, int, str], LoadResult] = {}
    with running_emulator() as emulator, new_database() as url:
        progress(f"latency [{label}]: seeding {size.clones} managers × {size.reports} reports")
        bench = seed(url, size, emulator)
        env = bot_env(emulator, url)
        for app, command in (("mal", MAL_COMMAND), ("floor", FLOOR_COMMAND)):
            with server_process(command, env, profile="latency" if app == "mal" else None) as server:
                if app == "mal":
                    source_messages(bench, server.url)
                progress(f"latency [{label}]: {app} on port {server.port}")
                measure(bench, server, app, size, out, results)
        bench.engine.dispose()
    team = bench.teams[0]
    section = Section(
        f"1. Answer latency [{label}] — manager with {size.reports} reports, {team.actions:,} actions, "
        f"{len(team.open_action_ids)} open",
        [
            "request",
            "conc",
            "mal p50 ms",
            "mal p95 ms",
            "mal p99 ms",
            "mal req/s",
            "mal CPU ms/req",
            "floor p50 ms",
            "floor p95 ms",
            "floor p99 ms",
            "floor req/s",
            "floor CPU ms/req",
            "p50 / floor",
            "p99 / floor",
            "mal ack p99 ms",
            "mal timeouts",
        ],
    )
    for endpoint in CHOSEN:
        for conc in size.concurrency:
            mal, floor = results[(endpoint, conc, "mal")], results[(endpoint, conc, "floor")]
            m, f = percentiles(mal.visible), percentiles(floor.visible)
            section.rows.append(
                [
                    endpoint,
                    str(conc),
                    *(ms(v) for v in m),
                    rate(mal.count, mal.wall),
                    cpu_ms(mal),
                    *(ms(v) for v in f),
                    rate(floor.count, floor.wall),
                    cpu_ms(floor),
                    ratio(m[0], f[0]),
                    ratio(m[2], f[2]),
                    ms(percentiles(mal.answered)[2]),
                    f"{mal.timeouts}/{mal.count}",
                ]
            )
    section.notes += [
        f"{size.requests} timed requests per row after {size.warmup} warm-up; closed loop, each worker one manager "
        "with an identical team, keep-alive connections, bot and floor each in their own process "
        "(`mal-bot run --http`, `python -m tests.bench.floor`).",
        "/mal: until the ephemeral answer arrives (mal answers inside the acknowledgement). "
        "Done: until the `/mal` message is replaced through response_url. Home: until views.publish reaches "
        "Slack. The floor acknowledges / replaces with one word / publishes one block.",
        "CPU ms/req: user and system CPU time of the server process (all threads, work after the "
        "acknowledgement included) over the timed requests, divided by their number.",
        "mal ack p99: the HTTP acknowledgement alone. Timeouts: requests not acknowledged within Slack's 3 s "
        "(Bolt answers 404, the person sees an error); they count in the percentiles at the time they failed.",
    ]
    out.sections.append(section)
    return out

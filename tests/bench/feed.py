"""Figure 5: the calendar feed, `GET /calendar/<token>.ics`, for a manager with 1,000 meetings in it.

The bot runs as in production (`mal-bot run --http`, its own process). The store holds the manager's
50 reports with 20 invited 1:1s each, all inside the feed's window, and as many again for each of a few
other managers, so the feed's query has to find one person's meetings among many. Set against the same
server's `/healthz` (the HTTP stack and nothing else), the difference is what the feed itself costs: the
token lookup, the query, and writing 1,000 events with their VTIMEZONE.
"""

from __future__ import annotations

import http.client
import itertools
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from ical.calendar_stream import IcsCalendarStream
from sqlmodel import Session

from storage import calendars
from storage.db import make_engine
from storage.models import Meeting
from storage.repo import Repo
from tests.bench.common import (
    MAL_COMMAND,
    START,
    NewDatabase,
    Outcome,
    Section,
    Size,
    bot_env,
    ms,
    percentiles,
    progress,
    running_emulator,
    server_process,
)
from tests.bench.seed import Seeder, migrated_engine

MEETINGS_PER_REPORT = 20
MANAGER_TOKEN = "bench-manager-feed-token-0000000000000000000"
EMPLOYEE_TOKEN = "bench-employee-feed-token-000000000000000000"
UNKNOWN_TOKEN = "bench-nobody-has-this-token-0000000000000000"


@dataclass
class GetResult:
    seconds: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    size: int = 0


def get_load(
    base_url: str, path: str, concurrency: int, total: int, check: Callable[[int, bytes], str | None]
) -> GetResult:
    """Closed loop of GETs on keep-alive connections, as calendar clients polling the feed would send them."""
    host, port = base_url.removeprefix("http://").split(":")
    result = GetResult()
    counter = itertools.count()
    lock = threading.Lock()

    def worker() -> None:
        conn = http.client.HTTPConnection(host, int(port), timeout=30)
        try:
            while next(counter) < total:
                t0 = time.perf_counter()
                conn.request("GET", path)
                resp = conn.getresponse()
                body = resp.read()
                elapsed = time.perf_counter() - t0
                problem = check(resp.status, body)
                with lock:
                    result.seconds.append(elapsed)
                    result.size = len(body)
                    if problem:
                        result.errors.append(problem)
        finally:
            conn.close()

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return result


def events_check(expected: int) -> Callable[[int, bytes], str | None]:
    def check(status: int, body: bytes) -> str | None:
        if status != 200:
            return f"HTTP {status}"
        if body.count(b"BEGIN:VEVENT") != expected:
            return f"{body.count(b'BEGIN:VEVENT')} events, expected {expected}"
        return None

    return check


def status_check(expected: int) -> Callable[[int, bytes], str | None]:
    return lambda status, _: None if status == expected else f"HTTP {status}, expected {expected}"


def seed(url: str, managers: int, reports: int) -> int:
    """Managers with ``reports`` each and 20 invited 1:1s per pair in the feed's window; the first manager and
    his first report get feed tokens. Returns how many meetings the store holds."""
    engine = migrated_engine(url)
    seeder = Seeder(engine, START)
    boss_ids = seeder.people([f"UM{k:03d}" for k in range(managers)])
    rows = []
    feed_people: list[int] = []
    for k, boss in enumerate(boss_ids):
        report_ids = seeder.people([f"UF{k:03d}X{r:04d}" for r in range(reports)])
        if k == 0:
            feed_people = [boss, report_ids[0]]
        pairing_ids = seeder.pairings([(boss, e) for e in report_ids], [START + timedelta(days=12)] * reports)
        meeting_ids = iter(seeder._ids("meeting", reports * MEETINGS_PER_REPORT))
        for r, pairing_id in enumerate(pairing_ids):
            for j in range(MEETINGS_PER_REPORT):
                when = START + timedelta(days=30 * j - 20, minutes=30 * (r % 12))
                rows.append(
                    {
                        "id": next(meeting_ids),
                        "pairing_id": pairing_id,
                        "period": f"feed-{j}",
                        "template": "monthly",
                        "window_start": when,
                        "status": "invited",
                        "scheduled_at": when,
                        "place": f"Rom {r % 7 + 1}",
                        "extra_questions": "[]",
                        "prep_cursor": 0,
                        "prep_status": "invited",
                        "created_at": when - timedelta(days=10),
                        "calendar_sequence": j % 3,
                    }
                )
    seeder.insert("meeting", rows)
    seeder.finish()
    with Session(engine) as session:
        repo = Repo(session)
        for person_id, token in zip(feed_people, (MANAGER_TOKEN, EMPLOYEE_TOKEN), strict=True):
            calendars.set_feed(repo, "T0MAL", person_id, token, START)
        session.commit()
    engine.dispose()
    return len(rows)


def run(new_db: NewDatabase, size: Size, db_label: str) -> Outcome:
    out = Outcome()
    managers = 5 if size.name == "small" else 20
    section = Section(
        f"Calendar feed, 1,000 meetings ({db_label})",
        ["request", "concurrency", "p50 ms", "p99 ms", "floor p50 ms (/healthz)", "p50 / floor", "body"],
    )
    with new_db() as url, running_emulator() as emulator:
        total = seed(url, managers, size.reports)
        progress(f"feed: {total:,} meetings in the store, {size.reports * MEETINGS_PER_REPORT:,} in the manager's feed")
        env = {**bot_env(emulator, url), "MAL_CLOCK_START": START.isoformat()}
        with server_process(MAL_COMMAND, env) as server:
            # The feed is read back once by the independent parser: 1,000 events, each a time with a zone.
            first = get_load(server.url, f"/calendar/{MANAGER_TOKEN}.ics", 1, 1, events_check(size.reports * 20))
            out.check(not first.errors, f"feed: {first.errors[:1]}")
            conn = http.client.HTTPConnection(server.url.removeprefix("http://").split(":")[0], server.port, timeout=30)
            conn.request("GET", f"/calendar/{MANAGER_TOKEN}.ics")
            parsed = IcsCalendarStream.calendar_from_ics(conn.getresponse().read().decode("utf-8"))
            conn.close()
            out.check(
                len(parsed.events) == size.reports * MEETINGS_PER_REPORT
                and all(e.dtstart.tzinfo is not None for e in parsed.events),
                "feed: the manager's feed does not hold his 1,000 meetings, each with a zone",
            )
            cases = [
                ("manager's feed (1,000 events)", f"/calendar/{MANAGER_TOKEN}.ics", events_check(1_000)),
                ("employee's feed (20 events)", f"/calendar/{EMPLOYEE_TOKEN}.ics", events_check(MEETINGS_PER_REPORT)),
                ("unknown token (404)", f"/calendar/{UNKNOWN_TOKEN}.ics", status_check(404)),
            ]
            # After a change (here a place) the file is built anew: the figure a poll meets once per change.
            engine = make_engine(url)
            meeting = Meeting.__table__  # type: ignore[attr-defined]
            cold = GetResult()
            for n in range(5):
                with engine.begin() as db:
                    db.execute(meeting.update().where(meeting.c.id == 1).values(place=f"Rom {n + 10}"))
                one = get_load(server.url, f"/calendar/{MANAGER_TOKEN}.ics", 1, 1, events_check(1_000))
                cold.seconds += one.seconds
                cold.errors += one.errors
                cold.size = one.size
            engine.dispose()
            out.check(not cold.errors, f"feed after a change: {cold.errors[:1]}")
            requests = max(20, size.requests // 2)
            for conc in (1, 8):
                get_load(server.url, "/healthz", conc, size.warmup, status_check(200))
                floor = get_load(server.url, "/healthz", conc, requests, status_check(200))
                floor_p50 = percentiles(floor.seconds)[0]
                if conc == 1:
                    p50, _, p99 = percentiles(cold.seconds)
                    section.rows.append(
                        [
                            "manager's feed, first fetch after a change (file built)",
                            "1",
                            ms(p50),
                            ms(p99),
                            ms(floor_p50),
                            f"{p50 / floor_p50:.1f}×" if floor_p50 > 0 else "–",
                            f"{cold.size / 1024:.0f} KiB",
                        ]
                    )
                for label, path, check in cases:
                    get_load(server.url, path, conc, min(size.warmup, 8), check)
                    result = get_load(server.url, path, conc, requests, check)
                    out.check(not result.errors, f"feed {label} c={conc}: {result.errors[:2]}")
                    p50, _, p99 = percentiles(result.seconds)
                    progress(f"  feed {label:32} c={conc} p50 {ms(p50)} ms p99 {ms(p99)} ms")
                    section.rows.append(
                        [
                            label,
                            str(conc),
                            ms(p50),
                            ms(p99),
                            ms(floor_p50),
                            f"{p50 / floor_p50:.1f}×" if floor_p50 > 0 else "–",
                            f"{result.size / 1024:.0f} KiB" if result.size >= 1024 else f"{result.size} B",
                        ]
                    )
    section.notes.append(
        f"{total:,} invited meetings in the store ({managers} managers × {size.reports} reports × "
        f"{MEETINGS_PER_REPORT}); {requests} requests per row after a warm-up (5 for the first fetch after a "
        "change); the floor is `/healthz` of the same process at the same concurrency. An unchanged feed is served "
        "from the file built at its last change; the 404 costs a digest lookup and nothing else."
    )
    out.sections.append(section)
    return out

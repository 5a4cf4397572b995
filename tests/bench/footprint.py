"""Figure 4: what a running bot costs: resident memory with a large store, and time until it first answers.

The bot is started exactly as an operator starts it (`mal-bot run --http`), so start-up includes the
interpreter, the imports, settings, the schema check and Bolt's auth.test: everything before a person's
first `/mal` can be answered.
"""

from __future__ import annotations

import itertools
import time
from datetime import UTC, datetime
from typing import Any

from tests.bench.common import (
    FLOOR_COMMAND,
    MAL_COMMAND,
    NewDatabase,
    Outcome,
    PayloadDriver,
    Request,
    Section,
    ServerProcess,
    SignedClient,
    Size,
    bot_env,
    progress,
    run_load,
    running_emulator,
    server_process,
)
from tests.bench.growth import REPORTS_PER_MANAGER
from tests.bench.latency import floor_check, mal_answer_check
from tests.bench.seed import Seeder, migrated_engine

OPEN_SHARE = 10  # one action in ten is open


def first_answer(server: ServerProcess, driver: PayloadDriver, user: str, timeout: float = 120) -> float:
    """Seconds from spawning the process to the first 200 on a signed `/mal`."""
    client = SignedClient(server.url)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            with driver.lock:
                driver.slash_command(user, "")
                body, ctype, headers = driver.captured
            try:
                status, _ = client.post(body, ctype, headers)
            except OSError:
                client.close()
                time.sleep(0.01)
                continue
            if status == 200:
                return time.perf_counter() - server.started
            time.sleep(0.01)
    finally:
        client.close()
    raise RuntimeError(f"no answer within {timeout:.0f} s:\n{server.log.read_text()[-3000:]}")


def mib(kib: int) -> str:
    return f"{kib / 1024:.0f}"


def run(new_database: NewDatabase, size: Size, label: str) -> Outcome:
    out = Outcome()
    with running_emulator() as emulator, new_database() as url:
        progress(f"footprint [{label}]: seeding {size.footprint_people:,} people, {size.footprint_actions:,} actions")
        engine = migrated_engine(url)
        seeder = Seeder(engine, datetime.now(UTC))
        n_managers = size.footprint_people // REPORTS_PER_MANAGER
        managers = [f"UP{i:06d}" for i in range(n_managers)]
        employees = [f"UQ{i:06d}" for i in range(size.footprint_people - n_managers)]
        manager_ids = seeder.people(managers)
        employee_ids = seeder.people(employees)
        pairs = [(manager_ids[i % n_managers], e) for i, e in enumerate(employee_ids)]
        seeder.pairings(pairs, [seeder.now.replace(year=seeder.now.year + 1)] * len(pairs))
        per_employee = -(-size.footprint_actions // len(pairs))
        rows: list[dict[str, Any]] = []
        open_of: dict[str, int] = {}
        remaining = size.footprint_actions
        for (manager_id, employee_id), i in zip(pairs, range(len(pairs)), strict=True):
            take = min(per_employee, remaining)
            if take <= 0:
                break
            remaining -= take
            opened = seeder.actions_for(employee_id, manager_id, take, max(1, take // OPEN_SHARE), [], rows)
            manager = managers[i % n_managers]
            open_of[manager] = open_of.get(manager, 0) + len(opened)
            if len(rows) >= 50_000:
                seeder.insert("action", rows)
                rows = []
        seeder.insert("action", rows)
        seeder.finish()
        engine.dispose()
        emulator.add_users_quietly(managers + employees)
        driver = PayloadDriver(emulator)
        env = bot_env(emulator, url)
        turn = itertools.count()

        def prepare(w: int) -> Request:
            manager = managers[next(turn) % len(managers)]
            with driver.lock:
                driver.slash_command(manager, "")
                body, ctype, headers = driver.captured
            return Request(body, ctype, headers, check=mal_answer_check(open_of[manager]))

        rows_out = []
        with server_process(MAL_COMMAND, env, wait=False) as server:
            startup = first_answer(server, driver, managers[0])
            first_rss = server.rss_kib()
            load = run_load(server.url, 8, size.footprint_requests, prepare)
            out.check(not load.errors, f"footprint /mal: {load.errors[:3]}")
            rows_out.append(
                [
                    "mal (`mal-bot run --http`)",
                    f"{startup:.2f}",
                    mib(first_rss),
                    mib(server.rss_kib()),
                    mib(server.rss_kib("VmHWM")),
                ]
            )
        progress(f"footprint [{label}]: floor")
        with server_process(FLOOR_COMMAND, env, wait=False) as server:
            startup = first_answer(server, driver, managers[0])
            first_rss = server.rss_kib()

            def floor_prepare(w: int) -> Request:
                with driver.lock:
                    driver.slash_command(managers[w], "")
                    body, ctype, headers = driver.captured
                return Request(body, ctype, headers, check=floor_check)

            run_load(server.url, 8, size.footprint_requests, floor_prepare)
            rows_out.append(
                [
                    "floor (bare Bolt app)",
                    f"{startup:.2f}",
                    mib(first_rss),
                    mib(server.rss_kib()),
                    mib(server.rss_kib("VmHWM")),
                ]
            )
    section = Section(
        f"4. Footprint [{label}] — {size.footprint_people:,} people, {size.footprint_actions:,} actions in the store",
        [
            "process",
            "start-up to first answer s",
            "RSS at first answer MiB",
            f"RSS after {size.footprint_requests} more MiB",
            "peak RSS MiB",
        ],
        rows_out,
    )
    section.notes.append(
        f"{n_managers:,} managers with about {REPORTS_PER_MANAGER - 1} reports each; the further requests are `/mal` "
        "from different managers at concurrency 8. RSS is VmRSS (peak: VmHWM) of the server process."
    )
    out.sections.append(section)
    return out

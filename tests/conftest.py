from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from bot.emulator.server import SlackEmulator
from flows.clock import ManualClock
from tests.harness import Harness, fresh_database, migrated


@pytest.fixture
def emulator() -> Iterator[SlackEmulator]:
    emu = SlackEmulator()
    emu.start()
    try:
        yield emu
    finally:
        emu.stop()


@pytest.fixture
def database_url(tmp_path: object) -> Iterator[str]:
    with fresh_database(str(tmp_path)) as url:
        migrated(url)
        yield url


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2026, 11, 23, 9, 0, tzinfo=UTC))


@pytest.fixture
def bot(emulator: SlackEmulator, database_url: str, clock: ManualClock) -> Iterator[Harness]:
    h = Harness(emulator, clock, database_url).start()
    try:
        yield h
    finally:
        h.stop()

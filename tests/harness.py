"""The whole bot for a test: the Slack emulator, the store, an injected clock, and the real HTTP endpoint.

Tests talk to the bot only as Slack would (signed requests through the driver) and look at what it did
only as a user would see it (the emulator's DMs, ephemeral answers, Home tabs and modals).
"""

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from bot.app import create_app
from bot.emulator.driver import SlackDriver
from bot.emulator.server import SlackEmulator
from bot.gateway import SlackGateway, bulk_client
from bot.jobs import TickReport, tick
from bot.server import BackgroundServer
from bot.services import Services
from bot.settings import Settings
from flows.clock import ManualClock
from storage.db import make_engine, migrate
from storage.models import Person
from storage.repo import Repo

SIGNING_SECRET = "test-signing-secret"
BOT_TOKEN = "xoxb-emulator"
PG_ENV = "MAL_TEST_POSTGRES_URL"


@contextmanager
def fresh_database(tmp_dir: str) -> Iterator[str]:
    """A new, empty database: a SQLite file, or a PostgreSQL database when MAL_TEST_POSTGRES_URL is set."""
    admin_url = os.environ.get(PG_ENV)
    if not admin_url:
        yield f"sqlite:///{tmp_dir}/mal.db"
        return
    name = f"mal_t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin.url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@dataclass
class Harness:
    emulator: SlackEmulator
    clock: ManualClock
    database_url: str
    overrides: dict[str, Any] = field(default_factory=dict)
    server: BackgroundServer | None = None
    svc: Services | None = None
    driver: SlackDriver | None = None

    @property
    def settings(self) -> Settings:
        values: dict[str, Any] = {
            "slack_bot_token": BOT_TOKEN,
            "slack_signing_secret": SIGNING_SECRET,
            "slack_api_url": self.emulator.api_url,
            "database_url": self.database_url,
            "mal_timezone": "Europe/Oslo",
            "mal_locale": "nb",
            **self.overrides,
        }
        return Settings(**values)

    def start(self) -> "Harness":
        settings = self.settings
        engine = make_engine(settings.database_url)
        self.svc = Services(settings=settings, engine=engine, clock=self.clock)
        self.gateway = SlackGateway(bulk_client(settings.bot_token, settings.slack_api_url))
        self.server = BackgroundServer(create_app(self.svc), self.svc.settings.signing_secret, svc=self.svc).start()
        self.driver = SlackDriver(self.server.url + "/slack/events", SIGNING_SECRET, self.emulator)
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()
            self.server = None
        if self.svc is not None:
            self.svc.engine.dispose()

    def restart(self) -> None:
        """A new process in all but name: nothing survives but the database."""
        self.stop()
        self.start()

    def tick(self) -> TickReport:
        assert self.svc is not None
        return tick(self.svc, self.gateway)

    def at(self, when: datetime) -> TickReport:
        self.clock.set(when)
        return self.tick()

    @contextmanager
    def repo(self) -> Iterator[Repo]:
        assert self.svc is not None
        with self.svc.unit() as repo:
            yield repo

    def person(self, slack_id: str) -> Person:
        with self.repo() as repo:
            p = repo.person_by_slack(self.emulator.team_id, slack_id)
            assert p is not None, slack_id
            return p

    @property
    def d(self) -> SlackDriver:
        assert self.driver is not None
        return self.driver


def migrated(url: str) -> None:
    engine = make_engine(url)
    migrate(engine)
    engine.dispose()


def counted(name: str, labels: dict[str, str] | None = None) -> float:
    """A counter's current value in this process's /metrics registry (0 when never counted)."""
    from bot.metrics import REGISTRY

    return REGISTRY.get_sample_value(name, labels or {}) or 0.0


def counted_samples(name: str) -> Iterator[tuple[dict[str, str], float]]:
    from bot.metrics import REGISTRY

    for metric in REGISTRY.collect():
        for s in metric.samples:
            if s.name == name:
                yield s.labels, s.value

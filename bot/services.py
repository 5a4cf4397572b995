"""What every listener and job needs, built once per process: settings, store, clock, policies."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine

from bot.settings import Settings
from flows.cadence import WorkingHours
from flows.clock import Clock
from flows.i18n import Translator, negotiate, translator
from flows.planner import PlanSettings
from storage.db import session_scope
from storage.models import Person
from storage.repo import Repo


def working_hours(s: Settings) -> WorkingHours:
    return WorkingHours(start=s.mal_work_start, end=s.mal_work_end, country=s.mal_holidays_country)


@dataclass
class Services:
    settings: Settings
    engine: Engine
    clock: Clock
    kick: Callable[[], None] = field(default=lambda: None)
    # Socket Mode serves no HTTP routes, so there is no calendar feed to link to.
    socket_mode: bool = False

    @property
    def hours(self) -> WorkingHours:
        return working_hours(self.settings)

    @property
    def plan_settings(self) -> PlanSettings:
        s = self.settings
        return PlanSettings(
            hours=self.hours,
            tz=s.mal_timezone,
            lead_days=s.mal_invite_lead_days,
            retention_months=s.mal_retention_months,
            keep_archived_document=s.mal_archive_keep == "document",
        )

    @contextmanager
    def unit(self) -> Iterator[Repo]:
        """One unit of work: everything inside commits together or not at all."""
        with session_scope(self.engine) as session:
            yield Repo(session)

    @property
    def sealing_key(self) -> bytes:
        """The key for what modals carry back (``bot.sealed``): from the signing secret, else the bot token,
        else the OAuth client secret — whichever this installation has."""
        from bot.sealed import key_from

        s = self.settings
        return key_from(s.signing_secret, s.bot_token, s.client_secret)

    def today(self, person: Person | None = None) -> date:
        tz = (person.tz if person else None) or self.settings.mal_timezone
        return self.clock.now().astimezone(ZoneInfo(tz)).date()

    def language(self, person: Person | None) -> str:
        if person is None:
            return self.settings.mal_locale
        return negotiate(person.language, person.slack_locale, default=self.settings.mal_locale)

    def t(self, person: Person | None) -> Translator:
        return translator(self.language(person))

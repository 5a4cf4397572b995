"""The demo organisation: one manager and four reports, spread over the cases the bot must handle.

One report works from Stockholm (Swedish holidays, Swedish texts) and one prefers English, so a visitor
sees time zones and languages at work without configuring anything. The people are put in the store by
the real import (a generated CSV, looked up in the emulator by e-mail), the path an admin would take.
"""

import csv
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from slack_sdk import WebClient
from sqlalchemy.engine import Engine

from bot.emulator.server import SlackEmulator
from bot.org_import import import_org
from bot.settings import Settings
from flows.org import ImportReport


@dataclass(frozen=True)
class DemoPerson:
    user_id: str
    name: str
    real_name: str
    email: str
    tz: str
    locale: str
    manager: str | None = None


MANAGER = "UINGRID"
PEOPLE: tuple[DemoPerson, ...] = (
    DemoPerson("UINGRID", "ingrid", "Ingrid Berg", "ingrid@example.org", "Europe/Oslo", "nb-NO"),
    DemoPerson("UKARI", "kari", "Kari Nordmann", "kari@example.org", "Europe/Oslo", "nb-NO", MANAGER),
    DemoPerson("USVEN", "sven", "Sven Lindqvist", "sven@example.org", "Europe/Stockholm", "sv-SE", MANAGER),
    DemoPerson("UEMMA", "emma", "Emma Clarke", "emma@example.org", "Europe/Oslo", "en-US", MANAGER),
    DemoPerson("UOLA", "ola", "Ola Hansen", "ola@example.org", "Europe/Oslo", "nb-NO", MANAGER),
)


def add_to_workspace(emulator: SlackEmulator) -> None:
    """Slack's side of the people; the emulator keeps users in memory, so this runs on every start."""
    for p in PEOPLE:
        if emulator.user(p.user_id) is None:
            emulator.add_user(p.user_id, p.name, real_name=p.real_name, email=p.email, tz=p.tz, locale=p.locale)


def write_csv(path: Path) -> Path:
    """The file an admin would export from HR: e-mail addresses, the default cadence, no language column
    values (each person's Slack locale decides)."""
    by_id = {p.user_id: p for p in PEOPLE}
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["employee", "manager", "cadence", "language"])
        for p in PEOPLE:
            if p.manager is not None:
                writer.writerow([p.email, by_id[p.manager].email, "monthly", ""])
    return path


def import_demo(settings: Settings, engine: Engine, client: WebClient, folder: Path, now: datetime) -> ImportReport:
    return import_org(settings, engine, client, write_csv(folder / "people.csv"), now, language=settings.mal_locale)

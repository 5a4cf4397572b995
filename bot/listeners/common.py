"""What every listener does first: find the services, the caller as a person, and their language."""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from slack_bolt import BoltContext
from slack_sdk import WebClient

from bot import people
from bot.services import Services
from flows.i18n import Translator
from storage.models import Person
from storage.repo import Repo


@dataclass
class Caller:
    repo: Repo
    person: Person
    t: Translator
    svc: Services

    def commit(self) -> None:
        """Save before telling the person: what they see next must already be true in the store."""
        self.repo.session.commit()


def services(context: BoltContext) -> Services:
    svc: Services = context["mal"]
    return svc


def team_of(body: dict[str, Any]) -> str:
    team = body.get("team_id") or (body.get("team") or {}).get("id") or (body.get("user") or {}).get("team_id")
    return str(team or "")


def user_of(body: dict[str, Any]) -> str:
    user = body.get("user_id") or (body.get("user") or {}).get("id") or (body.get("event") or {}).get("user")
    return str(user or "")


@contextmanager
def caller(context: BoltContext, client: WebClient | None, team_id: str, user_id: str) -> Iterator[Caller]:
    svc = services(context)
    with svc.unit() as repo:
        person = people.ensure(repo, client, team_id, user_id, svc.clock.now())
        yield Caller(repo, person, svc.t(person), svc)

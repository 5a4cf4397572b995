"""What every listener does first: find the services, the caller as a person, and their language."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from slack_bolt import BoltContext, BoltResponse
from slack_sdk import WebClient

from bot import people
from bot.services import Services
from bot.views.notices import notice
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


SLACK_TEXT_INPUT_MAX = 3000
_FILLED_KEYS = ("selected_date", "selected_time", "selected_user", "selected_option", "selected_conversation")


def _inputs(view: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        str(b.get("block_id")): b.get("element") or {}
        for b in view.get("blocks") or []
        if isinstance(b, dict) and b.get("type") == "input"
    }


def submission_problems(view: dict[str, Any]) -> dict[str, tuple[str, int]]:
    """Fields of a submitted modal that no listener should see: text over the field's ``max_length`` (Slack
    never sends one, a forged request can), or a modal submitted with nothing filled in at all."""
    values: dict[str, dict[str, Any]] = (view.get("state") or {}).get("values") or {}
    inputs = _inputs(view)
    problems: dict[str, tuple[str, int]] = {}
    filled = False
    for block_id, by_action in values.items():
        for entry in by_action.values():
            entry = entry or {}
            text = entry.get("value")
            if isinstance(text, str):
                declared = inputs.get(block_id, {}).get("max_length") or SLACK_TEXT_INPUT_MAX
                limit = min(int(declared), SLACK_TEXT_INPUT_MAX)
                if len(text) > limit:
                    problems[block_id] = ("too_long_limit", limit)
                filled = filled or bool(text.strip())
            filled = filled or any(entry.get(k) for k in _FILLED_KEYS) or bool(entry.get("selected_options"))
            filled = filled or bool(entry.get("selected_users") or entry.get("selected_dates"))
    if not filled and not problems:
        first = next(iter(inputs), None) or next(iter(values), None)
        if first is not None:
            problems[first] = ("empty", 0)
    return problems


def refuse_bad_submissions(body: dict[str, Any], context: BoltContext, next: Callable[[], None]) -> BoltResponse | None:
    """Answer a bad modal submission on the field itself, before any listener or flow sees it."""
    if body.get("type") != "view_submission" or not (problems := submission_problems(body.get("view") or {})):
        next()
        return None
    svc = services(context)
    with svc.unit() as repo:
        t = svc.t(repo.person_by_slack(team_of(body), user_of(body)))
        errors = {block: notice(reason, t, str(limit)) for block, (reason, limit) in problems.items()}
    return BoltResponse(status=200, body={"response_action": "errors", "errors": errors})

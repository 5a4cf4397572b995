"""What every listener does first: find the services, the caller as a person, and their language."""

import json
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, time
from typing import Any

from slack_bolt import BoltContext, BoltResponse
from slack_sdk import WebClient

from bot import people
from bot.sealed import seal, unseal
from bot.services import Services
from bot.views.notices import notice
from flows.dates import latest
from flows.i18n import Translator
from storage.models import Person
from storage.repo import Repo


@dataclass
class Caller:
    repo: Repo
    person: Person
    t: Translator
    svc: Services
    # Writes that may come after the answer (who read what): a listener that answers from reads alone gives
    # them to ``bot.afterwards.save_later`` once Slack has its answer; anyone else writes them with the rest.
    later: list[Callable[[Repo], None]] = field(default_factory=list)

    def after_answer(self, write: Callable[[Repo], None]) -> None:
        self.later.append(write)

    def write_later(self) -> None:
        for write in self.later:
            write(self.repo)
        self.later.clear()

    def commit(self) -> None:
        """Save before telling the person: what they see next must already be true in the store."""
        self.write_later()
        self.repo.session.commit()


def sealed_origin(c: Caller, origin: dict[str, str], subject: str) -> dict[str, str]:
    """Where a modal was opened from (a response_url, a message), for its ``private_metadata``: sealed to the
    caller and ``subject`` (e.g. ``meeting:12``), so a forged view cannot point mal anywhere else."""
    return {"origin": seal(c.svc.sealing_key, origin, c.person.slack_user_id, subject)}


def trusted_origin(c: Caller, meta: dict[str, Any], subject: str) -> dict[str, Any]:
    """The origin a submitted modal carries, if mal sealed it for this caller and subject; else nothing."""
    return unseal(c.svc.sealing_key, meta.get("origin"), c.person.slack_user_id, subject) or {}


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
        found = Caller(repo, person, svc.t(person), svc)
        yield found
        found.write_later()


@contextmanager
def known_caller(context: BoltContext, team_id: str, user_id: str) -> Iterator[Caller | None]:
    """The caller if mal knows them already, in a unit of work that writes nothing (so it never waits for the
    database's write lock); None for somebody new, whose first contact is a write."""
    svc = services(context)
    with svc.unit() as repo:
        person = repo.person_by_slack(team_id, user_id)
        yield Caller(repo, person, svc.t(person), svc) if person is not None else None


SLACK_TEXT_INPUT_MAX = 3000
_FILLED_KEYS = ("selected_date", "selected_time", "selected_user", "selected_option", "selected_conversation")


def _inputs(view: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        str(b.get("block_id")): b.get("element") or {}
        for b in view.get("blocks") or []
        if isinstance(b, dict) and b.get("type") == "input"
    }


def _unreadable(entry: dict[str, Any]) -> str | None:
    """A picked date or time not in the form Slack's pickers give (YYYY-MM-DD, HH:MM)."""
    for key, parse in (("selected_date", date.fromisoformat), ("selected_time", time.fromisoformat)):
        value = entry.get(key)
        if value is not None:
            try:
                parse(str(value))
            except ValueError:
                return str(value)
    return None


def _too_far(entry: dict[str, Any], today: date) -> str | None:
    """A picked date beyond what mal takes for anything (``flows.dates.latest``), e.g. in year 9999."""
    value = entry.get("selected_date")
    if value is None:
        return None
    picked = date.fromisoformat(str(value))
    return str(value) if picked > latest(today) else None


def submission_problems(view: dict[str, Any], today: date) -> dict[str, tuple[str, str]]:
    """Fields of a submitted modal that no listener should see: text over the field's ``max_length``, a date
    no picker gives (Slack never sends either, a forged request can) or one years beyond any plan, or nothing
    filled in at all."""
    values: dict[str, dict[str, Any]] = (view.get("state") or {}).get("values") or {}
    inputs = _inputs(view)
    problems: dict[str, tuple[str, str]] = {}
    filled = False
    for block_id, by_action in values.items():
        for entry in by_action.values():
            entry = entry or {}
            text = entry.get("value")
            if isinstance(text, str):
                declared = inputs.get(block_id, {}).get("max_length") or SLACK_TEXT_INPUT_MAX
                limit = min(int(declared), SLACK_TEXT_INPUT_MAX)
                if len(text) > limit:
                    problems[block_id] = ("too_long_limit", str(limit))
                filled = filled or bool(text.strip())
            if (unreadable := _unreadable(entry)) is not None:
                problems[block_id] = ("date_unparseable", unreadable)
            elif (far := _too_far(entry, today)) is not None:
                problems[block_id] = ("date_too_far", far)
            filled = filled or any(entry.get(k) for k in _FILLED_KEYS) or bool(entry.get("selected_options"))
            filled = filled or bool(entry.get("selected_users") or entry.get("selected_dates"))
    if not filled and not problems:
        first = next(iter(inputs), None) or next(iter(values), None)
        if first is not None:
            problems[first] = ("empty", "")
    return problems


# C0 control characters and DEL, but for tab and newline: nobody types them, and a NUL cuts a text short in
# SQLite (and is refused by PostgreSQL), an ESC or a backspace garbles it wherever it is shown.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def _without_controls(value: Any) -> Any:
    if isinstance(value, str):
        return _CONTROL.sub("", value.replace("\r\n", "\n")) if _CONTROL.search(value) else value
    if isinstance(value, dict):
        for key, item in value.items():
            value[key] = _without_controls(item)
    elif isinstance(value, list):
        value[:] = [_without_controls(item) for item in value]
    return value


# The same characters as JSON writes them with ``ensure_ascii`` (newline and tab, which stay, as ``\n``, ``\t``).
_ESCAPED_CONTROL = re.compile(r"\\(?:u00(?:[01][0-9a-fA-F]|7[fF])|[bfr])")


def _has_controls(body: dict[str, Any]) -> bool:
    """Whether any text in the body may hold a control character, from its JSON form (written in C, where
    walking every string of a Home view or a message in Python costs more than the rest of many requests).
    An escaped backslash before b, f or r also answers yes: the walk then finds nothing, which is right."""
    try:
        return _ESCAPED_CONTROL.search(json.dumps(body)) is not None
    except (TypeError, ValueError):  # not JSON-shaped (Slack's never is): walk it
        return True


def strip_control_characters(body: dict[str, Any], next: Callable[[], None]) -> None:
    """Every text that comes from Slack (a command's text, a DM, a modal's fields, a button's value) loses its
    control characters here, once, before any listener can store it; Bolt hands listeners parts of this same
    body, so they all see the cleaned text."""
    if _has_controls(body):
        _without_controls(body)
    next()


def refuse_bad_submissions(body: dict[str, Any], context: BoltContext, next: Callable[[], None]) -> BoltResponse | None:
    """Answer a bad modal submission on the field itself, before any listener or flow sees it."""
    svc = services(context)
    today = svc.clock.now().date()
    if body.get("type") != "view_submission" or not (problems := submission_problems(body.get("view") or {}, today)):
        next()
        return None
    with svc.unit() as repo:
        t = svc.t(repo.person_by_slack(team_of(body), user_of(body)))
        errors = {block: notice(reason, t, arg) for block, (reason, arg) in problems.items()}
    return BoltResponse(status=200, body={"response_action": "errors", "errors": errors})

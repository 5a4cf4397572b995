"""Work that must not hold up Slack's answer, and what happens when work after the answer fails.

Slack waits three seconds for an acknowledgement. A write may wait far longer: SQLite has one writer at a
time, and a tick, a backup or a migration can hold the lock for seconds. So:

- ``answer_in_time`` runs a command's work (reads and writes) on the background pool and acknowledges
  with its answer if it is done within ``ACK_BUDGET``; otherwise it acknowledges at once with "saving",
  and the answer (or why it failed) follows through the command's ``response_url`` when the work is done.
  A write that meets a busy database is tried again, so nothing typed is lost to "database is locked".
- ``save_later`` runs writes that need not come before the answer (who read what, for the audit log)
  after it, with the same retries.
- ``tell_failure`` is the one way a person hears that something failed after their click was answered: in
  their language, where they are (the ephemeral thread of their command or click, else their DM), and,
  when Slack cannot take even that, through the outbox once it can.
"""

import logging
import time
import traceback
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any, TypeVar

from slack_bolt import Ack, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.exc import OperationalError

from bot.services import Services
from bot.views.blocks import Block
from bot.views.notices import notice
from flows.outbox import Planned, enqueue
from storage.repo import Repo

log = logging.getLogger("mal.afterwards")

T = TypeVar("T")
# Slack's three seconds include the way there and back, and Bolt's own polling for the acknowledgement.
ACK_BUDGET = 2.0
# Each try waits up to the store's own lock timeout (30 s on SQLite) before it fails.
TRIES = 3
POOL = ThreadPoolExecutor(max_workers=8, thread_name_prefix="mal-afterwards")


def _where(error: BaseException) -> str:
    """Where an error was raised, for the log: the frames, never the message (a database error's message
    carries the statement's parameters, which may be somebody's answer or action text)."""
    frames = traceback.extract_tb(error.__traceback__)[-3:]
    return " <- ".join(f"{f.filename.rsplit('/', 1)[-1]}:{f.lineno} {f.name}" for f in reversed(frames))


def retried(work: Callable[[], T], tries: int = TRIES) -> T:
    """``work`` again while the database is busy or unreachable: each try is a unit of work of its own, rolled
    back whole when it fails, so trying again can never save anything twice."""
    for attempt in range(1, tries + 1):
        try:
            return work()
        except OperationalError as exc:
            if attempt == tries:
                raise
            log.warning("database busy (%s), trying again (%d of %d)", type(exc.orig).__name__, attempt, tries)
            time.sleep(0.2 * attempt)
    raise AssertionError("unreachable")  # pragma: no cover


def answer_in_time(
    svc: Services,
    ack: Ack,
    respond: Respond,
    work: Callable[[], list[Block]],
    *,
    team_id: str,
    user_id: str,
    fallback: Callable[[list[Block]], str],
) -> None:
    """Acknowledge a command with ``work``'s answer, or with "saving" when that takes longer than Slack waits."""
    future: Future[list[Block]] = POOL.submit(retried, work)
    try:
        blocks = future.result(timeout=ACK_BUDGET)
    except FutureTimeout:
        t = svc.t(_person(svc, team_id, user_id))
        ack(response_type="ephemeral", text=t._("Saving … mal answers here as soon as it is done."))
        future.add_done_callback(lambda done: _answer_later(svc, done, respond, team_id, user_id, fallback))
        return
    except Exception as exc:
        log.error("command failed before its answer: %s at %s", type(exc).__name__, _where(exc))
        ack(response_type="ephemeral", text=_failure_text(svc, team_id, user_id, _reason(exc, None)))
        return
    ack(response_type="ephemeral", blocks=blocks, text=fallback(blocks))


def _answer_later(
    svc: Services,
    done: "Future[list[Block]]",
    respond: Respond,
    team_id: str,
    user_id: str,
    fallback: Callable[[list[Block]], str],
) -> None:
    try:
        blocks = done.result()
    except Exception as exc:
        log.warning("command failed after its acknowledgement: %s at %s", type(exc).__name__, _where(exc))
        tell_failure(svc, None, team_id, user_id, _reason(exc, None), respond)
        return
    try:
        respond(response_type="ephemeral", replace_original=False, blocks=blocks, text=fallback(blocks))
    except Exception as exc:  # Slack did not take the answer: the person still hears how it went
        log.warning("answer after acknowledgement not delivered: %s", type(exc).__name__)
        tell_failure(svc, None, team_id, user_id, "saved_not_shown", None)


def save_later(svc: Services, writes: list[Callable[[Repo], None]]) -> None:
    """Writes that follow an answer already given (the audit log's rows), in one unit of work, retried."""
    if not writes:
        return

    def unit() -> None:
        with svc.unit() as repo:
            for write in writes:
                write(repo)

    try:
        retried(unit)
    except OperationalError:
        log.error("writes after an answer were lost: the database stayed busy for %d tries", TRIES)


# --- telling a person that something failed after their click was answered -----------------------------------


def _person(svc: Services, team_id: str, user_id: str) -> Any:
    try:
        with svc.unit() as repo:
            return repo.person_by_slack(team_id, user_id)
    except OperationalError:
        return None


def _failure_text(svc: Services, team_id: str, user_id: str, reason: str) -> str:
    return notice(reason, svc.t(_person(svc, team_id, user_id)))


def _reason(error: BaseException, body: dict[str, Any] | None) -> str:
    """Which of the notices fits: what failed, and whether what the person did is saved."""
    if isinstance(error, OperationalError):
        return "not_saved_busy"
    if isinstance(error, SlackApiError):
        method = str(getattr(error.response, "api_url", "")).rstrip("/").rsplit("/", 1)[-1]
        if method in ("views.open", "views.push", "views.update"):
            return "form_not_opened"
        if method == "views.publish":
            return "home_not_shown"
        if method.startswith("files."):
            return "export_not_sent"
        if method == "chat.postMessage" and ((body or {}).get("event") or {}).get("type") == "message":
            return "next_question_not_sent"
        if method in ("chat.postMessage", "chat.update"):
            return "saved_not_shown"
    return "failed_try_again"


def tell_failure(
    svc: Services,
    client: WebClient | None,
    team_id: str,
    user_id: str,
    reason: str,
    respond: Respond | None,
) -> None:
    """Tell the person, in their language, that ``reason`` happened: in the thread of their command or click
    when there is one, else in their DM; if Slack takes neither now, the outbox brings it when Slack can."""
    if not user_id:
        return
    text = _failure_text(svc, team_id, user_id, reason)
    try:
        if respond is not None:
            respond(response_type="ephemeral", replace_original=False, text=text)
            return
        if client is not None:
            client.chat_postMessage(channel=user_id, text=text)
            return
    except Exception as exc:
        log.warning("could not tell %s about a failure now (%s): the outbox will", user_id, type(exc).__name__)
    try:
        now = svc.clock.now()
        with svc.unit() as repo:
            enqueue(
                repo,
                [
                    Planned(
                        f"notice:{team_id}:{user_id}:{uuid.uuid4().hex}",
                        team_id,
                        user_id,
                        "notice",
                        now,
                        {"reason": reason},
                    )
                ],
                now,
            )
        svc.kick()
    except Exception as exc:
        log.error("could not tell %s about a failure at all: %s at %s", user_id, type(exc).__name__, _where(exc))


def on_listener_error(svc: Services) -> Callable[..., None]:
    """Bolt's error handler: whatever a listener raised after its acknowledgement reaches the person."""

    def handler(error: Exception, body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        from bot.listeners.common import team_of, user_of

        log.error("listener failed: %s at %s", type(error).__name__, _where(error))
        can_respond = bool(body.get("response_url")) or bool((body.get("response_urls") or [None])[0])
        tell_failure(svc, client, team_of(body), user_of(body), _reason(error, body), respond if can_respond else None)

    return handler

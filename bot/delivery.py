"""Draining the outbox: claim due rows, check they still make sense, render, send, mark.

Rate limits defer the row (and the rest of the workspace's batch) instead of sleeping, unless the workspace's
budget frees a slot within a second (``bot.gateway.PACE_IN_PLACE``); a recipient who is gone is
marked inactive and never retried; a revoked workspace stops everything addressed to it. While Slack
cannot be reached (no answer, 5xx) a row waits with a growing pause and uses up no attempt, so an outage
loses nothing. A row that fails in mal itself (a bug, bad data) is logged with its key, retried a few
times with backoff and then given up, without holding up the rows behind it.
"""

import json
import logging
import os
import socket
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot import archive, metrics
from bot.gateway import SendResult, SlackGateway
from bot.render import render
from bot.services import Services
from bot.views import actions as action_views
from flows import cadence
from flows.outbox import relevance
from storage import outbox
from storage.models import Outbox, Person

MAX_ATTEMPTS = 8
# Kinds of which a person keeps one live message: a newer one turns the older into a pointer to it.
SUPERSEDED = frozenset({"digest"})
UNREACHABLE_FIRST_PAUSE = 5.0
UNREACHABLE_MAX_PAUSE = 300.0

log = logging.getLogger("mal.delivery")


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass
class DrainReport:
    sent: int = 0
    deferred: int = 0
    cancelled: int = 0
    dead: int = 0
    failed: int = 0  # rows that raised inside mal: retried with backoff, given up after MAX_ATTEMPTS
    dropped: Counter[str] = field(default_factory=Counter)  # rows that ended unsent (cancelled or dead), by reason
    errors: list[str] = field(default_factory=list)
    rate_limited: int = 0
    paused_until: datetime | None = None  # the moment Slack's last Retry-After runs out

    def add(self, other: "DrainReport") -> None:
        self.sent += other.sent
        self.deferred += other.deferred
        self.cancelled += other.cancelled
        self.dead += other.dead
        self.failed += other.failed
        self.dropped.update(other.dropped)
        self.errors += other.errors
        self.rate_limited += other.rate_limited
        if other.paused_until is not None:
            self.paused_until = max(self.paused_until or other.paused_until, other.paused_until)


def drain(svc: Services, gateway: SlackGateway, *, worker: str | None = None, limit: int | None = None) -> DrainReport:
    worker = worker or worker_id()
    report = DrainReport()
    now = svc.clock.now()
    lease = timedelta(seconds=svc.settings.mal_outbox_lease_seconds)
    rows, takeovers = outbox.claim(svc.engine, now, worker, limit or svc.settings.mal_outbox_batch, lease)
    if takeovers:
        metrics.LEASE_TAKEOVERS.inc(takeovers)
        log.info("took over %d message(s) whose worker's lease ran out", takeovers)
    held = {row.id for row in rows if row.id is not None}
    renew_at = now + lease / 2
    paused: dict[str, float] = {}  # a workspace's rate limit holds up only that workspace's rows
    unreachable: str | None = None  # Slack could not be reached: the rest of the batch waits without trying
    for index, row in enumerate(rows):
        assert row.id is not None
        if (current := svc.clock.now()) >= renew_at:  # a slow batch must not outlive its lease: sent twice
            rest = [r.id for r in rows[index:] if r.id is not None]
            held = outbox.renew(svc.engine, rest, worker, current + lease)
            renew_at = current + lease / 2
        if row.id not in held:
            continue
        paused_for = paused.get(row.team_id, 0.0)
        if paused_for:
            _defer(svc, row, worker, now + timedelta(seconds=paused_for), "ratelimited", report)
            continue
        if unreachable is not None:
            _wait_for_slack(svc, row, worker, SendResult("retry", error=unreachable), report)
            continue
        try:
            result = _deliver(svc, gateway, row, worker, now, report)
        except Exception as exc:  # one row's failure must not hold up the rows behind it
            _failed(svc, row, worker, exc, report)
            continue
        if result is not None and result.error == "ratelimited" and result.scope == "workspace":
            paused[row.team_id] = result.retry_after
        if result is not None and result.outcome == "retry" and result.scope == "slack":
            unreachable = result.error
    return report


def _deliver(
    svc: Services, gateway: SlackGateway, row: Outbox, worker: str, now: datetime, report: DrainReport
) -> SendResult | None:
    """One row: still wanted, still someone to send to, inside their hours, then sent and settled."""
    assert row.id is not None
    if row.attempts > MAX_ATTEMPTS:  # claimed again and again by workers that died on it
        _drop(svc, row, worker, "dead", "gave_up", report)
        return None
    if row.kind == "archive":  # a confirmed plan for the personnel archive, not a Slack message
        result = archive.deliver(svc, row)
        _settle(svc, row, worker, result, report)
        return result
    payload = json.loads(row.payload)
    rendered = None
    with svc.unit() as repo:
        ws = repo.workspace(row.team_id)
        person = repo.person_by_slack(row.team_id, row.recipient)
        if ws is not None and not ws.active:
            verdict = ("dead", "workspace_inactive")
        elif person is None or not person.active:
            verdict = ("dead", "recipient_inactive")
        elif relevance(repo, row.kind, payload, now) != "send":
            verdict = ("cancelled", "stale")
        else:
            verdict = ("", "")
        if not verdict[0] and person is not None:
            slot = cadence.next_slot(now, person.tz, svc.hours, person.away_until)
            if slot > now + timedelta(minutes=1):
                _defer(svc, row, worker, slot, "outside_working_hours", report)
                return None
            rendered = render(repo, svc, row.kind, payload, person, now)
            if rendered is None:
                verdict = ("cancelled", "nothing_to_say")
    if verdict[0]:
        _drop(svc, row, worker, verdict[0], verdict[1], report)
        return None
    assert rendered is not None
    if rendered.file is not None:
        f = rendered.file
        result = gateway.upload(row.recipient, f.filename, f.content, f.title, rendered.text, team_id=row.team_id)
    else:
        result = gateway.post(row.recipient, rendered.text, rendered.blocks, team_id=row.team_id)
    _settle(svc, row, worker, result, report)
    if result.outcome == "sent" and row.kind in SUPERSEDED:
        _retire_earlier(svc, gateway, row, person, now)
    return result


def _retire_earlier(svc: Services, gateway: SlackGateway, row: Outbox, person: Person | None, now: datetime) -> None:
    """Reminders never stack: the older overview of overdue actions becomes a line pointing to the newer one,
    so one list with buttons is left to act on. Slack may refuse (a message too old to edit): it stays then."""
    if person is None:
        return
    with svc.unit() as repo:
        earlier = repo.earlier_sent(row)
    if not earlier or not earlier[0].slack_ts:
        return
    t = svc.t(person)
    day = t.short_day(now.astimezone(ZoneInfo(person.tz or "Europe/Oslo")).date())
    blocks = action_views.digest_superseded(t, day)
    text = t._("This overview of overdue actions is replaced by the newer one of {day}.", day=day)
    done = gateway.replace(row.recipient, earlier[0].slack_ts, text, blocks, team_id=row.team_id)
    if done.outcome != "sent":
        log.info("outbox %s: the earlier %s was not replaced (%s)", row.key, row.kind, done.error)


def _wait_for_slack(svc: Services, row: Outbox, worker: str, result: SendResult, report: DrainReport) -> None:
    """Slack did not answer, or failed on its side: the row waits for it, however long, without giving up;
    the pause doubles from 5 s to at most 5 minutes, so it goes within minutes of Slack coming back."""
    assert row.id is not None
    pause = min(UNREACHABLE_MAX_PAUSE, max(result.retry_after, UNREACHABLE_FIRST_PAUSE * 2**row.unreachable))
    until = svc.clock.now() + timedelta(seconds=pause)
    outbox.mark_deferred(svc.engine, row.id, worker, until, result.error, unreachable=True)
    report.deferred += 1
    metrics.message(row.kind, "deferred", "slack_unreachable")


def _defer(svc: Services, row: Outbox, worker: str, until: datetime, reason: str, report: DrainReport) -> None:
    assert row.id is not None
    outbox.mark_deferred(svc.engine, row.id, worker, until, reason)
    report.deferred += 1
    metrics.message(row.kind, "deferred", reason)


def _drop(svc: Services, row: Outbox, worker: str, status: str, reason: str, report: DrainReport) -> None:
    """A message that ends unsent: ``cancelled`` (no longer wanted) or ``dead`` (cannot be delivered). It is
    counted by reason and logged once with its key (never its content); a brief that a meeting overtook is
    carried into the next message about that meeting (see ``bot.render``)."""
    assert row.id is not None
    if not outbox.mark_final(svc.engine, row.id, worker, status, reason):
        return  # another worker holds it now
    log.info("outbox %s (%s) not sent: %s %s", row.key, row.kind, status, reason)
    report.dropped[reason] += 1
    report.cancelled += status == "cancelled"
    report.dead += status == "dead"
    metrics.message(row.kind, "dropped", reason)


def _failed(svc: Services, row: Outbox, worker: str, exc: Exception, report: DrainReport) -> None:
    """Logged with the row's key and the error's type only: its content may be someone's answer."""
    assert row.id is not None
    report.failed += 1
    metrics.message(row.kind, "failed", type(exc).__name__)
    if row.attempts >= MAX_ATTEMPTS:
        log.warning("outbox %s failed (%s) %d times; given up", row.key, type(exc).__name__, row.attempts)
        _drop(svc, row, worker, "dead", f"error:{type(exc).__name__}", report)
        return
    log.warning("outbox %s failed (%s); retried later", row.key, type(exc).__name__)
    backoff = timedelta(seconds=30 * 2**row.attempts)
    outbox.mark_retry(svc.engine, row.id, worker, svc.clock.now() + backoff, f"error:{type(exc).__name__}")


def _settle(svc: Services, row: Outbox, worker: str, result: SendResult, report: DrainReport) -> None:
    assert row.id is not None
    row_id, team_id, recipient = row.id, row.team_id, row.recipient
    now = svc.clock.now()
    if result.outcome == "sent":
        outbox.mark_sent(svc.engine, row_id, worker, now, result.ts)
        report.sent += 1
        metrics.message(row.kind, "sent")
    elif result.outcome == "retry" and result.error == "ratelimited":
        # Slack asked us to wait, nothing failed: the attempt is given back however often this happens.
        until = now + timedelta(seconds=result.retry_after)
        _defer(svc, row, worker, until, result.error, report)
        report.rate_limited += 1
        report.paused_until = max(report.paused_until or until, until)
    elif result.outcome == "retry":
        _wait_for_slack(svc, row, worker, result, report)
    elif result.outcome == "recipient_gone":
        _drop(svc, row, worker, "dead", result.error, report)
        with svc.unit() as repo:
            person = repo.person_by_slack(team_id, recipient)
            if person is not None:
                person.active = False
                repo.add(person)
    elif result.outcome == "workspace_gone":
        _drop(svc, row, worker, "dead", result.error, report)
        with svc.unit() as repo:
            ws = repo.ensure_workspace(team_id)
            ws.active = False
            ws.revoked_at = now
            repo.add(ws)
        stop_workspace(svc, team_id, result.error)
    else:
        _drop(svc, row, worker, "dead", result.error, report)
        report.errors.append(result.error)


def stop_workspace(svc: Services, team_id: str, reason: str) -> int:
    """Nothing more goes to a workspace whose token was revoked or that uninstalled the app: every waiting
    message is dropped, counted and logged once with its key."""
    stopped = outbox.stop_workspace(svc.engine, team_id, reason)
    for key, kind in stopped:
        log.info("outbox %s (%s) not sent: dead %s", key, kind, reason)
        metrics.message(kind, "dropped", reason)
    return len(stopped)

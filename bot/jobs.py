"""The scheduler's work: plan what is due and drain the outbox, batch by batch (APScheduler, `mal-bot tick`)."""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot import metrics
from bot.delivery import DrainReport, drain
from bot.gateway import SlackGateway
from bot.services import Services
from flows.planner import NUDGE_BATCH, PlanReport, plan
from storage import outbox


@dataclass(frozen=True)
class TickReport:
    plan: PlanReport
    drain: DrainReport
    # Set when Slack slowed the drain down: the next tick should run then, not a whole interval later.
    resume_at: datetime | None = None


log = logging.getLogger("mal.tick")
# Messages held back only to pace a DM (about one a second per person, Slack's rule) or by a short 429 are
# waited for inside the tick, up to this long each: what is due goes in this tick, not in the next one,
# which a tick run from cron a few times a day may bring hours later.
PACE_WAIT = timedelta(seconds=30)
TICK_BUDGET = timedelta(minutes=5)


def tick(svc: Services, gateway: SlackGateway, *, worker: str | None = None, max_batches: int = 100) -> TickReport:
    with metrics.TICK_SECONDS.time():
        report = _tick(svc, gateway, worker, max_batches)
    for kind, n in report.plan.failed.items():
        metrics.PLAN_FAILED.labels(kind=kind).inc(n)
    return report


def _tick(svc: Services, gateway: SlackGateway, worker: str | None, max_batches: int) -> TickReport:
    """Plans a batch, sends what is due, plans the next: with thousands of pairs due at once the first
    messages go while the rest are still being planned, and the time Slack's budget makes the drain wait
    goes to planning instead of idling. Once everything is planned, paced messages are waited for as before."""
    planned = PlanReport()
    total = DrainReport()
    started = svc.clock.now()
    planning, plans, drains = True, 0, 0
    hold_until: datetime | None = None  # the budget is spent until then: planning goes on meanwhile
    while True:
        if planning:
            planning = _plan_batch(svc, planned)
            plans += 1
            planning = planning and plans < max_batches
        if planning and hold_until is not None and svc.clock.now() < hold_until:
            continue
        if drains >= max_batches:
            if planning:
                continue
            break
        batch = drain(svc, gateway, worker=worker)
        drains += 1
        total.add(batch)
        if batch.rate_limited:
            if planning:
                hold_until = outbox.soonest_pending(svc.engine, reason="ratelimited")
                continue
            if not _wait_for_pacing(svc, started):
                break  # what was held back may go only later: a later tick sends it
        elif batch.sent + batch.cancelled + batch.dead == 0 and not planning:
            break
    if total.paused_until is not None and total.paused_until <= svc.clock.now():
        total.paused_until = None  # waited out inside the tick
    return TickReport(planned, total, resume_at(svc, total))


def _plan_batch(svc: Services, planned: PlanReport) -> bool:
    """One small transaction of planning (locks held briefly, a crash loses little); True while more is due."""
    try:
        with svc.unit() as repo:
            part = plan(repo, svc.clock.now(), svc.plan_settings)
    except Exception as exc:  # items fail on their own (flows.guard); this is the store itself failing
        log.warning("planning failed (%s); sending what is already planned", type(exc).__name__)
        planned.failed["plan"] += 1
        return False
    planned.add(part)
    return part.nudges_examined >= NUDGE_BATCH


def _wait_for_pacing(svc: Services, started: datetime) -> bool:
    """Sleep (in the clock's time) until the next message held back by pacing may go, if that is soon."""
    soonest = outbox.soonest_pending(svc.engine, reason="ratelimited")
    now = svc.clock.now()
    if soonest is None or soonest - now > PACE_WAIT or now - started > TICK_BUDGET:
        return False
    svc.clock.sleep(max(0.0, (soonest - now).total_seconds()))
    return True


def resume_at(svc: Services, report: DrainReport) -> datetime | None:
    """After a rate-limited drain: the soonest moment a waiting message may go, and not before Slack's
    Retry-After has run out. None when Slack did not slow this drain down."""
    if report.paused_until is None:
        return None
    soonest = outbox.soonest_pending(svc.engine)
    return report.paused_until if soonest is None else max(soonest, report.paused_until)

"""The scheduler's work: plan what is due, then drain the outbox. Run by APScheduler and by `mal-bot tick`."""

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
    planned = PlanReport()
    for _ in range(max_batches):  # small transactions: locks are held briefly and a crash loses little
        try:
            with svc.unit() as repo:
                part = plan(repo, svc.clock.now(), svc.plan_settings)
        except Exception as exc:  # items fail on their own (flows.guard); this is the store itself failing
            log.warning("planning failed (%s); sending what is already planned", type(exc).__name__)
            planned.failed["plan"] += 1
            break
        planned.add(part)
        if part.nudges_examined < NUDGE_BATCH:
            break
    total = DrainReport()
    started = svc.clock.now()
    for _ in range(max_batches):
        batch = drain(svc, gateway, worker=worker)
        total.add(batch)
        if batch.rate_limited:
            if not _wait_for_pacing(svc, started):
                break  # what was held back may go only later: a later tick sends it
        elif batch.sent + batch.cancelled + batch.dead == 0:
            break
    if total.paused_until is not None and total.paused_until <= svc.clock.now():
        total.paused_until = None  # waited out inside the tick
    return TickReport(planned, total, resume_at(svc, total))


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

"""The scheduler's work: plan what is due, then drain the outbox. Run by APScheduler and by `mal-bot tick`."""

import logging
from dataclasses import dataclass
from datetime import datetime

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


def tick(svc: Services, gateway: SlackGateway, *, worker: str | None = None, max_batches: int = 100) -> TickReport:
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
    for _ in range(max_batches):
        batch = drain(svc, gateway, worker=worker)
        total.sent += batch.sent
        total.deferred += batch.deferred
        total.cancelled += batch.cancelled
        total.dead += batch.dead
        total.failed += batch.failed
        total.errors += batch.errors
        total.rate_limited += batch.rate_limited
        if batch.paused_until is not None:
            total.paused_until = max(total.paused_until or batch.paused_until, batch.paused_until)
        if batch.rate_limited or batch.sent + batch.cancelled + batch.dead == 0:
            break  # Slack said wait: another batch now would only be turned away too
    return TickReport(planned, total, resume_at(svc, total))


def resume_at(svc: Services, report: DrainReport) -> datetime | None:
    """After a rate-limited drain: the soonest moment a waiting message may go, and not before Slack's
    Retry-After has run out. None when Slack did not slow this drain down."""
    if report.paused_until is None:
        return None
    soonest = outbox.soonest_pending(svc.engine)
    return report.paused_until if soonest is None else max(soonest, report.paused_until)

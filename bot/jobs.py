"""The scheduler's work: plan what is due, then drain the outbox. Run by APScheduler and by `mal-bot tick`."""

from dataclasses import dataclass

from bot.delivery import DrainReport, drain
from bot.gateway import SlackGateway
from bot.services import Services
from flows.planner import NUDGE_BATCH, PlanReport, plan


@dataclass(frozen=True)
class TickReport:
    plan: PlanReport
    drain: DrainReport


def tick(svc: Services, gateway: SlackGateway, *, worker: str | None = None, max_batches: int = 100) -> TickReport:
    planned = PlanReport()
    for _ in range(max_batches):  # small transactions: locks are held briefly and a crash loses little
        with svc.unit() as repo:
            part = plan(repo, svc.clock.now(), svc.plan_settings)
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
        total.errors += batch.errors
        if batch.sent + batch.cancelled + batch.dead == 0:
            break
    return TickReport(planned, total)

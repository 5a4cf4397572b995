"""The scheduler's work: plan what is due, then drain the outbox. Run by APScheduler and by `mal-bot tick`."""

from dataclasses import dataclass

from bot.delivery import DrainReport, drain
from bot.gateway import SlackGateway
from bot.services import Services
from flows.planner import PlanReport, plan


@dataclass(frozen=True)
class TickReport:
    plan: PlanReport
    drain: DrainReport


def tick(svc: Services, gateway: SlackGateway, *, worker: str | None = None, max_batches: int = 100) -> TickReport:
    with svc.unit() as repo:
        planned = plan(repo, svc.clock.now(), svc.plan_settings)
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

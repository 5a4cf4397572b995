"""APScheduler drives the tick in every running bot.

The job lives in memory with a fixed id: APScheduler 3's job stores must not be shared between
replicas, and they need not be, because the tick is idempotent and what was sent is kept in the outbox.
"""

from datetime import UTC, datetime

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bot.gateway import SlackGateway
from bot.jobs import tick
from bot.services import Services

JOB_ID = "mal-tick"


def start_scheduler(svc: Services, gateway: SlackGateway, every_seconds: int = 60) -> BackgroundScheduler:
    scheduler = BackgroundScheduler(timezone=UTC)
    scheduler.add_job(
        tick,
        IntervalTrigger(seconds=every_seconds),
        args=[svc, gateway],
        id=JOB_ID,
        replace_existing=True,
        misfire_grace_time=300,
        coalesce=True,
        max_instances=1,
        next_run_time=datetime.now(UTC),
    )
    scheduler.start()

    def kick() -> None:
        """Run the tick now (e.g. right after an invitation was planned) instead of within a minute."""
        job = scheduler.get_job(JOB_ID)
        if job is not None:
            job.modify(next_run_time=datetime.now(UTC))

    svc.kick = kick
    return scheduler

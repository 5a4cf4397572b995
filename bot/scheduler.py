"""APScheduler drives the tick in every running bot.

The job lives in memory with a fixed id: APScheduler 3's job stores must not be shared between
replicas, and they need not be, because the tick is idempotent and what was sent is kept in the outbox.
"""

from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bot.gateway import SlackGateway
from bot.jobs import TickReport, tick
from bot.services import Services

JOB_ID = "mal-tick"
# A rescheduled tick runs at least this long after the one that asked for it, so the two never overlap.
MIN_DELAY = timedelta(seconds=1)


def next_run(svc: Services, report: TickReport, current: datetime | None) -> datetime | None:
    """When the tick should run next in real time, if sooner than ``current`` (the interval's next run).

    The report speaks in the bot's clock (a rehearsal clock may be shifted); the wait is what counts.
    """
    if report.resume_at is None:
        return None
    wait = max(report.resume_at - svc.clock.now(), MIN_DELAY)
    moment = datetime.now(UTC) + wait
    return moment if current is None or moment < current else None


def start_scheduler(svc: Services, gateway: SlackGateway, every_seconds: int = 60) -> BackgroundScheduler:
    scheduler = BackgroundScheduler(timezone=UTC)

    def run() -> TickReport:
        """One tick; after a drain that Slack rate-limited, the next runs when messages may go again."""
        report = tick(svc, gateway)
        job = scheduler.get_job(JOB_ID)
        if job is not None:
            sooner = next_run(svc, report, job.next_run_time)
            if sooner is not None:
                job.modify(next_run_time=sooner)
        return report

    scheduler.add_job(
        run,
        IntervalTrigger(seconds=every_seconds),
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

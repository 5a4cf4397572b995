"""The tick: decide what is due and put it in the outbox. Safe to run late, twice, or on every replica.

Everything it does is keyed: a meeting per (pairing, period), a message per idempotency key. Its cost
follows the due work (indexed ``nudge_at``, due dates), not the size of the organisation.
"""

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from flows import cadence, follow, lapses, privacy, season
from flows.outbox import Planned, enqueue, plan_for
from flows.pairings import schedule
from storage.models import Person
from storage.repo import Repo

REMINDER_WORKING_DAYS = 2
NUDGE_BATCH = 100


@dataclass(frozen=True)
class PlanSettings:
    hours: cadence.WorkingHours
    tz: str
    lead_days: int
    retention_months: int = 24


@dataclass
class PlanReport:
    nudges: int = 0
    reminders: int = 0
    digests: int = 0
    expired: int = 0
    nudges_examined: int = 0
    lapses: int = 0

    def add(self, other: "PlanReport") -> None:
        self.nudges += other.nudges
        self.reminders += other.reminders
        self.digests += other.digests
        self.expired += other.expired
        self.nudges_examined += other.nudges_examined
        self.lapses += other.lapses

    @property
    def planned(self) -> int:
        return self.nudges + self.reminders + self.digests + self.lapses


def plan(repo: Repo, now: datetime, cfg: PlanSettings) -> PlanReport:
    report = PlanReport()
    report.nudges, report.nudges_examined = _plan_nudges(repo, now, cfg)
    season_nudges, season_examined = season.plan_nudges(repo, now, cfg.hours)
    report.nudges += season_nudges
    report.nudges_examined = max(report.nudges_examined, season_examined)
    report.reminders = _plan_due_reminders(repo, now, cfg)
    report.digests = _plan_digests(repo, now, cfg)
    report.lapses = enqueue(repo, lapses.plan(repo, now, cfg.hours), now)
    report.digests += enqueue(repo, follow.plan_summaries(repo, now, cfg.tz, cfg.hours), now)
    report.expired = privacy.expire(repo, now, cfg.retention_months)
    return report


def _plan_nudges(repo: Repo, now: datetime, cfg: PlanSettings) -> tuple[int, int]:
    count = 0
    due = repo.pairings_due(now, NUDGE_BATCH)
    for pairing in due:
        assert pairing.id is not None and pairing.next_window_at is not None and pairing.anchor is not None
        people = repo.people([pairing.manager_id, pairing.employee_id])
        manager, employee = people[pairing.manager_id], people[pairing.employee_id]
        tz = manager.tz or cfg.tz
        lead = cadence.lead_days(pairing.cadence, cfg.lead_days)
        window = cadence.Window(pairing.next_window_at, pairing.nudge_at or now)
        nxt = cadence.following_window(pairing.cadence, pairing.anchor, tz, lead, window.start)
        if not pairing.paused and manager.active and employee.active:
            meeting = repo.ensure_meeting(
                pairing.id,
                window.period,
                template=pairing.template,
                window_start=window.start,
                window_end=nxt.start,
                created_at=now,
                status="planned",
            )
            count += enqueue(
                repo,
                [plan_for(manager, f"nudge:{meeting.id}", "nudge", {"meeting_id": meeting.id}, now, cfg.hours)],
                now,
            )
        pairing.next_window_at, pairing.nudge_at = nxt.start, nxt.nudge_at
        if pairing.nudge_at <= now:  # far behind (a long outage): skip to the first window still ahead
            schedule(pairing, now, tz, cfg.lead_days)
        repo.add(pairing)
    return count, len(due)


def _morning(day: object, person: Person, cfg: PlanSettings) -> datetime:
    return datetime.combine(day, cfg.hours.start, tzinfo=ZoneInfo(person.tz or cfg.tz))  # type: ignore[arg-type]


def _plan_due_reminders(repo: Repo, now: datetime, cfg: PlanSettings) -> int:
    """One reminder per action and due date, two working days before; moving the date plans anew.

    The reminder is stored at once with its future send time; an action already overdue gets none (and is
    not read here again), the weekly digest speaks of it.
    """
    today = now.astimezone(ZoneInfo(cfg.tz)).date()
    planned: list[Planned] = []
    actions = repo.actions_needing_reminder(today, today + timedelta(days=14))
    owners = repo.people([a.owner_id for a in actions])
    for action in actions:
        owner = owners[action.owner_id]
        country = cadence.country_for(owner.tz, cfg.hours.country)
        remind_day = cadence.working_days_before(action.due, REMINDER_WORKING_DAYS, country)
        if action.due >= today and owner.active:
            planned.append(
                plan_for(
                    owner,
                    f"due:{action.id}:{action.due.isoformat()}",
                    "due_reminder",
                    {"action_id": action.id, "due": action.due.isoformat()},
                    max(_morning(remind_day, owner, cfg), now),
                    cfg.hours,
                )
            )
        action.reminder_for_due = action.due
        repo.add(action)
    return enqueue(repo, planned, now)


def _plan_digests(repo: Repo, now: datetime, cfg: PlanSettings) -> int:
    """At most one digest of overdue actions a week per owner: the key is the ISO week."""
    today = now.astimezone(ZoneInfo(cfg.tz)).date()
    owner_ids = repo.owners_with_overdue(today)
    owners = repo.people(owner_ids)
    planned = [
        plan_for(
            o,
            f"digest:{o.id}:{cadence.iso_week(now, o.tz or cfg.tz)}",
            "digest",
            {"person_id": o.id, "week": cadence.iso_week(now, o.tz or cfg.tz)},
            max(now, _monday_morning(now, o, cfg)),
            cfg.hours,
        )
        for o in owners.values()
        if o.active
    ]
    return enqueue(repo, planned, now)


def _monday_morning(now: datetime, person: Person, cfg: PlanSettings) -> datetime:
    local = now.astimezone(ZoneInfo(person.tz or cfg.tz))
    monday = local.date() - timedelta(days=local.weekday())
    return datetime.combine(
        monday, time(cfg.hours.start.hour, cfg.hours.start.minute), tzinfo=ZoneInfo(person.tz or cfg.tz)
    )

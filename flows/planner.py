"""The tick: decide what is due and put it in the outbox. Safe to run late, twice, or on every replica.

Everything it does is keyed: a meeting per (pairing, period), a message per idempotency key. Its cost
follows the due work (indexed ``nudge_at``, due dates), not the size of the organisation.

Each item (a pair's nudge, an action's reminder, a person's digest) is planned apart (``flows.guard``): one
that fails is skipped and put off, and everybody else's messages are planned as usual.
"""

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from functools import partial
from zoneinfo import ZoneInfo

from flows import cadence, calendar, checkin, follow, lapses, privacy, season
from flows.guard import RETRY_FAILED_AFTER, Guard
from flows.outbox import Planned, enqueue, plan_for
from flows.pairings import schedule
from storage import seasons
from storage.models import Action, Meeting, Pairing, Person
from storage.repo import Repo

REMINDER_WORKING_DAYS = 2
NUDGE_BATCH = 100


@dataclass(frozen=True)
class PlanSettings:
    hours: cadence.WorkingHours
    tz: str
    lead_days: int
    retention_months: int = 24
    keep_archived_document: bool = False


@dataclass
class PlanReport:
    nudges: int = 0
    reminders: int = 0
    digests: int = 0
    expired: int = 0
    nudges_examined: int = 0
    failed: Counter[str] = field(default_factory=Counter)  # items skipped after an error, by what they were
    lapses: int = 0
    cancelled: int = 0  # meetings of pairs that ended, taken out of both calendars

    def add(self, other: "PlanReport") -> None:
        self.nudges += other.nudges
        self.reminders += other.reminders
        self.digests += other.digests
        self.expired += other.expired
        self.nudges_examined += other.nudges_examined
        self.failed.update(other.failed)
        self.lapses += other.lapses
        self.cancelled += other.cancelled

    @property
    def planned(self) -> int:
        return self.nudges + self.reminders + self.digests + self.lapses


def plan(repo: Repo, now: datetime, cfg: PlanSettings) -> PlanReport:
    report = PlanReport()
    report.nudges, report.nudges_examined = _plan_nudges(repo, now, cfg, report)
    season_nudges, season_examined = season.plan_nudges(repo, now, cfg.hours, Guard(repo, report.failed))
    report.nudges += season_nudges + season.plan_overdue(repo, now, cfg.hours, cfg.tz)
    report.nudges_examined = max(report.nudges_examined, season_examined)
    report.reminders = _plan_due_reminders(repo, now, cfg, report)
    report.digests = _plan_digests(repo, now, cfg, report)
    report.lapses = enqueue(repo, lapses.plan(repo, now, cfg.hours), now)
    report.digests += enqueue(repo, follow.plan_summaries(repo, now, cfg.tz, cfg.hours), now)
    report.cancelled = _cancel_for_ended_pairs(repo, now, cfg, report)
    report.expired = privacy.expire(repo, now, cfg.retention_months, keep_archived_document=cfg.keep_archived_document)
    return report


def _plan_nudges(repo: Repo, now: datetime, cfg: PlanSettings, report: PlanReport) -> tuple[int, int]:
    guard = Guard(repo, report.failed)
    due = repo.pairings_due(now, NUDGE_BATCH)
    # While a pair's annual conversation of an open season is still to be held, the regular nudges pause:
    # the window moves on, and the nudges resume with the first window after it.
    in_season = seasons.in_open_season(repo, [p.id for p in due if p.id is not None])
    count = 0
    for pairing in due:
        work = partial(_plan_nudge, repo, pairing, now, cfg, pairing.id in in_season)
        put_off = partial(_put_off, repo, pairing, now)
        count += guard("nudge", f"pairing:{pairing.id}", work, put_off)
    return count, len(due)


def _put_off(repo: Repo, pairing: Pairing, now: datetime) -> None:
    pairing.nudge_at = now + RETRY_FAILED_AFTER
    repo.add(pairing)


def _plan_nudge(repo: Repo, pairing: Pairing, now: datetime, cfg: PlanSettings, in_season: bool) -> int:
    assert pairing.id is not None and pairing.next_window_at is not None and pairing.anchor is not None
    count = 0
    people = repo.people([pairing.manager_id, pairing.employee_id])
    manager, employee = people[pairing.manager_id], people[pairing.employee_id]
    tz = manager.tz or cfg.tz
    lead = cadence.lead_days(pairing.cadence, cfg.lead_days)
    window = cadence.Window(pairing.next_window_at, pairing.nudge_at or now)
    nxt = cadence.following_window(pairing.cadence, pairing.anchor, tz, lead, window.start)
    if not pairing.paused and not in_season and manager.active and employee.active:
        meeting = repo.ensure_meeting(
            pairing.id,
            window.period,
            template=pairing.template,
            window_start=window.start,
            window_end=nxt.start,
            created_at=now,
            status="planned",
        )
        count = enqueue(
            repo,
            [plan_for(manager, f"nudge:{meeting.id}", "nudge", {"meeting_id": meeting.id}, now, cfg.hours)],
            now,
        )
    pairing.next_window_at, pairing.nudge_at = nxt.start, nxt.nudge_at
    if pairing.nudge_at <= now:  # far behind (a long outage): skip to the first window still ahead
        schedule(pairing, now, tz, cfg.lead_days)
    repo.add(pairing)
    return count


def _cancel_for_ended_pairs(repo: Repo, now: datetime, cfg: PlanSettings, report: PlanReport) -> int:
    """A pair that ended (the employee has a new manager, or left) holds no more 1:1s: a meeting of theirs still
    ahead is called off, and both get the cancellation for their calendars (``METHOD:CANCEL``)."""
    guard = Guard(repo, report.failed)
    count = 0
    for meeting in repo.invited_of_ended_pairings(now):

        def work(meeting: Meeting = meeting) -> int:
            ctx = checkin.context(repo, meeting.id or 0)
            if ctx is None:
                return 0
            meeting.status = "skipped"
            meeting.skip_reason = "pair_ended"
            meeting.calendar_sequence += 1
            repo.add(meeting)
            return enqueue(repo, calendar.plan(ctx, calendar.CANCEL, now, cfg.hours), now)

        count += guard("pair_ended", f"meeting:{meeting.id}", work, None)
    return count


def _morning(day: object, person: Person, cfg: PlanSettings) -> datetime:
    return datetime.combine(day, cfg.hours.start, tzinfo=ZoneInfo(person.tz or cfg.tz))  # type: ignore[arg-type]


def _plan_due_reminders(repo: Repo, now: datetime, cfg: PlanSettings, report: PlanReport) -> int:
    """One reminder per action and due date, two working days before; moving the date plans anew.

    The reminder is stored at once with its future send time; an action already overdue gets none (and is
    not read here again), the weekly digest speaks of it. An action whose reminder cannot be planned is
    marked as done with too: the digest still speaks of it once it is overdue.
    """
    guard = Guard(repo, report.failed)
    today = now.astimezone(ZoneInfo(cfg.tz)).date()
    actions = repo.actions_needing_reminder(today, today + timedelta(days=14))
    owners = repo.people([a.owner_id for a in actions])
    count = 0
    for action in actions:

        def work(action: Action = action) -> int:
            owner = owners[action.owner_id]
            planned: list[Planned] = []
            if action.due >= today and owner.active:
                country = cadence.country_for(owner.tz, cfg.hours.country)
                remind_day = cadence.working_days_before(action.due, REMINDER_WORKING_DAYS, country)
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
            _reminded(repo, action)
            return enqueue(repo, planned, now)

        count += guard("due_reminder", f"action:{action.id}", work, partial(_reminded, repo, action))
    return count


def _reminded(repo: Repo, action: Action) -> None:
    action.reminder_for_due = action.due
    repo.add(action)


def _plan_digests(repo: Repo, now: datetime, cfg: PlanSettings, report: PlanReport) -> int:
    """At most one digest of overdue actions a week per owner: the key is the ISO week."""
    guard = Guard(repo, report.failed)
    today = now.astimezone(ZoneInfo(cfg.tz)).date()
    owners = repo.people(repo.owners_with_overdue(today))
    count = 0
    for o in owners.values():
        if not o.active:
            continue

        def work(o: Person = o) -> int:
            week = cadence.iso_week(now, o.tz or cfg.tz)
            desired = max(now, _monday_morning(now, o, cfg))
            payload = {"person_id": o.id, "week": week}
            return enqueue(repo, [plan_for(o, f"digest:{o.id}:{week}", "digest", payload, desired, cfg.hours)], now)

        count += guard("digest", f"person:{o.id}", work, None)
    return count


def _monday_morning(now: datetime, person: Person, cfg: PlanSettings) -> datetime:
    local = now.astimezone(ZoneInfo(person.tz or cfg.tz))
    monday = local.date() - timedelta(days=local.weekday())
    return datetime.combine(
        monday, time(cfg.hours.start.hour, cfg.hours.start.minute), tzinfo=ZoneInfo(person.tz or cfg.tz)
    )

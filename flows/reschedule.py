"""Moving a 1:1 after the invitation: the manager changes time or place, or cancels it; the employee proposes
another time, which the manager accepts or declines.

Every change the calendars must follow raises the meeting's SEQUENCE and sends both of the pair the updated
event (``flows.calendar``); a cancellation sends METHOD:CANCEL. The reminder, the brief and the question after
the meeting are planned again for the new time, and the old ones fall away as stale when their time comes.
"""

from dataclasses import dataclass
from datetime import datetime

from flows import cadence, calendar
from flows.access import meeting_role
from flows.checkin import MeetingContext, Refused, check_time, context, follow_ups, skip
from flows.outbox import Planned, plan_for
from storage.models import Person
from storage.repo import Repo

MAX_NOTE = 500


@dataclass(frozen=True)
class Changed:
    """What a change did and what it sends; ``moved`` is False when nothing the calendars show changed."""

    ctx: MeetingContext
    planned: tuple[Planned, ...]
    moved: bool = True


def _open_meeting(repo: Repo, person: Person, meeting_id: int, role: str) -> MeetingContext | Refused:
    """An invited meeting in which ``person`` has ``role``; held, skipped or not yet invited ones do not move."""
    ctx = context(repo, meeting_id)
    if ctx is None:
        return Refused("not_found")
    if meeting_role(repo, person, ctx.meeting) != role:
        return Refused("not_yours")
    if ctx.meeting.status != "invited":
        return Refused("not_invited" if ctx.meeting.status == "planned" else "closed")
    return ctx


def _apply(
    repo: Repo, ctx: MeetingContext, when: datetime, place: str | None, now: datetime, hours: cadence.WorkingHours
) -> Changed:
    meeting = ctx.meeting
    place = (place.strip()[:500] or None) if place is not None else meeting.place
    if when == meeting.scheduled_at and place == meeting.place:
        meeting.proposed_at = meeting.proposal_note = None
        repo.add(meeting)
        return Changed(ctx, (), moved=False)
    meeting.scheduled_at = when
    meeting.place = place
    meeting.calendar_sequence += 1
    meeting.proposed_at = meeting.proposal_note = None
    repo.add(meeting)
    return Changed(ctx, (*calendar.plan(ctx, calendar.REQUEST, now, hours), *follow_ups(ctx, when, now, hours)))


def move(
    repo: Repo,
    manager: Person,
    meeting_id: int,
    *,
    when: datetime,
    place: str,
    now: datetime,
    hours: cadence.WorkingHours,
) -> Changed | Refused:
    """The manager sets a new date, time or place. The new time passes the invitation's own check."""
    ctx = _open_meeting(repo, manager, meeting_id, "manager")
    if isinstance(ctx, Refused):
        return ctx
    if when != ctx.meeting.scheduled_at and (wrong := check_time(repo, ctx.meeting, when, now, _tz(manager))):
        return Refused(wrong)
    return _apply(repo, ctx, when, place, now, hours)


def propose(
    repo: Repo,
    employee: Person,
    meeting_id: int,
    *,
    when: datetime,
    note: str,
    now: datetime,
    hours: cadence.WorkingHours,
) -> Planned | Refused:
    """The employee asks for another time; the manager is asked once per proposed time (the key holds it)."""
    ctx = _open_meeting(repo, employee, meeting_id, "employee")
    if isinstance(ctx, Refused):
        return ctx
    if when == ctx.meeting.scheduled_at:
        return Refused("same_time")
    if (wrong := check_time(repo, ctx.meeting, when, now, _tz(employee))) is not None:
        return Refused(wrong)
    if len(note.strip()) > MAX_NOTE:
        return Refused("too_long")
    meeting = ctx.meeting
    meeting.proposed_at = when
    meeting.proposal_note = note.strip() or None
    repo.add(meeting)
    assert meeting.id is not None
    payload = {"meeting_id": meeting.id, "proposed_at": when.isoformat()}
    return plan_for(
        ctx.manager, f"proposal:{meeting.id}:{when.strftime('%Y%m%dT%H%M')}", "proposal", payload, now, hours
    )


def accept(
    repo: Repo, manager: Person, meeting_id: int, now: datetime, hours: cadence.WorkingHours
) -> Changed | Refused:
    """The manager takes the employee's time: the same check as any new time, then the same change."""
    ctx = _open_meeting(repo, manager, meeting_id, "manager")
    if isinstance(ctx, Refused):
        return ctx
    proposed = ctx.meeting.proposed_at
    if proposed is None:
        return Refused("no_proposal")
    if (wrong := check_time(repo, ctx.meeting, proposed, now, _tz(manager))) is not None:
        return Refused(wrong)
    return _apply(repo, ctx, proposed, None, now, hours)


def decline(
    repo: Repo, manager: Person, meeting_id: int, now: datetime, hours: cadence.WorkingHours
) -> Changed | Refused:
    """The manager keeps the time; the employee is told, once per proposal."""
    ctx = _open_meeting(repo, manager, meeting_id, "manager")
    if isinstance(ctx, Refused):
        return ctx
    meeting = ctx.meeting
    if meeting.proposed_at is None:
        return Refused("no_proposal")
    assert meeting.id is not None and meeting.scheduled_at is not None
    stamp = meeting.proposed_at.strftime("%Y%m%dT%H%M")
    payload = {"meeting_id": meeting.id, "scheduled_at": meeting.scheduled_at.isoformat()}
    meeting.proposed_at = meeting.proposal_note = None
    repo.add(meeting)
    told = plan_for(ctx.employee, f"proposal-declined:{meeting.id}:{stamp}", "proposal_declined", payload, now, hours)
    return Changed(ctx, (told,), moved=False)


def cancel(
    repo: Repo, manager: Person, meeting_id: int, reason: str, now: datetime, hours: cadence.WorkingHours
) -> Changed | Refused:
    """Skip the meeting; when it had been invited, both calendars get METHOD:CANCEL for its event."""
    before = context(repo, meeting_id)
    was_invited = before is not None and before.meeting.status == "invited"
    ctx = skip(repo, manager, meeting_id, reason)
    if isinstance(ctx, Refused):
        return ctx
    if not was_invited or ctx.meeting.scheduled_at is None:
        return Changed(ctx, (), moved=False)
    ctx.meeting.calendar_sequence += 1
    ctx.meeting.proposed_at = ctx.meeting.proposal_note = None
    repo.add(ctx.meeting)
    return Changed(ctx, tuple(calendar.plan(ctx, calendar.CANCEL, now, hours)))


def _tz(person: Person) -> str:
    return person.tz or "Europe/Oslo"

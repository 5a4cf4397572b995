"""Messages to send later: planned with a unique key, checked again just before they go out.

A flow returns ``Planned`` values; ``enqueue`` stores them once. At send time ``relevance`` tells whether
a message still makes sense (a reminder to prepare is pointless once the answers are shared).
"""

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from flows import cadence
from storage.models import Meeting, Person
from storage.repo import Repo


@dataclass(frozen=True)
class Planned:
    key: str
    team_id: str
    recipient: str
    kind: str
    not_before: datetime
    payload: dict[str, Any] = field(default_factory=dict)


def plan_for(
    person: Person, key: str, kind: str, payload: dict[str, Any], desired: datetime, hours: cadence.WorkingHours
) -> Planned:
    """A message for ``person`` at the first moment they may be disturbed at or after ``desired``."""
    when = cadence.next_slot(desired, person.tz, hours, person.away_until)
    return Planned(key, person.team_id, person.slack_user_id, kind, when, payload)


def enqueue(repo: Repo, planned: list[Planned] | tuple[Planned, ...], now: datetime) -> int:
    """Store planned messages; returns how many were new (a repeated plan adds nothing)."""
    return sum(
        repo.enqueue(
            key=p.key,
            team_id=p.team_id,
            recipient=p.recipient,
            kind=p.kind,
            payload=p.payload,
            not_before=p.not_before,
            now=now,
        )
        for p in planned
    )


def relevance(repo: Repo, kind: str, payload: dict[str, Any], now: datetime) -> str:
    """'send', or why not: 'stale' (overtaken by events)."""
    meeting_id = payload.get("meeting_id")
    if meeting_id is not None:
        meeting = repo.meeting(int(meeting_id))
        if meeting is None:
            return "stale"
        scheduled = payload.get("scheduled_at")
        if scheduled is not None and (
            meeting.scheduled_at is None or meeting.scheduled_at != datetime.fromisoformat(scheduled)
        ):
            return "stale"
        pairing = repo.pairing(meeting.pairing_id)
        if kind == "calendar" and payload.get("method") == "CANCEL":
            return _calendar_relevance(meeting, payload, now)  # an ended pair's meetings are cancelled too
        if pairing is None or pairing.ended_at is not None:
            return "stale"
        if kind == "nudge" and meeting.status != "planned":
            return "stale"
        snoozed = payload.get("snoozed_until")
        if kind == "nudge" and snoozed is not None and meeting.snoozed_until != datetime.fromisoformat(snoozed):
            return "stale"
        if kind == "lapse" and meeting.status != "missed":
            return "stale"
        if kind in ("invite", "prep_reminder", "brief") and meeting.status != "invited":
            return "stale"
        if kind == "prep_reminder" and meeting.prep_shared_at is not None:
            return "stale"
        if kind in ("prep_reminder", "brief") and meeting.scheduled_at is not None and now >= meeting.scheduled_at:
            return "stale"  # held up past the start: a brief's content goes with the follow-up instead
        if kind == "followup" and meeting.status not in ("invited", "held"):
            return "stale"
        if kind == "calendar":
            return _calendar_relevance(meeting, payload, now)
        if kind == "proposal" and (
            meeting.status != "invited"
            or meeting.proposed_at is None
            or meeting.proposed_at != datetime.fromisoformat(str(payload.get("proposed_at")))
        ):
            return "stale"  # answered, withdrawn by a newer proposal, or overtaken by a change
        if kind == "proposal_declined" and meeting.status != "invited":
            return "stale"
    if kind == "pair_ended":  # paired again since: that pair's news is what counts
        ended = repo.pairing(int(payload["ended_pairing_id"]))
        if ended is None or repo.active_pairing_of(ended.employee_id) is not None:
            return "stale"
    if kind == "manager_changed":  # a later change of manager tells its own news
        pairing = repo.pairing(int(payload["pairing_id"]))
        if pairing is None or pairing.ended_at is not None:
            return "stale"
    action_id = payload.get("action_id")
    if action_id is not None:
        action = repo.action(int(action_id))
        if action is None or action.status != "open":
            return "stale"
        if "due" in payload and action.due != date.fromisoformat(payload["due"]):
            return "stale"
    return "send"


def _calendar_relevance(meeting: Meeting, payload: dict[str, Any], now: datetime) -> str:
    """A calendar file goes while it is the meeting's newest (a later change sends its own): a request for a
    meeting still ahead, or the cancellation of a skipped one."""
    if payload.get("sequence") != meeting.calendar_sequence:
        return "stale"
    if payload.get("method") == "CANCEL":
        return "send" if meeting.status == "skipped" else "stale"
    if meeting.status != "invited" or meeting.scheduled_at is None or meeting.scheduled_at <= now:
        return "stale"
    return "send"

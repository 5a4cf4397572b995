"""What each party keeps to themselves: free notes for a meeting, and the manager's own preparation.

003 asks both to keep their own notes ("för minnesanteckningar var för sig") and 002 gives the leader
questions to prepare alone. Both are stored per author and read back only by that author: not by the
other party, not by an admin. Only what the employee shares (``flows.checkin.share``) crosses over.
"""

from dataclasses import dataclass
from datetime import datetime

from flows.access import meeting_role
from flows.checkin import MAX_ANSWER, Answer, MeetingContext, Refused, context
from flows.templates import Question, option_keys, template
from storage.models import Person
from storage.repo import Repo

NOTE = "note"
PREP = "prep:"


@dataclass(frozen=True)
class Notes:
    ctx: MeetingContext
    role: str
    text: str


def _own(repo: Repo, person: Person, meeting_id: int) -> tuple[MeetingContext, str] | Refused:
    ctx = context(repo, meeting_id)
    if ctx is None:
        return Refused("not_found")
    role = meeting_role(repo, person, ctx.meeting)
    if role is None:
        return Refused("not_yours")
    return ctx, role


def notes(repo: Repo, person: Person, meeting_id: int) -> Notes | Refused:
    """The caller's own notes for a meeting they take part in."""
    found = _own(repo, person, meeting_id)
    if isinstance(found, Refused):
        return found
    ctx, role = found
    assert person.id is not None
    row = repo.notes(meeting_id, person.id).get(NOTE)
    return Notes(ctx, role, row.text if row else "")


def save_notes(repo: Repo, person: Person, meeting_id: int, text: str, now: datetime) -> Notes | Refused:
    """Replace the caller's notes; an empty text clears them."""
    found = _own(repo, person, meeting_id)
    if isinstance(found, Refused):
        return found
    if len(text) > MAX_ANSWER:
        return Refused("too_long")
    ctx, role = found
    assert person.id is not None
    repo.save_note(meeting_id, person.id, NOTE, text.strip(), now)
    return Notes(ctx, role, text.strip())


def next_meeting(repo: Repo, person: Person, employee: Person | None = None) -> int | Refused:
    """The meeting ``/mal note`` is about: the caller's own next one, or, for a manager naming a report,
    the next one with that report (an invited meeting before a merely planned one)."""
    subject = employee or person
    if subject.id is None or subject.team_id != person.team_id:
        return Refused("not_your_report")
    pairing = repo.active_pairing_of(subject.id)
    if pairing is None or pairing.id is None:
        return Refused("no_pairing")
    if employee is not None and employee.id != person.id and pairing.manager_id != person.id:
        return Refused("not_your_report")
    meetings = [m for m in repo.meetings_of_pairings([pairing.id]) if m.status in ("invited", "planned")]
    meetings.sort(key=lambda m: (m.status != "invited", m.id or 0))
    if not meetings or meetings[0].id is None:
        return Refused("no_meeting")
    return meetings[0].id


# --- the manager's own preparation ------------------------------------------------------------------------


@dataclass(frozen=True)
class ManagerPrep:
    ctx: MeetingContext
    items: tuple[tuple[Question, Answer | None], ...]


def manager_prep(repo: Repo, manager: Person, meeting_id: int) -> ManagerPrep | Refused:
    """The template's questions for the manager alone, with the manager's answers so far."""
    found = _own(repo, manager, meeting_id)
    if isinstance(found, Refused):
        return found
    ctx, role = found
    if role != "manager":
        return Refused("not_yours")
    assert manager.id is not None
    rows = repo.notes(meeting_id, manager.id)
    items = []
    for q in template(ctx.meeting.template).manager_prep:
        row = rows.get(PREP + q.key)
        items.append((q, Answer(row.text, row.choice) if row else None))
    return ManagerPrep(ctx, tuple(items))


def save_manager_prep(
    repo: Repo, manager: Person, meeting_id: int, answers: dict[str, str], choices: dict[str, str], now: datetime
) -> ManagerPrep | Refused:
    """Store the manager's answers as their private notes; empty fields keep what was there."""
    current = manager_prep(repo, manager, meeting_id)
    if isinstance(current, Refused):
        return current
    assert manager.id is not None
    for q, old in current.items:
        text = (answers.get(q.key) or "").strip()
        value = choices.get(q.key)
        if len(text) > MAX_ANSWER:
            return Refused("too_long")
        if value is not None and value not in option_keys(q):
            return Refused("not_found")
        if text or value:
            choice = value or (old.choice if old else None)
            repo.save_note(meeting_id, manager.id, PREP + q.key, text or (old.text if old else ""), now, choice)
    return manager_prep(repo, manager, meeting_id)

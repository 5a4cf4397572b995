"""What each party keeps to themselves: free notes for a meeting, and the manager's own preparation.

003 asks both to keep their own notes ("för minnesanteckningar var för sig") and 002 gives the leader
questions to prepare alone. Both are stored per author and read back only by that author: not by the
other party, not by an admin. Only what the employee shares (``flows.checkin.share``) crosses over.
"""

from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path

import yaml

from flows.access import meeting_role
from flows.checkin import MAX_ANSWER, Answer, MeetingContext, Refused, context
from flows.templates import Question, option_keys, template
from storage.models import Person
from storage.repo import Repo

NOTE = "note"
PREP = "prep:"
REFLECT = "reflect:"
NOTE_FORMS = Path(__file__).parent / "data" / "note_forms.yaml"


@dataclass(frozen=True)
class Theme:
    """One theme of 000's note form: a title and questions to reflect on (message ids)."""

    key: str
    title: str
    questions: tuple[str, ...]


@cache
def note_forms() -> dict[str, tuple[Theme, ...]]:
    """000's two note forms, the employee's and the manager's, by role."""
    data = yaml.safe_load(NOTE_FORMS.read_text("utf-8"))
    return {
        role: tuple(Theme(t["key"], t["title"], tuple(q["text"] for q in t["questions"])) for t in themes)
        for role, themes in data.items()
    }


@dataclass(frozen=True)
class Notes:
    ctx: MeetingContext
    role: str
    text: str
    # The author's reflections on the themes of 000's note form for their role, by theme key.
    reflections: dict[str, str] = field(default_factory=dict)

    @property
    def form(self) -> tuple[Theme, ...]:
        return note_forms().get(self.role, ())


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
    rows = repo.notes(meeting_id, person.id)
    row = rows.get(NOTE)
    reflections = {k[len(REFLECT) :]: r.text for k, r in rows.items() if k.startswith(REFLECT) and r.text}
    return Notes(ctx, role, row.text if row else "", reflections)


def save_notes(
    repo: Repo,
    person: Person,
    meeting_id: int,
    text: str,
    now: datetime,
    reflections: dict[str, str] | None = None,
) -> Notes | Refused:
    """Replace the caller's notes and, when given, their reflections on the note form's themes; an empty text
    clears what it replaces. A theme that is not on the caller's form is refused."""
    found = _own(repo, person, meeting_id)
    if isinstance(found, Refused):
        return found
    _ctx, role = found
    given = {k: v.strip() for k, v in (reflections or {}).items()}
    if len(text) > MAX_ANSWER or any(len(v) > MAX_ANSWER for v in given.values()):
        return Refused("too_long")
    themes = {t.key for t in note_forms().get(role, ())}
    if not set(given) <= themes:
        return Refused("not_found")
    assert person.id is not None
    repo.save_note(meeting_id, person.id, NOTE, text.strip(), now)
    before = repo.notes(meeting_id, person.id)
    for key, value in given.items():
        if value or REFLECT + key in before:  # an empty field adds no row; emptying one clears it
            repo.save_note(meeting_id, person.id, REFLECT + key, value, now)
    return notes(repo, person, meeting_id)


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

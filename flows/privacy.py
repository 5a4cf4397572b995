"""Data protection as Norwegian and Swedish employers must offer it: access is logged, a person can take
out everything about them, content can be erased on request, and old content expires while counts stay.
"""

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import col, select

from storage.models import (
    Action,
    ActionEvent,
    ArchiveDocument,
    AuditLog,
    Evaluation,
    Meeting,
    Pairing,
    Person,
    PrepAnswer,
    PrivateNote,
)
from storage.repo import Repo

REMOVED = ""


def audit(repo: Repo, actor: Person, subjects: set[int], what: str, now: datetime) -> None:
    """Record that ``actor`` saw content about each of ``subjects`` (never about themselves)."""
    assert actor.id is not None
    rows = [
        {"team_id": actor.team_id, "actor_id": actor.id, "subject_id": s, "what": what, "at": now}
        for s in sorted(subjects - {actor.id})
    ]
    if rows:  # one statement for a whole team: a manager's listing must not cost a write per report
        repo.session.connection().execute(sa.insert(AuditLog.__table__), rows)  # type: ignore[attr-defined]


def _iso(value: object) -> object:
    return value.isoformat() if hasattr(value, "isoformat") else value


def export(repo: Repo, person: Person) -> dict[str, Any]:
    """Everything stored about ``person``: profile, pairs, their meetings and answers, actions, evaluations,
    and who has read their content."""
    assert person.id is not None
    s = repo.session
    pid = person.id
    own_pairings = s.exec(select(Pairing).where(col(Pairing.employee_id) == pid)).all()
    managed = s.exec(select(Pairing).where(col(Pairing.manager_id) == pid)).all()
    ids = {p.manager_id for p in own_pairings} | {p.employee_id for p in managed}
    people = repo.people(list(ids))

    def slack(person_id: int) -> str:
        other = people.get(person_id)
        return other.slack_user_id if other else ""

    meetings = s.exec(
        select(Meeting).where(col(Meeting.pairing_id).in_([p.id for p in own_pairings if p.id is not None]))
    ).all()
    answers = s.exec(
        select(PrepAnswer).where(col(PrepAnswer.meeting_id).in_([m.id for m in meetings if m.id is not None]))
    ).all()
    actions = s.exec(select(Action).where((col(Action.employee_id) == pid) | (col(Action.owner_id) == pid))).all()
    events = s.exec(
        select(ActionEvent).where(col(ActionEvent.action_id).in_([a.id for a in actions if a.id is not None]))
    ).all()
    evaluations = s.exec(select(Evaluation).where(col(Evaluation.person_id) == pid)).all()
    # Only the notes this person wrote: the other party's notes are theirs alone, even about this person.
    own_notes = s.exec(select(PrivateNote).where(col(PrivateNote.person_id) == pid)).all()
    reads = s.exec(select(AuditLog).where(col(AuditLog.subject_id) == pid)).all()
    readers = repo.people([r.actor_id for r in reads])
    return {
        "person": {
            "slack_user_id": person.slack_user_id,
            "name": person.name,
            "email": person.email,
            "time_zone": person.tz,
            "language": person.language,
            "away_until": _iso(person.away_until),
            "birth_year": person.birth_year,
        },
        "managers": [
            {
                "manager": slack(p.manager_id),
                "cadence": p.cadence,
                "from": _iso(p.created_at),
                "until": _iso(p.ended_at),
            }
            for p in own_pairings
        ],
        "reports": [
            {"employee": slack(p.employee_id), "from": _iso(p.created_at), "until": _iso(p.ended_at)} for p in managed
        ],
        "meetings": [
            {
                "id": m.id,
                "scheduled_at": _iso(m.scheduled_at),
                "status": m.status,
                "place": m.place,
                "shared_with_manager": _iso(m.prep_shared_at),
                "answers": {
                    a.question_key: {"choice": a.choice, "text": a.text} if a.choice else a.text
                    for a in answers
                    if a.meeting_id == m.id
                },
            }
            for m in meetings
        ],
        "actions": [
            {
                "id": a.id,
                "what": a.what,
                "goal": a.goal,
                "due": _iso(a.due),
                "status": a.status,
                "history": [
                    {"kind": e.kind, "at": _iso(e.at), "old_due": _iso(e.old_due), "new_due": _iso(e.new_due)}
                    for e in events
                    if e.action_id == a.id
                ],
            }
            for a in actions
        ],
        "evaluations": [{"meeting": e.meeting_id, "answers": json.loads(e.answers or "{}")} for e in evaluations],
        # The confirmed plans filed about this person: where they went, not the documents themselves.
        "archived_plans": [
            {
                "meeting": d.meeting_id,
                "file": d.filename,
                "version": d.version,
                "made": _iso(d.created_at),
                "confirmed_by_archive": _iso(d.delivered_at),
                "archive_reference": d.reference,
            }
            for d in s.exec(select(ArchiveDocument).where(col(ArchiveDocument.employee_id) == pid)).all()
        ],
        "private_notes": [
            {
                "meeting": n.meeting_id,
                "key": n.key,
                "choice": n.choice,
                "text": n.text,
                "updated_at": _iso(n.updated_at),
            }
            for n in own_notes
        ],
        "read_by": [
            {
                "who": readers[r.actor_id].slack_user_id if r.actor_id in readers else "",
                "what": r.what,
                "at": _iso(r.at),
            }
            for r in reads
        ],
    }


@dataclass(frozen=True)
class Erased:
    answers: int
    actions: int
    evaluations: int
    notes: int = 0


def erase(repo: Repo, person: Person) -> Erased:
    """Remove a person's content on request; rows stay (without text) so participation counts still add up."""
    assert person.id is not None
    s = repo.session
    pairings = s.exec(select(Pairing).where(col(Pairing.employee_id) == person.id)).all()
    meeting_ids = [
        m.id
        for m in s.exec(
            select(Meeting).where(col(Meeting.pairing_id).in_([p.id for p in pairings if p.id is not None]))
        ).all()
    ]
    answers = s.exec(select(PrepAnswer).where(col(PrepAnswer.meeting_id).in_(meeting_ids))).all()
    for a in answers:
        s.delete(a)
    for m in s.exec(select(Meeting).where(col(Meeting.id).in_(meeting_ids))).all():
        m.special_topics, m.place = None, None
        s.add(m)
    actions = s.exec(select(Action).where(col(Action.employee_id) == person.id)).all()
    for action in actions:
        action.what, action.goal, action.follow_up = REMOVED, None, None
        s.add(action)
    evaluations = s.exec(select(Evaluation).where(col(Evaluation.person_id) == person.id)).all()
    for e in evaluations:
        e.answers = "{}"
        s.add(e)
    # The person's own notes, and the notes either party kept about this person's conversations.
    notes = s.exec(
        select(PrivateNote).where(
            (col(PrivateNote.person_id) == person.id) | col(PrivateNote.meeting_id).in_(meeting_ids)
        )
    ).all()
    for n in notes:
        s.delete(n)
    person.name, person.email = "", None
    s.add(person)
    s.flush()
    return Erased(len(answers), len(actions), len(evaluations), len(notes))


def months_before(moment: datetime, months: int) -> datetime:
    """The same day and time ``months`` calendar months earlier (clamped to the month's last day)."""
    index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(index, 12)
    day = moment.day
    while True:
        try:
            return moment.replace(year=year, month=month + 1, day=day)
        except ValueError:
            day -= 1


def expire(repo: Repo, now: datetime, months: int, *, keep_archived_document: bool = False) -> int:
    """Delete preparation answers, private notes and evaluation texts older than the retention period;
    counts remain.

    Nothing of a conversation whose plan the personnel archive has not yet confirmed is deleted: the archive's
    copy is the one that must outlive mal's. Of a plan the archive has confirmed, mal keeps the receipt (who
    confirmed, when, the archive's reference) and, with ``keep_archived_document``, its own copy of the PDF."""
    cutoff = months_before(now, months)
    s = repo.session
    waiting = s.exec(select(ArchiveDocument.meeting_id).where(col(ArchiveDocument.delivered_at).is_(None))).all()
    old: list[PrepAnswer | PrivateNote] = [
        *s.exec(
            select(PrepAnswer).where(col(PrepAnswer.updated_at) < cutoff, col(PrepAnswer.meeting_id).not_in(waiting))
        ).all(),
        *s.exec(
            select(PrivateNote).where(col(PrivateNote.updated_at) < cutoff, col(PrivateNote.meeting_id).not_in(waiting))
        ).all(),
    ]
    for a in old:
        s.delete(a)
    evaluations = s.exec(
        select(Evaluation).where(
            col(Evaluation.created_at) < cutoff,
            col(Evaluation.answers) != "{}",
            col(Evaluation.meeting_id).not_in(waiting),
        )
    ).all()
    for e in evaluations:
        e.answers = "{}"
        s.add(e)
    documents: list[ArchiveDocument] = []
    if not keep_archived_document:
        documents = list(
            s.exec(
                select(ArchiveDocument).where(
                    col(ArchiveDocument.delivered_at).is_not(None),
                    col(ArchiveDocument.created_at) < cutoff,
                    col(ArchiveDocument.pdf).is_not(None),
                )
            ).all()
        )
        for d in documents:
            d.pdf = None
            s.add(d)
    s.flush()
    return len(old) + len(evaluations) + len(documents)

"""Evaluations read together (002: "evaluering av samtalen" is done together; 003: "Fick du säga det du ville?").

Each party evaluates alone; once both have, each is shown the other's, once. Admins never see an evaluation:
only counts per answer, and only over groups of at least five, so that no one person's answer can be read off.
"""

import json
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import col, select

from flows import cadence
from flows.outbox import Planned, plan_for
from flows.templates import Question, template
from storage.models import Evaluation, Meeting, Person
from storage.repo import Repo

MIN_GROUP = 5


@dataclass(frozen=True)
class Other:
    """The other party's evaluation of a meeting, as the reader gets it once both have evaluated."""

    author: Person
    items: tuple[tuple[Question, str], ...]


def both_done(repo: Repo, meeting: Meeting, manager: Person, employee: Person) -> bool:
    assert meeting.id is not None and manager.id is not None and employee.id is not None
    return repo.evaluation(meeting.id, manager.id) is not None and repo.evaluation(meeting.id, employee.id) is not None


def plan_exchange(
    repo: Repo, meeting: Meeting, manager: Person, employee: Person, now: datetime, hours: cadence.WorkingHours
) -> list[Planned]:
    """When the second evaluation comes in: one message to each with the other's, keyed so it goes once."""
    if not both_done(repo, meeting, manager, employee):
        return []
    payload = {"meeting_id": meeting.id}
    return [
        plan_for(p, f"evaluations:{meeting.id}:{p.id}", "evaluations", payload, now, hours) for p in (manager, employee)
    ]


def other_of(repo: Repo, meeting: Meeting, reader: Person, manager: Person, employee: Person) -> Other | None:
    """The other party's evaluation, only for one of the two and only when both have evaluated."""
    if reader.id not in (manager.id, employee.id) or not both_done(repo, meeting, manager, employee):
        return None
    other = employee if reader.id == manager.id else manager
    assert meeting.id is not None and other.id is not None
    row = repo.evaluation(meeting.id, other.id)
    answers: dict[str, Any] = json.loads(row.answers or "{}") if row else {}
    items = tuple((q, str(answers[q.key])) for q in template(meeting.template).evaluation if answers.get(q.key))
    return Other(other, items)


@dataclass(frozen=True)
class Tally:
    question: Question
    counts: tuple[tuple[str, int], ...]
    total: int


def aggregates(repo: Repo, team_id: str, template_key: str) -> list[Tally]:
    """Counts per choice of the template's chosen-answer questions, over the team; a question with fewer than
    five answers is left out, and free text is never counted or shown."""
    from storage.models import Pairing

    rows = repo.session.exec(
        select(Evaluation.answers)
        .join(Meeting, col(Meeting.id) == Evaluation.meeting_id)
        .join(Pairing, col(Pairing.id) == Meeting.pairing_id)
        .where(col(Pairing.team_id) == team_id, col(Meeting.template) == template_key)
    ).all()
    out: list[Tally] = []
    for q in template(template_key).evaluation:
        if q.kind != "choice":
            continue
        counted = Counter(str(a[q.key]) for a in (json.loads(r or "{}") for r in rows) if a.get(q.key) in q.choices)
        total = sum(counted.values())
        if total >= MIN_GROUP:
            out.append(Tally(q, tuple((c, counted.get(c, 0)) for c in q.choices), total))
    return out

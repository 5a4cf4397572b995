"""Agreed actions: what, who, by when; listed overdue first, closed or moved with a recorded history."""

from dataclasses import dataclass
from datetime import date, datetime

from flows.access import can_see_employee, can_touch_action, is_nearest_manager
from flows.dates import latest
from storage.models import Action, ActionEvent, Person
from storage.repo import Repo

MAX_TEXT = 3000
MOVE_TRIES = 3


@dataclass(frozen=True)
class ActionItem:
    id: int
    what: str
    goal: str | None
    due: date
    overdue: bool
    employee: Person
    owner: Person


PAGE = 15


@dataclass(frozen=True)
class ActionList:
    """What `/mal` and App Home show: ``role`` is 'manager' when the viewer has reports.

    ``items`` is one page when a page was asked for, else everything; ``total`` and ``overdue_count``
    always count the whole list, and ``subjects`` are the employees whose actions it holds.
    """

    role: str
    items: tuple[ActionItem, ...]
    report_count: int = 0
    filtered_to: Person | None = None
    total: int = 0
    overdue_count: int = 0
    page: int = 0
    pages: int = 1
    subjects: frozenset[int] = frozenset()


@dataclass(frozen=True)
class Refused:
    reason: str


def items_of(repo: Repo, actions: list[Action], today: date) -> tuple[ActionItem, ...]:
    """Actions as shown to people: with both parties loaded, overdue first, then by due date."""
    people = repo.people([a.employee_id for a in actions] + [a.owner_id for a in actions])
    unique = {a.id: a for a in actions if a.id is not None}
    items = [
        ActionItem(
            id=aid,
            what=a.what,
            goal=a.goal,
            due=a.due,
            overdue=a.due < today,
            employee=people[a.employee_id],
            owner=people[a.owner_id],
        )
        for aid, a in unique.items()
    ]
    # Overdue first, then by due date; ties keep the order they were agreed in.
    return tuple(sorted(items, key=lambda i: (not i.overdue, i.due, i.id)))


def owned_by(repo: Repo, person: Person, today: date) -> tuple[ActionItem, ...]:
    """Open actions a person is responsible for, whoever they were agreed with (reminders, digests)."""
    assert person.id is not None
    return items_of(repo, repo.open_actions_owned_by(person.id), today)


def list_for(
    repo: Repo, viewer: Person, today: date, employee: Person | None = None, page: int | None = None
) -> ActionList | Refused:
    """Open actions the viewer may see: of all direct reports for a manager, else their own.

    With ``page`` only that page is read (``PAGE`` actions, the page clamped to the ones that exist);
    the database orders and counts, so a long history costs no more than a short one.
    """
    assert viewer.id is not None
    report_count = 0
    if employee is not None:
        if not can_see_employee(repo, viewer, employee):
            return Refused("not_your_report")
        assert employee.id is not None
        role = "manager" if employee.id != viewer.id else "employee"
        employee_ids, owner_id = [employee.id], None
    else:
        reports = repo.report_ids(viewer.id)
        report_count = len(reports)
        role = "manager" if reports else "employee"
        employee_ids, owner_id = [*reports, viewer.id], viewer.id
    scope = repo.open_action_scope(employee_ids, owner_id)
    total, overdue, subjects = repo.open_action_stats(scope, today)
    pages = max(1, -(-total // PAGE))
    if page is None:
        rows = repo.open_actions_page(scope, 0, total) if total else []
        shown = 0
    else:
        shown = min(max(page, 0), pages - 1)
        rows = repo.open_actions_page(scope, shown * PAGE, PAGE)
    return ActionList(
        role=role,
        items=items_of(repo, rows, today),
        report_count=report_count,
        filtered_to=employee,
        total=total,
        overdue_count=overdue,
        page=shown,
        pages=pages,
        subjects=frozenset(subjects),
    )


@dataclass(frozen=True)
class Added:
    action: Action
    owner: Person
    employee: Person


def add(
    repo: Repo,
    actor: Person,
    employee: Person,
    *,
    what: str,
    due: date,
    owner: Person,
    now: datetime,
    today: date,
    goal: str | None = None,
    meeting_id: int | None = None,
    follow_up: str | None = None,
) -> Added | Refused:
    """Record an agreed action. Only the employee and their nearest manager agree actions."""
    what = what.strip()
    if not can_see_employee(repo, actor, employee):
        return Refused("not_your_report")
    if not what:
        return Refused("empty")
    if len(what) > MAX_TEXT:
        return Refused("too_long")
    if due < today:
        return Refused("past")
    if due > latest(today):
        return Refused("too_far")
    if owner.team_id != employee.team_id or not owner.active:
        return Refused("owner_unknown")
    assert actor.id is not None and employee.id is not None and owner.id is not None
    action = Action(
        team_id=employee.team_id,
        employee_id=employee.id,
        owner_id=owner.id,
        meeting_id=meeting_id,
        goal=(goal or "").strip() or None,
        what=what,
        follow_up=follow_up,
        due=due,
        created_by=actor.id,
        created_at=now,
    )
    repo.add(action)
    assert action.id is not None
    repo.record_action_event(ActionEvent(action_id=action.id, kind="created", by_id=actor.id, at=now, new_due=due))
    return Added(action, owner, employee)


@dataclass(frozen=True)
class Changed:
    """``changed`` is False when the same click or command arrived again: nothing was done twice."""

    action: Action
    changed: bool


def close(repo: Repo, actor: Person, action_id: int, now: datetime) -> Changed | Refused:
    action = repo.action(action_id)
    if action is None:
        return Refused("not_found")
    if not can_touch_action(repo, actor, action):
        return Refused("not_yours")
    if action.status == "done":
        return Changed(action, changed=False)
    assert actor.id is not None
    if not repo.close_action(action_id, actor.id, now):  # another click closed it in the meantime
        return Changed(action, changed=False)
    repo.record_action_event(ActionEvent(action_id=action_id, kind="done", by_id=actor.id, at=now))
    return Changed(action, changed=True)


def postpone(repo: Repo, actor: Person, action_id: int, new_due: date, now: datetime, today: date) -> Changed | Refused:
    action = repo.action(action_id)
    if action is None:
        return Refused("not_found")
    if not can_touch_action(repo, actor, action):
        return Refused("not_yours")
    if action.status != "open":
        return Refused("closed")
    if new_due < today:
        return Refused("past")
    if new_due > latest(today):
        return Refused("too_far")
    assert actor.id is not None
    for _ in range(MOVE_TRIES):  # a move by someone else between reading and writing: read again
        if action.status != "open":
            return Refused("closed")
        if action.due == new_due:
            return Changed(action, changed=False)
        old = action.due
        if repo.move_action_due(action_id, old, new_due):
            repo.record_action_event(
                ActionEvent(action_id=action_id, kind="postponed", by_id=actor.id, at=now, old_due=old, new_due=new_due)
            )
            return Changed(action, changed=True)
    return Changed(action, changed=False)


def may_manage(repo: Repo, viewer: Person, employee: Person) -> bool:
    return is_nearest_manager(repo, viewer, employee)

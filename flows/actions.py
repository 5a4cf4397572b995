"""Agreed actions: what, who, by when; listed overdue first, closed or moved with a recorded history."""

from dataclasses import dataclass
from datetime import date, datetime

from flows.access import can_see_employee, can_touch_action, is_nearest_manager
from storage.models import Action, ActionEvent, Person
from storage.repo import Repo

MAX_TEXT = 3000


@dataclass(frozen=True)
class ActionItem:
    id: int
    what: str
    goal: str | None
    due: date
    overdue: bool
    employee: Person
    owner: Person


@dataclass(frozen=True)
class ActionList:
    """What `/mal` and App Home show: ``role`` is 'manager' when the viewer has reports."""

    role: str
    items: tuple[ActionItem, ...]
    report_count: int = 0
    filtered_to: Person | None = None


@dataclass(frozen=True)
class Refused:
    reason: str


def _items(repo: Repo, actions: list[Action], today: date) -> tuple[ActionItem, ...]:
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


def list_for(repo: Repo, viewer: Person, today: date, employee: Person | None = None) -> ActionList | Refused:
    """Open actions the viewer may see: of all direct reports for a manager, else their own."""
    assert viewer.id is not None
    if employee is not None:
        if not can_see_employee(repo, viewer, employee):
            return Refused("not_your_report")
        assert employee.id is not None
        actions = repo.open_actions_for_employees([employee.id])
        return ActionList(
            role="manager" if employee.id != viewer.id else "employee",
            items=_items(repo, actions, today),
            filtered_to=employee,
        )
    reports = repo.reports_of(viewer.id)
    own = repo.open_actions_for_employees([viewer.id]) + repo.open_actions_owned_by(viewer.id)
    if reports:
        team = repo.open_actions_for_employees([p.employee_id for p in reports])
        return ActionList(role="manager", items=_items(repo, team + own, today), report_count=len(reports))
    return ActionList(role="employee", items=_items(repo, own, today))


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
    action.status = "done"
    action.closed_by = actor.id
    action.closed_at = now
    repo.add(action)
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
    if action.due == new_due:
        return Changed(action, changed=False)
    assert actor.id is not None
    old = action.due
    action.due = new_due
    repo.add(action)
    repo.record_action_event(
        ActionEvent(action_id=action_id, kind="postponed", by_id=actor.id, at=now, old_due=old, new_due=new_due)
    )
    return Changed(action, changed=True)


def may_manage(repo: Repo, viewer: Person, employee: Person) -> bool:
    return is_nearest_manager(repo, viewer, employee)

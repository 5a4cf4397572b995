"""Agreed actions: what, who, by when; listed overdue first, closed or moved with a recorded history."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flows.access import can_see_employee, can_touch_action, is_nearest_manager
from flows.dates import latest
from storage.action_lists import ActionRow, OpenScope
from storage.models import Action, ActionEvent, Person
from storage.repo import Repo

MAX_TEXT = 3000
UNDO_MINUTES = 10
MOVE_TRIES = 3


@dataclass(frozen=True, slots=True)
class Who:
    """A person as an action list names them: who they are in Slack, nothing more of their profile."""

    id: int
    slack_user_id: str
    name: str
    tz: str | None


@dataclass(frozen=True, slots=True)
class MeetingRef:
    """The conversation an action was agreed in, as far as a list names it (its kind and its date)."""

    id: int
    template: str
    scheduled_at: datetime | None
    window_start: datetime | None


@dataclass(frozen=True)
class ActionItem:
    """An open action as one reader sees it.

    ``restricted`` is True for a reader who is neither the employee nor their nearest manager (a third person
    made responsible): they see the text and the deadline only, never the conversation it came from.
    ``meeting`` and ``counterpart`` name the conversation it was agreed in, for the two who held it.
    """

    id: int
    what: str
    goal: str | None
    due: date
    overdue: bool
    employee: Who
    owner: Who
    restricted: bool = False
    meeting: MeetingRef | None = None
    counterpart: Who | None = None


PAGE = 15


@dataclass(frozen=True)
class ActionList:
    """What `/mal` and App Home show: ``role`` is 'manager' when the viewer has reports.

    ``items`` is one page when a page was asked for, else everything; ``total`` and ``overdue_count``
    always count the whole list, and ``subjects`` are the employees whose actions it shows (the counts name
    nobody, so only they have had content read).
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


def item_of(row: ActionRow, today: date, viewer: Person | None = None) -> ActionItem:
    """An action as one reader sees it: the conversation it came from named for the two who held it and
    hidden from anyone else."""
    restricted = viewer is not None and viewer.id not in (row.employee_id, row.manager_now)
    employee = Who(row.employee_id, row.employee_slack_id, row.employee_name, row.employee_tz)
    meeting = None
    if row.meeting_id is not None and not restricted:
        meeting = MeetingRef(
            row.meeting_id, row.meeting_template or "", row.meeting_scheduled_at, row.meeting_window_start
        )
    counterpart: Who | None = None
    if viewer is not None and not restricted:
        if viewer.id != row.employee_id:
            counterpart = employee
        elif row.held_id is not None:
            counterpart = Who(row.held_id, row.held_slack_id or "", row.held_name or "", row.held_tz)
    return ActionItem(
        id=row.id,
        what=row.what,
        goal=None if restricted else row.goal,
        due=row.due,
        overdue=row.due < today,
        employee=employee,
        owner=employee
        if row.owner_id == row.employee_id
        else Who(row.owner_id, row.owner_slack_id, row.owner_name, row.owner_tz),
        restricted=restricted,
        meeting=meeting,
        counterpart=counterpart,
    )


def owned_by(repo: Repo, person: Person, today: date) -> tuple[ActionItem, ...]:
    """Open actions a person is responsible for (reminders, digests): the part of what they see in `/mal` and
    on Home that is theirs to do, read by the same flow so the three never disagree."""
    found = list_for(repo, person, today, scope="responsible")
    assert isinstance(found, ActionList)
    return found.items


def list_for(
    repo: Repo,
    viewer: Person,
    today: date,
    employee: Person | None = None,
    page: int | None = None,
    *,
    scope: str = "seen",
) -> ActionList | Refused:
    """Open actions the viewer should see — the one answer `/mal`, Home, reminders and digests all use.

    ``scope`` 'seen' (`/mal`): a manager sees the actions of all direct reports and those she is responsible
    for anywhere; anyone else their own and those they are responsible for. 'mine' (Home): the viewer's own
    and those they are responsible for, for managers too (the team shows counts there). 'responsible'
    (reminders, digests): only those the viewer is to do. ``employee`` narrows 'seen' to one report.
    With ``page`` only that page is read (``PAGE``
    actions, clamped to the pages that exist); the database orders and counts, so a long history costs no
    more than a short one.
    """
    assert viewer.id is not None
    report_count = 0
    if scope == "responsible":
        role = "employee"
        whose = OpenScope(owner_id=viewer.id)
    elif scope == "mine":
        role = "employee"
        whose = OpenScope(employee_id=viewer.id, owner_id=viewer.id)
    elif employee is not None:
        if not can_see_employee(repo, viewer, employee):
            return Refused("not_your_report")
        assert employee.id is not None
        role = "manager" if employee.id != viewer.id else "employee"
        whose = OpenScope(employee_id=employee.id)
    else:
        reports = tuple(repo.report_ids(viewer.id))
        report_count = len(reports)
        role = "manager" if reports else "employee"
        whose = OpenScope(employee_id=viewer.id, owner_id=viewer.id, report_ids=reports)
    total, overdue = repo.open_action_stats(whose, today)
    pages = max(1, -(-total // PAGE))
    if page is None:
        rows = repo.open_action_rows(whose, 0, total) if total else []
        shown = 0
    else:
        shown = min(max(page, 0), pages - 1)
        rows = repo.open_action_rows(whose, shown * PAGE, PAGE)
    return ActionList(
        role=role,
        items=tuple(item_of(row, today, viewer) for row in rows),
        report_count=report_count,
        filtered_to=employee,
        total=total,
        overdue_count=overdue,
        page=shown,
        pages=pages,
        subjects=frozenset(row.employee_id for row in rows),
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
    allow_others: bool = False,
) -> Added | Refused:
    """Record an agreed action. Only the employee and their nearest manager agree actions, and only they can
    be responsible for it — a third person only where the organisation allows it (``allow_others``)."""
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
    if not allow_others and owner.id != employee.id and not is_nearest_manager(repo, owner, employee):
        return Refused("owner_not_allowed")
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


def _touchable(repo: Repo, actor: Person, action_id: int) -> Action | Refused:
    """The action, when the actor may change it (the employee, the nearest manager, the one responsible)."""
    action = repo.action(action_id)
    if action is None:
        return Refused("not_found")
    if not can_touch_action(repo, actor, action):
        return Refused("not_yours")
    return action


def close(repo: Repo, actor: Person, action_id: int, now: datetime) -> Changed | Refused:
    action = _touchable(repo, actor, action_id)
    if isinstance(action, Refused):
        return action
    if action.status == "done":
        return Changed(action, changed=False)
    assert actor.id is not None
    if not repo.close_action(action_id, actor.id, now):  # another click closed it in the meantime
        return Changed(action, changed=False)
    repo.record_action_event(ActionEvent(action_id=action_id, kind="done", by_id=actor.id, at=now))
    return Changed(action, changed=True)


def reopen(repo: Repo, actor: Person, action_id: int, now: datetime) -> Changed | Refused:
    """Undo a Done for a short while after it was clicked: a slip of the finger is not a lost action."""
    action = _touchable(repo, actor, action_id)
    if isinstance(action, Refused):
        return action
    if action.status == "open":
        return Changed(action, changed=False)
    if action.closed_at is None or now - action.closed_at > timedelta(minutes=UNDO_MINUTES):
        return Refused("undo_too_late")
    assert actor.id is not None
    action.status = "open"
    action.closed_by = None
    action.closed_at = None
    repo.add(action)
    repo.record_action_event(ActionEvent(action_id=action_id, kind="reopened", by_id=actor.id, at=now))
    return Changed(action, changed=True)


def postpone(repo: Repo, actor: Person, action_id: int, new_due: date, now: datetime, today: date) -> Changed | Refused:
    action = _touchable(repo, actor, action_id)
    if isinstance(action, Refused):
        return action
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

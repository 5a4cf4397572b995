"""Follow-up both ways: each side hears of what the other did with their agreed actions.

The employee is told what was recorded for them and when a deadline of theirs was moved by someone else;
the manager gets one weekly summary of what the reports finished or postponed (one message, not one per
action). All of it goes through the outbox, at working hours, once per key.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flows import cadence
from flows.checkin import MeetingContext
from flows.outbox import Planned, plan_for
from storage.models import Action, Person
from storage.repo import Repo


def recorded(
    repo: Repo,
    actor: Person,
    ctx: MeetingContext,
    action_ids: list[int],
    now: datetime,
    hours: cadence.WorkingHours,
) -> list[Planned]:
    """When the manager records actions, the employee receives them; the key is the meeting and first action,
    so a retried submission tells once."""
    if not action_ids or actor.id == ctx.employee.id or not ctx.employee.active:
        return []
    key = f"recorded:{ctx.meeting.id}:{min(action_ids)}"
    payload = {"meeting_id": ctx.meeting.id, "action_ids": sorted(action_ids)}
    return [plan_for(ctx.employee, key, "recorded", payload, now, hours)]


def moved(repo: Repo, actor: Person, action: Action, now: datetime, hours: cadence.WorkingHours) -> list[Planned]:
    """A deadline moved by someone other than the employee: the employee hears the new date."""
    if actor.id == action.employee_id:
        return []
    employee = repo.person(action.employee_id)
    if employee is None or not employee.active:
        return []
    key = f"moved:{action.id}:{action.due.isoformat()}"
    payload = {"action_id": action.id, "due": action.due.isoformat()}
    return [plan_for(employee, key, "due_moved", payload, now, hours)]


@dataclass(frozen=True)
class Change:
    """One thing a report did with an action last week: finished it, or moved it to ``new_due``."""

    action: Action
    employee: Person
    kind: str
    new_due: date | None


def _week(now: datetime, tz: str) -> tuple[datetime, datetime, str]:
    """Last week (Monday to Monday in ``tz``) and its ISO name."""
    local = now.astimezone(ZoneInfo(tz))
    monday = datetime.combine(local.date() - timedelta(days=local.weekday()), time(0), tzinfo=ZoneInfo(tz))
    start = monday - timedelta(days=7)
    y, w, _ = start.isocalendar()
    return start, monday, f"{y}-W{w:02d}"


def changes(repo: Repo, manager: Person, week_start: datetime, week_end: datetime) -> list[Change]:
    """What the manager's current reports finished or postponed themselves in the week (an undone Done is
    left out, and of several moves of one action the last counts)."""
    assert manager.id is not None
    reports = sorted(set(repo.report_ids(manager.id)))
    found: dict[int, tuple[Action, str, date | None]] = {}
    for event, action in repo.own_action_events(reports, week_start, week_end):
        if event.kind == "reopened" or (event.kind == "done" and action.status != "done"):
            found.pop(action.id or 0, None)
            continue
        found[action.id or 0] = (action, event.kind, event.new_due)
    people = repo.people([a.employee_id for a, _, _ in found.values()])
    return [
        Change(action, people[action.employee_id], kind, new_due)
        for action, kind, new_due in sorted(found.values(), key=lambda f: (f[0].employee_id, f[0].id or 0))
        if action.employee_id in people
    ]


def plan_summaries(repo: Repo, now: datetime, tz: str, hours: cadence.WorkingHours) -> list[Planned]:
    """One summary per manager and week, on Monday at the start of working hours, when there is anything.

    Looked for once a week, by the first tick on a Monday or Tuesday (a tick missed on Monday still finds it),
    so the other ticks spend nothing on it."""
    if now.astimezone(ZoneInfo(tz)).weekday() > 1:
        return []
    start, end, week = _week(now, tz)
    # The week looked back on is over, so one look finds every summary it needs: the first tick of the week
    # plans them all, and the ticks after it (one a minute) do not read the week's events again.
    if not repo.first_time(f"summaries:{week}", now):
        return []
    planned = []
    for manager_id in repo.managers_with_report_events(start, end):
        key = f"summary:{manager_id}:{week}"
        if repo.outbox_row(key) is not None:  # planned on an earlier tick this week
            continue
        manager = repo.person(manager_id)
        if manager is None or not manager.active or not changes(repo, manager, start, end):
            continue
        morning = datetime.combine(end.date(), hours.start, tzinfo=ZoneInfo(manager.tz or tz))
        payload = {"person_id": manager_id, "week_start": start.isoformat(), "week_end": end.isoformat()}
        planned.append(plan_for(manager, key, "week_summary", payload, max(now, morning), hours))
    return planned

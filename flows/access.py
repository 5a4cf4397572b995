"""Who may see what: content about an employee is for the employee and their nearest manager only.

Every listener asks here before it shows or changes anything, so the rule lives in one place.
"""

from storage.models import Action, Meeting, Person
from storage.repo import Repo


def is_nearest_manager(repo: Repo, viewer: Person, employee: Person) -> bool:
    if viewer.team_id != employee.team_id or employee.id is None:
        return False
    return viewer.id is not None and repo.manager_now(employee.id) == viewer.id


def can_see_employee(repo: Repo, viewer: Person, employee: Person) -> bool:
    """The employee and their current nearest manager; not a former manager, colleague or admin."""
    if viewer.team_id != employee.team_id:
        return False
    return viewer.id == employee.id or is_nearest_manager(repo, viewer, employee)


def can_touch_action(repo: Repo, viewer: Person, action: Action) -> bool:
    """The employee, their nearest manager, and the person the action was given to."""
    if viewer.team_id != action.team_id:
        return False
    if viewer.id in (action.employee_id, action.owner_id):
        return True
    return viewer.id is not None and repo.manager_now(action.employee_id, viewer.team_id) == viewer.id


def meeting_role(repo: Repo, viewer: Person, meeting: Meeting) -> str | None:
    """'employee' or 'manager' for the two people of a meeting's pairing (while it lasts), else None."""
    pairing = repo.pairing(meeting.pairing_id)
    if pairing is None or pairing.ended_at is not None or viewer.team_id != pairing.team_id:
        return None
    if viewer.id == pairing.employee_id:
        return "employee"
    if viewer.id == pairing.manager_id:
        return "manager"
    return None

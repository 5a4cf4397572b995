"""Which conversation a pair holds: the template of a manager and one report.

The seeds describe several conversations (the monthly 1:1 of 001, the frequent relational conversation of
004, the yearly ones of 002 and 003, the senior conversation of 004); which one a pair has is agreed by the
two ("hvor ofte og hvordan", 004) and set by the manager here, or by the admin's org file.
"""

from dataclasses import dataclass
from datetime import datetime

from flows.access import is_nearest_manager
from flows.pairings import retemplate
from flows.templates import Template, offered_templates, templates
from storage.models import Pairing, Person
from storage.repo import Repo


@dataclass(frozen=True)
class Refused:
    reason: str


@dataclass(frozen=True)
class Choice:
    """What `/mal template @person` shows: the pair, its template now, and the templates to choose from."""

    pairing: Pairing
    employee: Person
    current: str
    options: tuple[Template, ...]


@dataclass(frozen=True)
class Changed:
    pairing: Pairing
    employee: Person
    template: Template
    changed: bool


def options(employee: Person, year: int, *, is_manager: bool) -> tuple[Template, ...]:
    """The templates a pair may hold this year: the regular conversations first, then the yearly ones; the
    senior conversation only in and after the year the employee turns 60 (and only with a birth year); a
    conversation for managers (003's booklet) only when the employee has reports of their own."""
    offered = [t for t in offered_templates(employee.birth_year, year) if is_manager or not t.for_managers]
    return tuple(sorted(offered, key=lambda t: (t.cadence == "yearly", t.offer is not None)))


def _manages(repo: Repo, person: Person) -> bool:
    return person.id is not None and bool(repo.report_ids(person.id))


def _pair_of(repo: Repo, manager: Person, employee: Person) -> Pairing | Refused:
    if employee.id is None or not is_nearest_manager(repo, manager, employee):
        return Refused("not_your_report")
    pairing = repo.active_pairing_of(employee.id)
    if pairing is None:
        return Refused("no_pairing")
    return pairing


def choice(repo: Repo, manager: Person, employee: Person, year: int) -> Choice | Refused:
    pairing = _pair_of(repo, manager, employee)
    if isinstance(pairing, Refused):
        return pairing
    return Choice(pairing, employee, pairing.template, options(employee, year, is_manager=_manages(repo, employee)))


def set_template(repo: Repo, manager: Person, pairing_id: int, key: str, now: datetime) -> Changed | Refused:
    """The manager chooses the pair's conversation (see ``pairings.retemplate`` for the meetings it reaches)."""
    pairing = repo.pairing(pairing_id)
    if pairing is None or pairing.ended_at is not None or pairing.team_id != manager.team_id:
        return Refused("not_your_report")
    employee = repo.person(pairing.employee_id)
    if employee is None or pairing.manager_id != manager.id:
        return Refused("not_your_report")
    allowed = {t.key: t for t in options(employee, now.year, is_manager=_manages(repo, employee))}
    if key not in allowed:
        wanted = templates().get(key)
        return Refused("for_managers" if wanted is not None and wanted.for_managers else "not_a_template")
    changed = pairing.template != key
    if changed:
        retemplate(repo, pairing, key)
    return Changed(pairing, employee, allowed[key], changed)

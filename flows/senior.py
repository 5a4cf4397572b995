"""The senior conversation of 004: the year the employee turns 60 it is offered, and from 58 the senior
measures are a topic of the annual conversation. It rests on a birth year that nobody is asked for: an
admin's org file or an admin gives it, and it is seen by the person, their manager and mal's admins only.
"""

from dataclasses import dataclass

from flows.season import is_admin
from flows.templates import Question, measures_due, templates
from storage.models import Person
from storage.repo import Repo

SEPARATOR = ":"  # a question borrowed from another template is named "template:key" among a meeting's extras


@dataclass(frozen=True)
class Refused:
    reason: str


@dataclass(frozen=True)
class BirthYear:
    person: Person
    year: int | None
    changed: bool


def measure_questions(template_key: str, birth_year: int | None, year: int) -> list[str]:
    """The senior measures to ask in a yearly conversation from the age 004 names (58), as "senior:key"
    extras of the meeting; none in the senior conversation itself, which asks them anyway."""
    current = templates().get(template_key)
    if current is None or current.cadence != "yearly":
        return []
    out: list[str] = []
    for tpl in measures_due(birth_year, year):
        if tpl.key == template_key:
            continue
        measures = next((s for s in tpl.sections if s.key == "measures"), None)
        out += [f"{tpl.key}{SEPARATOR}{q.key}" for q in (measures.questions if measures else ())]
    return out


def borrowed(key: str) -> Question | None:
    """A question another template lends to a meeting ("senior:measures_agreed")."""
    owner, _, own = key.partition(SEPARATOR)
    tpl = templates().get(owner) if own else None
    return tpl.question(own) if tpl is not None else None


def set_birth_year(
    repo: Repo, admin: Person, person: Person, value: str, admin_ids: frozenset[str]
) -> BirthYear | Refused:
    """An admin records (or with "-" removes) a birth year; with no value it is only shown to the admin."""
    if not is_admin(admin, admin_ids) or admin.team_id != person.team_id:
        return Refused("not_admin")
    if not value:
        return BirthYear(person, person.birth_year, False)
    year = None if value == "-" else int(value)
    if year is not None and not 1900 <= year <= 2100:
        return Refused("birthyear_usage")
    changed = person.birth_year != year
    person.birth_year = year
    repo.add(person)
    return BirthYear(person, year, changed)

"""The statements behind every list of open actions (`/mal`, Home, reminders, digests), built once per process.

A list is read far more often than anything else mal does, so its two statements (the counts, and one page
with what each row shows) are Core selects with bound parameters: built and compiled once per shape of list,
then only executed. Building a select with its aliases and joins costs several times what the database
needs to answer it, and loading ORM objects costs more again.
"""

from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import Any, NamedTuple

import sqlalchemy as sa

from storage.models import Action, Meeting, Pairing, Person
from storage.prepared import Prepared

ACTION: sa.Table = Action.__table__  # type: ignore[attr-defined]
MEETING: sa.Table = Meeting.__table__  # type: ignore[attr-defined]
PAIRING: sa.Table = Pairing.__table__  # type: ignore[attr-defined]
PERSON: sa.Table = Person.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class OpenScope:
    """Whose open actions a list holds: one employee's, a manager's reports' (their ids, as read just before),
    and those someone is responsible for outside them. Any combination; each part is disjoint."""

    employee_id: int | None = None
    owner_id: int | None = None
    report_ids: tuple[int, ...] = ()

    @property
    def shape(self) -> tuple[bool, bool, bool]:
        return (self.employee_id is not None, self.owner_id is not None, bool(self.report_ids))

    @property
    def params(self) -> dict[str, Any]:
        return {"employee": self.employee_id, "owner": self.owner_id, "reports": list(self.report_ids)}


class ActionRow(NamedTuple):
    """An open action as a list shows it: the ``held_*`` person is who held the meeting it came from with
    the employee (that meeting's manager, else the employee's manager now)."""

    id: int
    what: str
    goal: str | None
    due: date
    employee_id: int
    employee_slack_id: str
    employee_name: str
    employee_tz: str | None
    owner_id: int
    owner_slack_id: str
    owner_name: str
    owner_tz: str | None
    manager_now: int | None
    meeting_id: int | None
    meeting_template: str | None
    meeting_scheduled_at: datetime | None
    meeting_window_start: datetime | None
    held_id: int | None
    held_slack_id: str | None
    held_name: str | None
    held_tz: str | None


def _parts(employee: bool, owner: bool, reports: bool) -> list[Any]:
    """Disjoint selects rather than one OR: each is a range of its own index (employee or owner, status, due),
    where an OR would make the database read every open action. The reports are a list of ids (one expanding
    parameter): with a subquery or a join instead, SQLite walks every open action of the organisation in due
    order to fill one team's page."""
    a = ACTION
    cols: list[Any] = [a.c.id.label("id"), a.c.due.label("due"), a.c.employee_id]
    is_open = a.c.status == "open"
    team: Any = sa.bindparam("reports", expanding=True) if reports else None
    parts: list[Any] = []
    if team is not None:
        parts.append(sa.select(*cols).where(a.c.employee_id.in_(team), is_open))
    if employee:
        one = sa.select(*cols).where(a.c.employee_id == sa.bindparam("employee"), is_open)
        parts.append(one.where(a.c.employee_id.not_in(team)) if team is not None else one)
    if owner:
        owned = sa.select(*cols).where(a.c.owner_id == sa.bindparam("owner"), is_open)
        if employee:
            owned = owned.where(a.c.employee_id != sa.bindparam("employee"))
        if team is not None:
            owned = owned.where(a.c.employee_id.not_in(team))
        parts.append(owned)
    if not parts:
        parts.append(sa.select(*cols).where(sa.false()))
    return parts


def _scope(employee: bool, owner: bool, reports: bool) -> Any:
    """The parts as one UNION ALL."""
    parts = _parts(employee, owner, reports)
    combined: Any = parts[0] if len(parts) == 1 else sa.union_all(*parts)
    return combined.subquery("scope")


@cache
def stats_statement(shape: tuple[bool, bool, bool]) -> Prepared:
    """How many open actions a scope holds, and how many of them are overdue (parameters: the scope's and
    ``today``). Each part is counted on its own index and the counts added: counting the rows of their union
    costs SQLite half as much again."""
    today = sa.bindparam("today", type_=sa.Date)
    overdue: Any = sa.func.sum(sa.case((ACTION.c.due < today, 1), else_=0)).label("o")
    count: Any = sa.func.count().label("n")
    counted: list[Any] = [part.with_only_columns(count, overdue) for part in _parts(*shape)]
    combined: Any = counted[0] if len(counted) == 1 else sa.union_all(*counted)
    each: Any = combined.subquery("counts")
    return Prepared(sa.select(sa.func.sum(each.c.n), sa.func.sum(each.c.o)))


@cache
def rows_statement(shape: tuple[bool, bool, bool]) -> Prepared:
    """One page of a scope in due order, each row an ``ActionRow`` (parameters: the scope's, ``offset`` and
    ``limit``). Overdue actions come first because they are due earliest."""
    scope = _scope(*shape)
    # The page's ids as an IN-subquery, not a joined one: SQLite then reads each part of the scope from its own
    # index and sorts the few rows it finds; a joined subquery it turns into a merge of parts read in due order,
    # which for a small team means walking every open action of the organisation.
    page = (
        sa.select(scope.c.id)
        .order_by(scope.c.due, scope.c.id)
        .offset(sa.bindparam("offset", type_=sa.Integer))
        .limit(sa.bindparam("limit", type_=sa.Integer))
    )
    a, m, mp, now = ACTION, MEETING, PAIRING.alias("mp"), PAIRING.alias("now")
    e, o, held = PERSON.alias("e"), PERSON.alias("o"), PERSON.alias("held")
    manager_now = (
        sa.select(now.c.manager_id)
        .where(now.c.employee_id == a.c.employee_id, now.c.ended_at.is_(None))
        .order_by(now.c.id)
        .limit(1)
        .scalar_subquery()
    )
    return Prepared(
        sa.select(
            a.c.id,
            a.c.what,
            a.c.goal,
            a.c.due,
            *(p.c[k] for p in (e, o) for k in ("id", "slack_user_id", "name", "tz")),
            manager_now,
            m.c.id,
            m.c.template,
            m.c.scheduled_at,
            m.c.window_start,
            *(held.c[k] for k in ("id", "slack_user_id", "name", "tz")),
        )
        .select_from(
            a.join(e, e.c.id == a.c.employee_id)
            .join(o, o.c.id == a.c.owner_id)
            .outerjoin(m, m.c.id == a.c.meeting_id)
            .outerjoin(mp, mp.c.id == m.c.pairing_id)
            .outerjoin(held, held.c.id == sa.func.coalesce(mp.c.manager_id, manager_now))
        )
        .where(a.c.id.in_(page))
        .order_by(a.c.due, a.c.id)
    )

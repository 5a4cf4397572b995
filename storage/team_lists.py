"""The statement behind a manager's team overview (Home and `/mal team`), built once per process.

One row per report, in the order they were paired, with what the overview shows of them: when the two last
met and meet next, how many windows lapsed, and how many of the report's actions are open and overdue. Each
figure is a correlated count or bound on an index (meetings by pairing and status, actions by employee and
status), so a page of the overview costs one statement however large the team or its history is.
"""

from datetime import datetime
from functools import cache
from typing import Any, NamedTuple

import sqlalchemy as sa

from storage.action_lists import ACTION, MEETING, PAIRING, PERSON
from storage.prepared import Prepared


class TeamMember(NamedTuple):
    pairing_id: int
    cadence: str
    template: str
    paused: bool
    created_at: datetime | None
    next_window_at: datetime | None
    employee_id: int
    slack_user_id: str
    name: str
    tz: str | None
    last_held: Any  # the newest held meeting's time (text on SQLite, see ``storage.repo._utc``)
    next_invited: Any  # the soonest invited meeting's time
    missed: int
    open: int
    overdue: int


@cache
def team_statement() -> Prepared:
    """The first ``limit`` reports of ``manager`` now, each a ``TeamMember`` (parameters: ``manager``,
    ``today``, ``limit``)."""
    p, e, m, a = PAIRING, PERSON, MEETING, ACTION

    def meetings(status: str, value: Any) -> Any:
        return sa.select(value).where(m.c.pairing_id == p.c.id, m.c.status == status).scalar_subquery()

    def actions(*more: Any) -> Any:
        return (
            sa.select(sa.func.count()).where(a.c.employee_id == p.c.employee_id, a.c.status == "open", *more)
        ).scalar_subquery()

    return Prepared(
        sa.select(
            p.c.id,
            p.c.cadence,
            p.c.template,
            p.c.paused,
            p.c.created_at,
            p.c.next_window_at,
            e.c.id,
            e.c.slack_user_id,
            e.c.name,
            e.c.tz,
            meetings("held", sa.func.max(m.c.scheduled_at)),
            meetings("invited", sa.func.min(m.c.scheduled_at)),
            meetings("missed", sa.func.count()),
            actions(),
            actions(a.c.due < sa.bindparam("today", type_=sa.Date)),
        )
        .join_from(p, e, e.c.id == p.c.employee_id)
        .where(p.c.manager_id == sa.bindparam("manager"), p.c.ended_at.is_(None))
        .order_by(p.c.id)
        .limit(sa.bindparam("limit", type_=sa.Integer))
    )

"""Repository: the only place that knows how rows are queried and written.

Flows receive a ``Repo`` bound to one session (one unit of work) and never open sessions themselves.
"""

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import manager_of_class, set_committed_value
from sqlalchemy.orm.util import identity_key
from sqlmodel import Session, SQLModel, col, select

from storage.action_lists import ACTION, MEETING, PAIRING, PERSON, ActionRow, OpenScope, rows_statement, stats_statement
from storage.models import (
    Action,
    ActionEvent,
    Evaluation,
    Meeting,
    Outbox,
    Pairing,
    Person,
    PrepAnswer,
    PrivateNote,
    ProcessedEvent,
    Workspace,
)
from storage.prepared import Prepared
from storage.team_lists import TeamMember, team_statement


def _utc(value: Any) -> datetime | None:
    """An aggregate's timestamp: SQLite returns it as text without the column's type, PostgreSQL as datetime."""
    if value is None:
        return None
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


_PERSON_BY_SLACK = Prepared(
    sa.select(*PERSON.c).where(PERSON.c.team_id == sa.bindparam("team"), PERSON.c.slack_user_id == sa.bindparam("user"))
)
_ACTIVE_PAIRING_OF = Prepared(
    sa.select(*PAIRING.c).where(PAIRING.c.employee_id == sa.bindparam("employee"), PAIRING.c.ended_at.is_(None))
)
# A person's soonest invited meetings in either part of a pair that lasts, with the pair's two people.
_UPCOMING = Prepared(
    sa.select(*MEETING.c, PAIRING.c.employee_id, PAIRING.c.manager_id)
    .join_from(MEETING, PAIRING, PAIRING.c.id == MEETING.c.pairing_id)
    .where(
        sa.or_(PAIRING.c.employee_id == sa.bindparam("person"), PAIRING.c.manager_id == sa.bindparam("person")),
        PAIRING.c.ended_at.is_(None),
        MEETING.c.status == "invited",
        MEETING.c.scheduled_at > sa.bindparam("moment"),
    )
    .order_by(MEETING.c.scheduled_at, MEETING.c.id)
    .limit(sa.bindparam("limit", type_=sa.Integer))
)
# An employee's nearest manager now: the manager of their active pair (the first, should there be two).
_MANAGER_NOW = Prepared(
    sa.select(PAIRING.c.manager_id)
    .where(PAIRING.c.employee_id == sa.bindparam("employee"), PAIRING.c.ended_at.is_(None))
    .order_by(PAIRING.c.id)
    .limit(1)
)
_MANAGER_NOW_IN_TEAM = Prepared(
    sa.select(PAIRING.c.manager_id)
    .join(PERSON, PERSON.c.id == PAIRING.c.employee_id)
    .where(
        PAIRING.c.employee_id == sa.bindparam("employee"),
        PAIRING.c.ended_at.is_(None),
        PERSON.c.team_id == sa.bindparam("team"),
    )
    .order_by(PAIRING.c.id)
    .limit(1)
)
_INSERT_ACTION_EVENT = sa.insert(ActionEvent.__table__)  # type: ignore[attr-defined]
# Built once: a click on Done runs it, and building an UPDATE with its RETURNING costs more than running it.
_CLOSE_ACTION = (
    sa.update(ACTION)
    .where(ACTION.c.id == sa.bindparam("action"), ACTION.c.status == "open")
    .values(status="done", closed_by=sa.bindparam("by"), closed_at=sa.bindparam("at"))
    .returning(*ACTION.c)
)
_ACTION = Prepared(sa.select(*ACTION.c).where(ACTION.c.id == sa.bindparam("action")))
_REPORT_IDS = Prepared(
    sa.select(PAIRING.c.employee_id)
    .where(PAIRING.c.manager_id == sa.bindparam("manager"), PAIRING.c.ended_at.is_(None))
    .order_by(PAIRING.c.id)
)

M = TypeVar("M", bound=SQLModel)


class Repo:
    def __init__(self, session: Session) -> None:
        self.session = session

    def _adopted(self, model: type[M], row: tuple[Any, ...]) -> M:
        """A row of ``model``'s whole table, read by a ``Prepared`` select, as the unit of work's own object: the
        one it holds already, else one built as the ORM builds what it loads (no ``__init__``, the values put
        in place, no changes recorded) and held from now on, so changes to it are saved with the rest. Loading
        through the ORM costs several times more than building it."""
        table: sa.Table = model.__table__  # type: ignore[attr-defined]
        values = dict(zip(table.c.keys(), row, strict=True))
        held = self.session.identity_map.get(identity_key(model, values["id"]))
        if held is not None:
            return held
        adopted: M = manager_of_class(model).new_instance()
        adopted.__dict__.update(values)
        make_transient_to_detached(adopted)
        self.session.add(adopted)
        return adopted

    def _reading(self) -> sa.Connection:
        """The unit of work's connection for a ``Prepared`` select, with its pending changes written first (as
        SQLAlchemy does before its own queries), so the select sees what this unit of work has done."""
        self.session.flush()
        return self.session.connection()

    # --- generic -------------------------------------------------------------------------------
    @contextmanager
    def isolated(self) -> Iterator[None]:
        """One item's changes in a savepoint: an error undoes only them, the rest of the unit of work stands."""
        with self.session.begin_nested():
            yield

    def add(self, row: Any) -> Any:
        self.session.add(row)
        self.session.flush()
        return row

    def _insert_ignore(self, table: Any, values: dict[str, Any], *, index: Sequence[str]) -> bool:
        """Insert unless the unique key exists; True when this call inserted the row."""
        dialect = self.session.get_bind().dialect.name
        stmt: Any
        if dialect == "postgresql":
            stmt = postgresql.insert(table).values(**values).on_conflict_do_nothing(index_elements=index)
        elif dialect == "sqlite":
            stmt = sqlite.insert(table).values(**values).on_conflict_do_nothing(index_elements=index)
        else:  # pragma: no cover - only SQLite and PostgreSQL are supported
            raise RuntimeError(f"unsupported database {dialect}")
        result = self.session.execute(stmt.returning(*[getattr(table, k) for k in index]))
        return result.first() is not None

    # --- workspaces ------------------------------------------------------------------------------
    def workspace(self, team_id: str) -> Workspace | None:
        return self.session.get(Workspace, team_id)

    def ensure_workspace(self, team_id: str, name: str = "") -> Workspace:
        """Two first requests of a new workspace may arrive together: the second must not fail on the key."""
        ws = self.session.get(Workspace, team_id)
        if ws is None:
            self._insert_ignore(Workspace, {"team_id": team_id, "name": name, "active": True}, index=["team_id"])
            ws = self.session.get(Workspace, team_id)
        assert ws is not None
        return ws

    # --- people -------------------------------------------------------------------------------------
    def person(self, person_id: int) -> Person | None:
        return self.session.get(Person, person_id)

    def person_by_slack(self, team_id: str, slack_user_id: str) -> Person | None:
        """Every request starts here (who is asking), so the statement is built once, not per request."""
        found = _PERSON_BY_SLACK.rows(self._reading(), {"team": team_id, "user": slack_user_id})
        return self._adopted(Person, found[0]) if found else None

    def ensure_person(self, team_id: str, slack_user_id: str, values: dict[str, Any]) -> Person:
        """A person's first clicks can arrive in parallel: whichever insert wins, both get the same row."""
        self._insert_ignore(
            Person, {"team_id": team_id, "slack_user_id": slack_user_id, **values}, index=["team_id", "slack_user_id"]
        )
        person = self.person_by_slack(team_id, slack_user_id)
        assert person is not None
        return person

    def people(self, ids: Sequence[int]) -> dict[int, Person]:
        if not ids:
            return {}
        rows = self.session.exec(select(Person).where(col(Person.id).in_(set(ids)))).all()
        return {p.id: p for p in rows if p.id is not None}

    # --- pairings ------------------------------------------------------------------------------------
    def pairing(self, pairing_id: int) -> Pairing | None:
        return self.session.get(Pairing, pairing_id)

    def active_pairing_of(self, employee_id: int) -> Pairing | None:
        found = _ACTIVE_PAIRING_OF.rows(self._reading(), {"employee": employee_id})
        return self._adopted(Pairing, found[0]) if found else None

    def last_ended_pairings(self, team_id: str) -> dict[int, Pairing]:
        """For each person of the team with no manager in mal now, the pair that ended last: a new pair for
        them is news to them and their new manager. Few rows: only people between managers."""
        active = select(Pairing.employee_id).where(Pairing.team_id == team_id, col(Pairing.ended_at).is_(None))
        rows = self.session.exec(
            select(Pairing)
            .where(
                Pairing.team_id == team_id,
                col(Pairing.ended_at).is_not(None),
                col(Pairing.employee_id).not_in(active),
            )
            .order_by(col(Pairing.ended_at), col(Pairing.id))
        ).all()
        return {p.employee_id: p for p in rows}

    def reports_of(self, manager_id: int) -> list[Pairing]:
        return list(
            self.session.exec(
                select(Pairing)
                .where(Pairing.manager_id == manager_id, col(Pairing.ended_at).is_(None))
                .order_by(col(Pairing.id))
            ).all()
        )

    def report_ids(self, manager_id: int) -> list[int]:
        """The employees a manager has now, without loading their pairings (the `/mal` hot path)."""
        return [int(r[0]) for r in _REPORT_IDS.rows(self._reading(), {"manager": manager_id})]

    def manager_now(self, employee_id: int, team_id: str | None = None) -> int | None:
        """The employee's nearest manager now (with ``team_id``: only if the employee is of that team), without
        loading the pairing or the employee: every click on someone else's action asks this."""
        if team_id is None:
            found = _MANAGER_NOW.rows(self._reading(), {"employee": employee_id})
        else:
            found = _MANAGER_NOW_IN_TEAM.rows(self._reading(), {"employee": employee_id, "team": team_id})
        return int(found[0][0]) if found and found[0][0] is not None else None

    def pairings(self, ids: Sequence[int] | set[int]) -> dict[int, Pairing]:
        if not ids:
            return {}
        rows = self.session.exec(select(Pairing).where(col(Pairing.id).in_(set(ids)))).all()
        return {p.id: p for p in rows if p.id is not None}

    def current_managers(self, employee_ids: set[int]) -> dict[int, int]:
        """Each employee's nearest manager now, in one query."""
        if not employee_ids:
            return {}
        rows = self.session.execute(
            sa.select(col(Pairing.employee_id), col(Pairing.manager_id)).where(
                col(Pairing.employee_id).in_(employee_ids), col(Pairing.ended_at).is_(None)
            )
        ).all()
        return {int(r[0]): int(r[1]) for r in rows}

    def active_pairings(self, team_id: str) -> list[Pairing]:
        return list(
            self.session.exec(select(Pairing).where(Pairing.team_id == team_id, col(Pairing.ended_at).is_(None))).all()
        )

    def pairings_due(self, now: datetime, limit: int = 100) -> list[Pairing]:
        """Due pairings, locked for this transaction; on PostgreSQL rows another replica is planning are
        skipped rather than waited for, so replicas share the work instead of queueing behind each other."""
        return list(
            self.session.exec(
                select(Pairing)
                .where(
                    col(Pairing.ended_at).is_(None),
                    col(Pairing.nudge_at).is_not(None),
                    col(Pairing.nudge_at) <= now,
                )
                .order_by(col(Pairing.nudge_at))
                .limit(limit)
                .with_for_update(skip_locked=True)
            ).all()
        )

    # --- meetings -------------------------------------------------------------------------------------
    def meeting(self, meeting_id: int) -> Meeting | None:
        return self.session.get(Meeting, meeting_id)

    def meetings(self, ids: Sequence[int]) -> dict[int, Meeting]:
        if not ids:
            return {}
        rows = self.session.exec(select(Meeting).where(col(Meeting.id).in_(set(ids)))).all()
        return {m.id: m for m in rows if m.id is not None}

    def meeting_for(self, pairing_id: int, period: str) -> Meeting | None:
        return self.session.exec(
            select(Meeting).where(Meeting.pairing_id == pairing_id, col(Meeting.period) == period)
        ).first()

    def ensure_meeting(self, pairing_id: int, period: str, **values: Any) -> Meeting:
        """The meeting of a period, created once however often the tick runs."""
        self._insert_ignore(
            Meeting, {"pairing_id": pairing_id, "period": period, **values}, index=("pairing_id", "period")
        )
        meeting = self.meeting_for(pairing_id, period)
        assert meeting is not None
        return meeting

    def meetings_of_pairings(self, pairing_ids: Sequence[int]) -> list[Meeting]:
        if not pairing_ids:
            return []
        return list(
            self.session.exec(
                select(Meeting).where(col(Meeting.pairing_id).in_(pairing_ids)).order_by(col(Meeting.id))
            ).all()
        )

    def meeting_marks(self, pairing_ids: Sequence[int]) -> dict[int, tuple[datetime | None, datetime | None]]:
        """Per pairing: the last held meeting and the soonest invited one, in one grouped query."""
        if not pairing_ids:
            return {}
        held = sa.func.max(sa.case((col(Meeting.status) == "held", col(Meeting.scheduled_at)), else_=None))
        coming = sa.func.min(sa.case((col(Meeting.status) == "invited", col(Meeting.scheduled_at)), else_=None))
        rows = self.session.execute(
            sa.select(col(Meeting.pairing_id), held, coming)
            .where(col(Meeting.pairing_id).in_(pairing_ids), col(Meeting.status).in_(("held", "invited")))
            .group_by(col(Meeting.pairing_id))
        ).all()
        return {int(r[0]): (_utc(r[1]), _utc(r[2])) for r in rows}

    def lapsed_meetings(self, now: datetime, limit: int) -> list[Meeting]:
        """Meetings never invited to whose window has closed: a range of (status, window_end)."""
        return list(
            self.session.exec(
                select(Meeting)
                .where(col(Meeting.status) == "planned", col(Meeting.window_end) <= now)
                .order_by(col(Meeting.window_end))
                .limit(limit)
            ).all()
        )

    def team_members(self, manager_id: int, today: date, limit: int) -> list[TeamMember]:
        """A manager's first ``limit`` reports now, in the order they were paired, each with the figures the
        team overview shows (``storage.team_lists``), in one statement."""
        rows = team_statement().rows(self._reading(), {"manager": manager_id, "today": today, "limit": limit})
        return [
            TeamMember._make([*r[:10], _utc(r[10]), _utc(r[11]), int(r[12] or 0), int(r[13] or 0), int(r[14] or 0)])
            for r in rows
        ]

    def upcoming_meetings(self, person_id: int, moment: datetime, limit: int) -> list[tuple[Meeting, int, str]]:
        """The person's soonest invited meetings after ``moment``, in either part of a pair that lasts: each
        with the other person's id and the person's own part in it ('employee' or 'manager')."""
        found = _UPCOMING.rows(self._reading(), {"person": person_id, "moment": moment, "limit": limit})
        width = len(MEETING.c)
        upcoming: list[tuple[Meeting, int, str]] = []
        for row in found:
            meeting, employee, manager = self._adopted(Meeting, row[:width]), row[width], row[width + 1]
            upcoming.append((meeting, manager, "employee") if employee == person_id else (meeting, employee, "manager"))
        return upcoming

    def missed_counts(self, pairing_ids: Sequence[int]) -> dict[int, int]:
        if not pairing_ids:
            return {}
        rows = self.session.execute(
            sa.select(col(Meeting.pairing_id), sa.func.count())
            .where(col(Meeting.pairing_id).in_(pairing_ids), col(Meeting.status) == "missed")
            .group_by(col(Meeting.pairing_id))
        ).all()
        return {int(r[0]): int(r[1]) for r in rows}

    def missed_units(self, team_id: str, since: datetime) -> list[str]:
        """The unit of the employee of each missed meeting since ``since`` ('' without a unit)."""
        rows = self.session.execute(
            sa.select(col(Person.unit))
            .select_from(Meeting)
            .join(Pairing, col(Pairing.id) == col(Meeting.pairing_id))
            .join(Person, col(Person.id) == col(Pairing.employee_id))
            .where(col(Pairing.team_id) == team_id, col(Meeting.status) == "missed", col(Meeting.window_end) >= since)
        ).all()
        return [str(r[0] or "") for r in rows]

    def invited_after(self, pairing_ids: Sequence[int], moment: datetime) -> list[Meeting]:
        """Invited meetings of these pairings still ahead of ``moment``."""
        if not pairing_ids:
            return []
        return list(
            self.session.exec(
                select(Meeting).where(
                    col(Meeting.pairing_id).in_(pairing_ids),
                    col(Meeting.status) == "invited",
                    col(Meeting.scheduled_at) > moment,
                )
            ).all()
        )

    def invited_of_ended_pairings(self, moment: datetime, limit: int = 100) -> list[Meeting]:
        """Meetings still invited and ahead whose pair has ended (a new manager, or the employee left)."""
        return list(
            self.session.exec(
                select(Meeting)
                .join(Pairing, col(Pairing.id) == col(Meeting.pairing_id))
                .where(
                    col(Pairing.ended_at).is_not(None),
                    col(Meeting.status) == "invited",
                    col(Meeting.scheduled_at) > moment,
                )
                .limit(limit)
            ).all()
        )

    def meetings_scheduled_between(self, start: datetime, end: datetime) -> list[Meeting]:
        return list(
            self.session.exec(
                select(Meeting).where(
                    col(Meeting.status) == "invited",
                    col(Meeting.scheduled_at) >= start,
                    col(Meeting.scheduled_at) < end,
                )
            ).all()
        )

    def preparing_meeting_of(self, employee_id: int) -> Meeting | None:
        """The meeting whose preparation an employee's DM answers belong to: the next invited one."""
        return self.session.exec(
            select(Meeting)
            .join(Pairing, col(Pairing.id) == Meeting.pairing_id)
            .where(
                col(Pairing.employee_id) == employee_id,
                col(Meeting.status) == "invited",
                col(Meeting.prep_status).in_(("in_progress", "reason", "review")),
            )
            .order_by(col(Meeting.scheduled_at))
        ).first()

    def answers(self, meeting_id: int) -> dict[str, str]:
        rows = self.session.exec(select(PrepAnswer).where(PrepAnswer.meeting_id == meeting_id)).all()
        return {r.question_key: r.text for r in rows}

    def answer_rows(self, meeting_id: int) -> dict[str, PrepAnswer]:
        rows = self.session.exec(select(PrepAnswer).where(PrepAnswer.meeting_id == meeting_id)).all()
        return {r.question_key: r for r in rows}

    def save_answer(self, meeting_id: int, key: str, text: str, now: datetime, choice: str | None = None) -> None:
        """Keep one answer per question; a rated answer keeps its step in ``choice`` and its reason in ``text``."""
        row = self.session.exec(
            select(PrepAnswer).where(PrepAnswer.meeting_id == meeting_id, col(PrepAnswer.question_key) == key)
        ).first()
        if row is None:
            self.add(PrepAnswer(meeting_id=meeting_id, question_key=key, text=text, choice=choice, updated_at=now))
        else:
            row.text = text
            row.choice = choice
            row.updated_at = now
            self.session.add(row)

    # --- private notes ----------------------------------------------------------------------------------
    def notes(self, meeting_id: int, person_id: int) -> dict[str, PrivateNote]:
        rows = self.session.exec(
            select(PrivateNote).where(PrivateNote.meeting_id == meeting_id, col(PrivateNote.person_id) == person_id)
        ).all()
        return {r.key: r for r in rows}

    def save_note(
        self, meeting_id: int, person_id: int, key: str, text: str, now: datetime, choice: str | None = None
    ) -> None:
        row = self.notes(meeting_id, person_id).get(key)
        if row is None:
            self.add(
                PrivateNote(
                    meeting_id=meeting_id, person_id=person_id, key=key, text=text, choice=choice, updated_at=now
                )
            )
        else:
            row.text, row.choice, row.updated_at = text, choice, now
            self.session.add(row)

    # --- actions --------------------------------------------------------------------------------------
    def action(self, action_id: int) -> Action | None:
        """As ``Session.get``: the unit of work's own copy if it holds one, else read (every click reads one)."""
        held = self.session.identity_map.get(identity_key(Action, action_id))
        if held is not None:
            return held
        found = _ACTION.rows(self._reading(), {"action": action_id})
        return self._adopted(Action, found[0]) if found else None

    def open_actions_for_employees(self, employee_ids: Sequence[int]) -> list[Action]:
        if not employee_ids:
            return []
        return list(
            self.session.exec(
                select(Action)
                .where(col(Action.employee_id).in_(employee_ids), col(Action.status) == "open")
                .order_by(col(Action.due), col(Action.id))
            ).all()
        )

    def open_actions_owned_by(self, owner_id: int) -> list[Action]:
        return list(
            self.session.exec(
                select(Action)
                .where(Action.owner_id == owner_id, col(Action.status) == "open")
                .order_by(col(Action.due), col(Action.id))
            ).all()
        )

    def open_action_stats(self, scope: OpenScope, today: date) -> tuple[int, int]:
        """(open, overdue) over a scope, counted by the database rather than by loading the rows."""
        (row,) = stats_statement(scope.shape).rows(self._reading(), {**scope.params, "today": today})
        return int(row[0] or 0), int(row[1] or 0)

    def open_action_rows(self, scope: OpenScope, offset: int, limit: int) -> list[ActionRow]:
        """One page of a scope in due order, with what a list shows of each action read in the same select."""
        params = {**scope.params, "offset": offset, "limit": limit}
        return [ActionRow(*r) for r in rows_statement(scope.shape).rows(self._reading(), params)]

    def action_counts(self, employee_ids: Sequence[int], today: date) -> dict[int, tuple[int, int]]:
        """(open, overdue) per employee in one query, for overviews that must not load content."""
        if not employee_ids:
            return {}
        overdue = sa.func.sum(sa.case((col(Action.due) < today, 1), else_=0))
        rows = self.session.execute(
            sa.select(col(Action.employee_id), sa.func.count(), overdue)
            .where(col(Action.employee_id).in_(employee_ids), col(Action.status) == "open")
            .group_by(col(Action.employee_id))
        ).all()
        return {r[0]: (int(r[1]), int(r[2] or 0)) for r in rows}

    def actions_needing_reminder(self, today: date, horizon: date, limit: int = 1000) -> list[Action]:
        """Open actions due from today to ``horizon`` whose reminder is not planned yet: a bounded range of
        (status, due), so old overdue actions (which get the digest instead) are never read again."""
        return list(
            self.session.exec(
                select(Action)
                .where(
                    col(Action.status) == "open",
                    col(Action.due) >= today,
                    col(Action.due) <= horizon,
                    sa.or_(col(Action.reminder_for_due).is_(None), col(Action.reminder_for_due) != Action.due),
                )
                .limit(limit)
            ).all()
        )

    def owners_with_overdue(self, today: date) -> list[int]:
        rows = self.session.execute(
            sa.select(col(Action.owner_id)).where(col(Action.status) == "open", col(Action.due) < today).distinct()
        ).all()
        return [r[0] for r in rows]

    def own_action_events(
        self, employee_ids: Sequence[int], start: datetime, end: datetime
    ) -> list[tuple[ActionEvent, Action]]:
        """Done, postponed and reopened events of these employees' actions that they did themselves, in order."""
        if not employee_ids:
            return []
        rows = self.session.exec(
            select(ActionEvent, Action)
            .where(
                col(ActionEvent.action_id) == col(Action.id),
                col(Action.employee_id).in_(employee_ids),
                col(ActionEvent.by_id) == col(Action.employee_id),
                col(ActionEvent.kind).in_(("done", "postponed", "reopened")),
                col(ActionEvent.at) >= start,
                col(ActionEvent.at) < end,
            )
            .order_by(col(ActionEvent.at), col(ActionEvent.id))
        ).all()
        return [(e, a) for e, a in rows]

    def managers_with_report_events(self, start: datetime, end: datetime) -> list[int]:
        """Managers (now) of employees who finished or postponed one of their own actions in the range."""
        rows = self.session.execute(
            sa.select(col(Pairing.manager_id))
            .select_from(ActionEvent)
            .join(Action, col(Action.id) == col(ActionEvent.action_id))
            .join(Pairing, col(Pairing.employee_id) == col(Action.employee_id))
            .where(
                col(Pairing.ended_at).is_(None),
                col(ActionEvent.by_id) == col(Action.employee_id),
                col(ActionEvent.kind).in_(("done", "postponed")),
                col(ActionEvent.at) >= start,
                col(ActionEvent.at) < end,
            )
            .distinct()
        ).all()
        return [int(r[0]) for r in rows]

    def close_action(self, action_id: int, by_id: int, now: datetime) -> bool:
        """Mark an action done if it is still open, in one conditional UPDATE: of any number of clicks at
        once exactly one gets True, so one "done" event is recorded and ``closed_by`` names its author."""
        closed = self.session.connection().execute(_CLOSE_ACTION, {"action": action_id, "by": by_id, "at": now}).first()
        return self._reloaded(action_id, closed)

    def move_action_due(self, action_id: int, old_due: date, new_due: date) -> bool:
        """Move an open action's due date if it still is ``old_due``: True for the one call that moved it."""
        table: Any = Action.__table__  # type: ignore[attr-defined]
        moved = self.session.execute(
            sa.update(table)
            .where(table.c.id == action_id, table.c.status == "open", table.c.due == old_due)
            .values(due=new_due)
            .returning(*table.c)
        ).first()
        return self._reloaded(action_id, moved)

    def _reloaded(self, action_id: int, changed: sa.Row[Any] | None) -> bool:
        """The session's copy of the action (if it holds one) shows what the database holds now, whoever
        changed it: the row our UPDATE returned, else the row read again."""
        loaded = self.session.identity_map.get(identity_key(Action, action_id))
        if loaded is not None:
            if changed is None:
                self.session.refresh(loaded)
            else:
                for key, value in changed._mapping.items():
                    set_committed_value(loaded, key, value)
        return changed is not None

    def record_action_event(self, event: ActionEvent) -> None:
        """Written as a plain insert: nothing reads an event back in the unit of work that records it."""
        columns = ("action_id", "kind", "by_id", "at", "old_due", "new_due")
        self.session.connection().execute(_INSERT_ACTION_EVENT, {c: getattr(event, c) for c in columns})

    def action_events(self, action_id: int) -> list[ActionEvent]:
        return list(
            self.session.exec(
                select(ActionEvent).where(ActionEvent.action_id == action_id).order_by(col(ActionEvent.id))
            ).all()
        )

    # --- evaluations --------------------------------------------------------------------------------
    def save_evaluation(self, meeting_id: int, person_id: int, answers: dict[str, str], now: datetime) -> bool:
        return self._insert_ignore(
            Evaluation,
            {"meeting_id": meeting_id, "person_id": person_id, "answers": json.dumps(answers), "created_at": now},
            index=("meeting_id", "person_id"),
        )

    def evaluation(self, meeting_id: int, person_id: int) -> Evaluation | None:
        return self.session.exec(
            select(Evaluation).where(Evaluation.meeting_id == meeting_id, col(Evaluation.person_id) == person_id)
        ).first()

    # --- outbox ---------------------------------------------------------------------------------------
    def enqueue(
        self,
        *,
        key: str,
        team_id: str,
        recipient: str,
        kind: str,
        payload: dict[str, Any],
        not_before: datetime,
        now: datetime,
    ) -> bool:
        """Plan a message once: a second call with the same key changes nothing."""
        return self._insert_ignore(
            Outbox,
            {
                "key": key,
                "team_id": team_id,
                "recipient": recipient,
                "kind": kind,
                "payload": json.dumps(payload),
                "status": "pending",
                "not_before": not_before,
                "created_at": now,
            },
            index=("key",),
        )

    def last_sent(self, team_id: str, recipient: str, kind: str) -> datetime | None:
        """When the newest message of a kind went to a person (for a digest: the one they already have)."""
        found = self.session.exec(
            select(Outbox.sent_at)
            .where(
                Outbox.team_id == team_id,
                col(Outbox.recipient) == recipient,
                col(Outbox.kind) == kind,
                col(Outbox.status) == "sent",
            )
            .order_by(col(Outbox.sent_at).desc())
            .limit(1)
        ).first()
        return _utc(found)

    def earlier_sent(self, row: Outbox) -> list[Outbox]:
        """Messages of the same kind sent to the same person before this one, newest first."""
        return list(
            self.session.exec(
                select(Outbox)
                .where(
                    Outbox.team_id == row.team_id,
                    col(Outbox.recipient) == row.recipient,
                    col(Outbox.kind) == row.kind,
                    col(Outbox.status) == "sent",
                    col(Outbox.id) != row.id,
                    col(Outbox.slack_ts).is_not(None),
                )
                .order_by(col(Outbox.sent_at).desc())
                .limit(1)
            ).all()
        )

    def outbox_row(self, key: str) -> Outbox | None:
        return self.session.exec(select(Outbox).where(Outbox.key == key)).first()

    def outbox_statuses(self, key_prefix: str) -> set[str]:
        """What became of the messages whose key starts so (keys are unique, so this reads the key's index)."""
        rows = self.session.exec(select(Outbox.status).where(col(Outbox.key).startswith(key_prefix, autoescape=True)))
        return set(rows.all())

    def outbox_payloads(self, key_prefix: str, status: str) -> list[dict[str, Any]]:
        """The payloads of the messages in ``status`` whose key starts so."""
        rows = self.session.exec(
            select(Outbox.payload).where(
                col(Outbox.key).startswith(key_prefix, autoescape=True), Outbox.status == status
            )
        )
        return [json.loads(p) for p in rows.all()]

    # --- idempotency of inputs ------------------------------------------------------------------------
    def first_time(self, key: str, now: datetime) -> bool:
        """True the first time a Slack input (event id, click) is seen; False for retries and doubles."""
        return self._insert_ignore(ProcessedEvent, {"key": key, "at": now}, index=("key",))

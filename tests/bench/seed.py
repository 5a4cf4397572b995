"""Big stores, fast: rows go in by bulk insert on the real tables, not through the flows a person triggers.

Ids are assigned here so that one insert per table suffices; PostgreSQL's sequences are moved past
them afterwards, so the bot's own inserts later on do not collide.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from flows.pairings import schedule
from storage.db import make_engine, migrate
from storage.models import Action, Evaluation, Meeting, Pairing, Person, PrepAnswer, Workspace
from tests.bench.common import TEAM

CHUNK = 5_000
WHAT = (
    "Book the course in difficult conversations and share three take-aways with the team",
    "Write down the on-call routine so that the new colleague can take a week in March",
    "Agree with the project lead on fewer parallel tasks; check after four weeks how it works",
    "Try pair programming on the billing service every Thursday",
    "Draft a proposal for the team's focus areas next year and bring it to the next 1:1",
    "Ask HR about adjusted hours during the renovation at home",
)
TABLES: dict[str, Any] = {
    "person": Person.__table__,  # type: ignore[attr-defined]
    "pairing": Pairing.__table__,  # type: ignore[attr-defined]
    "meeting": Meeting.__table__,  # type: ignore[attr-defined]
    "action": Action.__table__,  # type: ignore[attr-defined]
    "prepanswer": PrepAnswer.__table__,  # type: ignore[attr-defined]
    "evaluation": Evaluation.__table__,  # type: ignore[attr-defined]
}


def migrated_engine(url: str) -> Engine:
    engine = make_engine(url)
    migrate(engine)
    return engine


@dataclass
class Team:
    manager: str
    manager_id: int
    reports: list[str]
    report_ids: list[int]
    pairing_ids: list[int] = field(default_factory=list)
    open_action_ids: list[int] = field(default_factory=list)
    actions: int = 0


class Seeder:
    def __init__(self, engine: Engine, now: datetime, tz: str = "Europe/Oslo", lead_days: int = 10) -> None:
        self.engine = engine
        self.now = now
        self.tz = tz
        self.lead_days = lead_days
        self.today = now.astimezone(ZoneInfo(tz)).date()
        with engine.begin() as conn:
            self.next_id = {
                name: int(conn.execute(sa.select(sa.func.max(table.c.id))).scalar() or 0) + 1
                for name, table in TABLES.items()
            }
            ws = Workspace.__table__  # type: ignore[attr-defined]
            if conn.execute(sa.select(ws.c.team_id).where(ws.c.team_id == TEAM)).first() is None:
                conn.execute(ws.insert(), [{"team_id": TEAM, "name": "Bench", "active": True, "revoked_at": None}])
        template = Pairing(team_id=TEAM, manager_id=0, employee_id=0, cadence="monthly")
        schedule(template, now, tz, lead_days)
        self.anchor = template.anchor
        self.next_window_at = template.next_window_at

    def _ids(self, table: str, n: int) -> list[int]:
        first = self.next_id[table]
        self.next_id[table] = first + n
        return list(range(first, first + n))

    def insert(self, table: str, rows: list[dict[str, Any]]) -> None:
        for start in range(0, len(rows), CHUNK):
            with self.engine.begin() as conn:
                conn.execute(TABLES[table].insert(), rows[start : start + CHUNK])

    def people(self, slack_ids: list[str]) -> list[int]:
        ids = self._ids("person", len(slack_ids))
        self.insert(
            "person",
            [
                {
                    "id": pid,
                    "team_id": TEAM,
                    "slack_user_id": sid,
                    "email": f"{sid.lower()}@example.org",
                    "name": f"Person {sid}",
                    "tz": self.tz,
                    "slack_locale": "nb-NO",
                    "language": None,
                    "is_admin": False,
                    "active": True,
                    "away_until": None,
                    "birth_year": 1980 + pid % 30,
                    "created_at": self.now - timedelta(days=400),
                }
                for pid, sid in zip(ids, slack_ids, strict=True)
            ],
        )
        return ids

    def pairings(self, pairs: list[tuple[int, int]], nudge_at: list[datetime]) -> list[int]:
        """Pairs as `pairings.pair` leaves them; a nudge time in the past makes the pair due now."""
        ids = self._ids("pairing", len(pairs))
        rows = []
        for pid, (manager_id, employee_id), nudge in zip(ids, pairs, nudge_at, strict=True):
            due = nudge <= self.now
            rows.append(
                {
                    "id": pid,
                    "team_id": TEAM,
                    "manager_id": manager_id,
                    "employee_id": employee_id,
                    "cadence": "monthly",
                    "template": "monthly",
                    "paused": False,
                    "anchor": self.anchor,
                    "next_window_at": self.next_window_at if due else nudge + timedelta(days=self.lead_days),
                    "nudge_at": nudge,
                    "created_at": self.now - timedelta(days=400),
                    "ended_at": None,
                }
            )
        self.insert("pairing", rows)
        return ids

    def history(self, pairing_ids: list[int], per_pair: int) -> dict[int, list[int]]:
        """Past, held meetings: the monthly 1:1s the agreed actions came from."""
        ids = self._ids("meeting", len(pairing_ids) * per_pair)
        rows, by_pair = [], {}
        it = iter(ids)
        for pairing_id in pairing_ids:
            mine = []
            for j in range(per_pair):
                mid = next(it)
                when = self.now - timedelta(days=30 * (j + 1))
                mine.append(mid)
                rows.append(
                    {
                        "id": mid,
                        "pairing_id": pairing_id,
                        "period": f"past-{j}",
                        "template": "monthly",
                        "window_start": when,
                        "status": "held",
                        "scheduled_at": when,
                        "place": None,
                        "extra_questions": "[]",
                        "special_topics": None,
                        "skip_reason": None,
                        "snoozed_until": None,
                        "prep_cursor": 0,
                        "prep_status": "shared",
                        "prep_shared_at": when - timedelta(days=1),
                        "created_at": when - timedelta(days=10),
                    }
                )
            by_pair[pairing_id] = mine
        self.insert("meeting", rows)
        return by_pair

    def prepared(self, meetings: dict[int, list[int]], employees: dict[int, int], answers: int) -> None:
        """What the employee wrote before each meeting, and their evaluation after it: the history that grows."""
        rows: list[dict[str, Any]] = []
        evaluations: list[dict[str, Any]] = []
        for pairing_id, meeting_ids in meetings.items():
            for mid in meeting_ids:
                for q in range(answers):
                    rows.append(
                        {
                            "meeting_id": mid,
                            "question_key": f"q{q}",
                            "text": "Mostly good; the on-call weeks are heavy and I would like to talk about them.",
                            "updated_at": self.now - timedelta(days=31),
                        }
                    )
                evaluations.append(
                    {
                        "meeting_id": mid,
                        "person_id": employees[pairing_id],
                        "answers": '{"useful": "yes", "prepared": "yes"}',
                        "created_at": self.now - timedelta(days=29),
                    }
                )
        for name, batch in (("prepanswer", rows), ("evaluation", evaluations)):
            ids = self._ids(name, len(batch))
            for row, rid in zip(batch, ids, strict=True):
                row["id"] = rid
            self.insert(name, batch)

    def actions_for(
        self,
        employee_id: int,
        manager_id: int,
        total: int,
        open_count: int,
        meetings: list[int],
        rows: list[dict[str, Any]],
        *,
        open_due_from: int = -30,
        open_due_step: int = 9,
    ) -> list[int]:
        """One report's actions: ``open_count`` open (the first few overdue), the rest done long ago.

        Every fifth action is the manager's to do, so the manager's own list is never empty.
        """
        ids = self._ids("action", total)
        opened = []
        for j, aid in enumerate(ids):
            is_open = j < open_count
            due: date = (
                self.today + timedelta(days=open_due_from + j * open_due_step)
                if is_open
                else self.today - timedelta(days=30 + j * 3)
            )
            created = self.now - timedelta(days=60 + j * 3)
            rows.append(
                {
                    "id": aid,
                    "team_id": TEAM,
                    "employee_id": employee_id,
                    "owner_id": manager_id if j % 5 == 4 else employee_id,
                    "meeting_id": meetings[j % len(meetings)] if meetings else None,
                    "goal": "Grow into the tech lead role" if j % 3 == 0 else None,
                    "what": f"{WHAT[j % len(WHAT)]} ({j + 1})",
                    "follow_up": None,
                    "due": due,
                    "status": "open" if is_open else "done",
                    "reminder_for_due": due if is_open else None,
                    "created_by": manager_id,
                    "created_at": created,
                    "closed_by": None if is_open else employee_id,
                    "closed_at": None if is_open else created + timedelta(days=20),
                }
            )
            if is_open:
                opened.append(aid)
        return opened

    def teams(
        self,
        managers: list[str],
        reports: int,
        actions_per_report: int,
        open_per_report: int,
        meetings_per_pair: int,
        report_prefix: str = "UE",
    ) -> list[Team]:
        """Managers with identical teams: the same number of reports, meetings and actions each."""
        reports_of = {m: [f"{report_prefix}{m[2:]}X{r:04d}" for r in range(reports)] for m in managers}
        manager_ids = self.people(managers)
        teams = []
        for slack_id, mid in zip(managers, manager_ids, strict=True):
            report_ids = self.people(reports_of[slack_id])
            teams.append(Team(slack_id, mid, reports_of[slack_id], report_ids))
        future = self.now + timedelta(days=12)
        for team in teams:
            team.pairing_ids = self.pairings([(team.manager_id, e) for e in team.report_ids], [future] * reports)
        meetings = self.history([p for t in teams for p in t.pairing_ids], meetings_per_pair)
        for team in teams:
            rows: list[dict[str, Any]] = []
            for employee_id, pairing_id in zip(team.report_ids, team.pairing_ids, strict=True):
                team.open_action_ids += self.actions_for(
                    employee_id, team.manager_id, actions_per_report, open_per_report, meetings[pairing_id], rows
                )
            team.actions = len(rows)
            self.insert("action", rows)
        return teams

    def finish(self) -> None:
        """Move PostgreSQL's sequences past the ids given here, and let it analyse the new rows.

        PostgreSQL's autovacuum would analyse such a load within a minute; SQLite is left as production
        leaves it, without statistics, since mal never runs ANALYZE there.
        """
        if self.engine.dialect.name != "postgresql":
            return
        with self.engine.begin() as conn:
            for name in TABLES:
                conn.execute(sa.text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), {self.next_id[name]})"))
            conn.execute(sa.text("ANALYZE"))

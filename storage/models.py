"""SQLModel tables of mal.

Every timestamp is timezone-aware and stored in UTC. SQLite hands naive values back, so the
``UTCDateTime`` type re-attaches UTC on the way out: code above this layer never sees a naive datetime.
"""

from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel

SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """A DateTime that refuses naive input and always returns aware UTC values."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; pass an aware datetime")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def utc_column(*, nullable: bool = True, index: bool = False) -> Any:
    """A UTC timestamp column; a function so each table gets its own Column object."""
    return Field(default=None, sa_type=UTCDateTime(), nullable=nullable, index=index)


def _now() -> datetime:
    return datetime.now(UTC)


class Workspace(SQLModel, table=True):
    """A Slack workspace the app is installed in; sending stops when its token is revoked."""

    team_id: str = Field(primary_key=True, max_length=32)
    name: str = Field(default="", max_length=200)
    active: bool = True
    revoked_at: datetime | None = utc_column()


class Person(SQLModel, table=True):
    """A Slack user known to mal: an employee, a manager, or both."""

    __table_args__ = (sa.UniqueConstraint("team_id", "slack_user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32, index=True)
    slack_user_id: str = Field(max_length=32)
    email: str | None = Field(default=None, max_length=320, index=True)
    name: str = Field(default="", max_length=200)
    tz: str | None = Field(default=None, max_length=64)
    slack_locale: str | None = Field(default=None, max_length=16)
    language: str | None = Field(default=None, max_length=8)
    is_admin: bool = False
    active: bool = True
    away_until: date | None = None
    birth_year: int | None = None
    created_at: datetime | None = utc_column()
    unit: str | None = Field(default=None, max_length=200, index=True)


class Pairing(SQLModel, table=True):
    """A manager and one direct report; ended (not deleted) when the employee changes manager."""

    # The tick asks for active pairs whose nudge is due: one range of this index, however many pairs exist.
    __table_args__ = (sa.Index("ix_pairing_ended_nudge", "ended_at", "nudge_at"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32, index=True)
    manager_id: int = Field(foreign_key="person.id", index=True)
    employee_id: int = Field(foreign_key="person.id", index=True)
    cadence: str = Field(default="monthly", max_length=16)
    template: str = Field(default="monthly", max_length=64)
    paused: bool = False
    anchor: date | None = None
    next_window_at: datetime | None = utc_column()
    nudge_at: datetime | None = utc_column()
    created_at: datetime | None = utc_column()
    ended_at: datetime | None = utc_column()


class Meeting(SQLModel, table=True):
    """One conversation of a pairing in one period (the cadence window)."""

    __table_args__ = (
        sa.UniqueConstraint("pairing_id", "period"),
        # A team's last and next meetings are read per pair and status.
        sa.Index("ix_meeting_pairing_status", "pairing_id", "status", "scheduled_at"),
        # The tick finds windows that closed with no meeting held: one range of this index.
        sa.Index("ix_meeting_status_window_end", "status", "window_end"),
    )

    id: int | None = Field(default=None, primary_key=True)
    pairing_id: int = Field(foreign_key="pairing.id")
    period: str = Field(max_length=32)
    template: str = Field(default="monthly", max_length=64)
    window_start: datetime | None = utc_column()
    window_end: datetime | None = utc_column()
    status: str = Field(default="planned", max_length=16, index=True)
    scheduled_at: datetime | None = utc_column(index=True)
    place: str | None = Field(default=None, max_length=500)
    extra_questions: str = Field(default="[]", max_length=4000)
    special_topics: str | None = Field(default=None, max_length=3000)
    skip_reason: str | None = Field(default=None, max_length=3000)
    snoozed_until: datetime | None = utc_column()
    prep_cursor: int = 0
    prep_status: str = Field(default="not_started", max_length=16)
    prep_shared_at: datetime | None = utc_column()
    created_at: datetime | None = utc_column()
    season_id: int | None = Field(default=None, foreign_key="season.id", index=True)
    # The template questions the manager chose for this invitation (a JSON list of keys); None: all of them.
    chosen_questions: str | None = Field(default=None, max_length=4000)
    # When one of the two said it was held (or recorded what was agreed, or evaluated it): a date passing is not enough.
    held_at: datetime | None = utc_column()
    # The agreed plan confirmed in Slack by each party: the seeds' signature (who confirmed, and when).
    employee_confirmed_at: datetime | None = utc_column()
    manager_confirmed_at: datetime | None = utc_column()
    # The calendar event's SEQUENCE (RFC 5545): raised by every change a calendar must follow, the UID stays.
    calendar_sequence: int = 0
    # Another time the employee asked for, waiting for the manager to accept or decline it.
    proposed_at: datetime | None = utc_column()
    proposal_note: str | None = Field(default=None, max_length=500)


class PrepAnswer(SQLModel, table=True):
    """The employee's answer to one preparation question of one meeting."""

    __table_args__ = (sa.UniqueConstraint("meeting_id", "question_key"),)

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    question_key: str = Field(max_length=64)
    text: str = Field(default="", max_length=3000)
    # A rated or chosen question keeps the step key (or the choice) here and its reason in ``text``.
    choice: str | None = Field(default=None, max_length=200)
    updated_at: datetime | None = utc_column(index=True)
    # A sensitive answer stays out of the shared answers; the employee shares it on its own, and this says when.
    shared_at: datetime | None = utc_column()


class PrivateNote(SQLModel, table=True):
    """One person's own text for one meeting: their notes, or the manager's answers to their own preparation.

    Seen only by its author (003: each party keeps their own notes), never by the other party or an admin.
    """

    __table_args__ = (sa.UniqueConstraint("meeting_id", "person_id", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    key: str = Field(max_length=80)
    text: str = Field(default="", max_length=3000)
    choice: str | None = Field(default=None, max_length=200)
    updated_at: datetime | None = utc_column(index=True)


class Action(SQLModel, table=True):
    """Something agreed: what, who, by when; the row of 000's development plan."""

    # Open actions are read by employee or owner in due order (`/mal`, one page at a time) and by due date
    # alone (the tick's reminders and digests); each read is one range of one of these.
    __table_args__ = (
        sa.Index("ix_action_employee_status_due", "employee_id", "status", "due"),
        sa.Index("ix_action_owner_status_due", "owner_id", "status", "due"),
        sa.Index("ix_action_status_due", "status", "due"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32, index=True)
    employee_id: int = Field(foreign_key="person.id")
    owner_id: int = Field(foreign_key="person.id")
    meeting_id: int | None = Field(default=None, foreign_key="meeting.id", index=True)
    goal: str | None = Field(default=None, max_length=500)
    what: str = Field(max_length=3000)
    follow_up: str | None = Field(default=None, max_length=500)
    due: date = Field(index=True)
    status: str = Field(default="open", max_length=16)
    reminder_for_due: date | None = None
    created_by: int = Field(foreign_key="person.id")
    created_at: datetime | None = utc_column()
    closed_by: int | None = Field(default=None, foreign_key="person.id")
    closed_at: datetime | None = utc_column()


class ActionEvent(SQLModel, table=True):
    """Who changed an action, when, and how: the follow-up history."""

    id: int | None = Field(default=None, primary_key=True)
    action_id: int = Field(foreign_key="action.id", index=True)
    kind: str = Field(max_length=16)
    by_id: int = Field(foreign_key="person.id")
    at: datetime | None = utc_column(index=True)
    old_due: date | None = None
    new_due: date | None = None


class Evaluation(SQLModel, table=True):
    """One party's evaluation of one meeting, asked once."""

    __table_args__ = (sa.UniqueConstraint("meeting_id", "person_id"),)

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    person_id: int = Field(foreign_key="person.id")
    answers: str = Field(default="{}", max_length=10000)
    created_at: datetime | None = utc_column(index=True)


class Outbox(SQLModel, table=True):
    """A message to send, once: the unique key makes planning idempotent, the status makes sending so."""

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=200, unique=True)
    team_id: str = Field(max_length=32, index=True)
    recipient: str = Field(max_length=32)
    kind: str = Field(max_length=32)
    payload: str = Field(default="{}", max_length=100000)
    status: str = Field(default="pending", max_length=16)
    attempts: int = 0
    # Times in a row Slack could not be reached (no answer, 5xx): they set the backoff, never give up a row.
    unreachable: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    not_before: datetime | None = utc_column()
    claimed_by: str | None = Field(default=None, max_length=100)
    lease_until: datetime | None = utc_column()
    created_at: datetime | None = utc_column()
    sent_at: datetime | None = utc_column()
    slack_ts: str | None = Field(default=None, max_length=64)
    error: str | None = Field(default=None, max_length=500)


sa.Index("ix_outbox_due", Outbox.status, Outbox.not_before)  # type: ignore[arg-type]


class ProcessedEvent(SQLModel, table=True):
    """Slack retries events and users double-click: a key seen once is not acted on again."""

    key: str = Field(primary_key=True, max_length=200)
    at: datetime | None = utc_column()


class AuditLog(SQLModel, table=True):
    """Who read whose content, when: a manager's access to a report's answers and actions is accountable."""

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32, index=True)
    actor_id: int = Field(foreign_key="person.id", index=True)
    subject_id: int = Field(foreign_key="person.id", index=True)
    what: str = Field(max_length=64)
    at: datetime | None = utc_column(index=True)


# --- the annual conversation season -------------------------------------------------------------------------


class Season(SQLModel, table=True):
    """An admin's call for the annual conversation: one template, one deadline, who takes part.

    One row per team and deadline: opening the same season twice (a double click, a retry) finds the row
    that is already there instead of adding a second.
    """

    __table_args__ = (sa.UniqueConstraint("team_id", "deadline"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32, index=True)
    template: str = Field(max_length=64)
    opened_by: int = Field(foreign_key="person.id")
    opened_at: datetime | None = utc_column()
    deadline: date
    status: str = Field(default="open", max_length=16, index=True)
    participants: str = Field(default='{"all": true}', max_length=10000)
    closed_at: datetime | None = utc_column()


class SeasonPairing(SQLModel, table=True):
    """One pair taking part in a season, with the moment its manager is to be nudged."""

    __table_args__ = (sa.UniqueConstraint("season_id", "pairing_id"),)

    id: int | None = Field(default=None, primary_key=True)
    season_id: int = Field(foreign_key="season.id", index=True)
    pairing_id: int = Field(foreign_key="pairing.id", index=True)
    manager_id: int = Field(foreign_key="person.id", index=True)
    employee_id: int = Field(foreign_key="person.id", index=True)
    nudge_at: datetime | None = utc_column(index=True)
    nudged_at: datetime | None = utc_column()
    meeting_id: int | None = Field(default=None, foreign_key="meeting.id")


class TeamFocus(SQLModel, table=True):
    """What a manager shares with the whole team: focus areas, goals, challenges (000); for a season, or, with
    no season, the focus the manager keeps current the rest of the year."""

    __table_args__ = (sa.UniqueConstraint("season_id", "manager_id"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32, index=True)
    season_id: int | None = Field(default=None, foreign_key="season.id", index=True)
    manager_id: int = Field(foreign_key="person.id", index=True)
    focus_areas: str = Field(default="", max_length=3000)
    goals: str = Field(default="", max_length=3000)
    challenges: str = Field(default="", max_length=3000)
    shared_at: datetime | None = utc_column()
    updated_at: datetime | None = utc_column()


class ArchiveDocument(SQLModel, table=True):
    """The confirmed plan of one conversation as a PDF, kept until the personnel archive has confirmed it.

    002 files the agreed document in the personnel archive; 003 signs it. A document is made when both have
    confirmed, so what the archive gets is what the two confirmed. A plan changed after it was filed (an action
    agreed later, one reworded) is confirmed again by both and filed as the next ``version``, which names the
    one it replaces: the archive keeps every version the two signed. ``digest`` is the plan a version holds.
    """

    __table_args__ = (sa.UniqueConstraint("meeting_id", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32, index=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    version: int = Field(default=1, sa_column_kwargs={"server_default": "1"})
    digest: str | None = Field(default=None, max_length=16)
    employee_id: int = Field(foreign_key="person.id", index=True)
    filename: str = Field(max_length=200)
    language: str = Field(max_length=8)
    pdf: bytes | None = Field(default=None, sa_type=sa.LargeBinary())
    created_at: datetime | None = utc_column()
    # Set when the archive answered that it has the document (the folder written, the endpoint's 2xx).
    delivered_at: datetime | None = utc_column(index=True)
    reference: str | None = Field(default=None, max_length=500)


class CalendarFeed(SQLModel, table=True):
    """A person's secret address of their 1:1s as a calendar feed (``GET /calendar/<token>.ics``).

    The feed is found by the SHA-256 of the token presented, so the lookup compares digests, not the secret
    itself. The token is kept to show it again on the person's Home tab; a reset replaces both at once.
    """

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32, index=True)
    person_id: int = Field(foreign_key="person.id", unique=True)
    token: str = Field(max_length=100)
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime | None = utc_column()

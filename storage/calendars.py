"""Queries of the calendar: a person's meetings for their feed, and the feed's secret address."""

import hashlib
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import col, select

from storage.models import CalendarFeed, Meeting, Pairing
from storage.repo import Repo


def digest(token: str) -> str:
    """What the store keeps and looks up by: the SHA-256 of the token, so no lookup compares the secret."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def feed_of(repo: Repo, person_id: int) -> CalendarFeed | None:
    return repo.session.exec(select(CalendarFeed).where(CalendarFeed.person_id == person_id)).first()


def feed_by_token(repo: Repo, token: str) -> CalendarFeed | None:
    return repo.session.exec(select(CalendarFeed).where(CalendarFeed.token_hash == digest(token))).first()


def set_feed(repo: Repo, team_id: str, person_id: int, token: str, now: datetime) -> CalendarFeed:
    """Give a person a new secret address; the row is replaced in place, so the old address stops at once."""
    row = feed_of(repo, person_id)
    if row is None:
        repo._insert_ignore(
            CalendarFeed,
            {
                "team_id": team_id,
                "person_id": person_id,
                "token": token,
                "token_hash": digest(token),
                "created_at": now,
            },
            index=("person_id",),
        )
        found = feed_of(repo, person_id)
        assert found is not None
        return found  # two first clicks at once: whichever insert won is the person's address
    row.token, row.token_hash, row.created_at = token, digest(token), now
    return repo.add(row)  # type: ignore[no-any-return]


@dataclass(frozen=True)
class FeedRow:
    """What a feed shows of one meeting, and whose pair it belongs to: nothing more is read."""

    meeting_id: int
    template: str
    scheduled_at: datetime
    place: str | None
    sequence: int
    created_at: datetime | None
    team_id: str
    manager_id: int
    employee_id: int


def meetings_of_person(
    repo: Repo, person_id: int, since: datetime, statuses: tuple[str, ...], limit: int
) -> list[FeedRow]:
    """The person's meetings, as employee or manager, of pairs that last, from ``since`` on in time order.

    Two selects joined by UNION ALL, each a range of an index on the pairing's side, instead of one OR; only
    the columns a feed shows are read, not whole rows (a feed may hold a thousand meetings).
    """
    pairs = sa.union_all(
        sa.select(col(Pairing.id)).where(col(Pairing.employee_id) == person_id, col(Pairing.ended_at).is_(None)),
        sa.select(col(Pairing.id)).where(col(Pairing.manager_id) == person_id, col(Pairing.ended_at).is_(None)),
    ).subquery("pairs")
    rows = repo.session.execute(
        sa.select(
            col(Meeting.id),
            col(Meeting.template),
            col(Meeting.scheduled_at),
            col(Meeting.place),
            col(Meeting.calendar_sequence),
            col(Meeting.created_at),
            col(Pairing.team_id),
            col(Pairing.manager_id),
            col(Pairing.employee_id),
        )
        .join(Pairing, col(Pairing.id) == Meeting.pairing_id)
        .where(
            col(Meeting.pairing_id).in_(sa.select(pairs.c.id)),
            col(Meeting.status).in_(statuses),
            col(Meeting.scheduled_at) >= since,
        )
        .order_by(col(Meeting.scheduled_at), col(Meeting.id))
        .limit(limit)
    ).all()
    return [FeedRow(*r) for r in rows]

"""Queries of the annual season: seasons, the pairs taking part, and the managers' team focus."""

from collections.abc import Sequence
from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import col, select

from storage.models import Meeting, Person, Season, SeasonPairing, TeamFocus
from storage.repo import Repo


def open_season(repo: Repo, team_id: str) -> Season | None:
    return repo.session.exec(
        select(Season).where(Season.team_id == team_id, col(Season.status) == "open").order_by(col(Season.deadline))
    ).first()


def open_seasons_past(repo: Repo, today: date) -> list[Season]:
    """Open seasons whose deadline is behind ``today``: their overdue conversations are told of once."""
    return list(
        repo.session.exec(select(Season).where(col(Season.status) == "open", col(Season.deadline) < today)).all()
    )


def season(repo: Repo, season_id: int) -> Season | None:
    return repo.session.get(Season, season_id)


def ensure_season(repo: Repo, team_id: str, deadline: date, **values: object) -> tuple[Season, bool]:
    """The season of a team and deadline, inserted once however often it is asked for; True if new."""
    values = {"team_id": team_id, "deadline": deadline, **values}
    inserted = repo._insert_ignore(Season, values, index=("team_id", "deadline"))
    row = repo.session.exec(select(Season).where(Season.team_id == team_id, col(Season.deadline) == deadline)).first()
    assert row is not None
    return row, inserted


def add_member(repo: Repo, season_id: int, pairing_id: int, manager_id: int, employee_id: int, at: datetime) -> bool:
    return repo._insert_ignore(
        SeasonPairing,
        {
            "season_id": season_id,
            "pairing_id": pairing_id,
            "manager_id": manager_id,
            "employee_id": employee_id,
            "nudge_at": at,
        },
        index=("season_id", "pairing_id"),
    )


def members(repo: Repo, season_id: int) -> list[SeasonPairing]:
    return list(
        repo.session.exec(
            select(SeasonPairing).where(SeasonPairing.season_id == season_id).order_by(col(SeasonPairing.id))
        ).all()
    )


def members_of_manager(repo: Repo, season_id: int, manager_id: int) -> list[SeasonPairing]:
    return list(
        repo.session.exec(
            select(SeasonPairing).where(
                SeasonPairing.season_id == season_id, col(SeasonPairing.manager_id) == manager_id
            )
        ).all()
    )


def due_members(repo: Repo, now: datetime, limit: int) -> list[SeasonPairing]:
    """Pairs of open seasons whose nudge is due; locked so replicas share the work (as ``pairings_due``)."""
    return list(
        repo.session.exec(
            select(SeasonPairing)
            .join(Season, col(Season.id) == SeasonPairing.season_id)
            .where(
                col(Season.status) == "open",
                col(SeasonPairing.nudged_at).is_(None),
                col(SeasonPairing.nudge_at) <= now,
            )
            .order_by(col(SeasonPairing.nudge_at))
            .limit(limit)
            .with_for_update(skip_locked=True, of=SeasonPairing)
        ).all()
    )


def meetings(repo: Repo, ids: Sequence[int]) -> dict[int, Meeting]:
    if not ids:
        return {}
    rows = repo.session.exec(select(Meeting).where(col(Meeting.id).in_(set(ids)))).all()
    return {m.id: m for m in rows if m.id is not None}


def units(repo: Repo, team_id: str) -> list[str]:
    rows = repo.session.exec(
        select(Person.unit).where(Person.team_id == team_id, col(Person.unit).is_not(None)).distinct()
    ).all()
    return sorted(u for u in rows if u)


def focus(repo: Repo, season_id: int, manager_id: int) -> TeamFocus | None:
    return repo.session.exec(
        select(TeamFocus).where(TeamFocus.season_id == season_id, col(TeamFocus.manager_id) == manager_id)
    ).first()


def focus_by_id(repo: Repo, focus_id: int) -> TeamFocus | None:
    return repo.session.get(TeamFocus, focus_id)


def ensure_focus(repo: Repo, team_id: str, season_id: int, manager_id: int) -> TeamFocus:
    repo._insert_ignore(
        TeamFocus,
        {"team_id": team_id, "season_id": season_id, "manager_id": manager_id},
        index=("season_id", "manager_id"),
    )
    row = focus(repo, season_id, manager_id)
    assert row is not None
    return row


def standing_focus(repo: Repo, manager_id: int) -> TeamFocus | None:
    """The focus a manager keeps current outside any season (000: the team's preparation, any time)."""
    return repo.session.exec(
        select(TeamFocus)
        .where(col(TeamFocus.season_id).is_(None), col(TeamFocus.manager_id) == manager_id)
        .order_by(col(TeamFocus.id))
    ).first()


def ensure_standing_focus(repo: Repo, team_id: str, manager_id: int) -> TeamFocus:
    """A unique key cannot hold a NULL season, so the row is looked up first; one manager's two quick submits
    may race, and the first row then wins for every reader (``standing_focus`` reads the oldest)."""
    row = standing_focus(repo, manager_id)
    if row is None:
        row = TeamFocus(team_id=team_id, season_id=None, manager_id=manager_id)
        repo.add(row)
    return row


def in_open_season(repo: Repo, pairing_ids: Sequence[int]) -> set[int]:
    """Pairs whose annual conversation of an open season is still to be held: their regular nudges wait."""
    if not pairing_ids:
        return set()
    rows = repo.session.exec(
        select(SeasonPairing.pairing_id)
        .join(Season, col(Season.id) == SeasonPairing.season_id)
        .outerjoin(Meeting, col(Meeting.id) == SeasonPairing.meeting_id)
        .where(
            col(Season.status) == "open",
            col(SeasonPairing.pairing_id).in_(set(pairing_ids)),
            sa.or_(
                col(Meeting.id).is_(None),
                sa.and_(col(Meeting.held_at).is_(None), col(Meeting.status) != "skipped"),
            ),
        )
    ).all()
    return set(rows)

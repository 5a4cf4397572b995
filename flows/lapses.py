"""Missed 1:1s: a window that closes with no meeting held (nor skipped with a reason) is a lapse.

The manager is told once, when the window closes; the next nudge for the pair says so; the team overview
shows how long ago the pair last met and flags pairs that never have; admins see counts per unit only.
"""

from collections import Counter
from datetime import datetime, timedelta

from flows import cadence, slots
from flows.outbox import Planned, plan_for
from storage.models import Meeting
from storage.repo import Repo

BATCH = 200
ADMIN_PERIOD = timedelta(days=365)


def never_met(cadence: str, created_at: datetime | None, now: datetime) -> bool:
    """A pair (of this cadence, made then) that has had a whole window of its cadence without a 1:1."""
    if created_at is None:
        return False
    return slots.window_end(cadence, created_at, "UTC") <= now


def plan(repo: Repo, now: datetime, hours: cadence.WorkingHours) -> list[Planned]:
    """Mark the windows that closed with nothing held as missed, and plan one message to each manager.

    The key is the meeting's: however often the tick runs, a lapse is told once.
    """
    planned: list[Planned] = []
    for meeting in repo.lapsed_meetings(now, BATCH):
        meeting.status = "missed"
        repo.add(meeting)
        pairing = repo.pairing(meeting.pairing_id)
        if pairing is None or pairing.ended_at is not None or pairing.paused:
            continue
        manager = repo.person(pairing.manager_id)
        if manager is None or not manager.active:
            continue
        planned.append(plan_for(manager, f"lapse:{meeting.id}", "lapse", {"meeting_id": meeting.id}, now, hours))
    return planned


def missed_before(repo: Repo, meeting: Meeting) -> Meeting | None:
    """The pair's previous window when it lapsed, or is about to (never invited to, its window still open while
    the next nudge goes out ahead of it): the next nudge mentions it."""
    earlier = [
        m
        for m in repo.meetings_of_pairings([meeting.pairing_id])
        if m.id != meeting.id
        and m.window_start is not None
        and meeting.window_start is not None
        and m.window_start < meeting.window_start
    ]
    if not earlier:
        return None
    last = max(earlier, key=lambda m: (m.window_start, m.id or 0))
    return last if last.status in ("missed", "planned") else None


def missed_per_unit(repo: Repo, team_id: str, now: datetime) -> dict[str, int]:
    """Missed 1:1s of the last year per unit: numbers for admins, never names or content."""
    return dict(Counter(repo.missed_units(team_id, now - ADMIN_PERIOD)))

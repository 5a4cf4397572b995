"""Claiming outbox rows so that each message is sent by exactly one worker.

A claim sets a lease; a worker that dies after claiming leaves a row whose lease runs out and is
claimed again. A message is therefore sent twice only when a worker dies between Slack's answer and
``mark_sent`` — the window the reliability tests measure.
"""

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from storage.models import Outbox

LEASE = timedelta(minutes=5)


def _claimable(now: datetime) -> sa.ColumnElement[bool]:
    return sa.and_(
        col(Outbox.not_before) <= now,
        sa.or_(
            col(Outbox.status) == "pending",
            sa.and_(col(Outbox.status) == "claimed", col(Outbox.lease_until) < now),
        ),
    )


def claim(
    engine: Engine, now: datetime, worker: str, limit: int = 50, lease: timedelta = LEASE
) -> tuple[list[Outbox], int]:
    """Claim due rows; also says how many were taken over from a worker whose lease ran out."""
    values = {
        "status": "claimed",
        "claimed_by": worker,
        "lease_until": now + lease,
        "attempts": col(Outbox.attempts) + 1,
    }
    with Session(engine, expire_on_commit=False) as session:
        if engine.dialect.name == "postgresql":
            chosen = (
                select(col(Outbox.id).label("id"), col(Outbox.status).label("was"))
                .where(_claimable(now))
                .order_by(col(Outbox.not_before), col(Outbox.id))
                .limit(limit)
                .with_for_update(skip_locked=True)
                .cte("chosen")
            )
            rows = session.execute(
                sa.update(Outbox)
                .where(col(Outbox.id) == chosen.c.id)
                .values(**values)
                .returning(col(Outbox.id), chosen.c.was)
            ).all()
            claimed = [r[0] for r in rows]
            takeovers = sum(r[1] == "claimed" for r in rows)
        else:
            candidates = session.execute(
                sa.select(col(Outbox.id), col(Outbox.status))
                .where(_claimable(now))
                .order_by(col(Outbox.not_before), col(Outbox.id))
                .limit(limit)
            ).all()
            claimed, takeovers = [], 0
            for oid, was in candidates:
                got = session.execute(
                    sa.update(Outbox)
                    .where(col(Outbox.id) == oid, _claimable(now))
                    .values(**values)
                    .returning(col(Outbox.id))
                ).first()
                if got is not None:
                    claimed.append(got[0])
                    takeovers += was == "claimed"
        session.commit()
        if not claimed:
            return [], 0
        found = session.exec(select(Outbox).where(col(Outbox.id).in_(claimed)).order_by(col(Outbox.id))).all()
        return list(found), takeovers


def _finish(engine: Engine, row_id: int, worker: str, **values: object) -> bool:
    """Update a row this worker still holds; False when the lease was lost to another worker."""
    with Session(engine) as session:
        got = session.execute(
            sa.update(Outbox)
            .where(col(Outbox.id) == row_id, col(Outbox.status) == "claimed", col(Outbox.claimed_by) == worker)
            .values(**values)
            .returning(col(Outbox.id))
        ).first()
        session.commit()
        return got is not None


def renew(engine: Engine, row_ids: list[int], worker: str, lease_until: datetime) -> set[int]:
    """Extend the lease on the rows this worker still holds, before it runs out in the middle of a batch.

    A row whose lease already went to another worker is not returned: sending it too would be a duplicate.
    """
    if not row_ids:
        return set()
    with Session(engine) as session:
        rows = session.execute(
            sa.update(Outbox)
            .where(col(Outbox.id).in_(row_ids), col(Outbox.status) == "claimed", col(Outbox.claimed_by) == worker)
            .values(lease_until=lease_until)
            .returning(col(Outbox.id))
        ).all()
        session.commit()
        return {r[0] for r in rows}


def mark_sent(engine: Engine, row_id: int, worker: str, now: datetime, ts: str | None) -> bool:
    return _finish(engine, row_id, worker, status="sent", sent_at=now, slack_ts=ts, lease_until=None, unreachable=0)


def mark_retry(engine: Engine, row_id: int, worker: str, not_before: datetime, error: str) -> bool:
    return _finish(
        engine,
        row_id,
        worker,
        status="pending",
        not_before=not_before,
        error=error[:500],
        claimed_by=None,
        lease_until=None,
    )


def mark_deferred(
    engine: Engine, row_id: int, worker: str, not_before: datetime, reason: str, *, unreachable: bool = False
) -> bool:
    """Back to the queue without using up an attempt: a rate limit, working hours or Slack being down mean
    "later", not "failed".

    The claim counted an attempt; it is given back, so a message Slack keeps slowing down, or an outage of
    any length, is never given up on for that alone. ``unreachable`` counts Slack's failures in a row, for
    the pause before the next try.
    """
    extra = {"unreachable": col(Outbox.unreachable) + 1} if unreachable else {}
    return _finish(
        engine,
        row_id,
        worker,
        status="pending",
        not_before=not_before,
        error=reason[:500],
        claimed_by=None,
        lease_until=None,
        attempts=sa.case((col(Outbox.attempts) > 0, col(Outbox.attempts) - 1), else_=0),
        **extra,
    )


def soonest_pending(engine: Engine, reason: str | None = None) -> datetime | None:
    """When the earliest waiting message may go: the moment the next tick has work again. With ``reason``,
    only messages last put off for it (e.g. "ratelimited": held back to pace a person's DM)."""
    query = sa.select(sa.func.min(col(Outbox.not_before))).where(col(Outbox.status) == "pending")
    if reason is not None:
        query = query.where(col(Outbox.error) == reason)
    with Session(engine) as session:
        value = session.execute(query).scalar()
    if value is None:
        return None
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def mark_final(engine: Engine, row_id: int, worker: str, status: str, error: str) -> bool:
    """'dead' (cannot be delivered) or 'cancelled' (no longer relevant)."""
    return _finish(engine, row_id, worker, status=status, error=error[:500], lease_until=None)


def stop_workspace(engine: Engine, team_id: str, reason: str) -> list[tuple[str, str]]:
    """Nothing more goes to a workspace whose token was revoked or that uninstalled the app: the (key, kind)
    of every message that will now never be sent."""
    with Session(engine) as session:
        rows = session.execute(
            sa.update(Outbox)
            .where(col(Outbox.team_id) == team_id, col(Outbox.status).in_(("pending", "claimed")))
            .values(status="dead", error=reason)
            .returning(col(Outbox.key), col(Outbox.kind))
        ).all()
        session.commit()
        return [(r[0], r[1]) for r in rows]


def counts(engine: Engine) -> dict[str, int]:
    with Session(engine) as session:
        rows = session.execute(sa.select(col(Outbox.status), sa.func.count()).group_by(Outbox.status)).all()
        return {r[0]: int(r[1]) for r in rows}

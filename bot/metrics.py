"""What an operator scrapes at ``GET /metrics``: mal's own figures in Prometheus' text format.

Counters and histograms live in one registry of mal's for the life of the process (the official
``prometheus-client``); the outbox's depth and the age of its oldest due message are read from the store at
scrape time, so every replica reports the same queue and a scrape costs one grouped query.
"""

import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from slack_bolt import BoltRequest, BoltResponse
from slack_sdk.http_retry.handler import RetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from sqlalchemy.engine import Engine
from sqlmodel import col

from flows.clock import Clock
from storage.models import Outbox

# Slack waits 3 s for an acknowledgement; past 2.5 s a slow database or host is about to cost answers.
SLOW_ACK_SECONDS = 2.5
CONTENT_TYPE = CONTENT_TYPE_LATEST

REGISTRY = CollectorRegistry()
ProcessCollector(registry=REGISTRY)
PlatformCollector(registry=REGISTRY)

REQUEST_SECONDS = Histogram(
    "mal_request_seconds",
    "Time from Slack's request to mal's acknowledgement, per listener.",
    ["listener"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 3.0, 5.0, 10.0),
    registry=REGISTRY,
)
SLOW_ACKS = Counter(
    "mal_acks_slow_total", "Acknowledgements later than 2.5 s (Slack gives up at 3 s).", ["listener"], registry=REGISTRY
)
MESSAGES = Counter(
    "mal_messages_total",
    "Outbox messages by what became of them: sent, deferred, failed (an error in mal, retried) or dropped.",
    ["kind", "outcome", "reason"],
    registry=REGISTRY,
)
RATE_LIMITED = Counter(
    "mal_slack_ratelimited_total", "429 answers from Slack, per method.", ["method"], registry=REGISTRY
)
TICK_SECONDS = Histogram(
    "mal_tick_seconds",
    "Duration of one scheduler tick (plan and drain).",
    buckets=(0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 300.0),
    registry=REGISTRY,
)
LEASE_TAKEOVERS = Counter(
    "mal_outbox_lease_takeovers_total",
    "Outbox messages claimed after another worker's lease ran out (a worker died or stalled).",
    registry=REGISTRY,
)
PLAN_FAILED = Counter(
    "mal_plan_failed_total", "Items the planner skipped after an error, per kind.", ["kind"], registry=REGISTRY
)


def message(kind: str, outcome: str, reason: str = "", n: int = 1) -> None:
    if n:
        MESSAGES.labels(kind=kind, outcome=outcome, reason=reason).inc(n)


def listener_label(body: dict[str, Any]) -> str:
    """Which listener a request is for, from the parts of Slack's payload that name it (bounded by the app)."""
    if body.get("command"):
        return f"command:{body['command']}"
    kind = str(body.get("type") or "unknown")
    if kind == "event_callback":
        return f"event:{(body.get('event') or {}).get('type', 'unknown')}"
    if kind in ("block_actions", "block_suggestion"):
        first = (body.get("actions") or [{}])[0] if kind == "block_actions" else body
        return f"action:{first.get('action_id', 'unknown')}"
    if kind in ("view_submission", "view_closed"):
        return f"view:{(body.get('view') or {}).get('callback_id', 'unknown')}"
    if kind in ("shortcut", "message_action"):
        return f"shortcut:{body.get('callback_id', 'unknown')}"
    return kind


def timed_requests(req: BoltRequest, resp: BoltResponse, next: Callable[[], BoltResponse]) -> BoltResponse:
    """A Bolt middleware: the time until the listener acknowledged (Bolt's ``next`` returns then)."""
    started = time.perf_counter()
    try:
        return next()
    finally:
        elapsed = time.perf_counter() - started
        label = listener_label(req.body)
        REQUEST_SECONDS.labels(listener=label).observe(elapsed)
        if elapsed > SLOW_ACK_SECONDS:
            SLOW_ACKS.labels(listener=label).inc()


class CountRateLimits(RetryHandler):
    """Counts Slack's 429s per method; it never retries itself, the handlers after it decide that."""

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if response is not None and response.status_code == 429:
            RATE_LIMITED.labels(method=request.url.rstrip("/").rsplit("/", 1)[-1].split("?")[0]).inc()
        return False


class OutboxCollector(Collector):
    """Depth of the outbox and the age of its oldest due message, per kind, read when scraped."""

    def __init__(self, engine: Engine, clock: Clock) -> None:
        self.engine = engine
        self.clock = clock

    def collect(self) -> Iterable[Metric]:
        now = self.clock.now()
        pending = GaugeMetricFamily("mal_outbox_pending", "Messages waiting in the outbox, per kind.", labels=["kind"])
        due = GaugeMetricFamily("mal_outbox_due", "Waiting messages whose time has come, per kind.", labels=["kind"])
        oldest = GaugeMetricFamily(
            "mal_outbox_oldest_due_age_seconds",
            "How long the oldest due message has waited, per kind (alert when it passes 15 minutes).",
            labels=["kind"],
        )
        when = col(Outbox.not_before)
        query = (
            sa.select(
                col(Outbox.kind),
                sa.func.count(),
                sa.func.sum(sa.case((when <= now, 1), else_=0)),
                sa.func.min(sa.case((when <= now, when), else_=None)),
            )
            .where(col(Outbox.status).in_(("pending", "claimed")))
            .group_by(col(Outbox.kind))
        )
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        for kind, count, due_count, first in rows:
            pending.add_metric([kind], float(count))
            due.add_metric([kind], float(due_count or 0))
            if first is not None:
                moment = first if isinstance(first, datetime) else datetime.fromisoformat(str(first))
                moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
                oldest.add_metric([kind], max(0.0, (now - moment).total_seconds()))
        yield from (pending, due, oldest)


def exposition(engine: Engine, clock: Clock) -> bytes:
    """The text a scrape gets: the process's counters, then the outbox as it is now."""
    outbox = CollectorRegistry()
    outbox.register(OutboxCollector(engine, clock))
    return generate_latest(REGISTRY) + generate_latest(outbox)

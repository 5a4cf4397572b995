"""Slack's published rate limits, kept on mal's side so the bulk sender does not cause 429s at all.

Limits are per workspace and per method (Tier 2 ≈ 20/min, Tier 3 ≈ 50/min, Tier 4 ≈ 100/min), and
chat.postMessage has its own: about one per second per channel plus a workspace-wide cap. The windows
are pyrate-limiter's in-memory sliding-window buckets; each attempt is stamped with the injected clock
(a ``RateItem`` carries its own timestamp), so tests move time instead of sleeping and the limiter
never blocks: it answers how long to wait, and the caller defers the message like a 429 would.
"""

from dataclasses import dataclass
from threading import Lock

from pyrate_limiter import Decision, Duration, InMemoryBucket, Rate, RateItem

from flows.clock import Clock

TIER_PER_MINUTE = {2: 20, 3: 50, 4: 100}
METHOD_TIER = {
    "users.list": 2,
    "conversations.open": 3,
    "chat.update": 3,
    "chat.delete": 3,
    "chat.scheduleMessage": 3,
    "users.info": 4,
    "users.lookupByEmail": 4,
    "views.open": 4,
    "views.push": 4,
    "views.update": 4,
    "views.publish": 4,
    "chat.postEphemeral": 4,
    "files.getUploadURLExternal": 4,
    "files.completeUploadExternal": 4,
}
POST_MESSAGE = "chat.postMessage"
# A call is stamped here before it leaves and counted by Slack when it arrives; once a minute's budget is spent,
# every next call goes exactly as the window frees a slot, so the way there (longer for the first call of a
# window than for the last) would earn a 429 at every edge. Counting each minute half a second longer costs
# under 1% of the rate and keeps the edge on Slack's side.
WINDOW_MARGIN_MS = 500


@dataclass(frozen=True)
class Verdict:
    """``wait`` is 0 when the call may go now (and has been counted), else the seconds until it may."""

    wait: float = 0.0
    scope: str = ""  # "channel" or "workspace" when the call has to wait

    @property
    def allowed(self) -> bool:
        return self.wait <= 0


class RateLimiter:
    """Per workspace, per method budgets; thread-safe, shared by every sender in the process.

    A chat.postMessage must be admitted by its channel and by the workspace; the channel is asked first
    without counting, so a message the workspace holds back does not spend the channel's second.
    """

    def __init__(
        self,
        clock: Clock,
        *,
        post_per_channel_seconds: float = 1.0,
        post_workspace_per_minute: int = 600,
        tier_per_minute: dict[int, int] | None = None,
    ) -> None:
        self.clock = clock
        # A sliding window counts its start inclusively; one millisecond less lets the next message go
        # exactly one interval after the previous one.
        self.channel_rate = Rate(1, max(1, int(post_per_channel_seconds * Duration.SECOND) - 1))
        self.workspace_post_rate = Rate(post_workspace_per_minute, Duration.MINUTE + WINDOW_MARGIN_MS)
        self.tier_rates = {
            t: Rate(n, Duration.MINUTE + WINDOW_MARGIN_MS) for t, n in (tier_per_minute or TIER_PER_MINUTE).items()
        }
        self._buckets: dict[tuple[str, ...], InMemoryBucket] = {}
        self._lock = Lock()
        self._puts = 0

    def _now_ms(self) -> int:
        return int(self.clock.now().timestamp() * 1000)

    def _bucket(self, key: tuple[str, ...], rate: Rate) -> InMemoryBucket:
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = InMemoryBucket([rate])
        return bucket

    def _take(self, key: tuple[str, ...], rate: Rate, now_ms: int) -> float:
        decision = self._bucket(key, rate).put_decision(RateItem("/".join(key), now_ms))
        assert isinstance(decision, Decision)  # the in-memory bucket answers synchronously
        if decision.allowed:
            return 0.0
        return max(0.001, (decision.retry_after_ms or rate.interval) / 1000.0)

    def acquire(self, team_id: str, method: str, channel: str = "") -> Verdict:
        """Count one call if the budget allows it now; otherwise say how long to wait (nothing is counted)."""
        now_ms = self._now_ms()
        with self._lock:
            self._forget_old(now_ms)
            if method == POST_MESSAGE:
                channel_key = (team_id, method, channel)
                wait = self._channel_wait(channel_key, now_ms)
                if wait:
                    return Verdict(wait, "channel")
                wait = self._take((team_id, method), self.workspace_post_rate, now_ms)
                if wait:
                    return Verdict(wait, "workspace")
                self._take(channel_key, self.channel_rate, now_ms)
                return Verdict()
            tier = METHOD_TIER.get(method)
            if tier is None:
                return Verdict()
            wait = self._take((team_id, method), self.tier_rates[tier], now_ms)
            return Verdict(wait, "workspace") if wait else Verdict()

    def _channel_wait(self, key: tuple[str, ...], now_ms: int) -> float:
        """Seconds until the channel admits a message, without counting one: the slot is taken only once the
        workspace has admitted the message too, so a wait for the workspace never costs the channel a second."""
        bucket = self._buckets.get(key)
        last = bucket.peek(0) if bucket is not None else None
        if not isinstance(last, RateItem):
            return 0.0
        free_at = last.timestamp + self.channel_rate.interval + 1  # the window counts its start inclusively
        return max(0.0, (free_at - now_ms) / 1000.0)

    def _forget_old(self, now_ms: int) -> None:
        """Drop stamps that left every window (one bucket per channel would otherwise grow for ever)."""
        self._puts += 1
        if self._puts % 500:
            return
        for key in list(self._buckets):
            bucket = self._buckets[key]
            bucket.leak(now_ms)
            if not bucket.items:
                del self._buckets[key]

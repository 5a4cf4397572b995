"""The one way mal sends scheduled messages to Slack, and what Slack's answers mean for mal.

The bulk sender must not sleep on a 429 (slack-sdk's RateLimitErrorRetryHandler would block the whole
drain), so the gateway turns Slack's answers into outcomes: retry after N seconds, give up on this
recipient, or stop the whole workspace. It also keeps Slack's limits itself (``bot.ratelimit``): when a
budget is spent it answers "retry after N seconds" without calling Slack, exactly as a 429 would.

Each workspace has its own bot token: one given in the environment (a single workspace), or the one
its installation stored (several workspaces over OAuth).
"""

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler
from slack_sdk.oauth.installation_store import InstallationStore

from bot import metrics
from bot.ratelimit import POST_MESSAGE, RateLimiter, Verdict

# The longest wait for a workspace budget the sender sits out in place, in the clock's seconds (see _admit).
PACE_IN_PLACE = 1.0
REPLACE_METHODS = ("conversations.open", "chat.update")
UPLOAD_METHODS = ("conversations.open", "files.getUploadURLExternal", "files.completeUploadExternal")

if TYPE_CHECKING:
    from bot.services import Services

RECIPIENT_GONE = frozenset(
    {
        "user_not_found",
        "user_disabled",
        "user_not_visible",
        "cannot_dm_bot",
        "is_archived",
        "channel_not_found",
        "not_in_channel",
    }
)
WORKSPACE_GONE = frozenset(
    {"token_revoked", "invalid_auth", "account_inactive", "not_authed", "team_access_not_granted", "app_uninstalled"}
)


@dataclass(frozen=True)
class SendResult:
    """``outcome``: sent, retry, recipient_gone, workspace_gone or failed (a message Slack will never take).

    ``scope`` says what a retry holds up: one channel or the whole workspace (a rate limit), or every
    message (``slack``: Slack could not be reached at all).
    """

    outcome: str
    ts: str | None = None
    retry_after: float = 0.0
    error: str = ""
    scope: str = "workspace"


class TokenSource(Protocol):
    def token_for(self, team_id: str) -> str | None: ...

    def forget(self, team_id: str) -> None: ...


class StaticToken:
    """The one workspace of ``SLACK_BOT_TOKEN``: the same token whatever the team."""

    def __init__(self, token: str) -> None:
        self.token = token

    def token_for(self, team_id: str) -> str | None:
        return self.token or None

    def forget(self, team_id: str) -> None:
        return None


class InstalledTokens:
    """Bot tokens from the OAuth installation store, cached briefly: a tick sends many rows per team.

    A team with no installation (never installed, or uninstalled) has no token, so nothing is sent; that
    answer is never cached, so a workspace that installs again is sent to at once.
    """

    def __init__(
        self, store: InstallationStore, ttl_seconds: float = 60.0, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self.store = store
        self.ttl = ttl_seconds
        self.monotonic = monotonic
        self._cache: dict[str, tuple[float, str | None]] = {}
        self._lock = threading.Lock()

    def token_for(self, team_id: str) -> str | None:
        now = self.monotonic()
        with self._lock:
            hit = self._cache.get(team_id)
        if hit is not None and now - hit[0] < self.ttl:
            return hit[1]
        bot = self.store.find_bot(enterprise_id=None, team_id=team_id)
        token = bot.bot_token if bot is not None else None
        with self._lock:
            if token is None:
                self._cache.pop(team_id, None)
            else:
                self._cache[team_id] = (now, token)
        return token

    def forget(self, team_id: str) -> None:
        with self._lock:
            self._cache.pop(team_id, None)


def bulk_client(token: str | None, base_url: str) -> WebClient:
    return WebClient(
        token=token,
        base_url=base_url,
        timeout=10,
        retry_handlers=[metrics.CountRateLimits(), ConnectionErrorRetryHandler(max_retry_count=1)],
    )


class SlackGateway:
    def __init__(
        self,
        client: WebClient,
        tokens: TokenSource | None = None,
        limiter: RateLimiter | None = None,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        self.client = client
        self.tokens: TokenSource = tokens or StaticToken(client.token or "")
        self.limiter = limiter
        self.sleep: Callable[[float], None] | None = sleep

    def _admit(self, team_id: str, method: str, channel: str = "") -> Verdict:
        """Ask the limiter; a workspace budget that frees a slot within ``PACE_IN_PLACE`` is waited for here.

        Once a minute's budget is spent, slots come back one by one at the pace the window was spent at.
        Deferring the message (and the rest of the batch) for each of those few-millisecond waits would cost
        a store write per row and a new claim per slot; waiting in place sends as each slot frees. A busy
        channel is never waited for here: the drain goes on with other people's messages meanwhile.
        """
        assert self.limiter is not None
        verdict = self.limiter.acquire(team_id, method, channel)
        while not verdict.allowed and verdict.scope == "workspace" and verdict.wait <= PACE_IN_PLACE and self.sleep:
            self.sleep(verdict.wait)
            verdict = self.limiter.acquire(team_id, method, channel)
        return verdict

    def post(self, channel: str, text: str, blocks: list[dict[str, Any]], team_id: str = "") -> SendResult:
        token = self.tokens.token_for(team_id)
        if token is None:
            return SendResult("workspace_gone", error="not_installed")
        if self.limiter is not None:
            verdict = self._admit(team_id, POST_MESSAGE, channel)
            if not verdict.allowed:
                return SendResult("retry", retry_after=verdict.wait, error="ratelimited", scope=verdict.scope)
        result = self._post(token, channel, text, blocks)
        if result.outcome == "workspace_gone":
            # A cached token may be from before a re-install: ask the store once more before giving up.
            self.tokens.forget(team_id)
            fresh = self.tokens.token_for(team_id)
            if fresh is not None and fresh != token:
                result = self._post(fresh, channel, text, blocks)
        return result

    def upload(
        self, user: str, filename: str, content: bytes, title: str, comment: str, team_id: str = ""
    ) -> SendResult:
        """A file shared in the person's DM, the way Slack wants files uploaded now: ``files_upload_v2`` asks
        for an upload URL, sends the bytes there and completes the upload into the DM channel."""
        token = self.tokens.token_for(team_id)
        if token is None:
            return SendResult("workspace_gone", error="not_installed")
        if self.limiter is not None:
            for method in UPLOAD_METHODS:
                verdict = self._admit(team_id, method)
                if not verdict.allowed:
                    return SendResult("retry", retry_after=verdict.wait, error="ratelimited", scope=verdict.scope)
        try:
            channel = self.client.conversations_open(token=token, users=user)["channel"]["id"]
            done = self.client.files_upload_v2(
                token=token,
                channel=channel,
                filename=filename,
                content=content,
                title=title[:250],
                initial_comment=comment[:3900],
            )
        except SlackApiError as exc:
            return self._classify(exc)
        except SlackRequestError as exc:  # the upload URL refused the bytes: Slack's side, try again later
            return SendResult("retry", retry_after=10.0, error=str(exc)[:200])
        except (OSError, TimeoutError) as exc:
            return SendResult("retry", retry_after=5.0, error=type(exc).__name__, scope="slack")
        return SendResult("sent", ts=_share_ts(done.get("files") or [], channel))

    def replace(self, user: str, ts: str, text: str, blocks: list[dict[str, Any]], team_id: str = "") -> SendResult:
        """Change a message mal posted in a person's DM earlier (``chat.update`` needs the DM's channel id,
        which ``conversations.open`` gives for the person). Both are Tier 3 methods: a Monday that replaces many
        people's earlier overviews keeps to their budget instead of earning 429s."""
        token = self.tokens.token_for(team_id)
        if token is None:
            return SendResult("workspace_gone", error="not_installed")
        if self.limiter is not None:
            for method in REPLACE_METHODS:
                verdict = self._admit(team_id, method)
                if not verdict.allowed:
                    return SendResult("retry", retry_after=verdict.wait, error="ratelimited", scope=verdict.scope)
        try:
            channel = self.client.conversations_open(token=token, users=user)["channel"]["id"]
            self.client.chat_update(token=token, channel=channel, ts=ts, text=text[:3900], blocks=blocks)
        except SlackApiError as exc:
            return self._classify(exc)
        except (OSError, TimeoutError) as exc:
            return SendResult("retry", retry_after=5.0, error=type(exc).__name__, scope="slack")
        return SendResult("sent", ts=ts)

    def _post(self, token: str, channel: str, text: str, blocks: list[dict[str, Any]]) -> SendResult:
        try:
            resp = self.client.chat_postMessage(
                token=token, channel=channel, text=text[:3900], blocks=blocks, unfurl_links=False
            )
        except SlackApiError as exc:
            return self._classify(exc)
        except (OSError, TimeoutError) as exc:
            return SendResult("retry", retry_after=5.0, error=type(exc).__name__, scope="slack")
        return SendResult("sent", ts=str(resp.get("ts") or ""))

    @staticmethod
    def _classify(exc: SlackApiError) -> SendResult:
        status = exc.response.status_code
        error = str(exc.response.get("error", "")) if exc.response.data else ""
        if status == 429 or error == "ratelimited":
            retry = float(exc.response.headers.get("Retry-After", exc.response.headers.get("retry-after", 1)) or 1)
            return SendResult("retry", retry_after=retry, error="ratelimited")
        if status >= 500:
            return SendResult("retry", retry_after=10.0, error=f"http_{status}")
        if error in RECIPIENT_GONE:
            return SendResult("recipient_gone", error=error)
        if error in WORKSPACE_GONE:
            return SendResult("workspace_gone", error=error)
        if error in ("fatal_error", "internal_error", "service_unavailable", "request_timeout"):
            return SendResult("retry", retry_after=10.0, error=error)
        return SendResult("failed", error=error or f"http_{status}")


def build_gateway(svc: "Services") -> SlackGateway:
    """The production sender: per-workspace tokens (fixed, or from the installations) and Slack's limits."""
    s = svc.settings
    limiter = RateLimiter(
        svc.clock,
        post_per_channel_seconds=s.mal_post_per_channel_seconds,
        post_workspace_per_minute=s.mal_post_per_workspace_minute,
    )
    if s.oauth_mode:
        from bot.oauth import installation_store

        tokens = InstalledTokens(installation_store(svc))
        return SlackGateway(bulk_client(None, s.slack_api_url), tokens, limiter, svc.clock.sleep)
    return SlackGateway(bulk_client(s.bot_token, s.slack_api_url), limiter=limiter, sleep=svc.clock.sleep)


def _share_ts(files: list[dict[str, Any]], channel: str) -> str | None:
    """The ts of the message that shared the file in ``channel``, when Slack already lists the share (it
    fills ``shares`` as the upload is processed, so it may still be missing)."""
    for f in files:
        for kind in ("private", "public"):
            found = ((f.get("shares") or {}).get(kind) or {}).get(channel) or []
            if found and found[0].get("ts"):
                return str(found[0]["ts"])
    return None

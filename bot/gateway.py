"""The one way mal sends scheduled messages to Slack, and what Slack's answers mean for mal.

The bulk sender must not sleep on a 429 (slack-sdk's RateLimitErrorRetryHandler would block the whole
drain), so the gateway turns Slack's answers into outcomes: retry after N seconds, give up on this
recipient, or stop the whole workspace.
"""

from dataclasses import dataclass
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler

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
    """``outcome``: sent, retry, recipient_gone, workspace_gone or failed (a message Slack will never take)."""

    outcome: str
    ts: str | None = None
    retry_after: float = 0.0
    error: str = ""


def bulk_client(token: str, base_url: str) -> WebClient:
    return WebClient(
        token=token, base_url=base_url, timeout=10, retry_handlers=[ConnectionErrorRetryHandler(max_retry_count=1)]
    )


class SlackGateway:
    def __init__(self, client: WebClient) -> None:
        self.client = client

    def post(self, channel: str, text: str, blocks: list[dict[str, Any]]) -> SendResult:
        try:
            resp = self.client.chat_postMessage(channel=channel, text=text[:3900], blocks=blocks, unfurl_links=False)
        except SlackApiError as exc:
            return self._classify(exc)
        except (OSError, TimeoutError) as exc:
            return SendResult("retry", retry_after=5.0, error=type(exc).__name__)
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

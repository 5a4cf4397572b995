"""Builds the Bolt app from settings: one client, the services in every listener's context, all listeners."""

from collections.abc import Callable

from slack_bolt import App, BoltContext
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

from bot.listeners import actions, checkin, commands, events, home
from bot.listeners.common import refuse_bad_submissions
from bot.services import Services

LISTENER_MODULES = (commands, actions, checkin, home, events)


def listener_client(token: str, base_url: str) -> WebClient:
    """Listeners answer one person at a time, so sleeping through a short 429 is acceptable here."""
    return WebClient(
        token=token,
        base_url=base_url,
        timeout=10,
        retry_handlers=[
            ConnectionErrorRetryHandler(max_retry_count=1),
            RateLimitErrorRetryHandler(max_retry_count=2),
            ServerErrorRetryHandler(max_retry_count=2),
        ],
    )


def create_app(svc: Services, *, socket_mode: bool = False) -> App:
    s = svc.settings
    app = App(
        client=listener_client(s.bot_token, s.slack_api_url),
        signing_secret=None if socket_mode else s.signing_secret,
        request_verification_enabled=not socket_mode,
        process_before_response=False,
    )

    @app.middleware
    def provide_services(context: BoltContext, next: Callable[[], None]) -> None:
        context["mal"] = svc
        next()

    app.middleware(refuse_bad_submissions)
    for module in LISTENER_MODULES:
        module.register(app)
    return app

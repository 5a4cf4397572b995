"""Builds the Bolt app from settings: one client, the services in every listener's context, all listeners."""

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from slack_bolt import App, BoltContext
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

from bot.listeners import actions, checkin, commands, events, home
from bot.services import Services

LISTENER_MODULES = (commands, actions, checkin, home, events)
# Bolt runs listeners on its own pool of 5 threads by default. A listener that waits on Slack (respond,
# views.publish) holds its thread meanwhile, so with 5 a handful of such clicks made every `/mal` behind
# them queue past Slack's 3 s; the HTTP server hands over up to 40 requests at a time, so match that.
LISTENER_THREADS = 40


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
        listener_executor=ThreadPoolExecutor(max_workers=LISTENER_THREADS, thread_name_prefix="mal-listener"),
    )

    @app.middleware
    def provide_services(context: BoltContext, next: Callable[[], None]) -> None:
        context["mal"] = svc
        next()

    for module in LISTENER_MODULES:
        module.register(app)
    return app

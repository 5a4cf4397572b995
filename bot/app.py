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

from bot import metrics
from bot.afterwards import on_listener_error
from bot.listeners import actions, calendar, checkin, commands, events, home, plan, season
from bot.listeners.common import refuse_bad_submissions, strip_control_characters
from bot.services import Services

# Bolt tries each request against the listeners in the order they were registered, so what people do most
# (`/mal`, Done, opening Home) comes first; no two listeners answer the same request, so order changes nothing else.
LISTENER_MODULES = (commands, actions, home, checkin, events, season, calendar, plan)
# Bolt runs listeners on its own pool of 5 threads by default. A listener that waits on Slack (respond,
# views.publish) holds its thread meanwhile, so with 5 a handful of such clicks made every `/mal` behind
# them queue past Slack's 3 s; the HTTP server hands over up to 40 requests at a time, so match that.
LISTENER_THREADS = 40


def listener_client(token: str | None, base_url: str) -> WebClient:
    """Listeners answer one person at a time, so sleeping through a short 429 is acceptable here."""
    return WebClient(
        token=token,
        base_url=base_url,
        timeout=10,
        retry_handlers=[
            metrics.CountRateLimits(),
            ConnectionErrorRetryHandler(max_retry_count=1),
            RateLimitErrorRetryHandler(max_retry_count=2),
            ServerErrorRetryHandler(max_retry_count=2),
        ],
    )


def create_app(svc: Services, *, socket_mode: bool = False) -> App:
    """One workspace with ``SLACK_BOT_TOKEN``; with a client id and secret instead, any workspace that
    installs the app over OAuth, each request answered with that workspace's own token."""
    s = svc.settings
    svc.socket_mode = socket_mode
    oauth = None
    if s.oauth_mode and not socket_mode:
        from bot.oauth import install_flow, installation_store

        oauth = install_flow(svc, installation_store(svc))
    app = App(
        client=listener_client(None if oauth else s.bot_token, s.slack_api_url),
        signing_secret=None if socket_mode else s.signing_secret,
        request_verification_enabled=not socket_mode,
        process_before_response=False,
        oauth_flow=oauth,
        # Bolt's own English text otherwise; the workspace is unknown, so the organisation's language is used.
        user_facing_authorize_error_message=svc.t(None)._(
            "mal is not installed in this workspace, or it has been removed. Ask your Slack admin to install it."
        ),
        listener_executor=ThreadPoolExecutor(max_workers=LISTENER_THREADS, thread_name_prefix="mal-listener"),
    )
    if oauth is not None:
        from bot.oauth import forget_revoked_installations

        app.use(forget_revoked_installations(app))

    app.middleware(metrics.timed_requests)

    @app.middleware
    def provide_services(context: BoltContext, next: Callable[[], None]) -> None:
        context["mal"] = svc
        next()

    app.error(on_listener_error(svc))
    app.middleware(strip_control_characters)
    app.middleware(refuse_bad_submissions)
    for module in LISTENER_MODULES:
        module.register(app)
    return app

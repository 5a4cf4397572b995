"""HTTP mode: Bolt behind Starlette on uvicorn, a production ASGI server.

Bolt's own Starlette handler calls the synchronous ``App.dispatch`` on the event loop, which would make
one slow request hold up every other; here dispatch runs in the thread pool and the loop stays free.
Before that, ``bot.http_guard`` bounds the body and checks Slack's signature, so nothing unsigned is read
whole or parsed.
"""

import logging
import threading
import time
from typing import Self

import uvicorn
from slack_bolt import App
from slack_bolt.adapter.starlette.handler import to_bolt_request, to_starlette_response
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.feed import calendar_route
from bot.http_guard import Guard, quiet_bolt_verification_log
from bot.ops_http import healthz, ops_routes
from bot.services import Services

log = logging.getLogger("mal.http")


def asgi_app(app: App, signing_secret: str, svc: Services | None = None) -> Starlette:
    guard = Guard(signing_secret)
    quiet_bolt_verification_log()

    async def slack_events(request: Request) -> Response:
        verdict, body = await guard.check(request)
        if verdict.status:
            if verdict.status == 401:  # as Bolt answers it
                return JSONResponse({"error": "invalid request"}, status_code=401)
            return Response(status_code=verdict.status)
        try:
            bolt_request = to_bolt_request(request, body)  # parses the body: JSON or a form with a JSON payload
        except ValueError as exc:  # signed, yet not what Slack sends: answered plainly, never with a traceback
            log.warning("signed request could not be parsed: %s", type(exc).__name__)
            return Response(status_code=400)
        bolt_response = await run_in_threadpool(app.dispatch, bolt_request)
        return to_starlette_response(bolt_response)

    routes = [
        Route("/slack/events", slack_events, methods=["POST"]),
        Route("/healthz", healthz, methods=["GET"]),
    ]
    if svc is not None:  # the operator's endpoints, and a person's 1:1s as a calendar feed (not signed by Slack)
        routes += [*ops_routes(svc), calendar_route(svc)]
    flow = app.oauth_flow
    if flow is not None:  # several workspaces: Bolt's OAuth flow, its store calls off the event loop

        async def install(request: Request) -> Response:
            bolt_response = await run_in_threadpool(flow.handle_installation, to_bolt_request(request, b""))
            return to_starlette_response(bolt_response)

        async def oauth_redirect(request: Request) -> Response:
            bolt_response = await run_in_threadpool(flow.handle_callback, to_bolt_request(request, b""))
            return to_starlette_response(bolt_response)

        routes += [
            Route(flow.install_path, install, methods=["GET"]),
            Route(flow.redirect_uri_path, oauth_redirect, methods=["GET"]),
        ]
    return Starlette(routes=routes)


def serve(app: App, signing_secret: str, host: str, port: int, svc: Services | None = None) -> None:
    uvicorn.run(asgi_app(app, signing_secret, svc), host=host, port=port, log_level="info", access_log=False)


class ThreadedServer:
    """An ASGI app served by uvicorn in a thread, for tests, the sandbox and Socket Mode's side port."""

    def __init__(self, asgi: Starlette, host: str = "127.0.0.1", port: int = 0, log_level: str = "warning") -> None:
        config = uvicorn.Config(asgi, host=host, port=port, log_level=log_level, access_log=False)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def start(self, timeout: float = 10.0) -> Self:
        self.thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("HTTP server did not start")
            time.sleep(0.01)
        return self

    @property
    def port(self) -> int:
        sock = self.server.servers[0].sockets[0]
        return int(sock.getsockname()[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


class BackgroundServer(ThreadedServer):
    """The bot's own server in a thread; ``stop`` shuts it down cleanly."""

    def __init__(
        self, app: App, signing_secret: str, host: str = "127.0.0.1", port: int = 0, svc: Services | None = None
    ) -> None:
        super().__init__(asgi_app(app, signing_secret, svc), host, port)

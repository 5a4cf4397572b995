"""What an operator's tools ask the bot over HTTP: ``/healthz`` (alive), ``/readyz`` (able to serve: the
database answers and is at the newest schema) and ``/metrics`` (Prometheus). In HTTP mode they are routes of
the bot's server; in Socket Mode, which has no server, they are served on a side port when asked
(``mal-bot run --metrics-port N``).
"""

import logging

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot import metrics
from bot.services import Services
from storage.db import schema_revisions

log = logging.getLogger("mal.http")


async def healthz(_: Request) -> Response:
    """Cheap on purpose: the process answers. Nothing here touches the database or Slack."""
    return JSONResponse({"ok": True})


def ops_routes(svc: Services) -> list[Route]:
    def ready() -> tuple[bool, str]:
        try:
            current, head = schema_revisions(svc.engine)
        except Exception as exc:  # the database is down or unreachable: not ready, and say why in one word
            log.warning("readyz: database unreachable (%s)", type(exc).__name__)
            return False, "database_unreachable"
        if current != head:
            return False, "migrations_behind"
        return True, "ok"

    async def readyz(_: Request) -> Response:
        ok, why = await run_in_threadpool(ready)
        return JSONResponse({"ok": ok, "status": why}, status_code=200 if ok else 503)

    async def scrape(_: Request) -> Response:
        body = await run_in_threadpool(metrics.exposition, svc.engine, svc.clock)
        return Response(body, media_type=metrics.CONTENT_TYPE)

    return [Route("/readyz", readyz, methods=["GET"]), Route("/metrics", scrape, methods=["GET"])]


def ops_app(svc: Services) -> Starlette:
    """The side port of Socket Mode: the operator's three endpoints and nothing else."""
    return Starlette(routes=[Route("/healthz", healthz, methods=["GET"]), *ops_routes(svc)])

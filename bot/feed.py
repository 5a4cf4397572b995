"""`GET /calendar/<token>.ics`: a person's 1:1s as a calendar to subscribe to, in HTTP mode.

Not behind Slack's signature check (calendar clients fetch it on their own), so the token is the whole of its
protection: 256 random bits, looked up by its SHA-256 digest, so the database compares digests and the time
an answer takes says nothing about how close a guess came. A malformed token is refused before any lookup.
"""

import re

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from bot.services import Services
from flows import calendar

TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,100}$")


def calendar_route(svc: Services) -> Route:
    def build(token: str) -> bytes | None:
        with svc.unit() as repo:
            s = svc.settings
            return calendar.feed(repo, token, svc.clock.now(), s.mal_timezone, s.mal_locale)

    async def calendar_feed(request: Request) -> Response:
        token = str(request.path_params.get("token", ""))
        body = await run_in_threadpool(build, token) if TOKEN.match(token) else None
        if body is None:
            return PlainTextResponse("Not Found", status_code=404)
        return Response(
            body,
            media_type="text/calendar; charset=utf-8",
            headers={"Cache-Control": "private, max-age=300", "X-Robots-Tag": "noindex"},
        )

    return Route("/calendar/{token}.ics", calendar_feed, methods=["GET"])

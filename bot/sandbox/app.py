"""The sandbox's web page and the small JSON API behind it.

The page is the Slack client: it shows what the emulator holds for the chosen person (their DM with the
bot, ephemeral answers, Home tab, modal stack) and turns clicks, typed messages, slash commands and modal
submissions into the driver's signed requests, so the bot cannot tell the page from Slack. The API binds
to loopback only: it lets anyone who reaches it act as any demo person.
"""

import logging
import re
import socket
import threading
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import uvicorn
from sqlmodel import col, select
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from bot.emulator.server import JSONDict, SlackApiFailure, iter_block_elements
from bot.sandbox.runtime import Sandbox
from bot.settings import SettingsError
from flows.i18n import translator
from storage.models import Pairing, Person

log = logging.getLogger(__name__)

STATIC = Path(__file__).parent / "static"
COMMANDS = frozenset({"/mal"})
MENTION_TYPED = re.compile(r"(?<![\w<])@([a-z0-9._-]+)", re.IGNORECASE)
Handler = Callable[[Request], Awaitable[Response]]

_SINGLE_OPTION = frozenset({"static_select", "external_select", "radio_buttons", "overflow"})
_MULTI_OPTION = frozenset({"multi_static_select", "multi_external_select", "checkboxes"})


class BadRequest(Exception):
    """Something the page sent that no Slack client would send; answered 400 with the reason."""


def _ts_key(ts: str) -> tuple[int, int]:
    whole, _, frac = ts.partition(".")
    return int(whole or 0), int(frac or 0)


class SandboxApi:
    """What the page may read and do; each method is one endpoint's work, run off the event loop."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sb = sandbox

    # ------------------------------------------------------------------ reading

    def _user(self, user_id: str) -> JSONDict:
        user = self.sb.emulator.user(user_id)
        if user is None or user.get("is_bot"):
            raise LookupError(user_id)
        return user

    def people(self) -> list[JSONDict]:
        emulator = self.sb.emulator
        users = [u for u in emulator.users() if not u.get("is_bot")]
        with self.sb.repo() as repo:
            persons = {p.id: p for p in repo.session.exec(select(Person)).all()}
            pairings = repo.session.exec(select(Pairing).where(col(Pairing.ended_at).is_(None))).all()
        slack_of = {pid: p.slack_user_id for pid, p in persons.items()}
        manager_of = {slack_of[p.employee_id]: slack_of[p.manager_id] for p in pairings}
        reports: dict[str, int] = {}
        for manager in manager_of.values():
            reports[manager] = reports.get(manager, 0) + 1
        out = []
        for u in users:
            uid = str(u["id"])
            received = [m for m in emulator.messages(uid) if m.get("bot_id")]
            out.append(
                {
                    "id": uid,
                    "handle": u.get("name"),
                    "name": u.get("real_name") or u.get("name"),
                    "tz": u.get("tz"),
                    "locale": u.get("locale"),
                    "manager": manager_of.get(uid),
                    "reports": reports.get(uid, 0),
                    "received": len(received),
                }
            )
        return out

    def clock(self) -> JSONDict:
        nxt = self.sb.next_delivery()
        return {"now": self.sb.clock.now().isoformat(), "next": nxt.isoformat() if nxt else None, "tz": self.sb.tz}

    def dm(self, user_id: str) -> list[JSONDict]:
        """The DM as the person sees it: both sides of the conversation, and answers only they can see."""
        self._user(user_id)
        emulator = self.sb.emulator
        channel = emulator.dm_channel_id(user_id)
        shown: list[JSONDict] = []
        for m in emulator.messages(user_id):
            shown.append(
                {
                    "ts": m["ts"],
                    "kind": "bot" if m.get("bot_id") else "user",
                    "user": m.get("user") or emulator.bot_user_id,
                    "text": m.get("text") or "",
                    "blocks": (m.get("blocks") or []) if m.get("bot_id") else [],
                    "edited": bool(m.get("edited")),
                }
            )
        for e in emulator.ephemerals(user_id):
            if e.get("channel") != channel:
                continue
            shown.append(
                {
                    "ts": e["ts"],
                    "kind": "ephemeral",
                    "user": emulator.bot_user_id,
                    "text": e.get("text") or "",
                    "blocks": e.get("blocks") or [],
                    "edited": False,
                }
            )
        shown.sort(key=lambda m: _ts_key(str(m["ts"])))
        return shown

    def home(self, user_id: str) -> JSONDict | None:
        self._user(user_id)
        return self.sb.emulator.home_view(user_id)

    def modals(self, user_id: str) -> list[JSONDict]:
        """The modal stack, bottom first, each with the field errors the bot answered its last submission with."""
        self._user(user_id)
        emulator = self.sb.emulator
        return [{**v, "errors": emulator.view_errors(str(v["id"]))} for v in emulator.open_views(user_id)]

    def state(self, user_id: str) -> JSONDict:
        self._user(user_id)
        self.sb.save()
        return {
            "clock": self.clock(),
            "people": self.people(),
            "dm": self.dm(user_id),
            "home": self.home(user_id),
            "modals": self.modals(user_id),
        }

    # ------------------------------------------------------------------ doing

    def _escape_typed(self, text: str, *, with_names: bool) -> str:
        """What Slack makes of typed text: &, <, > escaped, and @handles turned into mentions."""
        handles = {str(u["name"]).lower(): u for u in self.sb.emulator.users()}

        def mention(match: re.Match[str]) -> str:
            user = handles.get(match[1].lower())
            if user is None:
                return match[0]
            return f"<@{user['id']}|{user['name']}>" if with_names else f"<@{user['id']}>"

        escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        return MENTION_TYPED.sub(mention, escaped)

    def open_home(self, user_id: str) -> JSONDict:
        self._user(user_id)
        result = self.sb.driver.app_home_opened(user_id)
        return {"ok": result.ok, "status": result.status}

    def command(self, user_id: str, command: str, text: str) -> JSONDict:
        self._user(user_id)
        if command not in COMMANDS:
            raise BadRequest(f"{command} is not a valid command")
        result = self.sb.driver.slash_command(user_id, self._escape_typed(text, with_names=True), command)
        return {"ok": result.ok, "status": result.status}

    def message(self, user_id: str, text: str) -> JSONDict:
        self._user(user_id)
        if not text.strip():
            raise BadRequest("empty message")
        result = self.sb.driver.message_im(user_id, self._escape_typed(text, with_names=False))
        return {"ok": result.ok, "status": result.status}

    def _source(self, user_id: str, body: JSONDict) -> JSONDict:
        emulator = self.sb.emulator
        surface = body.get("surface")
        if surface == "home":
            view = emulator.home_view(user_id)
            if view is None:
                raise BadRequest("no home view")
            return view
        if surface == "modal":
            view_id = str(body.get("view_id") or "")
            for view in emulator.open_views(user_id):
                if view["id"] == view_id:
                    return view
            raise BadRequest("that modal is not open")
        ts = str(body.get("ts") or "")
        message = emulator.message(user_id, ts)
        if message is not None:
            return message
        for eph in emulator.ephemerals(user_id):
            if eph["ts"] == ts:
                return eph
        raise BadRequest("no such message")

    def action(self, user_id: str, body: JSONDict) -> JSONDict:
        """A click or a choice in a message, the Home tab or a modal, sent as Slack's ``block_actions``."""
        self._user(user_id)
        source = self._source(user_id, body)
        block_id, action_id = str(body.get("block_id") or ""), str(body.get("action_id") or "")
        element: JSONDict | None = None
        for block in source.get("blocks") or []:
            if isinstance(block, dict) and block.get("block_id") == block_id:
                element = next((e for e in iter_block_elements(block) if e.get("action_id") == action_id), None)
        if element is None:
            raise BadRequest("no such element")
        kind = str(element.get("type"))
        value = body.get("value")
        choice: dict[str, Any] = {}
        if kind in _SINGLE_OPTION and value is not None:
            choice["selected_option"] = str(value)
        elif kind in _MULTI_OPTION:
            choice["selected_options"] = [str(v) for v in value or []]
        elif kind == "datepicker" and value:
            choice["selected_date"] = str(value)
        elif kind == "timepicker" and value:
            choice["selected_time"] = str(value)
        elif kind == "users_select" and value:
            choice["selected_user"] = str(value)
        elif kind == "multi_users_select":
            choice["selected_users"] = [str(v) for v in value or []]
        try:
            result = self.sb.driver.block_action(user_id, action_id, source=source, block_id=block_id, **choice)
        except LookupError as exc:
            raise BadRequest(str(exc)) from exc
        return {"ok": result.ok, "status": result.status}

    def submit(self, user_id: str, body: JSONDict) -> JSONDict:
        self._user(user_id)
        view = self._source(user_id, {"surface": "modal", "view_id": body.get("view_id")})
        values = body.get("values") or {}
        if not isinstance(values, dict):
            raise BadRequest("values must be an object")
        try:
            result = self.sb.driver.view_submission(user_id, view, values)
        except (ValueError, LookupError, SlackApiFailure) as exc:
            raise BadRequest(str(exc)) from exc
        return {"ok": result.ok, "status": result.status, "errors": self.sb.emulator.view_errors(str(view["id"]))}

    def close(self, user_id: str, body: JSONDict) -> JSONDict:
        self._user(user_id)
        view = self._source(user_id, {"surface": "modal", "view_id": body.get("view_id")})
        result = self.sb.driver.view_closed(user_id, view, is_cleared=bool(body.get("clear")))
        return {"ok": True if result is None else result.ok}

    def move_clock(self, how: str) -> JSONDict:
        if how == "day":
            self.sb.advance(timedelta(days=1))
        elif how == "week":
            self.sb.advance(timedelta(weeks=1))
        elif how == "hour":
            self.sb.advance(timedelta(hours=1))
        elif how == "next":
            self.sb.jump()
        else:
            raise BadRequest(f"unknown clock move {how!r}")
        return self.clock()


def web_app(sandbox: Sandbox) -> Starlette:
    api = SandboxApi(sandbox)

    def endpoint(work: Callable[[Request, JSONDict], Any]) -> Handler:
        """JSON in, JSON out, blocking work in the thread pool; a bad request is a 400, never a traceback."""

        async def handle(request: Request) -> Response:
            body: JSONDict = {}
            if request.method == "POST":
                raw = await request.body()
                if raw:
                    try:
                        parsed = await request.json()
                    except ValueError:
                        return JSONResponse({"error": "invalid JSON"}, status_code=400)
                    if not isinstance(parsed, dict):
                        return JSONResponse({"error": "expected a JSON object"}, status_code=400)
                    body = parsed
            try:
                result = await run_in_threadpool(work, request, body)
            except LookupError:
                return JSONResponse({"error": "unknown person"}, status_code=404)
            except BadRequest as exc:
                return JSONResponse({"error": str(exc)}, status_code=400)
            return JSONResponse(result, headers={"Cache-Control": "no-store"})

        return handle

    def user(request: Request) -> str:
        return str(request.path_params["user"])

    async def index(_: Request) -> Response:
        return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-store"})

    routes = [
        Route("/", index, methods=["GET"]),
        Route("/api/people", endpoint(lambda r, b: api.people()), methods=["GET"]),
        Route("/api/clock", endpoint(lambda r, b: api.clock()), methods=["GET"]),
        Route("/api/clock/{how}", endpoint(lambda r, b: api.move_clock(str(r.path_params["how"]))), methods=["POST"]),
        Route("/api/users/{user}/state", endpoint(lambda r, b: api.state(user(r))), methods=["GET"]),
        Route("/api/users/{user}/dm", endpoint(lambda r, b: api.dm(user(r))), methods=["GET"]),
        Route("/api/users/{user}/home", endpoint(lambda r, b: api.home(user(r))), methods=["GET"]),
        Route("/api/users/{user}/home", endpoint(lambda r, b: api.open_home(user(r))), methods=["POST"]),
        Route("/api/users/{user}/modals", endpoint(lambda r, b: api.modals(user(r))), methods=["GET"]),
        Route(
            "/api/users/{user}/command",
            endpoint(lambda r, b: api.command(user(r), str(b.get("command") or ""), str(b.get("text") or ""))),
            methods=["POST"],
        ),
        Route(
            "/api/users/{user}/message",
            endpoint(lambda r, b: api.message(user(r), str(b.get("text") or ""))),
            methods=["POST"],
        ),
        Route("/api/users/{user}/action", endpoint(lambda r, b: api.action(user(r), b)), methods=["POST"]),
        Route("/api/users/{user}/submit", endpoint(lambda r, b: api.submit(user(r), b)), methods=["POST"]),
        Route("/api/users/{user}/close", endpoint(lambda r, b: api.close(user(r), b)), methods=["POST"]),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    return Starlette(routes=routes)


class PageServer:
    """The page's server in a thread, for tests: the same app ``mal-bot sandbox`` serves."""

    def __init__(self, sandbox: Sandbox, port: int = 0) -> None:
        config = uvicorn.Config(web_app(sandbox), host="127.0.0.1", port=port, log_level="warning", access_log=False)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="sandbox-page", daemon=True)

    def start(self, timeout: float = 10.0) -> "PageServer":
        self.thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("sandbox page did not start")
            time.sleep(0.01)
        return self

    @property
    def url(self) -> str:
        port = int(self.server.servers[0].sockets[0].getsockname()[1])
        return f"http://127.0.0.1:{port}"

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def _port_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def run(folder: Path, port: int, *, reset: bool, language: str, host: str = "127.0.0.1") -> int:
    """``mal-bot sandbox``: start everything, serve the page until Ctrl+C, keep the state for next time."""
    t = translator(language)
    if not _port_free(host, port):
        raise SettingsError(t._("Port {port} is in use. Choose another with --port.", port=port))
    logging.getLogger("alembic").setLevel(logging.WARNING)
    sandbox = Sandbox(folder, reset=reset).start()
    try:
        url = f"http://localhost:{port}"
        print(t._("mal sandbox: open {url} in a browser. Ctrl+C stops it.", url=url), flush=True)
        print(
            t._("The state is kept in {folder}; --reset starts over.", folder=folder.resolve()),
            flush=True,
        )
        uvicorn.run(web_app(sandbox), host=host, port=port, log_level="warning", access_log=False)
    finally:
        sandbox.stop()
    return 0

"""A local stand-in for Slack's Web API, served over real HTTP on 127.0.0.1.

The bot talks to it through an unmodified ``slack_sdk.WebClient(base_url=emulator.api_url)``, so
everything between the bot's code and the wire (argument encoding, retry handlers, error parsing) is
exercised exactly as in production. Behaviour follows Slack's documentation: API errors are HTTP 200
with ``{"ok": false, "error": ...}``, rate limits are HTTP 429 with ``Retry-After``, and the
documented size limits of messages, Block Kit and views are enforced so that a payload the emulator
accepts is one Slack would accept too.
"""

from __future__ import annotations

import base64
import copy
import json
import math
import secrets
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

JSONDict = dict[str, Any]

# Limits from Slack's Block Kit, message and view reference pages.
MAX_MESSAGE_TEXT = 40_000
MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
MAX_SECTION_TEXT = 3_000
MAX_SECTION_FIELDS = 10
MAX_SECTION_FIELD_TEXT = 2_000
MAX_HEADER_TEXT = 150
MAX_ID_LENGTH = 255
MAX_ACTIONS_ELEMENTS = 25
MAX_CONTEXT_ELEMENTS = 10
MAX_BUTTON_TEXT = 75
MAX_BUTTON_VALUE = 2_000
MAX_OPTION_TEXT = 75  # an option object's text (select menus, radio buttons, checkboxes)
MAX_OPTION_VALUE = 150
MAX_SELECT_OPTIONS = 100
MAX_INPUT_LABEL = 2_000
MAX_TEXT_INPUT_LENGTH = 3_000
MAX_VIEW_TITLE = 24
MAX_PRIVATE_METADATA = 3_000
MAX_VIEW_BYTES = 250_000
MAX_VIEW_STACK = 3
MAX_RESPONSE_URL_POSTS = 5

_TZ_LABELS = {
    "CET": "Central European Time",
    "CEST": "Central European Summer Time",
    "EET": "Eastern European Time",
    "EEST": "Eastern European Summer Time",
    "WET": "Western European Time",
    "WEST": "Western European Summer Time",
    "GMT": "Greenwich Mean Time",
    "BST": "British Summer Time",
    "UTC": "Coordinated Universal Time",
    "EST": "Eastern Standard Time",
    "EDT": "Eastern Daylight Time",
    "CST": "Central Standard Time",
    "CDT": "Central Daylight Time",
    "MST": "Mountain Standard Time",
    "MDT": "Mountain Daylight Time",
    "PST": "Pacific Standard Time",
    "PDT": "Pacific Daylight Time",
}

# The bot scopes a token has when a test says nothing else: what installing mal's app.yaml grants.
DEFAULT_BOT_SCOPES = (
    "chat:write",
    "im:write",
    "im:history",
    "commands",
    "users:read",
    "users:read.email",
    "files:write",
)
# Scopes a method needs (any one of them), from each method's page in Slack's Web API reference. Slack answers
# a token without them ``missing_scope`` with ``needed`` and ``provided``.
METHOD_SCOPES: dict[str, tuple[str, ...]] = {
    "chat.postMessage": ("chat:write",),
    "chat.update": ("chat:write",),
    "chat.delete": ("chat:write",),
    "chat.postEphemeral": ("chat:write",),
    "conversations.open": ("im:write", "mpim:write", "channels:manage", "groups:write"),
    "users.info": ("users:read",),
    "users.list": ("users:read",),
    "users.lookupByEmail": ("users:read.email",),
    "team.info": ("team:read",),
    "files.getUploadURLExternal": ("files:write",),
    "files.completeUploadExternal": ("files:write",),
}

# Elements that carry an action_id and so can be clicked or hold state.
INTERACTIVE_ELEMENTS = frozenset(
    {
        "button",
        "checkboxes",
        "datepicker",
        "datetimepicker",
        "timepicker",
        "email_text_input",
        "number_input",
        "plain_text_input",
        "url_text_input",
        "rich_text_input",
        "overflow",
        "radio_buttons",
        "static_select",
        "external_select",
        "users_select",
        "conversations_select",
        "channels_select",
        "multi_static_select",
        "multi_external_select",
        "multi_users_select",
        "multi_conversations_select",
        "multi_channels_select",
        "file_input",
    }
)


class SlackApiFailure(Exception):
    """Raised inside a method handler; becomes Slack's ``{"ok": false, "error": ...}`` answer."""

    def __init__(self, error: str, **extra: Any) -> None:
        super().__init__(error)
        self.error = error
        self.extra = extra


@dataclass
class _WindowState:
    hits: deque[float] = field(default_factory=deque)


@dataclass
class _BucketState:
    tokens: float
    last: float


@dataclass
class _Rule:
    """One rate-limit rule: a sliding window, or a token bucket for Slack's "1 per second, bursts ok"."""

    kind: Literal["window", "bucket"]
    limit: int
    seconds: float
    per_channel: bool = False
    states: dict[str, _WindowState | _BucketState] = field(default_factory=dict)

    def wait(self, key: str, now: float) -> float:
        if self.kind == "window":
            state = self.states.setdefault(key, _WindowState())
            assert isinstance(state, _WindowState)
            while state.hits and state.hits[0] <= now - self.seconds:
                state.hits.popleft()
            if len(state.hits) < self.limit:
                return 0.0
            return state.hits[0] + self.seconds - now
        bucket = self.states.setdefault(key, _BucketState(tokens=float(self.limit), last=now))
        assert isinstance(bucket, _BucketState)
        bucket.tokens = min(float(self.limit), bucket.tokens + (now - bucket.last) / self.seconds)
        bucket.last = now
        if bucket.tokens >= 1.0:
            return 0.0
        return (1.0 - bucket.tokens) * self.seconds

    def consume(self, key: str, now: float) -> None:
        state = self.states[key]
        if isinstance(state, _WindowState):
            state.hits.append(now)
        else:
            state.tokens -= 1.0


@dataclass
class _Trigger:
    user_id: str
    expires_at: float
    used: bool = False


@dataclass
class _ResponseUrl:
    url: str
    channel_id: str | None
    user_id: str | None
    message_ts: str | None
    created: float
    accepted: int = 0
    rejected: int = 0


@dataclass(frozen=True)
class _OAuthCode:
    client_id: str
    team: str
    installer: str
    scope: str
    expires: float


@dataclass
class _Call:
    method: str
    params: JSONDict
    status: int
    error: str | None
    token: str | None = None
    team: str | None = None


def _truthy(value: object) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value != 0
    return isinstance(value, str) and value.strip().lower() in {"1", "true", "yes"}


def _text_of(obj: object) -> str:
    if isinstance(obj, dict):
        text = obj.get("text")
        return text if isinstance(text, str) else ""
    return ""


def _slug(name: str) -> str:
    cleaned = "".join(c.lower() if c.isalnum() else "-" for c in name).strip("-")
    return "-".join(part for part in cleaned.split("-") if part) or "workspace"


def _random_id(prefix: str, length: int = 10) -> str:
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    return prefix + "".join(secrets.choice(alphabet) for _ in range(length))


def _generated_block_id() -> str:
    alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    return "".join(secrets.choice(alphabet) for _ in range(5))


_VIEW_KEYS = (
    "type",
    "title",
    "blocks",
    "close",
    "submit",
    "private_metadata",
    "callback_id",
    "external_id",
    "clear_on_close",
    "notify_on_close",
    "submit_disabled",
)


def _model_problems(block: Mapping[str, Any], where: str) -> list[str]:
    """What slack_sdk's own Block Kit models refuse (the documented limits and required fields of each block
    and element), so a block the emulator accepts is one Slack's SDK would let through too."""
    try:
        parsed = Block.parse(copy.deepcopy(dict(block)))
    except (SlackObjectFormationError, KeyError, TypeError, ValueError) as exc:
        return [f"{exc} [json-pointer:{where}]"]
    if parsed is None:
        return [f"unsupported block type {block.get('type')!r} [json-pointer:{where}/type]"]
    try:
        parsed.validate_json()
    except SlackObjectFormationError as exc:
        return [f"{exc} [json-pointer:{where}]"]
    return []


def _view_model_problems(view: Mapping[str, Any]) -> list[str]:
    """slack_sdk's View model on the view's own fields (its blocks are checked one by one above)."""
    try:
        View(**{k: copy.deepcopy(view[k]) for k in _VIEW_KEYS if k in view}).validate_json()
    except (SlackObjectFormationError, TypeError, ValueError, KeyError) as exc:
        return [f"{exc} [json-pointer:/view]"]
    return []


def iter_block_elements(block: Mapping[str, Any]) -> Iterable[JSONDict]:
    """Interactive elements of one block, wherever Block Kit allows them to sit."""
    block_type = block.get("type")
    if block_type == "actions":
        for element in block.get("elements") or []:
            if isinstance(element, dict):
                yield element
    elif block_type == "section":
        accessory = block.get("accessory")
        if isinstance(accessory, dict):
            yield accessory
    elif block_type == "input":
        element = block.get("element")
        if isinstance(element, dict):
            yield element


class SlackEmulator:
    """An in-memory Slack workspace with one installed bot, reachable over HTTP.

    All state sits behind one lock and every change notifies a condition, so tests can wait for
    "the bot has posted" with :meth:`wait_for` instead of sleeping and hoping.
    """

    def __init__(
        self,
        team_id: str = "T0MAL",
        team_name: str = "Mal Sandbox",
        bot_token: str = "xoxb-emulator",
        bot_user_id: str = "UBOT",
        *,
        bot_id: str = "BMAL",
        app_id: str = "AMAL",
        bot_name: str = "mal",
        rate_clock: Callable[[], float] | None = None,
    ) -> None:
        self.team_id = team_id
        self.team_name = team_name
        self.team_domain = _slug(team_name)
        self.bot_token = bot_token
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        self.app_id = app_id
        self.bot_name = bot_name
        # Slack lets a trigger_id be exchanged once, within 3 seconds.
        self.trigger_ttl = 3.0
        # A response_url lives for 30 minutes and takes 5 posts.
        self.response_url_ttl = 1800.0
        # What chat.postMessage answers for a deactivated user's DM. Slack delivers such posts (the DM
        # history still exists), so the default is to accept; set e.g. "user_disabled" to simulate a
        # stricter failure path.
        self.deactivated_dm_error: str | None = None

        self._lock = threading.RLock()
        self._cond = threading.Condition(self._lock)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._port: int | None = None

        self._tokens: dict[str, str | None] = {bot_token: None}
        self._token_scopes: dict[str, tuple[str, ...]] = {bot_token: DEFAULT_BOT_SCOPES}
        # Several workspaces: each token belongs to one, and a call sees only its own workspace.
        self._workspaces: dict[str, str] = {team_id: team_name}
        self._token_team: dict[str, str] = {bot_token: team_id}
        self._call_team = team_id
        self._apps: dict[str, tuple[str, str]] = {}
        self._oauth_codes: dict[str, _OAuthCode] = {}
        self._rate_clock: Callable[[], float] = rate_clock or time.monotonic
        self._users: dict[str, JSONDict] = {}
        # DM channel -> its human member, kept as users are added: a post must not scan every user.
        self._dm_owners: dict[str, str] = {}
        self._channels: dict[str, JSONDict] = {}
        self._opened_dms: set[str] = set()
        self._messages: dict[str, list[JSONDict]] = {}
        self._deleted_messages: list[JSONDict] = []
        self._ephemerals: list[JSONDict] = []
        self._views: dict[str, JSONDict] = {}
        self._view_owner: dict[str, str] = {}
        self._closed_views: list[JSONDict] = []
        self._stacks: dict[str, list[str]] = {}
        self._home_by_user: dict[str, str] = {}
        self._view_errors: dict[str, dict[str, str]] = {}
        self._triggers: dict[str, _Trigger] = {}
        self._response_urls: dict[str, _ResponseUrl] = {}
        self._response_posts: list[JSONDict] = []
        self._files: dict[str, JSONDict] = {}
        self._file_content: dict[str, bytes] = {}
        self._calls: list[_Call] = []
        self._rules: dict[str, list[_Rule]] = {}
        self._fail_next: dict[str, deque[str]] = {}
        self._fail_next_http: dict[str, deque[int]] = {}
        self._last_ts = 0

        self._methods: dict[str, Callable[[JSONDict], JSONDict]] = {
            "api.test": self._api_test,
            "auth.test": self._auth_test,
            "team.info": self._team_info,
            "users.info": self._users_info,
            "users.lookupByEmail": self._users_lookup_by_email,
            "users.list": self._users_list,
            "conversations.open": self._conversations_open,
            "chat.postMessage": self._chat_post_message,
            "chat.update": self._chat_update,
            "chat.delete": self._chat_delete,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "views.open": self._views_open,
            "views.push": self._views_push,
            "views.update": self._views_update,
            "views.publish": self._views_publish,
            "files.getUploadURLExternal": self._files_get_upload_url_external,
            "files.completeUploadExternal": self._files_complete_upload_external,
        }

        self._add_user_locked(
            bot_user_id,
            bot_name,
            email=None,
            tz="Europe/Oslo",
            locale="nb-NO",
            real_name=bot_name,
            is_admin=False,
            is_bot=True,
        )

    # ------------------------------------------------------------------ lifecycle

    def start(self, port: int = 0) -> None:
        if self._server is not None:
            raise RuntimeError("emulator already started")
        emulator = self

        class Handler(_Handler):
            owner = emulator

        server = _Server(("127.0.0.1", port), Handler)
        server.daemon_threads = True
        self._server = server
        self._port = int(server.server_address[1])
        # A short poll interval keeps stop() quick; tests start and stop an emulator each.
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="slack-emulator", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is not None:
            server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self) -> SlackEmulator:
        if self._server is None:
            self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("emulator not started")
        return self._port

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/api/"

    # ------------------------------------------------------------------ waiting

    def wait_for(self, predicate: Callable[[], bool], timeout: float = 5.0) -> bool:
        """Block until ``predicate()`` holds; it is re-checked after every state change.

        The predicate runs with the emulator's lock held, so it must only read emulator state.
        """
        with self._cond:
            return self._cond.wait_for(predicate, timeout=timeout)

    def notify(self) -> None:
        """Wake :meth:`wait_for` callers after a change the emulator cannot see (e.g. a test's own log)."""
        with self._cond:
            self._cond.notify_all()

    def _changed(self) -> None:
        self._cond.notify_all()

    # ------------------------------------------------------------------ workspace: users & channels

    def add_user(
        self,
        user_id: str,
        name: str,
        *,
        email: str | None = None,
        tz: str = "Europe/Oslo",
        locale: str = "nb-NO",
        real_name: str | None = None,
        is_admin: bool = False,
        team_id: str | None = None,
    ) -> JSONDict:
        with self._lock:
            user = self._add_user_locked(
                user_id,
                name,
                email=email,
                tz=tz,
                locale=locale,
                real_name=real_name,
                is_admin=is_admin,
                is_bot=False,
                team_id=team_id,
            )
            self._changed()
            return copy.deepcopy(user)

    def _add_user_locked(
        self,
        user_id: str,
        name: str,
        *,
        email: str | None,
        tz: str,
        locale: str,
        real_name: str | None,
        is_admin: bool,
        is_bot: bool,
        team_id: str | None = None,
    ) -> JSONDict:
        team = team_id or self.team_id
        if team not in self._workspaces:
            raise ValueError(f"unknown workspace {team!r} (add_workspace first)")
        try:
            zone = ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {tz!r}") from exc
        now = datetime.now(zone)
        offset = now.utcoffset()
        abbreviation = now.tzname() or tz
        display_real_name = real_name if real_name is not None else name
        profile: JSONDict = {
            "real_name": display_real_name,
            "real_name_normalized": display_real_name,
            "display_name": name,
            "display_name_normalized": name,
            "team": team,
        }
        if email is not None:
            profile["email"] = email
        if is_bot:
            profile["bot_id"] = self.bot_id
            profile["api_app_id"] = self.app_id
        user: JSONDict = {
            "id": user_id,
            "team_id": team,
            "name": name,
            "deleted": False,
            "real_name": display_real_name,
            "tz": tz,
            "tz_label": _TZ_LABELS.get(abbreviation, abbreviation),
            "tz_offset": int(offset.total_seconds()) if offset is not None else 0,
            "profile": profile,
            "is_admin": is_admin,
            "is_owner": False,
            "is_primary_owner": False,
            "is_restricted": False,
            "is_ultra_restricted": False,
            "is_bot": is_bot,
            "is_app_user": False,
            "updated": int(time.time()),
            "locale": locale,
        }
        self._users[user_id] = user
        if user_id != self.bot_user_id:
            self._dm_owners.setdefault(self.dm_channel_id(user_id), user_id)
        return user

    def deactivate_user(self, user_id: str) -> None:
        with self._lock:
            user = self._users.get(user_id)
            if user is None:
                raise KeyError(user_id)
            user["deleted"] = True
            user["updated"] = int(time.time())
            self._changed()

    def user(self, user_id: str) -> JSONDict | None:
        with self._lock:
            user = self._users.get(user_id)
            return copy.deepcopy(user) if user is not None else None

    def users(self) -> list[JSONDict]:
        with self._lock:
            return copy.deepcopy(list(self._users.values()))

    def dm_channel_id(self, user_id: str) -> str:
        """The IM channel between the bot and a user: stable, derived from the user id."""
        suffix = user_id[1:] if user_id[:1] in {"U", "W"} else user_id
        return "D" + suffix

    def add_channel(self, channel_id: str, name: str) -> JSONDict:
        with self._lock:
            channel = {"id": channel_id, "name": name, "is_channel": True, "is_member": True}
            self._channels[channel_id] = channel
            self._changed()
            return dict(channel)

    def _dm_owner(self, channel_id: str) -> str | None:
        return self._dm_owners.get(channel_id)

    def channel_name(self, channel_id: str) -> str:
        with self._lock:
            if channel_id in self._channels:
                return str(self._channels[channel_id]["name"])
            return "directmessage"

    def _resolve_channel(self, channel: object, *, allow_user: bool = True) -> str:
        """Map a channel argument to a conversation id; a user id means their DM, as Slack allows."""
        if not isinstance(channel, str) or not channel:
            raise SlackApiFailure("channel_not_found")
        if channel in self._channels:
            return channel
        if channel.startswith("#"):
            for known in self._channels.values():
                if known["name"] == channel[1:]:
                    return str(known["id"])
        if allow_user and channel in self._users and channel != self.bot_user_id:
            return self.dm_channel_id(channel)
        if channel.startswith("D") and self._dm_owner(channel) is not None:
            return channel
        raise SlackApiFailure("channel_not_found")

    # ------------------------------------------------------------------ tokens, limits, faults

    def revoke_token(self, token: str, error: str = "token_revoked") -> None:
        """Make ``token`` fail as Slack does once the app is uninstalled (or ``account_inactive``)."""
        with self._lock:
            self._tokens[token] = error
            self._changed()

    def add_token(self, token: str, team_id: str | None = None, scopes: Iterable[str] | None = None) -> None:
        with self._lock:
            self._tokens[token] = None
            self._token_team[token] = team_id or self.team_id
            self._token_scopes[token] = DEFAULT_BOT_SCOPES if scopes is None else tuple(scopes)

    def set_token_scopes(self, token: str, scopes: Iterable[str]) -> None:
        """Give ``token`` these scopes only, as if the app had been installed with them (e.g. one missing)."""
        with self._lock:
            self._token_scopes[token] = tuple(scopes)

    def token_scopes(self, token: str) -> tuple[str, ...]:
        with self._lock:
            return self._token_scopes.get(token, ())

    # ------------------------------------------------------------------ several workspaces, OAuth

    def add_workspace(self, team_id: str, name: str) -> None:
        """Another workspace with its own people; the app gets a token there only by being installed."""
        with self._lock:
            self._workspaces[team_id] = name
            self._changed()

    def register_app(self, client_id: str, client_secret: str, redirect_url: str) -> None:
        """The app's credentials and its redirect URL, as set in the app's OAuth settings at Slack."""
        with self._lock:
            self._apps[client_id] = (client_secret, redirect_url)

    @property
    def authorize_url(self) -> str:
        return f"{self.base_url}/oauth/v2/authorize"

    def workspace_tokens(self, team_id: str) -> list[str]:
        """Bot tokens issued for a workspace, oldest first."""
        with self._lock:
            return [t for t, team in self._token_team.items() if team == team_id]

    def tokens_used(self, method: str, channel_or_user_id: str | None = None) -> list[str]:
        """The token of every successful call of ``method`` (to one channel or user's DM if given)."""
        with self._lock:
            wanted = None
            if channel_or_user_id is not None:
                wanted = {channel_or_user_id, self.dm_channel_id(channel_or_user_id)}
            return [
                c.token or ""
                for c in self._calls
                if c.method == method and c.error is None and (wanted is None or c.params.get("channel") in wanted)
            ]

    def _authorize(self, query: str) -> tuple[int, dict[str, str], bytes]:
        """The browser's visit to Slack's consent page, approved at once by the workspace's first admin.

        ``team`` picks the workspace, as Slack's own parameter does; Slack then redirects to the app's
        redirect URL with a one-time ``code`` and the ``state`` it was given.
        """
        args = {k: v[0] for k, v in parse_qs(query).items()}
        with self._lock:
            app = self._apps.get(args.get("client_id", ""))
            team = args.get("team") or self.team_id
            if app is None or team not in self._workspaces:
                return 400, {"Content-Type": "text/plain"}, b"invalid_client_id or unknown team"
            redirect = args.get("redirect_uri") or app[1]
            if redirect != app[1]:
                return 400, {"Content-Type": "text/plain"}, b"bad_redirect_uri"
            installer = next(
                (u["id"] for u in self._users.values() if u["team_id"] == team and u["is_admin"] and not u["is_bot"]),
                next((u["id"] for u in self._users.values() if u["team_id"] == team and not u["is_bot"]), ""),
            )
            code = f"{int(time.time())}.{secrets.token_hex(12)}"
            self._oauth_codes[code] = _OAuthCode(
                args["client_id"], team, installer, args.get("scope", ""), time.monotonic() + 600
            )
        sep = "&" if "?" in redirect else "?"
        location = f"{redirect}{sep}code={code}&state={args.get('state', '')}"
        return 302, {"Location": location, "Content-Type": "text/plain"}, b""

    def _oauth_v2_access(self, headers: Mapping[str, str], params: JSONDict) -> tuple[int, dict[str, str], JSONDict]:
        """Exchange a code for a bot token: client credentials by HTTP Basic auth or in the form."""
        client_id, client_secret = params.get("client_id"), params.get("client_secret")
        auth = headers.get("authorization", "")
        if auth.startswith("Basic "):
            try:
                client_id, _, client_secret = base64.b64decode(auth[6:]).decode("utf-8").partition(":")
            except (ValueError, UnicodeDecodeError):
                return 200, {}, {"ok": False, "error": "invalid_client_id"}
        app = self._apps.get(str(client_id or ""))
        if app is None:
            return 200, {}, {"ok": False, "error": "invalid_client_id"}
        if app[0] != client_secret:
            return 200, {}, {"ok": False, "error": "bad_client_secret"}
        issued = self._oauth_codes.pop(str(params.get("code") or ""), None)
        if issued is None or issued.client_id != client_id or issued.expires < time.monotonic():
            return 200, {}, {"ok": False, "error": "invalid_code"}
        team, installer, scope = issued.team, issued.installer, issued.scope
        token = f"xoxb-{team.lower()}-{secrets.token_hex(8)}"
        self._tokens[token] = None
        self._token_team[token] = team
        self._token_scopes[token] = tuple(s for s in scope.split(",") if s)
        return (
            200,
            {},
            {
                "ok": True,
                "access_token": token,
                "token_type": "bot",
                "scope": scope,
                "bot_user_id": self.bot_user_id,
                "app_id": self.app_id,
                "team": {"id": team, "name": self._workspaces[team]},
                "enterprise": None,
                "authed_user": {"id": installer},
                "is_enterprise_install": False,
            },
        )

    def _foreign(self, params: JSONDict) -> str | None:
        """The error Slack gives when a call names a person or DM of another workspace than the token's."""
        for name, error in (("user", "user_not_found"), ("users", "user_not_found"), ("channel", "channel_not_found")):
            value = params.get(name)
            if not isinstance(value, str) or not value:
                continue
            for part in value.split(","):
                owner = self._users.get(part.strip()) or self._users.get(self._dm_owner(part.strip()) or "")
                if owner is not None and not owner["is_bot"] and owner["team_id"] != self._call_team:
                    return error
        return None

    def set_rate_limit(self, method: str, limit: int, per_seconds: float = 60.0) -> None:
        with self._lock:
            self._rules[method] = [_Rule("window", limit, per_seconds)]

    def set_rate_clock(self, clock: Callable[[], float]) -> None:
        """Rate windows follow this clock (seconds), e.g. a test's injected time, so nothing waits for real time."""
        with self._lock:
            self._rate_clock = clock

    def clear_rate_limits(self) -> None:
        with self._lock:
            self._rules.clear()

    def enable_slack_rate_limits(self, scale: float = 1.0, *, post_message_burst: int = 3) -> None:
        """Install Slack's published tiers; ``scale`` shortens every window (60: a minute lasts a second)."""
        if scale <= 0:
            raise ValueError("scale must be positive")
        minute = 60.0 / scale
        tiers = {
            2: (20, ["users.list"]),
            3: (50, ["conversations.open", "chat.update", "chat.delete"]),
            4: (
                100,
                [
                    "users.info",
                    "users.lookupByEmail",
                    "views.open",
                    "views.push",
                    "views.update",
                    "views.publish",
                    "chat.postEphemeral",
                ],
            ),
        }
        with self._lock:
            self._rules.clear()
            for limit, methods in tiers.values():
                for method in methods:
                    self._rules[method] = [_Rule("window", limit, minute)]
            self._rules["chat.postMessage"] = [
                _Rule("bucket", post_message_burst, 1.0 / scale, per_channel=True),
                _Rule("window", 600, minute),
            ]

    def fail_next(self, method: str, error: str, times: int = 1) -> None:
        with self._lock:
            self._fail_next.setdefault(method, deque()).extend([error] * times)

    def fail_next_http(self, method: str, status: int = 500, times: int = 1) -> None:
        with self._lock:
            self._fail_next_http.setdefault(method, deque()).extend([status] * times)

    # ------------------------------------------------------------------ inspection

    @property
    def calls(self) -> list[tuple[str, JSONDict]]:
        with self._lock:
            return [(c.method, copy.deepcopy(c.params)) for c in self._calls]

    def count_calls(self, method: str) -> int:
        with self._lock:
            return sum(1 for c in self._calls if c.method == method)

    def record_failure(self, method: str, error: str, problems: list[str]) -> None:
        """A refusal that happened outside a Web API call (an acknowledgement's body Slack could not show)."""
        with self._lock:
            self._calls.append(_Call(method, {"problems": problems}, 200, error))
            self._changed()

    def failed_calls(self, method: str | None = None) -> list[tuple[str, str]]:
        """(method, error) for every call that did not succeed, rate limits included."""
        with self._lock:
            return [
                (c.method, c.error)
                for c in self._calls
                if c.error is not None and (method is None or c.method == method)
            ]

    def rate_limited_count(self, method: str | None = None) -> int:
        with self._lock:
            return sum(1 for c in self._calls if c.status == 429 and (method is None or c.method == method))

    def messages(self, channel_or_user_id: str, start: int = 0) -> list[JSONDict]:
        """Messages of a channel (or a user's DM), oldest first; from ``start`` on, so a reader that keeps its
        place copies only what is new."""
        with self._lock:
            channel = channel_or_user_id
            if channel in self._users:
                channel = self.dm_channel_id(channel)
            return copy.deepcopy(self._messages.get(channel, [])[start:])

    def message_count(self, channel_or_user_id: str, *, from_bot: bool = False) -> int:
        """How many messages a channel (or a user's DM) holds; only the app's own with ``from_bot``."""
        with self._lock:
            channel = channel_or_user_id
            if channel in self._users:
                channel = self.dm_channel_id(channel)
            found = self._messages.get(channel, [])
            return sum(1 for m in found if m.get("bot_id")) if from_bot else len(found)

    def all_messages(self) -> list[JSONDict]:
        with self._lock:
            found = [m for msgs in self._messages.values() for m in msgs]
            return copy.deepcopy(sorted(found, key=lambda m: m["ts"]))

    def deleted_messages(self) -> list[JSONDict]:
        with self._lock:
            return copy.deepcopy(self._deleted_messages)

    def message(self, channel_or_user_id: str, ts: str) -> JSONDict | None:
        for msg in self.messages(channel_or_user_id):
            if msg["ts"] == ts:
                return msg
        return None

    def ephemerals(self, user_id: str | None = None) -> list[JSONDict]:
        with self._lock:
            return copy.deepcopy([e for e in self._ephemerals if user_id is None or e["user"] == user_id])

    def home_view(self, user_id: str) -> JSONDict | None:
        with self._lock:
            view_id = self._home_by_user.get(user_id)
            return copy.deepcopy(self._views[view_id]) if view_id is not None else None

    def open_views(self, user_id: str) -> list[JSONDict]:
        """The user's modal stack, bottom first; the last one is what the user sees."""
        with self._lock:
            return copy.deepcopy([self._views[v] for v in self._stacks.get(user_id, [])])

    def closed_views(self) -> list[JSONDict]:
        with self._lock:
            return copy.deepcopy(self._closed_views)

    def get_view(self, view_id: str) -> JSONDict | None:
        with self._lock:
            view = self._views.get(view_id)
            return copy.deepcopy(view) if view is not None else None

    def view_errors(self, view_id: str) -> dict[str, str]:
        """Field errors the bot last answered a submission of this view with."""
        with self._lock:
            return dict(self._view_errors.get(view_id, {}))

    def response_url_posts(self, url: str | None = None) -> list[JSONDict]:
        with self._lock:
            return copy.deepcopy([p for p in self._response_posts if url is None or p["url"] == url])

    def files(self, channel_or_user_id: str | None = None) -> list[JSONDict]:
        with self._lock:
            if channel_or_user_id is None:
                return copy.deepcopy(list(self._files.values()))
            channel = channel_or_user_id
            if channel in self._users:
                channel = self.dm_channel_id(channel)
            return copy.deepcopy([f for f in self._files.values() if channel in f.get("channels", [])])

    def file_content(self, file_id: str) -> bytes:
        with self._lock:
            return self._file_content.get(file_id, b"")

    def reset(self) -> None:
        """Forget conversations, views, files and calls; keep users, tokens and rate-limit settings."""
        with self._lock:
            self._messages.clear()
            self._deleted_messages.clear()
            self._ephemerals.clear()
            self._views.clear()
            self._view_owner.clear()
            self._closed_views.clear()
            self._stacks.clear()
            self._home_by_user.clear()
            self._view_errors.clear()
            self._triggers.clear()
            self._response_urls.clear()
            self._response_posts.clear()
            self._files.clear()
            self._file_content.clear()
            self._calls.clear()
            self._opened_dms.clear()
            self._fail_next.clear()
            self._fail_next_http.clear()
            for rules in self._rules.values():
                for rule in rules:
                    rule.states.clear()
            self._changed()

    # ------------------------------------------------------------------ hooks for the driver

    def register_trigger(self, user_id: str) -> str:
        """Issue a trigger_id as Slack does with every interaction, valid for ``trigger_ttl`` seconds."""
        with self._lock:
            trigger_id = f"{int(time.time())}.{secrets.randbelow(10**10)}.{secrets.token_hex(16)}"
            self._triggers[trigger_id] = _Trigger(user_id, time.monotonic() + self.trigger_ttl)
            return trigger_id

    def new_response_url(
        self,
        *,
        channel_id: str | None = None,
        user_id: str | None = None,
        message_ts: str | None = None,
    ) -> str:
        with self._lock:
            url = f"{self.base_url}/response/{uuid.uuid4().hex}"
            self._response_urls[url] = _ResponseUrl(url, channel_id, user_id, message_ts, time.monotonic())
            return url

    def next_ts(self) -> str:
        """A message timestamp, strictly increasing across the workspace like Slack's."""
        with self._lock:
            micros = max(int(time.time() * 1_000_000), self._last_ts + 1)
            self._last_ts = micros
            return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"

    def record_user_message(
        self,
        user_id: str,
        text: str,
        *,
        channel_id: str | None = None,
        client_msg_id: str | None = None,
        thread_ts: str | None = None,
    ) -> JSONDict:
        """Store a message a person typed, so a conversation shows both sides."""
        with self._lock:
            channel = channel_id or self.dm_channel_id(user_id)
            message: JSONDict = {
                "type": "message",
                "user": user_id,
                "text": text,
                "ts": self.next_ts(),
                "team": self.team_id,
                "client_msg_id": client_msg_id or str(uuid.uuid4()),
                "blocks": [
                    {
                        "type": "rich_text",
                        "block_id": _generated_block_id(),
                        "elements": [{"type": "rich_text_section", "elements": [{"type": "text", "text": text}]}],
                    }
                ],
                "channel": channel,
            }
            if thread_ts is not None:
                message["thread_ts"] = thread_ts
            self._messages.setdefault(channel, []).append(message)
            self._changed()
            return copy.deepcopy(message)

    def set_view_state(self, view_id: str, values: JSONDict) -> None:
        with self._lock:
            view = self._views.get(view_id)
            if view is not None:
                view["state"] = {"values": copy.deepcopy(values)}
                self._changed()

    def apply_view_response(self, user_id: str, view_id: str, response: JSONDict | None) -> None:
        """Do to the modal stack what Slack does with the bot's answer to a view_submission.

        A view in a ``response_action`` that Slack would reject raises :class:`SlackApiFailure`, so a
        bot bug surfaces in the test instead of as a modal that silently stays put.
        """
        with self._lock:
            action = (response or {}).get("response_action")
            self._view_errors.pop(view_id, None)
            if action == "errors":
                errors = (response or {}).get("errors") or {}
                self._view_errors[view_id] = {str(k): str(v) for k, v in dict(errors).items()}
            elif action == "update":
                new = dict((response or {}).get("view") or {})
                self._validate_view(new, "modal")
                old = self._views.get(view_id)
                if old is not None:
                    self._replace_view(old, new)
            elif action == "push":
                new = dict((response or {}).get("view") or {})
                self._validate_view(new, "modal")
                if len(self._stacks.get(user_id, [])) >= MAX_VIEW_STACK:
                    raise SlackApiFailure("push_limit_reached")
                stack = self._stacks.get(user_id, [])
                root = self._views[stack[0]]["id"] if stack else None
                created = self._make_view(new, user_id, root_view_id=root, previous_view_id=view_id)
                self._stacks.setdefault(user_id, []).append(created["id"])
            elif action == "clear":
                for vid in list(self._stacks.get(user_id, [])):
                    self._close_view_locked(user_id, vid)
            else:
                self._close_view_locked(user_id, view_id)
            self._changed()

    def close_view(self, user_id: str, view_id: str, *, clear: bool = False) -> None:
        with self._lock:
            targets = list(self._stacks.get(user_id, [])) if clear else [view_id]
            for vid in targets:
                self._close_view_locked(user_id, vid)
            self._changed()

    def add_bot_message(
        self,
        channel_id: str,
        text: str,
        blocks: list[JSONDict] | None = None,
        *,
        thread_ts: str | None = None,
    ) -> JSONDict:
        """Store a message from the bot that did not come through chat.postMessage (e.g. a command's ack)."""
        with self._lock:
            filled = self._fill_ids(blocks) if blocks is not None else None
            message = self._post_message_locked(channel_id, text, filled, thread_ts=thread_ts)
            self._changed()
            return copy.deepcopy(message)

    def add_ephemeral(self, channel_id: str, user_id: str, text: str, blocks: list[JSONDict] | None = None) -> JSONDict:
        with self._lock:
            eph = {
                "type": "message",
                "subtype": "ephemeral",
                "channel": channel_id,
                "user": user_id,
                "text": text,
                "blocks": self._fill_ids(blocks or []),
                "ts": self.next_ts(),
                "bot_id": self.bot_id,
            }
            self._ephemerals.append(eph)
            self._changed()
            return copy.deepcopy(eph)

    # ------------------------------------------------------------------ HTTP entry point

    def handle_http(
        self, verb: str, path: str, headers: Mapping[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        """Answer one HTTP request; separate from the socket server so it can also be called in-process."""
        split = urlsplit(path)
        route = split.path
        if route.startswith("/api/"):
            return self._handle_api(route[len("/api/") :], split.query, headers, body)
        if route.startswith("/response/") and verb == "POST":
            return self._handle_response_url(f"{self.base_url}{route}", body)
        if route.startswith("/upload/") and verb == "POST":
            return self._handle_upload(route[len("/upload/") :], headers, body)
        if route == "/oauth/v2/authorize" and verb == "GET":
            return self._authorize(split.query)
        if route == "/health":
            return 200, {"Content-Type": "text/plain"}, b"ok"
        return 404, {"Content-Type": "text/plain"}, b"not found"

    def _handle_api(
        self, method: str, query: str, headers: Mapping[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        lowered = {k.lower(): v for k, v in headers.items()}
        with self._lock:
            try:
                params = self._parse_params(lowered.get("content-type", ""), query, body)
            except SlackApiFailure as failure:
                self._calls.append(_Call(method, {}, 200, failure.error))
                self._changed()
                return self._json(200, {"ok": False, "error": failure.error})
            if method == "oauth.v2.access":
                status, extra_headers, payload = self._oauth_v2_access(lowered, params)
                params = {k: v for k, v in params.items() if k != "client_secret"}
                self._calls.append(_Call(method, params, status, None if payload.get("ok") else payload["error"]))
                self._changed()
                return self._json(status, payload, extra_headers)
            auth = lowered.get("authorization", "")
            token = auth[len("Bearer ") :].strip() if auth.startswith("Bearer ") else params.pop("token", None)
            params.pop("token", None)
            status, extra_headers, payload = self._dispatch(method, token, params)
            error = None if payload.get("ok") else str(payload.get("error"))
            token_str = token if isinstance(token, str) else None
            if token_str in self._token_scopes and status == 200:
                # As Slack does on every call with a token: what it may do, and what this method accepts.
                extra_headers = {
                    **extra_headers,
                    "X-OAuth-Scopes": ",".join(self._token_scopes[token_str]),
                    "X-Accepted-OAuth-Scopes": ",".join(METHOD_SCOPES.get(method, ())),
                }
            team = self._token_team.get(token_str or "")
            self._calls.append(_Call(method, params, status, error, token_str, team))
            self._changed()
        return self._json(status, payload, extra_headers)

    def _dispatch(self, method: str, token: object, params: JSONDict) -> tuple[int, dict[str, str], JSONDict]:
        handler = self._methods.get(method)
        if handler is None:
            return 200, {}, {"ok": False, "error": "unknown_method", "req_method": method}
        http_faults = self._fail_next_http.get(method)
        if http_faults:
            status = http_faults.popleft()
            if status == 429:  # Slack's 429 always says when to come back
                return status, {"Retry-After": "1"}, {"ok": False, "error": "ratelimited"}
            return status, {}, {"ok": False, "error": "internal_error"}
        faults = self._fail_next.get(method)
        if faults:
            return 200, {}, {"ok": False, "error": faults.popleft()}
        if not isinstance(token, str) or not token:
            return 200, {}, {"ok": False, "error": "not_authed"}
        if token not in self._tokens:
            return 200, {}, {"ok": False, "error": "invalid_auth"}
        token_error = self._tokens[token]
        if token_error is not None:
            return 200, {}, {"ok": False, "error": token_error}
        self._call_team = self._token_team.get(token, self.team_id)
        needed = METHOD_SCOPES.get(method, ())
        provided = self._token_scopes.get(token, ())
        if needed and not set(needed) & set(provided):
            missing = {"ok": False, "error": "missing_scope", "needed": needed[0], "provided": ",".join(provided)}
            return 200, {}, missing
        foreign = self._foreign(params)
        if foreign is not None:
            return 200, {}, {"ok": False, "error": foreign}
        wait = self._check_rate_limit(method, params)
        if wait > 0:
            headers = {
                "Retry-After": str(max(1, math.ceil(wait))),
                "X-Emulator-Retry-After-Ms": str(max(1, math.ceil(wait * 1000))),
            }
            return 429, headers, {"ok": False, "error": "ratelimited"}
        try:
            result = handler(params)
        except SlackApiFailure as failure:
            return 200, {}, {"ok": False, "error": failure.error, **failure.extra}
        return 200, {}, {"ok": True, **result}

    def _check_rate_limit(self, method: str, params: JSONDict) -> float:
        rules = self._rules.get(method)
        if not rules:
            return 0.0
        now = self._rate_clock()
        channel_key = str(params.get("channel", ""))
        if channel_key in self._users:
            channel_key = self.dm_channel_id(channel_key)
        team = self._call_team  # Slack's limits are per workspace
        keys = [f"{team}/{channel_key}" if rule.per_channel else team for rule in rules]
        wait = max(rule.wait(key, now) for rule, key in zip(rules, keys, strict=True))
        if wait > 0:
            return wait
        for rule, key in zip(rules, keys, strict=True):
            rule.consume(key, now)
        return 0.0

    @staticmethod
    def _json(
        status: int, payload: JSONDict, extra: Mapping[str, str] | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        headers = {"Content-Type": "application/json; charset=utf-8", **(extra or {})}
        return status, headers, json.dumps(payload).encode("utf-8")

    @staticmethod
    def _parse_params(content_type: str, query: str, body: bytes) -> JSONDict:
        params: JSONDict = {k: v[-1] for k, v in parse_qs(query, keep_blank_values=True).items()}
        if not body:
            return params
        if "application/json" in content_type:
            try:
                data = json.loads(body.decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                raise SlackApiFailure("invalid_json") from exc
            if not isinstance(data, dict):
                raise SlackApiFailure("invalid_json")
            params.update(data)
            return params
        if "multipart/form-data" in content_type:
            raise SlackApiFailure("invalid_form_data")
        try:
            form = parse_qs(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
        except UnicodeDecodeError as exc:
            raise SlackApiFailure("invalid_form_data") from exc
        params.update({k: v[-1] for k, v in form.items()})
        return params

    # ------------------------------------------------------------------ argument helpers

    @staticmethod
    def _required(params: JSONDict, name: str) -> Any:
        value = params.get(name)
        if value is None or value == "":
            raise SlackApiFailure(
                "invalid_arguments",
                response_metadata={"messages": [f"[ERROR] missing required field: {name}"]},
            )
        return value

    @staticmethod
    def _json_arg(params: JSONDict, name: str, error: str) -> Any:
        value = params.get(name)
        if isinstance(value, str):
            if value == "":
                return None
            try:
                return json.loads(value)
            except json.JSONDecodeError as exc:
                raise SlackApiFailure(error) from exc
        return value

    # ------------------------------------------------------------------ Block Kit validation

    def _block_problems(self, blocks: list[Any], pointer: str, max_blocks: int) -> list[str]:
        problems: list[str] = []
        if len(blocks) > max_blocks:
            problems.append(f"no more than {max_blocks} items allowed [json-pointer:{pointer}]")
        seen_block_ids: set[str] = set()
        for index, block in enumerate(blocks):
            where = f"{pointer}/{index}"
            if not isinstance(block, dict) or not isinstance(block.get("type"), str):
                problems.append(f"missing required field: type [json-pointer:{where}]")
                continue
            block_id = block.get("block_id")
            if isinstance(block_id, str):
                if len(block_id) > MAX_ID_LENGTH:
                    problems.append(f"must be less than {MAX_ID_LENGTH + 1} characters [json-pointer:{where}/block_id]")
                if block_id in seen_block_ids:
                    problems.append(f"duplicate block_id {block_id!r} [json-pointer:{where}/block_id]")
                seen_block_ids.add(block_id)
            problems.extend(self._one_block_problems(block, where))
            problems.extend(_model_problems(block, where))
        return problems

    def message_block_problems(self, blocks: list[Any]) -> list[str]:
        """What Slack would refuse in a message's blocks (a command's answer, a post), empty when it is fine."""
        return self._block_problems(blocks, "/blocks", MAX_MESSAGE_BLOCKS)

    def _one_block_problems(self, block: JSONDict, where: str) -> list[str]:
        problems: list[str] = []
        kind = block["type"]

        def too_long(value: str, limit: int, at: str) -> None:
            if len(value) > limit:
                problems.append(f"must be less than {limit + 1} characters [json-pointer:{at}]")

        if kind == "section":
            text = block.get("text")
            fields = block.get("fields")
            if text is None and not fields:
                problems.append(f"must provide either text or fields [json-pointer:{where}]")
            too_long(_text_of(text), MAX_SECTION_TEXT, f"{where}/text/text")
            if isinstance(fields, list):
                if len(fields) > MAX_SECTION_FIELDS:
                    problems.append(f"no more than {MAX_SECTION_FIELDS} items allowed [json-pointer:{where}/fields]")
                for i, item in enumerate(fields):
                    too_long(_text_of(item), MAX_SECTION_FIELD_TEXT, f"{where}/fields/{i}/text")
        elif kind == "header":
            too_long(_text_of(block.get("text")), MAX_HEADER_TEXT, f"{where}/text/text")
        elif kind == "actions":
            elements = block.get("elements") or []
            if len(elements) > MAX_ACTIONS_ELEMENTS:
                problems.append(f"no more than {MAX_ACTIONS_ELEMENTS} items allowed [json-pointer:{where}/elements]")
        elif kind == "context":
            elements = block.get("elements") or []
            if not elements:
                problems.append(f"must have at least 1 item [json-pointer:{where}/elements]")
            if len(elements) > MAX_CONTEXT_ELEMENTS:
                problems.append(f"no more than {MAX_CONTEXT_ELEMENTS} items allowed [json-pointer:{where}/elements]")
        elif kind == "input":
            too_long(_text_of(block.get("label")), MAX_INPUT_LABEL, f"{where}/label/text")
            if not isinstance(block.get("element"), dict):
                problems.append(f"missing required field: element [json-pointer:{where}]")

        seen_action_ids: set[str] = set()
        for element in iter_block_elements(block):
            action_id = element.get("action_id")
            if isinstance(action_id, str):
                too_long(action_id, MAX_ID_LENGTH, f"{where}/action_id")
                if action_id in seen_action_ids:
                    problems.append(f"duplicate action_id {action_id!r} [json-pointer:{where}]")
                seen_action_ids.add(action_id)
            if element.get("type") == "button":
                too_long(_text_of(element.get("text")), MAX_BUTTON_TEXT, f"{where}/text/text")
                value = element.get("value")
                if isinstance(value, str):
                    too_long(value, MAX_BUTTON_VALUE, f"{where}/value")
            options = element.get("options")
            if isinstance(options, list):
                if len(options) > MAX_SELECT_OPTIONS:
                    problems.append(f"no more than {MAX_SELECT_OPTIONS} items allowed [json-pointer:{where}/options]")
                for i, opt in enumerate(options):
                    if isinstance(opt, dict):
                        too_long(_text_of(opt.get("text")), MAX_OPTION_TEXT, f"{where}/options/{i}/text/text")
                        too_long(str(opt.get("value", "")), MAX_OPTION_VALUE, f"{where}/options/{i}/value")
            if element.get("type") == "plain_text_input":
                for key in ("max_length", "min_length"):
                    limit = element.get(key)
                    if isinstance(limit, int) and not 0 <= limit <= MAX_TEXT_INPUT_LENGTH:
                        problems.append(f"must be at most {MAX_TEXT_INPUT_LENGTH} [json-pointer:{where}/{key}]")
        return problems

    @staticmethod
    def _fill_ids(blocks: list[JSONDict]) -> list[JSONDict]:
        """Give blocks and elements the ids Slack generates when the app leaves them out."""
        filled = copy.deepcopy(blocks)
        for block in filled:
            if "block_id" not in block:
                block["block_id"] = _generated_block_id()
            for element in iter_block_elements(block):
                if element.get("type") in INTERACTIVE_ELEMENTS and "action_id" not in element:
                    element["action_id"] = _generated_block_id()
        return filled

    def _message_blocks(self, params: JSONDict) -> list[JSONDict] | None:
        blocks = self._json_arg(params, "blocks", "invalid_blocks_format")
        if blocks is None:
            return None
        if not isinstance(blocks, list):
            raise SlackApiFailure("invalid_blocks_format")
        problems = self._block_problems(blocks, "/blocks", MAX_MESSAGE_BLOCKS)
        if problems:
            raise SlackApiFailure(
                "invalid_blocks",
                errors=problems,
                response_metadata={"messages": [f"[ERROR] {p}" for p in problems]},
            )
        return self._fill_ids(blocks)

    # ------------------------------------------------------------------ methods: auth, team, users

    def _api_test(self, params: JSONDict) -> JSONDict:
        return {"args": params} if params else {}

    def _auth_test(self, params: JSONDict) -> JSONDict:
        team_name = self._workspaces.get(self._call_team, self.team_name)
        return {
            "url": f"https://{_slug(team_name)}.slack.com/",
            "team": team_name,
            "user": self.bot_name,
            "team_id": self._call_team,
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
            "is_enterprise_install": False,
        }

    def _team_info(self, params: JSONDict) -> JSONDict:
        team_name = self._workspaces.get(self._call_team, self.team_name)
        return {
            "team": {
                "id": self._call_team,
                "name": team_name,
                "domain": _slug(team_name),
                "email_domain": "",
                "icon": {"image_default": True},
                "enterprise_id": None,
                "enterprise_name": None,
            }
        }

    def _public_user(self, user: JSONDict, include_locale: bool) -> JSONDict:
        shown = copy.deepcopy(user)
        if not include_locale:
            shown.pop("locale", None)
        return shown

    def _users_info(self, params: JSONDict) -> JSONDict:
        user = self._users.get(str(self._required(params, "user")))
        if user is None:
            raise SlackApiFailure("user_not_found")
        return {"user": self._public_user(user, _truthy(params.get("include_locale")))}

    def _users_lookup_by_email(self, params: JSONDict) -> JSONDict:
        email = str(self._required(params, "email")).strip().lower()
        for user in self._users.values():
            if user["team_id"] != self._call_team and not user["is_bot"]:
                continue
            if str(user["profile"].get("email", "")).lower() == email:
                return {"user": self._public_user(user, False)}
        raise SlackApiFailure("users_not_found")

    def _users_list(self, params: JSONDict) -> JSONDict:
        try:
            limit = int(params.get("limit") or 0)
        except (TypeError, ValueError) as exc:
            raise SlackApiFailure("invalid_limit") from exc
        ids = [u for u, user in self._users.items() if user["team_id"] == self._call_team or user["is_bot"]]
        start = 0
        cursor = params.get("cursor")
        if cursor:
            try:
                decoded = base64.b64decode(str(cursor), validate=True).decode("utf-8")
            except (ValueError, UnicodeDecodeError) as exc:
                raise SlackApiFailure("invalid_cursor") from exc
            if not decoded.startswith("user:") or decoded[5:] not in ids:
                raise SlackApiFailure("invalid_cursor")
            start = ids.index(decoded[5:])
        page_size = limit if 0 < limit <= 1000 else 1000
        page = ids[start : start + page_size]
        rest = ids[start + page_size :]
        next_cursor = base64.b64encode(f"user:{rest[0]}".encode()).decode() if rest else ""
        include_locale = _truthy(params.get("include_locale"))
        return {
            "members": [self._public_user(self._users[u], include_locale) for u in page],
            "cache_ts": int(time.time()),
            "response_metadata": {"next_cursor": next_cursor},
        }

    # ------------------------------------------------------------------ methods: conversations & chat

    def _conversations_open(self, params: JSONDict) -> JSONDict:
        channel = params.get("channel")
        if channel:
            if self._dm_owner(str(channel)) is None:
                raise SlackApiFailure("channel_not_found")
            return {"channel": {"id": channel}}
        users_arg = params.get("users")
        if not users_arg:
            raise SlackApiFailure("users_list_not_supplied")
        user_ids = [u.strip() for u in str(users_arg).split(",") if u.strip()]
        if len(user_ids) != 1:
            raise SlackApiFailure("method_not_supported_for_channel_type")
        user = self._users.get(user_ids[0])
        if user is None or user["id"] == self.bot_user_id:
            raise SlackApiFailure("user_not_found")
        if user["deleted"]:
            raise SlackApiFailure("user_disabled")
        channel_id = self.dm_channel_id(user["id"])
        already_open = channel_id in self._opened_dms
        self._opened_dms.add(channel_id)
        result: JSONDict = {"channel": {"id": channel_id}}
        if already_open:
            result = {"no_op": True, "already_open": True, **result}
        if _truthy(params.get("return_im")):
            result["channel"].update(
                {"created": int(time.time()), "is_im": True, "is_org_shared": False, "user": user["id"]}
            )
        return result

    def _check_deactivated_dm(self, channel_id: str) -> None:
        owner = self._dm_owner(channel_id)
        if owner is not None and self._users[owner]["deleted"] and self.deactivated_dm_error:
            raise SlackApiFailure(self.deactivated_dm_error)

    def _validated_content(self, params: JSONDict) -> tuple[str | None, list[JSONDict] | None]:
        text = params.get("text")
        if text is not None and not isinstance(text, str):
            text = str(text)
        blocks = self._message_blocks(params)
        if text is not None and len(text) > MAX_MESSAGE_TEXT:
            raise SlackApiFailure("msg_too_long")
        return text, blocks

    def _bot_message(self, channel: str, text: str, blocks: list[JSONDict] | None, ts: str) -> JSONDict:
        message: JSONDict = {
            "type": "message",
            "user": self.bot_user_id,
            "bot_id": self.bot_id,
            "app_id": self.app_id,
            "team": self.team_id,
            "text": text,
            "ts": ts,
            "bot_profile": {
                "id": self.bot_id,
                "app_id": self.app_id,
                "name": self.bot_name,
                "deleted": False,
                "team_id": self.team_id,
            },
            "channel": channel,
            "edit_history": [],
        }
        if blocks is not None:
            message["blocks"] = blocks
        return message

    @staticmethod
    def public_message(message: Mapping[str, Any]) -> JSONDict:
        """A stored message as Slack would show it, without the emulator's bookkeeping keys."""
        shown = copy.deepcopy(dict(message))
        shown.pop("channel", None)
        shown.pop("edit_history", None)
        return shown

    def _post_message_locked(
        self,
        channel: str,
        text: str,
        blocks: list[JSONDict] | None,
        *,
        thread_ts: str | None = None,
        extra: JSONDict | None = None,
    ) -> JSONDict:
        ts = self.next_ts()
        message = self._bot_message(channel, text, blocks, ts)
        message.update(extra or {})
        if thread_ts:
            message["thread_ts"] = thread_ts
            for parent in self._messages.get(channel, []):
                if parent["ts"] == thread_ts:
                    parent["thread_ts"] = thread_ts
                    parent["reply_count"] = int(parent.get("reply_count", 0)) + 1
                    parent["latest_reply"] = ts
        self._messages.setdefault(channel, []).append(message)
        return message

    def _chat_post_message(self, params: JSONDict) -> JSONDict:
        channel = self._resolve_channel(params.get("channel"))
        self._check_deactivated_dm(channel)
        text, blocks = self._validated_content(params)
        if not text and not blocks and not params.get("attachments"):
            raise SlackApiFailure("no_text")
        extra: JSONDict = {}
        metadata = self._json_arg(params, "metadata", "invalid_metadata_format")
        if metadata is not None:
            extra["metadata"] = metadata
        for key in ("username", "icon_emoji", "icon_url"):
            if params.get(key):
                extra[key] = params[key]
        thread_ts = params.get("thread_ts")
        message = self._post_message_locked(
            channel, text or "", blocks, thread_ts=str(thread_ts) if thread_ts else None, extra=extra
        )
        return {"channel": channel, "ts": message["ts"], "message": self.public_message(message)}

    def _find_message(self, channel: str, ts: object) -> JSONDict:
        for message in self._messages.get(channel, []):
            if message["ts"] == ts:
                return message
        raise SlackApiFailure("message_not_found")

    def _edit_message_locked(self, message: JSONDict, text: str | None, blocks: list[JSONDict] | None) -> None:
        previous = {k: copy.deepcopy(message.get(k)) for k in ("text", "blocks")}
        previous["edited"] = copy.deepcopy(message.get("edited"))
        message.setdefault("edit_history", []).append(previous)
        if text is not None:
            message["text"] = text
        if blocks is not None:
            message["blocks"] = blocks
        message["edited"] = {"user": self.bot_user_id, "ts": self.next_ts()}

    def _chat_update(self, params: JSONDict) -> JSONDict:
        channel = self._resolve_channel(params.get("channel"), allow_user=False)
        message = self._find_message(channel, params.get("ts"))
        if message.get("bot_id") != self.bot_id:
            raise SlackApiFailure("cant_update_message")
        text, blocks = self._validated_content(params)
        new_text = text if text is not None else message.get("text")
        new_blocks = blocks if blocks is not None else message.get("blocks")
        if not new_text and not new_blocks:
            raise SlackApiFailure("no_text")
        self._edit_message_locked(message, text, blocks)
        return {
            "channel": channel,
            "ts": message["ts"],
            "text": message["text"],
            "message": self.public_message(message),
        }

    def _chat_delete(self, params: JSONDict) -> JSONDict:
        channel = self._resolve_channel(params.get("channel"), allow_user=False)
        message = self._find_message(channel, params.get("ts"))
        if message.get("bot_id") != self.bot_id:
            raise SlackApiFailure("cant_delete_message")
        self._messages[channel].remove(message)
        self._deleted_messages.append(message)
        return {"channel": channel, "ts": message["ts"]}

    def _chat_post_ephemeral(self, params: JSONDict) -> JSONDict:
        channel = self._resolve_channel(params.get("channel"))
        user_id = str(self._required(params, "user"))
        user = self._users.get(user_id)
        if user is None:
            raise SlackApiFailure("user_not_found")
        owner = self._dm_owner(channel)
        if owner is not None and owner != user_id:
            raise SlackApiFailure("user_not_in_channel")
        text, blocks = self._validated_content(params)
        if not text and not blocks and not params.get("attachments"):
            raise SlackApiFailure("no_text")
        eph: JSONDict = {
            "type": "message",
            "subtype": "ephemeral",
            "channel": channel,
            "user": user_id,
            "text": text or "",
            "blocks": blocks or [],
            "ts": self.next_ts(),
            "bot_id": self.bot_id,
        }
        if params.get("thread_ts"):
            eph["thread_ts"] = params["thread_ts"]
        self._ephemerals.append(eph)
        return {"message_ts": eph["ts"]}

    # ------------------------------------------------------------------ methods: views

    def _parse_view(self, params: JSONDict) -> JSONDict:
        raw = params.get("view")
        if isinstance(raw, str) and len(raw.encode("utf-8")) > MAX_VIEW_BYTES:
            raise SlackApiFailure("view_too_large")
        view = self._json_arg(params, "view", "invalid_arguments")
        if not isinstance(view, dict):
            raise SlackApiFailure(
                "invalid_arguments", response_metadata={"messages": ["[ERROR] missing required field: view"]}
            )
        if len(json.dumps(view).encode("utf-8")) > MAX_VIEW_BYTES:
            raise SlackApiFailure("view_too_large")
        return view

    def _validate_view(self, view: JSONDict, expected_type: str | None = None) -> None:
        problems: list[str] = []
        kind = view.get("type")
        if kind not in {"modal", "home"} or (expected_type is not None and kind != expected_type):
            problems.append("unsupported type [json-pointer:/view/type]")
        blocks = view.get("blocks")
        if not isinstance(blocks, list):
            problems.append("missing required field: blocks [json-pointer:/view/blocks]")
            blocks = []
        if kind == "modal":
            if not _text_of(view.get("title")):
                problems.append("missing required field: title [json-pointer:/view/title]")
            has_inputs = any(isinstance(b, dict) and b.get("type") == "input" for b in blocks)
            if has_inputs and not _text_of(view.get("submit")):
                problems.append("submit is required when the view has input blocks [json-pointer:/view/submit]")
        for key in ("title", "submit", "close"):
            if len(_text_of(view.get(key))) > MAX_VIEW_TITLE:
                problems.append(f"must be less than {MAX_VIEW_TITLE + 1} characters [json-pointer:/view/{key}/text]")
        metadata = view.get("private_metadata")
        if isinstance(metadata, str) and len(metadata) > MAX_PRIVATE_METADATA:
            problems.append(
                f"must be less than {MAX_PRIVATE_METADATA + 1} characters [json-pointer:/view/private_metadata]"
            )
        for key in ("callback_id", "external_id"):
            value = view.get(key)
            if isinstance(value, str) and len(value) > MAX_ID_LENGTH:
                problems.append(f"must be less than {MAX_ID_LENGTH + 1} characters [json-pointer:/view/{key}]")
        problems.extend(self._block_problems(blocks, "/view/blocks", MAX_VIEW_BLOCKS))
        problems.extend(_view_model_problems(view))
        if problems:
            raise SlackApiFailure(
                "invalid_arguments", response_metadata={"messages": [f"[ERROR] {p}" for p in problems]}
            )

    def _new_hash(self) -> str:
        return f"{int(time.time())}.{secrets.token_hex(4)}"

    def _make_view(
        self,
        spec: JSONDict,
        user_id: str,
        *,
        root_view_id: str | None = None,
        previous_view_id: str | None = None,
        view_id: str | None = None,
    ) -> JSONDict:
        external_id = str(spec.get("external_id") or "")
        if external_id and any(v.get("external_id") == external_id for v in self._views.values()):
            raise SlackApiFailure("duplicate_external_id")
        vid = view_id or _random_id("V")
        view: JSONDict = {
            "id": vid,
            "team_id": self.team_id,
            "type": spec.get("type"),
            "blocks": self._fill_ids(list(spec.get("blocks") or [])),
            "private_metadata": str(spec.get("private_metadata") or ""),
            "callback_id": str(spec.get("callback_id") or ""),
            "state": {"values": {}},
            "hash": self._new_hash(),
            "title": copy.deepcopy(spec.get("title")),
            "clear_on_close": bool(spec.get("clear_on_close", False)),
            "notify_on_close": bool(spec.get("notify_on_close", False)),
            "close": copy.deepcopy(spec.get("close")),
            "submit": copy.deepcopy(spec.get("submit")),
            "previous_view_id": previous_view_id,
            "root_view_id": root_view_id or vid,
            "app_id": self.app_id,
            "external_id": external_id,
            "app_installed_team_id": self.team_id,
            "bot_id": self.bot_id,
        }
        if spec.get("submit_disabled") is not None:
            view["submit_disabled"] = bool(spec.get("submit_disabled"))
        self._views[vid] = view
        self._view_owner[vid] = user_id
        return view

    def _replace_view(self, old: JSONDict, spec: JSONDict) -> JSONDict:
        external_id = str(spec.get("external_id") or "")
        if external_id and any(
            v.get("external_id") == external_id and v["id"] != old["id"] for v in self._views.values()
        ):
            raise SlackApiFailure("duplicate_external_id")
        old.update(
            {
                "type": spec.get("type", old["type"]),
                "blocks": self._fill_ids(list(spec.get("blocks") or [])),
                "private_metadata": str(spec.get("private_metadata") or ""),
                "callback_id": str(spec.get("callback_id") or ""),
                "state": {"values": {}},
                "hash": self._new_hash(),
                "clear_on_close": bool(spec.get("clear_on_close", False)),
                "notify_on_close": bool(spec.get("notify_on_close", False)),
                "close": copy.deepcopy(spec.get("close")),
                "submit": copy.deepcopy(spec.get("submit")),
                "external_id": external_id,
            }
        )
        old["title"] = copy.deepcopy(spec.get("title"))
        self._view_errors.pop(old["id"], None)
        return old

    def _close_view_locked(self, user_id: str, view_id: str) -> None:
        stack = self._stacks.get(user_id, [])
        if view_id in stack:
            stack.remove(view_id)
        if not stack:
            self._stacks.pop(user_id, None)
        view = self._views.pop(view_id, None)
        self._view_owner.pop(view_id, None)
        self._view_errors.pop(view_id, None)
        if view is not None:
            self._closed_views.append(view)

    def _exchange_trigger(self, params: JSONDict) -> str:
        trigger_id = params.get("trigger_id") or params.get("interactivity_pointer")
        if not trigger_id:
            raise SlackApiFailure(
                "invalid_arguments",
                response_metadata={"messages": ["[ERROR] missing required field: trigger_id"]},
            )
        trigger = self._triggers.get(str(trigger_id))
        if trigger is None:
            raise SlackApiFailure("invalid_trigger_id")
        if trigger.used:
            raise SlackApiFailure("exchanged_trigger_id")
        if time.monotonic() > trigger.expires_at:
            raise SlackApiFailure("expired_trigger_id")
        trigger.used = True
        return trigger.user_id

    def _views_open(self, params: JSONDict) -> JSONDict:
        view_spec = self._parse_view(params)
        self._validate_view(view_spec, "modal")
        user_id = self._exchange_trigger(params)
        for old in list(self._stacks.get(user_id, [])):
            self._close_view_locked(user_id, old)
        view = self._make_view(view_spec, user_id)
        self._stacks[user_id] = [view["id"]]
        return {"view": copy.deepcopy(view)}

    def _views_push(self, params: JSONDict) -> JSONDict:
        view_spec = self._parse_view(params)
        self._validate_view(view_spec, "modal")
        user_id = self._exchange_trigger(params)
        stack = self._stacks.get(user_id)
        if not stack:
            raise SlackApiFailure("not_found")
        if len(stack) >= MAX_VIEW_STACK:
            raise SlackApiFailure("push_limit_reached")
        view = self._make_view(view_spec, user_id, root_view_id=stack[0], previous_view_id=stack[-1])
        stack.append(view["id"])
        return {"view": copy.deepcopy(view)}

    def _views_update(self, params: JSONDict) -> JSONDict:
        view_spec = self._parse_view(params)
        view_id = params.get("view_id")
        external_id = params.get("external_id")
        target: JSONDict | None = None
        if view_id:
            target = self._views.get(str(view_id))
        elif external_id:
            target = next((v for v in self._views.values() if v.get("external_id") == external_id), None)
        else:
            raise SlackApiFailure(
                "invalid_arguments",
                response_metadata={"messages": ["[ERROR] either view_id or external_id is required"]},
            )
        if target is None:
            raise SlackApiFailure("not_found")
        self._validate_view(view_spec, str(target["type"]))
        expected_hash = params.get("hash")
        if expected_hash and expected_hash != target["hash"]:
            raise SlackApiFailure("hash_conflict")
        if "external_id" not in view_spec and target.get("external_id"):
            view_spec = {**view_spec, "external_id": target["external_id"]}
        updated = self._replace_view(target, view_spec)
        return {"view": copy.deepcopy(updated)}

    def _views_publish(self, params: JSONDict) -> JSONDict:
        user_id = str(self._required(params, "user_id"))
        view_spec = self._parse_view(params)
        self._validate_view(view_spec, "home")
        if user_id not in self._users or user_id == self.bot_user_id:
            raise SlackApiFailure("user_not_found")
        existing_id = self._home_by_user.get(user_id)
        if existing_id is not None:
            existing = self._views[existing_id]
            expected_hash = params.get("hash")
            if expected_hash and expected_hash != existing["hash"]:
                raise SlackApiFailure("hash_conflict")
            view = self._replace_view(existing, view_spec)
        else:
            view = self._make_view(view_spec, user_id)
            self._home_by_user[user_id] = view["id"]
        return {"view": copy.deepcopy(view)}

    # ------------------------------------------------------------------ methods: files

    def _files_get_upload_url_external(self, params: JSONDict) -> JSONDict:
        filename = str(self._required(params, "filename"))
        try:
            length = int(self._required(params, "length"))
        except (TypeError, ValueError) as exc:
            raise SlackApiFailure("invalid_arguments") from exc
        if length < 1:  # Slack: "missing_argument ... typically only occurs when the length provided is 0"
            raise SlackApiFailure("missing_argument")
        file_id = _random_id("F")
        self._files[file_id] = {
            "id": file_id,
            "name": filename,
            "title": filename,
            "length": length,
            "size": 0,
            "uploaded": False,
            "completed": False,
            "channels": [],
            "user": self.bot_user_id,
            "created": int(time.time()),
        }
        return {"upload_url": f"{self.base_url}/upload/{file_id}", "file_id": file_id}

    def _files_complete_upload_external(self, params: JSONDict) -> JSONDict:
        entries = self._json_arg(params, "files", "invalid_arguments")
        if not isinstance(entries, list) or not entries:
            raise SlackApiFailure("invalid_arguments")
        channels: list[str] = []
        if params.get("channel_id"):
            channels.append(self._resolve_channel(params["channel_id"]))
        if params.get("channels"):
            channels.extend(self._resolve_channel(c.strip()) for c in str(params["channels"]).split(","))
        shared: list[JSONDict] = []
        for entry in entries:
            file_id = str(entry.get("id")) if isinstance(entry, dict) else ""
            record = self._files.get(file_id)
            if record is None or not record["uploaded"]:
                raise SlackApiFailure("file_not_found")
            if isinstance(entry, dict) and entry.get("title"):
                record["title"] = entry["title"]
            record["completed"] = True
            record["channels"] = sorted(set(record["channels"]) | set(channels))
            shared.append(record)
        comment = str(params.get("initial_comment") or "")
        # The share message carries ``blocks`` only without an initial comment: Slack ignores them otherwise.
        blocks = None if comment else self._message_blocks(params)
        thread_ts = params.get("thread_ts")
        posted: list[tuple[str, str]] = []
        for channel in channels:
            public_files = [{k: v for k, v in f.items() if k not in {"uploaded", "completed"}} for f in shared]
            message = self._post_message_locked(
                channel,
                comment,
                copy.deepcopy(blocks) if blocks is not None else None,
                thread_ts=str(thread_ts) if thread_ts else None,
                extra={"files": copy.deepcopy(public_files), "upload": True},
            )
            posted.append((channel, str(message["ts"])))
        for record in shared:
            # Slack's file object lists where it was shared and the ts of each share message: DMs and
            # private channels under "private", public channels under "public".
            shares = record.setdefault("shares", {})
            for channel, ts in posted:
                kind = "public" if channel.startswith("C") else "private"
                entry = {"ts": ts, "channel_name": self.channel_name(channel), "team_id": self.team_id}
                shares.setdefault(kind, {}).setdefault(channel, []).append(entry)
        public_files = [{k: v for k, v in f.items() if k not in {"uploaded", "completed"}} for f in shared]
        return {"files": copy.deepcopy(public_files)}

    def _handle_upload(
        self, file_id: str, headers: Mapping[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        content_type = {k.lower(): v for k, v in headers.items()}.get("content-type", "")
        data = body
        if content_type.startswith("multipart/form-data"):
            message = BytesParser(policy=HTTP).parsebytes(f"Content-Type: {content_type}\r\n\r\n".encode() + body)
            for part in message.walk():
                if part.is_multipart():
                    continue
                payload = part.get_payload(decode=True)
                if isinstance(payload, bytes):
                    data = payload
                    break
        with self._lock:
            record = self._files.get(file_id)
            if record is None:
                return 404, {"Content-Type": "text/plain"}, b"file_not_found"
            record["uploaded"] = True
            record["size"] = len(data)
            self._file_content[file_id] = data
            self._changed()
        return 200, {"Content-Type": "text/plain"}, f"OK - {len(data)}".encode()

    # ------------------------------------------------------------------ response_url

    def _handle_response_url(self, url: str, body: bytes) -> tuple[int, dict[str, str], bytes]:
        plain = {"Content-Type": "text/plain"}
        with self._lock:
            target = self._response_urls.get(url)
            if target is None:
                return 404, plain, b"no_service"
            if time.monotonic() - target.created > self.response_url_ttl:
                target.rejected += 1
                return 404, plain, b"expired_url"
            if target.accepted >= MAX_RESPONSE_URL_POSTS:
                target.rejected += 1
                self._changed()
                return 404, plain, b"used_url"
            try:
                payload = json.loads(body.decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError):
                return 400, plain, b"invalid_payload"
            if not isinstance(payload, dict):
                return 400, plain, b"invalid_payload"
            delete = _truthy(payload.get("delete_original"))
            if not delete and not payload.get("text") and not payload.get("blocks"):
                return 400, plain, b"no_text"
            blocks = payload.get("blocks")
            if blocks is not None:
                if not isinstance(blocks, list):
                    return 400, plain, b"invalid_blocks"
                if self._block_problems(blocks, "/blocks", MAX_MESSAGE_BLOCKS):
                    return 400, plain, b"invalid_blocks"
            target.accepted += 1
            self._response_posts.append(
                {
                    "url": url,
                    "response_type": payload.get("response_type"),
                    "replace_original": payload.get("replace_original"),
                    "delete_original": payload.get("delete_original"),
                    "text": payload.get("text"),
                    "blocks": copy.deepcopy(blocks),
                    "thread_ts": payload.get("thread_ts"),
                    "channel_id": target.channel_id,
                    "user_id": target.user_id,
                    "message_ts": target.message_ts,
                    "body": payload,
                }
            )
            self._apply_response_effect(target, payload, delete)
            self._changed()
        return 200, plain, b"ok"

    def _apply_response_effect(self, target: _ResponseUrl, payload: JSONDict, delete: bool) -> None:
        """Show the response where Slack would: replace/delete the source message, or post it."""
        channel = target.channel_id
        if channel is None:
            return
        text = str(payload.get("text") or "")
        blocks = self._fill_ids(payload["blocks"]) if isinstance(payload.get("blocks"), list) else None
        original = None
        if target.message_ts is not None:
            original = next((m for m in self._messages.get(channel, []) if m["ts"] == target.message_ts), None)
            ephemeral = next((e for e in self._ephemerals if e["ts"] == target.message_ts), None)
            if original is None and ephemeral is not None:
                if delete:
                    self._ephemerals.remove(ephemeral)
                    return
                if _truthy(payload.get("replace_original")):
                    ephemeral["text"] = text
                    ephemeral["blocks"] = blocks if blocks is not None else []
                    return
        if delete:
            if original is not None:
                self._messages[channel].remove(original)
                self._deleted_messages.append(original)
            return
        if _truthy(payload.get("replace_original")) and original is not None:
            self._edit_message_locked(original, text, blocks if blocks is not None else [])
            return
        thread_ts = payload.get("thread_ts")
        if payload.get("response_type") == "in_channel":
            self._post_message_locked(channel, text, blocks, thread_ts=str(thread_ts) if thread_ts else None)
        elif target.user_id is not None:
            self._ephemerals.append(
                {
                    "type": "message",
                    "subtype": "ephemeral",
                    "channel": channel,
                    "user": target.user_id,
                    "text": text,
                    "blocks": blocks or [],
                    "ts": self.next_ts(),
                    "bot_id": self.bot_id,
                }
            )


class _Server(ThreadingHTTPServer):
    """Slack does not turn connections away: with the standard library's backlog of 5, a burst of clients
    connecting at once (32 response_url calls, say) would have some SYNs dropped and retried a second later,
    a delay that belongs to the emulator, not to the bot it serves."""

    request_queue_size = 1024


class _Handler(BaseHTTPRequestHandler):
    """Socket-level glue: read the request, let the emulator answer, write the answer."""

    owner: SlackEmulator
    server_version = "SlackEmulator/1.0"

    def _serve(self, verb: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        headers = {k: v for k, v in self.headers.items()}
        status, out_headers, payload = self.owner.handle_http(verb, self.path, headers, body)
        self.send_response(status)
        for name, value in out_headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def do_POST(self) -> None:
        self._serve("POST")

    def do_GET(self) -> None:
        self._serve("GET")

    def log_message(self, format: str, *args: Any) -> None:
        return

"""Plays the Slack side of the conversation: signed requests to the bot's ``/slack/events`` endpoint.

Payloads follow the shapes Slack documents for slash commands, ``block_actions``, ``view_submission``,
``view_closed`` and the Events API, and are signed the way Slack signs them, so the bot's real request
verification runs. The driver also plays the Slack client: after a submission it applies the bot's
``response_action`` to the emulator's modal stack, and a slash command's inline answer is shown to
the user as an ephemeral message.
"""

from __future__ import annotations

import base64
import copy
import json
import secrets
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from datetime import time as dt_time
from typing import Any, cast
from urllib.parse import urlencode

from slack_sdk.signature import SignatureVerifier

from bot.emulator.server import JSONDict, SlackEmulator, iter_block_elements

_MISSING: Any = object()

_TEXT_INPUTS = frozenset({"plain_text_input", "email_text_input", "url_text_input", "number_input"})
_SINGLE_OPTION = frozenset({"static_select", "external_select", "radio_buttons", "overflow"})
_MULTI_OPTION = frozenset({"multi_static_select", "multi_external_select", "checkboxes"})
_SINGLE_PICK = {
    "users_select": ("selected_user", "initial_user"),
    "conversations_select": ("selected_conversation", "initial_conversation"),
    "channels_select": ("selected_channel", "initial_channel"),
}
_MULTI_PICK = {
    "multi_users_select": ("selected_users", "initial_users"),
    "multi_conversations_select": ("selected_conversations", "initial_conversations"),
    "multi_channels_select": ("selected_channels", "initial_channels"),
}
# Elements without a value of their own; they never appear in view.state.values.
_STATELESS = frozenset({"button", "overflow", "workflow_button", "file_input"})


@dataclass(frozen=True)
class DriverResult:
    """What the bot answered, plus the payload that was sent (handy for asserting on ids and ts)."""

    status: int
    headers: dict[str, str]
    body: str
    json: Any = None
    sent: JSONDict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


def _options_of(element: Mapping[str, Any]) -> list[JSONDict]:
    options = [o for o in element.get("options") or [] if isinstance(o, dict)]
    for group in element.get("option_groups") or []:
        if isinstance(group, dict):
            options.extend(o for o in group.get("options") or [] if isinstance(o, dict))
    return options


def _label(obj: object) -> str:
    if isinstance(obj, dict):
        text = obj.get("text")
        if isinstance(text, dict):
            inner = text.get("text")
            return inner if isinstance(inner, str) else ""
        return text if isinstance(text, str) else ""
    return ""


def _find_option(element: Mapping[str, Any], wanted: object) -> JSONDict:
    if isinstance(wanted, dict):
        return copy.deepcopy(wanted)
    options = _options_of(element)
    for option in options:
        if option.get("value") == wanted:
            return copy.deepcopy(option)
    for option in options:
        if _label(option) == wanted:
            return copy.deepcopy(option)
    known = [o.get("value") for o in options]
    raise LookupError(f"option {wanted!r} not in {element.get('action_id')!r} (values: {known})")


def _as_date(value: object) -> str:
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    text = str(value)
    date.fromisoformat(text)
    return text


def _as_time(value: object) -> str:
    if isinstance(value, dt_time):
        return value.strftime("%H:%M")
    text = str(value)
    dt_time.fromisoformat(text)
    return text


def _rich_text(text: str) -> JSONDict:
    return {
        "type": "rich_text",
        "elements": [{"type": "rich_text_section", "elements": [{"type": "text", "text": text}]}],
    }


def element_value(element: Mapping[str, Any], given: object = _MISSING) -> JSONDict:
    """The type-specific part of an element's state, from a plain Python value or its initial value.

    Slack reports an untouched element with a ``null`` value (or an empty list), and that is what
    comes back when neither ``given`` nor an initial value exists.
    """
    kind = str(element.get("type"))
    if kind in _TEXT_INPUTS:
        raw = element.get("initial_value") if given is _MISSING else given
        return {"value": None if raw is None else str(raw)}
    if kind == "rich_text_input":
        raw = element.get("initial_value") if given is _MISSING else given
        if isinstance(raw, str):
            raw = _rich_text(raw)
        return {"rich_text_value": raw}
    if kind == "datepicker":
        raw = element.get("initial_date") if given is _MISSING else given
        return {"selected_date": None if raw is None else _as_date(raw)}
    if kind == "timepicker":
        raw = element.get("initial_time") if given is _MISSING else given
        result: JSONDict = {"selected_time": None if raw is None else _as_time(raw)}
        if element.get("timezone"):
            result["timezone"] = element["timezone"]
        return result
    if kind == "datetimepicker":
        raw = element.get("initial_date_time") if given is _MISSING else given
        if isinstance(raw, datetime):
            raw = int(raw.timestamp())
        return {"selected_date_time": None if raw is None else int(str(raw))}
    if kind in _SINGLE_OPTION:
        raw = element.get("initial_option") if given is _MISSING else given
        return {"selected_option": None if raw is None else _find_option(element, raw)}
    if kind in _MULTI_OPTION:
        raw = element.get("initial_options") if given is _MISSING else given
        items = [] if raw is None else ([raw] if isinstance(raw, str | dict) else list(cast(Iterable[Any], raw)))
        return {"selected_options": [_find_option(element, item) for item in items]}
    if kind in _SINGLE_PICK:
        key, initial = _SINGLE_PICK[kind]
        raw = element.get(initial) if given is _MISSING else given
        return {key: None if raw is None else str(raw)}
    if kind in _MULTI_PICK:
        key, initial = _MULTI_PICK[kind]
        raw = element.get(initial) if given is _MISSING else given
        items = [] if raw is None else ([raw] if isinstance(raw, str) else list(cast(Iterable[Any], raw)))
        return {key: [str(item) for item in items]}
    return {}


def _is_empty(value_part: Mapping[str, Any]) -> bool:
    return all(v is None or v == [] or v == "" for v in value_part.values())


@dataclass(frozen=True)
class LocatedAction:
    block: JSONDict
    element: JSONDict
    option: JSONDict | None


def _describe(blocks: Iterable[Mapping[str, Any]]) -> list[str]:
    found = []
    for block in blocks:
        for element in iter_block_elements(block):
            found.append(f"{element.get('type')}:{element.get('action_id')}:{_label(element) or '-'}")
    return found


def locate_action(source: Mapping[str, Any], action_id: str | None = None, text: str | None = None) -> LocatedAction:
    """Find an interactive element in a message or view by action_id and/or what the user sees on it."""
    if action_id is None and text is None:
        raise ValueError("give action_id or text")
    blocks = [b for b in source.get("blocks") or [] if isinstance(b, dict)]
    for block in blocks:
        for element in iter_block_elements(block):
            if action_id is not None and element.get("action_id") != action_id:
                continue
            if text is None:
                return LocatedAction(block, element, None)
            if _label(element) == text:
                return LocatedAction(block, element, None)
            for option in _options_of(element):
                if _label(option) == text or option.get("value") == text:
                    return LocatedAction(block, element, copy.deepcopy(option))
    raise LookupError(f"no element with action_id={action_id!r} text={text!r}; have {_describe(blocks)}")


class SlackDriver:
    """Sends what Slack would send to the bot when a person uses it."""

    def __init__(
        self,
        bot_url: str,
        signing_secret: str,
        emulator: SlackEmulator,
        *,
        team_id: str | None = None,
        api_app_id: str = "AMAL",
        clock: Callable[[], float] = time.time,
        verification_token: str = "emulator-verification-token",
        timeout: float = 10.0,
    ) -> None:
        self.bot_url = bot_url
        self.signing_secret = signing_secret
        self.emulator = emulator
        self.team_id = team_id or emulator.team_id
        self.api_app_id = api_app_id
        self.clock = clock
        self.verification_token = verification_token
        self.timeout = timeout
        self.last_response_url: str | None = None
        self._event_bodies: dict[str, str] = {}
        self._last_event_id: str | None = None
        # Requests go straight to the bot, never through a proxy from the environment.
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    # ------------------------------------------------------------------ transport

    def send(
        self,
        body: str,
        content_type: str,
        *,
        headers: Mapping[str, str] | None = None,
        sign_with: str | None = None,
        timestamp_offset: int = 0,
        sent: JSONDict | None = None,
    ) -> DriverResult:
        """POST ``body`` signed as Slack signs it: HMAC-SHA256 over ``v0:{timestamp}:{body}``."""
        timestamp = str(int(self.clock()) + timestamp_offset)
        signature = SignatureVerifier(sign_with if sign_with is not None else self.signing_secret)
        request_headers = {
            "Content-Type": content_type,
            "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
            "X-Slack-Request-Timestamp": timestamp,
            "X-Slack-Signature": str(signature.generate_signature(timestamp=timestamp, body=body)),
            **(headers or {}),
        }
        request = urllib.request.Request(
            self.bot_url, data=body.encode("utf-8"), headers=request_headers, method="POST"
        )
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                status = int(response.status)
                response_headers = dict(response.headers.items())
                text = response.read().decode("utf-8", errors="replace")
        except urllib.error.HTTPError as error:
            status = error.code
            response_headers = dict(error.headers.items())
            text = error.read().decode("utf-8", errors="replace")
        parsed: Any = None
        if text.strip().startswith(("{", "[")):
            try:
                parsed = json.loads(text)
            except json.JSONDecodeError:
                parsed = None
        return DriverResult(status, response_headers, text, parsed, sent or {})

    def _send_form(self, fields: Mapping[str, str], sign_with: str | None, timestamp_offset: int) -> DriverResult:
        return self.send(
            urlencode(fields),
            "application/x-www-form-urlencoded",
            sign_with=sign_with,
            timestamp_offset=timestamp_offset,
            sent=dict(fields),
        )

    def _send_interaction(self, payload: JSONDict, sign_with: str | None, timestamp_offset: int) -> DriverResult:
        result = self.send(
            urlencode({"payload": json.dumps(payload)}),
            "application/x-www-form-urlencoded",
            sign_with=sign_with,
            timestamp_offset=timestamp_offset,
        )
        return DriverResult(result.status, result.headers, result.body, result.json, payload)

    # ------------------------------------------------------------------ common payload parts

    def _user_name(self, user_id: str) -> str:
        user = self.emulator.user(user_id)
        return str(user["name"]) if user is not None else user_id

    def _user_obj(self, user_id: str) -> JSONDict:
        name = self._user_name(user_id)
        return {"id": user_id, "username": name, "name": name, "team_id": self.team_id}

    def _team_obj(self) -> JSONDict:
        return {"id": self.team_id, "domain": self.emulator.team_domain}

    def _action_ts(self) -> str:
        return f"{self.clock():.6f}"

    # ------------------------------------------------------------------ slash commands

    def slash_command(
        self,
        user_id: str,
        text: str = "",
        command: str = "/mal",
        *,
        channel_id: str | None = None,
        sign_with: str | None = None,
        timestamp_offset: int = 0,
    ) -> DriverResult:
        channel = channel_id or self.emulator.dm_channel_id(user_id)
        response_url = self.emulator.new_response_url(channel_id=channel, user_id=user_id)
        self.last_response_url = response_url
        fields = {
            "token": self.verification_token,
            "team_id": self.team_id,
            "team_domain": self.emulator.team_domain,
            "channel_id": channel,
            "channel_name": self.emulator.channel_name(channel),
            "user_id": user_id,
            "user_name": self._user_name(user_id),
            "command": command,
            "text": text,
            "api_app_id": self.api_app_id,
            "is_enterprise_install": "false",
            "response_url": response_url,
            "trigger_id": self.emulator.register_trigger(user_id),
        }
        result = self._send_form(fields, sign_with, timestamp_offset)
        if result.status == 200 and result.body.strip():
            self._show_command_answer(result, channel, user_id)
        return result

    def _show_command_answer(self, result: DriverResult, channel: str, user_id: str) -> None:
        """A body in the command's HTTP answer is a message: ephemeral unless response_type says otherwise."""
        answer = result.json if isinstance(result.json, dict) else {"text": result.body}
        text = str(answer.get("text") or "")
        raw_blocks = answer.get("blocks")
        blocks = raw_blocks if isinstance(raw_blocks, list) else None
        if not text and not blocks:
            return
        if blocks is not None and (problems := self.emulator.message_block_problems(blocks)):
            # Slack shows nothing of an answer it cannot render; the test sees the refusal instead.
            self.emulator.record_failure("command_answer", "invalid_blocks", problems)
            return
        if answer.get("response_type") == "in_channel":
            self.emulator.add_bot_message(channel, text, blocks)
        else:
            self.emulator.add_ephemeral(channel, user_id, text, blocks)

    def wait_response_url_posts(self, n: int = 1, timeout: float = 5.0) -> list[JSONDict]:
        """Posts to the last response_url once there are ``n`` of them (fewer if ``timeout`` runs out)."""
        url = self.last_response_url
        if url is None:
            raise RuntimeError("no response_url handed out yet")
        self.emulator.wait_for(lambda: len(self.emulator.response_url_posts(url)) >= n, timeout)
        return self.emulator.response_url_posts(url)

    # ------------------------------------------------------------------ block actions

    def find_action(self, source: Mapping[str, Any], action_id: str | None = None, text: str | None = None) -> JSONDict:
        return copy.deepcopy(locate_action(source, action_id, text).element)

    def _fresh_source(self, source: Mapping[str, Any]) -> JSONDict:
        """The current version of a message or view: what the user sees now, not a stale copy."""
        if self._is_view(source):
            current = self.emulator.get_view(str(source["id"]))
            return current if current is not None else copy.deepcopy(dict(source))
        channel = source.get("channel")
        ts = source.get("ts")
        if isinstance(channel, str) and isinstance(ts, str):
            current = self.emulator.message(channel, ts)
            if current is not None:
                return current
        return copy.deepcopy(dict(source))

    @staticmethod
    def _is_view(source: Mapping[str, Any]) -> bool:
        return source.get("type") in {"modal", "home"} and "id" in source

    def block_action(
        self,
        user_id: str,
        action_id: str,
        *,
        source: Mapping[str, Any],
        value: str | None = None,
        block_id: str | None = None,
        selected_option: str | Mapping[str, Any] | None = None,
        selected_options: list[str] | None = None,
        selected_date: str | date | None = None,
        selected_time: str | None = None,
        selected_user: str | None = None,
        selected_users: list[str] | None = None,
        sign_with: str | None = None,
        timestamp_offset: int = 0,
    ) -> DriverResult:
        """Send a ``block_actions`` payload for the element ``action_id`` in ``source``.

        ``source`` is a message (as returned by ``emulator.messages()``) or a view; the block_id, the
        container and the state come from it. Selection arguments override what the element shows.
        """
        fresh = self._fresh_source(source)
        blocks = [b for b in fresh.get("blocks") or [] if isinstance(b, dict)]
        located: LocatedAction | None = None
        for block in blocks:
            if block_id is not None and block.get("block_id") != block_id:
                continue
            for element in iter_block_elements(block):
                if element.get("action_id") == action_id:
                    located = LocatedAction(block, element, None)
                    break
            if located is not None:
                break
        if located is None:
            if block_id is None:
                raise LookupError(f"no element with action_id={action_id!r}; have {_describe(blocks)}")
            located = LocatedAction({"block_id": block_id}, {"type": "button", "action_id": action_id}, None)
        chosen: object = _MISSING
        for candidate in (
            selected_option,
            selected_options,
            selected_date,
            selected_time,
            selected_user,
            selected_users,
        ):
            if candidate is not None:
                chosen = candidate
                break
        if value is not None and located.element.get("type") != "button":
            chosen = value
        return self._send_action(user_id, fresh, located, chosen, value, sign_with, timestamp_offset)

    def click(
        self,
        user_id: str,
        source: Mapping[str, Any],
        action_id: str | None = None,
        text: str | None = None,
        *,
        option: str | None = None,
        options: list[str] | None = None,
        date: str | None = None,
        time: str | None = None,
        user: str | None = None,
        sign_with: str | None = None,
        timestamp_offset: int = 0,
    ) -> DriverResult:
        """Use an element the way a person would: press a button, pick an option, choose a date.

        ``text`` matches a button's label or an option's label, so "click Yes" works without knowing
        ids. Without an explicit choice a select takes its initial option (or the first one), a date
        picker its initial date (or today), a user picker the clicking user.
        """
        fresh = self._fresh_source(source)
        located = locate_action(fresh, action_id, text)
        kind = str(located.element.get("type"))
        chosen: object = _MISSING
        if option is not None:
            chosen = option
        elif options is not None:
            chosen = options
        elif date is not None:
            chosen = date
        elif time is not None:
            chosen = time
        elif user is not None:
            chosen = user
        elif located.option is not None:
            chosen = [located.option] if kind in _MULTI_OPTION else located.option
        if chosen is _MISSING:
            chosen = self._default_choice(located.element, user_id)
        return self._send_action(user_id, fresh, located, chosen, None, sign_with, timestamp_offset)

    @staticmethod
    def _default_choice(element: Mapping[str, Any], user_id: str) -> object:
        kind = str(element.get("type"))
        current = element_value(element)
        if kind == "button" or not _is_empty(current):
            return _MISSING
        if kind in _SINGLE_OPTION:
            opts = _options_of(element)
            return opts[0] if opts else _MISSING
        if kind in _MULTI_OPTION:
            opts = _options_of(element)
            return opts[:1]
        if kind == "datepicker":
            return date_today()
        if kind == "users_select":
            return user_id
        if kind == "multi_users_select":
            return [user_id]
        return _MISSING

    def _send_action(
        self,
        user_id: str,
        source: JSONDict,
        located: LocatedAction,
        chosen: object,
        button_value: str | None,
        sign_with: str | None,
        timestamp_offset: int,
    ) -> DriverResult:
        element = located.element
        kind = str(element.get("type"))
        block_id = str(located.block.get("block_id", ""))
        action: JSONDict = {"type": kind, "action_id": element.get("action_id"), "block_id": block_id}
        if kind == "button":
            action["text"] = copy.deepcopy(element.get("text"))
            value = button_value if button_value is not None else element.get("value")
            if value is not None:
                action["value"] = value
            for key in ("style", "url"):
                if key in element:
                    action[key] = element[key]
        else:
            part = element_value(element, chosen)
            action.update(part)
            for key in ("placeholder", "initial_date", "initial_option", "initial_user", "initial_time"):
                if key in element:
                    action[key] = copy.deepcopy(element[key])
        action["action_ts"] = self._action_ts()

        trigger_id = self.emulator.register_trigger(user_id)
        payload: JSONDict = {
            "type": "block_actions",
            "user": self._user_obj(user_id),
            "api_app_id": self.api_app_id,
            "token": self.verification_token,
        }
        if self._is_view(source):
            state = copy.deepcopy(source.get("state") or {"values": {}})
            if kind not in _STATELESS:
                state.setdefault("values", {}).setdefault(block_id, {})[str(element.get("action_id"))] = {
                    "type": kind,
                    **element_value(element, chosen),
                }
                self.emulator.set_view_state(str(source["id"]), state["values"])
            view = copy.deepcopy(source)
            view["state"] = state
            payload["container"] = {"type": "view", "view_id": source["id"]}
            payload["trigger_id"] = trigger_id
            payload["team"] = self._team_obj()
            payload["enterprise"] = None
            payload["is_enterprise_install"] = False
            payload["view"] = view
            payload["state"] = copy.deepcopy(state)
        else:
            channel = str(source.get("channel") or self.emulator.dm_channel_id(user_id))
            message_ts = str(source.get("ts", ""))
            response_url = self.emulator.new_response_url(
                channel_id=channel, user_id=user_id, message_ts=message_ts or None
            )
            self.last_response_url = response_url
            values: JSONDict = {}
            if kind not in _STATELESS:
                values = {block_id: {str(element.get("action_id")): {"type": kind, **element_value(element, chosen)}}}
            payload["container"] = {
                "type": "message",
                "message_ts": message_ts,
                "channel_id": channel,
                "is_ephemeral": source.get("subtype") == "ephemeral",
            }
            payload["trigger_id"] = trigger_id
            payload["team"] = self._team_obj()
            payload["enterprise"] = None
            payload["is_enterprise_install"] = False
            payload["channel"] = {"id": channel, "name": self.emulator.channel_name(channel)}
            payload["message"] = SlackEmulator.public_message(source)
            payload["state"] = {"values": values}
            payload["response_url"] = response_url
        payload["actions"] = [action]
        return self._send_interaction(payload, sign_with, timestamp_offset)

    # ------------------------------------------------------------------ views

    def build_state_values(self, view: Mapping[str, Any], values: Mapping[str, object]) -> JSONDict:
        """``view.state.values`` as Slack builds it, from values keyed by action_id or block_id.

        A value the person could not have entered (an unknown key, a required input left empty) raises,
        because Slack's client would not have let the submission through.
        """
        remaining = dict(values)
        existing = (view.get("state") or {}).get("values") or {}
        state: JSONDict = {}
        for block in view.get("blocks") or []:
            if not isinstance(block, dict):
                continue
            block_id = str(block.get("block_id", ""))
            for element in iter_block_elements(block):
                kind = str(element.get("type"))
                if kind in _STATELESS:
                    continue
                action_id = str(element.get("action_id", ""))
                given: object = _MISSING
                for key in (action_id, block_id):
                    if key in remaining:
                        given = remaining.pop(key)
                        break
                if given is _MISSING and action_id in existing.get(block_id, {}):
                    entry = copy.deepcopy(existing[block_id][action_id])
                    part = {k: v for k, v in entry.items() if k != "type"}
                else:
                    part = element_value(element, given)
                is_input = block.get("type") == "input"
                if is_input and not block.get("optional", False) and _is_empty(part):
                    raise ValueError(f"required input {block_id}/{action_id} has no value")
                if is_input or given is not _MISSING or not _is_empty(part):
                    state.setdefault(block_id, {})[action_id] = {"type": kind, **part}
        if remaining:
            raise ValueError(f"no input for {sorted(remaining)} in view {view.get('callback_id')!r}")
        return state

    def view_submission(
        self,
        user_id: str,
        view: Mapping[str, Any],
        values: Mapping[str, object] | None = None,
        *,
        sign_with: str | None = None,
        timestamp_offset: int = 0,
    ) -> DriverResult:
        """Submit a modal with the given values, then apply the bot's answer to the modal stack."""
        fresh = self._fresh_source(view)
        state_values = self.build_state_values(fresh, values or {})
        submitted = copy.deepcopy(fresh)
        submitted["state"] = {"values": state_values}
        response_urls = []
        for block in fresh.get("blocks") or []:
            element = block.get("element") if isinstance(block, dict) else None
            if not isinstance(element, dict) or not element.get("response_url_enabled"):
                continue
            entry = state_values.get(str(block.get("block_id")), {}).get(str(element.get("action_id")), {})
            channel = entry.get("selected_conversation") or entry.get("selected_channel")
            if channel:
                response_urls.append(
                    {
                        "block_id": block.get("block_id"),
                        "action_id": element.get("action_id"),
                        "channel_id": channel,
                        "response_url": self.emulator.new_response_url(channel_id=str(channel), user_id=user_id),
                    }
                )
        payload: JSONDict = {
            "type": "view_submission",
            "team": self._team_obj(),
            "user": self._user_obj(user_id),
            "api_app_id": self.api_app_id,
            "token": self.verification_token,
            "trigger_id": self.emulator.register_trigger(user_id),
            "view": submitted,
            "response_urls": response_urls,
            "is_enterprise_install": False,
            "enterprise": None,
        }
        view_id = str(fresh.get("id", ""))
        self.emulator.set_view_state(view_id, state_values)
        result = self._send_interaction(payload, sign_with, timestamp_offset)
        if result.status == 200:
            answer = result.json if isinstance(result.json, dict) else None
            self.emulator.apply_view_response(user_id, view_id, answer)
        return result

    def view_closed(
        self,
        user_id: str,
        view: Mapping[str, Any],
        *,
        is_cleared: bool = False,
        force: bool = False,
        sign_with: str | None = None,
        timestamp_offset: int = 0,
    ) -> DriverResult | None:
        """The person closes the modal; Slack tells the bot only if the view asked (``notify_on_close``)."""
        fresh = self._fresh_source(view)
        view_id = str(fresh.get("id", ""))
        self.emulator.close_view(user_id, view_id, clear=is_cleared)
        if not (fresh.get("notify_on_close") or force):
            return None
        payload: JSONDict = {
            "type": "view_closed",
            "team": self._team_obj(),
            "user": self._user_obj(user_id),
            "api_app_id": self.api_app_id,
            "token": self.verification_token,
            "view": fresh,
            "is_cleared": is_cleared,
            "is_enterprise_install": False,
            "enterprise": None,
        }
        return self._send_interaction(payload, sign_with, timestamp_offset)

    # ------------------------------------------------------------------ Events API

    def _new_event_id(self) -> str:
        alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
        return "Ev" + "".join(secrets.choice(alphabet) for _ in range(10))

    def _envelope(self, event: JSONDict, event_id: str, channel: str | None) -> JSONDict:
        context = {"et": event.get("type"), "tid": self.team_id, "aid": self.api_app_id}
        if channel:
            context["cid"] = channel
        return {
            "token": self.verification_token,
            "team_id": self.team_id,
            "context_team_id": self.team_id,
            "context_enterprise_id": None,
            "api_app_id": self.api_app_id,
            "event": event,
            "type": "event_callback",
            "event_id": event_id,
            "event_time": int(self.clock()),
            "authorizations": [
                {
                    "enterprise_id": None,
                    "team_id": self.team_id,
                    "user_id": self.emulator.bot_user_id,
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "is_ext_shared_channel": False,
            "event_context": "4-" + base64.b64encode(json.dumps(context).encode()).decode().rstrip("="),
        }

    def _deliver(
        self,
        body: str,
        event_id: str,
        retry_num: int | None,
        retry_reason: str,
        sign_with: str | None,
        timestamp_offset: int,
    ) -> DriverResult:
        self._event_bodies[event_id] = body
        self._last_event_id = event_id
        headers = {}
        if retry_num is not None:
            headers = {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": retry_reason}
        result = self.send(
            body, "application/json", headers=headers, sign_with=sign_with, timestamp_offset=timestamp_offset
        )
        return DriverResult(result.status, result.headers, result.body, result.json, json.loads(body))

    def redeliver(
        self,
        event_id: str | None = None,
        retry_num: int = 1,
        retry_reason: str = "http_timeout",
        *,
        sign_with: str | None = None,
        timestamp_offset: int = 0,
    ) -> DriverResult:
        """Send an already delivered event again, byte for byte, as Slack's retries do."""
        eid = event_id or self._last_event_id
        if eid is None or eid not in self._event_bodies:
            raise LookupError(f"event {eid!r} was never delivered")
        return self._deliver(self._event_bodies[eid], eid, retry_num, retry_reason, sign_with, timestamp_offset)

    def message_im(
        self,
        user_id: str,
        text: str,
        *,
        event_id: str | None = None,
        client_msg_id: str | None = None,
        retry_num: int | None = None,
        retry_reason: str = "http_timeout",
        thread_ts: str | None = None,
        sign_with: str | None = None,
        timestamp_offset: int = 0,
    ) -> DriverResult:
        """The person writes in the bot's DM (``message.im``).

        With ``retry_num`` this is a retry: the body of the earlier delivery of ``event_id`` (or of the
        last event) is sent again unchanged, with Slack's retry headers.
        """
        if retry_num is not None:
            eid = event_id or self._last_event_id
            if eid is not None and eid in self._event_bodies:
                return self._deliver(self._event_bodies[eid], eid, retry_num, retry_reason, sign_with, timestamp_offset)
        elif event_id is not None and event_id in self._event_bodies:
            return self._deliver(
                self._event_bodies[event_id], event_id, None, retry_reason, sign_with, timestamp_offset
            )
        stored = self.emulator.record_user_message(user_id, text, client_msg_id=client_msg_id, thread_ts=thread_ts)
        event: JSONDict = {
            "client_msg_id": stored["client_msg_id"],
            "type": "message",
            "text": text,
            "user": user_id,
            "ts": stored["ts"],
            "blocks": stored["blocks"],
            "team": self.team_id,
            "channel": stored["channel"],
            "event_ts": stored["ts"],
            "channel_type": "im",
        }
        if thread_ts is not None:
            event["thread_ts"] = thread_ts
            event["parent_user_id"] = self.emulator.bot_user_id
        eid = event_id or self._new_event_id()
        body = json.dumps(self._envelope(event, eid, str(stored["channel"])))
        return self._deliver(body, eid, retry_num, retry_reason, sign_with, timestamp_offset)

    def app_home_opened(
        self,
        user_id: str,
        tab: str = "home",
        *,
        sign_with: str | None = None,
        timestamp_offset: int = 0,
    ) -> DriverResult:
        channel = self.emulator.dm_channel_id(user_id)
        event: JSONDict = {
            "type": "app_home_opened",
            "user": user_id,
            "channel": channel,
            "tab": tab,
            "event_ts": self._action_ts(),
        }
        home = self.emulator.home_view(user_id)
        if tab == "home" and home is not None:
            event["view"] = home
        return self.event(event, sign_with=sign_with, timestamp_offset=timestamp_offset)

    def event(
        self,
        event: Mapping[str, Any],
        *,
        event_id: str | None = None,
        retry_num: int | None = None,
        retry_reason: str = "http_timeout",
        sign_with: str | None = None,
        timestamp_offset: int = 0,
    ) -> DriverResult:
        """Deliver any Events API event inside Slack's ``event_callback`` envelope."""
        inner = copy.deepcopy(dict(event))
        inner.setdefault("event_ts", self._action_ts())
        eid = event_id or self._new_event_id()
        channel = inner.get("channel")
        body = json.dumps(self._envelope(inner, eid, channel if isinstance(channel, str) else None))
        return self._deliver(body, eid, retry_num, retry_reason, sign_with, timestamp_offset)

    def url_verification(
        self, challenge: str, *, sign_with: str | None = None, timestamp_offset: int = 0
    ) -> DriverResult:
        payload = {"token": self.verification_token, "challenge": challenge, "type": "url_verification"}
        result = self.send(
            json.dumps(payload), "application/json", sign_with=sign_with, timestamp_offset=timestamp_offset
        )
        return DriverResult(result.status, result.headers, result.body, result.json, payload)


def date_today() -> str:
    return date.today().isoformat()

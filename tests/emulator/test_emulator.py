"""The Slack emulator answers the real slack_sdk as Slack does, and the driver reaches a real Bolt app."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest
from slack_bolt import Ack, App, BoltRequest, Respond, Say
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.webhook import WebhookClient

from bot.emulator import SlackDriver, SlackEmulator
from bot.emulator.server import DEFAULT_BOT_SCOPES

SECRET = "test-signing-secret"


@pytest.fixture
def emulator() -> Iterator[SlackEmulator]:
    emu = SlackEmulator()
    emu.start()
    emu.add_user("U1", "kari", email="kari@example.com", real_name="Kari Nordmann")
    emu.add_user("U2", "sven", email="sven@example.com", tz="Europe/Stockholm", locale="sv-SE")
    yield emu
    emu.stop()


@pytest.fixture
def client(emulator: SlackEmulator) -> WebClient:
    return WebClient(token=emulator.bot_token, base_url=emulator.api_url)


def api_error(excinfo: pytest.ExceptionInfo[SlackApiError]) -> str:
    return str(excinfo.value.response["error"])


# ---------------------------------------------------------------------------------------------- Web API


def test_posting_to_a_user_id_lands_in_their_dm(emulator: SlackEmulator, client: WebClient) -> None:
    response = client.chat_postMessage(channel="U1", text="Hei Kari")

    dm = emulator.dm_channel_id("U1")
    assert response["channel"] == dm
    assert dm.startswith("D")
    assert client.conversations_open(users="U1")["channel"]["id"] == dm
    messages = emulator.messages("U1")
    assert [m["text"] for m in messages] == ["Hei Kari"]
    assert messages[0]["ts"] == response["ts"]
    assert messages[0]["user"] == emulator.bot_user_id
    assert emulator.messages(dm) == messages

    second = client.chat_postMessage(channel=dm, text="Again")
    assert float(second["ts"]) > float(response["ts"])


def test_every_call_says_the_tokens_scopes_and_a_missing_one_is_refused_as_slack_does(
    emulator: SlackEmulator, client: WebClient
) -> None:
    answer = client.auth_test()
    assert answer.headers["X-OAuth-Scopes"].split(",") == list(DEFAULT_BOT_SCOPES)

    emulator.set_token_scopes(emulator.bot_token, ["users:read"])
    with pytest.raises(SlackApiError) as excinfo:
        client.chat_postMessage(channel="U1", text="hei")
    assert api_error(excinfo) == "missing_scope"
    assert excinfo.value.response["needed"] == "chat:write" and excinfo.value.response["provided"] == "users:read"
    assert client.users_info(user="U1").headers["X-Accepted-OAuth-Scopes"] == "users:read"


def test_users_info_reports_locale_only_when_asked(client: WebClient) -> None:
    plain = client.users_info(user="U2")["user"]
    assert "locale" not in plain
    assert plain["tz"] == "Europe/Stockholm"
    assert plain["tz_offset"] in {3600, 7200}
    assert plain["tz_label"].startswith("Central European")

    with_locale = client.users_info(user="U2", include_locale=True)["user"]
    assert with_locale["locale"] == "sv-SE"

    with pytest.raises(SlackApiError) as excinfo:
        client.users_info(user="UNOBODY")
    assert api_error(excinfo) == "user_not_found"


def test_deactivated_users_show_as_deleted_and_cannot_be_opened(emulator: SlackEmulator, client: WebClient) -> None:
    emulator.deactivate_user("U2")
    assert client.users_info(user="U2")["user"]["deleted"] is True
    with pytest.raises(SlackApiError) as excinfo:
        client.conversations_open(users="U2")
    assert api_error(excinfo) == "user_disabled"


def test_lookup_by_email(client: WebClient) -> None:
    assert client.users_lookupByEmail(email="kari@example.com")["user"]["id"] == "U1"
    with pytest.raises(SlackApiError) as excinfo:
        client.users_lookupByEmail(email="nobody@example.com")
    assert api_error(excinfo) == "users_not_found"


def test_users_list_paginates_with_cursor(emulator: SlackEmulator, client: WebClient) -> None:
    for i in range(5):
        emulator.add_user(f"UX{i}", f"extra{i}")
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        page = client.users_list(limit=3, cursor=cursor)
        pages += 1
        seen.extend(member["id"] for member in page["members"])
        cursor = page["response_metadata"]["next_cursor"]
        if not cursor:
            break
    assert pages == 3
    assert seen == [u["id"] for u in emulator.users()]
    assert "UBOT" in seen and "UX4" in seen


def test_chat_update_keeps_edit_history(emulator: SlackEmulator, client: WebClient) -> None:
    posted = client.chat_postMessage(channel="U1", text="Draft")
    updated = client.chat_update(channel=posted["channel"], ts=posted["ts"], text="Final")
    assert updated["ts"] == posted["ts"]

    (message,) = emulator.messages("U1")
    assert message["text"] == "Final"
    assert [h["text"] for h in message["edit_history"]] == ["Draft"]
    assert "edited" in message

    with pytest.raises(SlackApiError) as excinfo:
        client.chat_update(channel=posted["channel"], ts="1.000000", text="x")
    assert api_error(excinfo) == "message_not_found"


@pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing")
def test_errors_have_slacks_shape(emulator: SlackEmulator, client: WebClient) -> None:
    def error_of(call: Any) -> SlackApiError:
        with pytest.raises(SlackApiError) as excinfo:
            call()
        assert excinfo.value.response.status_code == 200
        assert excinfo.value.response["ok"] is False
        return excinfo.value

    assert error_of(lambda: client.chat_postMessage(channel="CNOPE", text="x")).response["error"] == "channel_not_found"
    assert error_of(lambda: client.chat_postMessage(channel="U1")).response["error"] == "no_text"
    too_long = "x" * 40_001
    assert error_of(lambda: client.chat_postMessage(channel="U1", text=too_long)).response["error"] == "msg_too_long"
    many = [{"type": "divider"}] * 51
    invalid = error_of(lambda: client.chat_postMessage(channel="U1", text="x", blocks=many))
    assert invalid.response["error"] == "invalid_blocks"
    assert invalid.response["response_metadata"]["messages"]
    section = [{"type": "section", "text": {"type": "mrkdwn", "text": "y" * 3001}}]
    assert (
        error_of(lambda: client.chat_postMessage(channel="U1", text="x", blocks=section)).response["error"]
        == "invalid_blocks"
    )
    header = [{"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}]
    assert (
        error_of(lambda: client.chat_postMessage(channel="U1", text="x", blocks=header)).response["error"]
        == "invalid_blocks"
    )

    wrong = WebClient(token="xoxb-wrong", base_url=emulator.api_url)
    assert error_of(lambda: wrong.auth_test()).response["error"] == "invalid_auth"
    assert error_of(lambda: client.api_call("nope.nothing")).response["error"] == "unknown_method"

    emulator.fail_next("chat.postMessage", "ratelimited_no_really")
    assert (
        error_of(lambda: client.chat_postMessage(channel="U1", text="x")).response["error"] == "ratelimited_no_really"
    )
    emulator.fail_next_http("users.info", 503)
    with pytest.raises(SlackApiError) as excinfo:
        client.users_info(user="U1")
    assert excinfo.value.response.status_code == 503

    emulator.revoke_token(emulator.bot_token)
    assert error_of(lambda: client.auth_test()).response["error"] == "token_revoked"
    assert emulator.messages("U1") == []
    assert ("chat.postMessage", "channel_not_found") in emulator.failed_calls("chat.postMessage")
    assert emulator.count_calls("chat.postMessage") == 7


def test_blocks_and_views_are_checked_with_slack_sdks_own_models(emulator: SlackEmulator, client: WebClient) -> None:
    """What slack_sdk's Block Kit models refuse — a button without text, a select option over 75 characters,
    an unknown block type, a modal title over 24 characters — is refused as Slack refuses it."""
    bad_messages = [
        [{"type": "actions", "elements": [{"type": "button", "action_id": "a"}]}],
        [
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": "x"},
                "accessory": {
                    "type": "static_select",
                    "action_id": "s",
                    "options": [{"text": {"type": "plain_text", "text": "o" * 76}, "value": "v"}],
                },
            }
        ],
        [{"type": "no_such_block"}],
        [{"type": "context", "elements": []}],
    ]
    for blocks in bad_messages:
        with pytest.raises(SlackApiError) as excinfo:
            client.chat_postMessage(channel="U1", text="x", blocks=blocks)
        assert api_error(excinfo) == "invalid_blocks", blocks
    emulator.add_user("U9", "nine")
    with pytest.raises(SlackApiError) as excinfo:
        client.views_publish(user_id="U9", view={"type": "home", "blocks": []})
    assert api_error(excinfo) == "invalid_arguments"
    fine = [{"type": "section", "text": {"type": "mrkdwn", "text": "ok"}}]
    assert client.chat_postMessage(channel="U1", text="x", blocks=fine)["ok"]


def test_rate_limit_answers_429_and_sdk_retry_handler_recovers(emulator: SlackEmulator, client: WebClient) -> None:
    emulator.set_rate_limit("users.info", 1, per_seconds=0.5)
    client.users_info(user="U1")
    with pytest.raises(SlackApiError) as excinfo:
        client.users_info(user="U1")
    response = excinfo.value.response
    assert response.status_code == 429
    assert response["error"] == "ratelimited"
    assert response.headers["Retry-After"] == "1"
    assert 0 < int(response.headers["X-Emulator-Retry-After-Ms"]) <= 500

    patient = WebClient(
        token=emulator.bot_token,
        base_url=emulator.api_url,
        retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=1)],
    )
    assert patient.users_info(user="U1")["user"]["id"] == "U1"
    assert emulator.rate_limited_count("users.info") >= 1


def test_slack_tiers_limit_post_message_per_channel(emulator: SlackEmulator, client: WebClient) -> None:
    # scale=6: a channel regains one post every 1/6 s, slow enough to outpace three quick calls.
    emulator.enable_slack_rate_limits(scale=6.0, post_message_burst=3)
    for i in range(3):
        client.chat_postMessage(channel="U1", text=f"burst {i}")
    with pytest.raises(SlackApiError) as excinfo:
        client.chat_postMessage(channel="U1", text="one too many")
    assert excinfo.value.response.status_code == 429
    wait_ms = int(excinfo.value.response.headers["X-Emulator-Retry-After-Ms"])
    assert 0 < wait_ms <= 1000 / 6 + 1
    assert excinfo.value.response.headers["Retry-After"] == "1"
    client.chat_postMessage(channel="U2", text="another channel is fine")
    time.sleep(wait_ms / 1000)  # the documented refill time, not a guess
    client.chat_postMessage(channel="U1", text="after the refill")
    assert emulator.rate_limited_count() == 1


def test_response_url_posts_are_recorded_and_capped(emulator: SlackEmulator) -> None:
    url = emulator.new_response_url(channel_id=emulator.dm_channel_id("U1"), user_id="U1")
    webhook = WebhookClient(url)
    for i in range(5):
        assert webhook.send(text=f"reply {i}").status_code == 200
    assert webhook.send(text="one too many").status_code == 404

    posts = emulator.response_url_posts(url)
    assert [p["text"] for p in posts] == [f"reply {i}" for i in range(5)]
    assert posts[0]["response_type"] is None
    assert len(emulator.ephemerals("U1")) == 5

    channel_url = emulator.new_response_url(channel_id=emulator.dm_channel_id("U1"), user_id="U1")
    WebhookClient(channel_url).send(text="for everyone", response_type="in_channel")
    assert [m["text"] for m in emulator.messages("U1")] == ["for everyone"]


MODAL: dict[str, Any] = {
    "type": "modal",
    "callback_id": "checkin",
    "title": {"type": "plain_text", "text": "Check-in"},
    "submit": {"type": "plain_text", "text": "Send"},
    "close": {"type": "plain_text", "text": "Cancel"},
    "private_metadata": "meeting-42",
    "blocks": [
        {
            "type": "input",
            "block_id": "note_block",
            "label": {"type": "plain_text", "text": "Note"},
            "element": {"type": "plain_text_input", "action_id": "note", "multiline": True},
        },
        {
            "type": "input",
            "block_id": "when_block",
            "label": {"type": "plain_text", "text": "When"},
            "element": {"type": "datepicker", "action_id": "when"},
        },
        {
            "type": "input",
            "block_id": "mood_block",
            "label": {"type": "plain_text", "text": "Mood"},
            "element": {
                "type": "static_select",
                "action_id": "mood",
                "options": [
                    {"text": {"type": "plain_text", "text": "Good"}, "value": "good"},
                    {"text": {"type": "plain_text", "text": "Bad"}, "value": "bad"},
                ],
            },
        },
        {
            "type": "input",
            "block_id": "who_block",
            "optional": True,
            "label": {"type": "plain_text", "text": "Who"},
            "element": {"type": "users_select", "action_id": "who"},
        },
        {
            "type": "input",
            "block_id": "topics_block",
            "optional": True,
            "label": {"type": "plain_text", "text": "Topics"},
            "element": {
                "type": "checkboxes",
                "action_id": "topics",
                "options": [
                    {"text": {"type": "plain_text", "text": "Growth"}, "value": "growth"},
                    {"text": {"type": "plain_text", "text": "Workload"}, "value": "workload"},
                ],
            },
        },
    ],
}


def _option(text: str, value: str) -> dict[str, Any]:
    return {"text": {"type": "plain_text", "text": text}, "value": value}


HOME: dict[str, Any] = {
    "type": "home",
    "blocks": [
        {
            "type": "actions",
            "block_id": "home_actions",
            "elements": [
                {"type": "button", "action_id": "open_modal", "text": {"type": "plain_text", "text": "Open"}},
                {
                    "type": "static_select",
                    "action_id": "pick",
                    "placeholder": {"type": "plain_text", "text": "Pick"},
                    "options": [_option("Alpha", "a"), _option("Beta", "b")],
                },
                {"type": "datepicker", "action_id": "due"},
                {"type": "overflow", "action_id": "more", "options": [_option("Snooze", "snooze")]},
            ],
        }
    ],
}

STRICT_MODAL: dict[str, Any] = {
    "type": "modal",
    "callback_id": "strict",
    "notify_on_close": True,
    "title": {"type": "plain_text", "text": "Strict"},
    "submit": {"type": "plain_text", "text": "Save"},
    "blocks": [MODAL["blocks"][0]],
}


def test_views_open_needs_a_fresh_trigger(emulator: SlackEmulator, client: WebClient) -> None:
    with pytest.raises(SlackApiError) as excinfo:
        client.views_open(trigger_id="123.456.made-up", view=MODAL)
    assert api_error(excinfo) == "invalid_trigger_id"

    trigger = emulator.register_trigger("U1")
    view = client.views_open(trigger_id=trigger, view=MODAL)["view"]
    assert view["id"].startswith("V")
    assert view["callback_id"] == "checkin"
    assert view["state"] == {"values": {}}
    assert view["root_view_id"] == view["id"]
    assert [v["id"] for v in emulator.open_views("U1")] == [view["id"]]

    with pytest.raises(SlackApiError) as excinfo:
        client.views_open(trigger_id=trigger, view=MODAL)
    assert api_error(excinfo) == "exchanged_trigger_id"

    emulator.trigger_ttl = -1.0  # born expired, so no waiting is needed
    stale = emulator.register_trigger("U1")
    with pytest.raises(SlackApiError) as excinfo:
        client.views_open(trigger_id=stale, view=MODAL)
    assert api_error(excinfo) == "expired_trigger_id"

    emulator.trigger_ttl = 3.0
    long_title = {**MODAL, "title": {"type": "plain_text", "text": "A title far longer than allowed"}}
    with pytest.raises(SlackApiError) as excinfo:
        client.views_open(trigger_id=emulator.register_trigger("U1"), view=long_title)
    assert api_error(excinfo) == "invalid_arguments"
    assert "title" in excinfo.value.response["response_metadata"]["messages"][0]

    updated = client.views_update(view_id=view["id"], hash=view["hash"], view={**MODAL, "private_metadata": "x"})
    assert updated["view"]["id"] == view["id"] and updated["view"]["hash"] != view["hash"]
    with pytest.raises(SlackApiError) as excinfo:
        client.views_update(view_id=view["id"], hash=view["hash"], view=MODAL)
    assert api_error(excinfo) == "hash_conflict"


def test_home_tab_publish_and_file_upload(emulator: SlackEmulator, client: WebClient) -> None:
    home = {"type": "home", "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "Hi"}}]}
    first = client.views_publish(user_id="U1", view=home)["view"]
    second = client.views_publish(user_id="U1", view=home)["view"]
    assert first["id"] == second["id"]
    published = emulator.home_view("U1")
    assert published is not None and published["blocks"][0]["block_id"]

    client.files_upload_v2(channel=emulator.dm_channel_id("U1"), content="a,b\n1,2\n", filename="plan.csv")
    (shared,) = emulator.files("U1")
    assert shared["name"] == "plan.csv"
    assert emulator.file_content(shared["id"]) == b"a,b\n1,2\n"


def test_a_file_uploaded_the_current_way_is_shared_in_the_dm_with_its_message(
    emulator: SlackEmulator, client: WebClient
) -> None:
    """files.getUploadURLExternal, the bytes to the upload URL, files.completeUploadExternal into the DM: the
    DM gets a message holding the file, and the file lists that share with the message's ts."""
    dm = emulator.dm_channel_id("U1")
    done = client.files_upload_v2(
        channel=dm, content=b"BEGIN:VCALENDAR\r\n", filename="1-1.ics", title="1:1", initial_comment="Til kalenderen"
    )
    (message,) = emulator.messages("U1")
    assert message["text"] == "Til kalenderen" and message["files"][0]["name"] == "1-1.ics"
    (share,) = done["file"]["shares"]["private"][dm]
    assert share["ts"] == message["ts"]
    assert emulator.file_content(done["file"]["id"]) == b"BEGIN:VCALENDAR\r\n"
    assert [m for m, _ in emulator.calls if m.startswith("files.")] == [
        "files.getUploadURLExternal",
        "files.completeUploadExternal",
    ]
    with pytest.raises(SlackApiError) as excinfo:
        client.files_getUploadURLExternal(filename="empty.ics", length=0)
    assert api_error(excinfo) == "missing_argument"
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "Med blokker"}}]
    with_blocks = client.files_upload_v2(channel=dm, content=b"x", filename="b.txt", blocks=json.dumps(blocks))
    shared = emulator.message("U1", with_blocks["file"]["shares"]["private"][dm][0]["ts"])
    assert shared is not None and shared["blocks"][0]["text"]["text"] == "Med blokker"


# ---------------------------------------------------------------------------------------------- driver


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        return


class BotUnderTest:
    """A tiny Bolt app served over HTTP, recording what its listeners saw."""

    def __init__(self, emulator: SlackEmulator) -> None:
        self.seen: dict[str, list[dict[str, Any]]] = {}
        client = WebClient(token=emulator.bot_token, base_url=emulator.api_url)
        app = App(
            client=client,
            token=emulator.bot_token,
            signing_secret=SECRET,
            token_verification_enabled=False,
        )
        self.app = app
        self.emulator = emulator

        @app.command("/mal")
        def on_command(ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond) -> None:
            ack()
            self._see("command", body)
            client.views_open(trigger_id=body["trigger_id"], view=MODAL)
            respond("Opening your check-in")

        @app.view("checkin")
        def on_submit(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
            ack()
            self._see("view", body)
            note = view["state"]["values"]["note_block"]["note"]["value"]
            blocks: list[dict[str, Any]] = [
                {"type": "section", "text": {"type": "mrkdwn", "text": f"Saved: {note}"}},
                {
                    "type": "actions",
                    "elements": [
                        {
                            "type": "button",
                            "action_id": "confirm",
                            "text": {"type": "plain_text", "text": "Confirm"},
                            "value": view["private_metadata"],
                        }
                    ],
                },
            ]
            client.chat_postMessage(channel=body["user"]["id"], text=f"Saved: {note}", blocks=blocks)

        @app.action("confirm")
        def on_confirm(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
            ack()
            self._see("action", body)
            client.chat_update(channel=body["channel"]["id"], ts=body["message"]["ts"], text="Confirmed")

        @app.event("message")
        def on_message(body: dict[str, Any], say: Say, request: BoltRequest) -> None:
            self._see("message", {**body, "retry": request.headers.get("x-slack-retry-num")})
            say(f"You said: {body['event']['text']}")

        @app.event("app_home_opened")
        def on_home(event: dict[str, Any], client: WebClient) -> None:
            self._see("home", event)
            client.views_publish(user_id=event["user"], view=HOME)

        @app.action("open_modal")
        def on_open(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
            ack()
            self._see("open_modal", body)
            client.views_open(trigger_id=body["trigger_id"], view=STRICT_MODAL)

        @app.action(re.compile("^(pick|due|more)$"))
        def on_pick(ack: Ack, body: dict[str, Any]) -> None:
            ack()
            self._see("pick", body)

        @app.view("strict")
        def on_strict(ack: Ack, view: dict[str, Any]) -> None:
            self._see("strict", view)
            if view["state"]["values"]["note_block"]["note"]["value"] == "bad":
                ack(response_action="errors", errors={"note_block": "Too short"})
            else:
                ack()

        @app.view_closed("strict")
        def on_closed(ack: Ack, body: dict[str, Any]) -> None:
            ack()
            self._see("closed", body)

        self.server: WSGIServer = make_server("127.0.0.1", 0, SlackRequestHandler(app), handler_class=_QuietHandler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/slack/events"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def _see(self, kind: str, body: dict[str, Any]) -> None:
        self.seen.setdefault(kind, []).append(body)
        self.emulator.notify()

    def wait(self, kind: str, count: int = 1) -> list[dict[str, Any]]:
        assert self.emulator.wait_for(lambda: len(self.seen.get(kind, [])) >= count), f"no {kind} arrived"
        return self.seen[kind]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def bot(emulator: SlackEmulator) -> Iterator[BotUnderTest]:
    running = BotUnderTest(emulator)
    yield running
    running.close()


@pytest.fixture
def driver(emulator: SlackEmulator, bot: BotUnderTest) -> SlackDriver:
    return SlackDriver(bot.url, SECRET, emulator)


def test_signed_slash_command_is_acked_and_forgeries_are_refused(
    emulator: SlackEmulator, bot: BotUnderTest, driver: SlackDriver
) -> None:
    assert driver.slash_command("U1", "checkin").status == 200
    (command,) = bot.wait("command")
    assert command["command"] == "/mal" and command["text"] == "checkin"
    assert command["channel_id"] == emulator.dm_channel_id("U1")
    (post,) = driver.wait_response_url_posts(1)
    assert post["text"] == "Opening your check-in"
    assert emulator.wait_for(lambda: len(emulator.open_views("U1")) == 1)

    assert driver.slash_command("U1", "x", sign_with="not-the-secret").status == 401
    assert driver.slash_command("U1", "x", timestamp_offset=-400).status == 401
    assert len(bot.seen["command"]) == 1


def test_message_im_event_reaches_the_listener_and_retries_reuse_the_event(
    emulator: SlackEmulator, bot: BotUnderTest, driver: SlackDriver
) -> None:
    first = driver.message_im("U1", "hello there")
    assert first.status == 200
    (event,) = bot.wait("message")
    assert event["event"]["channel_type"] == "im"
    assert event["event"]["channel"] == emulator.dm_channel_id("U1")
    assert event["event"]["user"] == "U1"
    assert event["event_id"].startswith("Ev")
    assert emulator.wait_for(lambda: len(emulator.messages("U1")) == 2)
    assert [m["text"] for m in emulator.messages("U1")] == ["hello there", "You said: hello there"]

    driver.message_im("U1", "hello there", event_id=first.sent["event_id"], retry_num=1)
    retried = bot.wait("message", 2)[1]
    assert retried["retry"] == ["1"]
    assert retried["event_id"] == event["event_id"]
    assert retried["event"]["ts"] == event["event"]["ts"]


def test_view_submission_and_block_action_reach_their_listeners(
    emulator: SlackEmulator, bot: BotUnderTest, driver: SlackDriver
) -> None:
    driver.slash_command("U1", "checkin")
    assert emulator.wait_for(lambda: len(emulator.open_views("U1")) == 1)
    (view,) = emulator.open_views("U1")

    result = driver.view_submission(
        "U1",
        view,
        {"note": "Went well", "when": "2026-12-15", "mood": "good", "who": "U2", "topics": ["growth"]},
    )
    assert result.status == 200
    (submitted,) = bot.wait("view")
    values = submitted["view"]["state"]["values"]
    assert values["note_block"]["note"] == {"type": "plain_text_input", "value": "Went well"}
    assert values["when_block"]["when"] == {"type": "datepicker", "selected_date": "2026-12-15"}
    assert values["mood_block"]["mood"] == {
        "type": "static_select",
        "selected_option": {"text": {"type": "plain_text", "text": "Good"}, "value": "good"},
    }
    assert values["who_block"]["who"] == {"type": "users_select", "selected_user": "U2"}
    assert values["topics_block"]["topics"]["selected_options"][0]["value"] == "growth"
    assert submitted["view"]["id"] == view["id"]
    assert submitted["view"]["private_metadata"] == "meeting-42"
    assert emulator.open_views("U1") == []

    with pytest.raises(ValueError, match="required"):
        driver.build_state_values(view, {"note": "missing the rest"})

    assert emulator.wait_for(lambda: any(m["text"] == "Saved: Went well" for m in emulator.messages("U1")))
    message = next(m for m in emulator.messages("U1") if m["text"] == "Saved: Went well")
    assert driver.find_action(message, text="Confirm")["action_id"] == "confirm"
    assert driver.click("U1", message, text="Confirm").status == 200
    (action_body,) = bot.wait("action")
    action = action_body["actions"][0]
    assert action["action_id"] == "confirm"
    assert action["type"] == "button"
    assert action["value"] == "meeting-42"
    assert action["block_id"] == message["blocks"][1]["block_id"]
    assert action_body["container"]["message_ts"] == message["ts"]

    def confirmed() -> bool:
        current = emulator.message("U1", message["ts"])
        return current is not None and current["text"] == "Confirmed"

    assert emulator.wait_for(confirmed)


def test_home_tab_modal_errors_and_close(emulator: SlackEmulator, bot: BotUnderTest, driver: SlackDriver) -> None:
    assert driver.url_verification("abc123").json == {"challenge": "abc123"}

    driver.app_home_opened("U1")
    assert bot.wait("home")[0]["tab"] == "home"
    assert emulator.wait_for(lambda: emulator.home_view("U1") is not None)
    home = emulator.home_view("U1")
    assert home is not None

    driver.click("U1", home, action_id="pick", option="b")
    driver.click("U1", home, text="Alpha")
    driver.click("U1", home, action_id="due")
    driver.click("U1", home, text="Snooze")
    picks = [body["actions"][0] for body in bot.wait("pick", 4)]
    assert picks[0]["selected_option"]["value"] == "b"
    assert picks[1]["selected_option"]["value"] == "a"
    assert picks[2]["type"] == "datepicker" and len(picks[2]["selected_date"]) == 10
    assert picks[3] == {**picks[3], "type": "overflow", "selected_option": _option("Snooze", "snooze")}
    first_pick = bot.seen["pick"][0]
    assert first_pick["container"] == {"type": "view", "view_id": home["id"]}
    assert first_pick["view"]["type"] == "home"
    assert "response_url" not in first_pick

    driver.click("U1", home, text="Open")
    assert emulator.wait_for(lambda: len(emulator.open_views("U1")) == 1)
    (modal,) = emulator.open_views("U1")

    assert driver.view_submission("U1", modal, {"note": "bad"}).json == {
        "response_action": "errors",
        "errors": {"note_block": "Too short"},
    }
    assert emulator.view_errors(modal["id"]) == {"note_block": "Too short"}
    assert [v["id"] for v in emulator.open_views("U1")] == [modal["id"]]

    closed = driver.view_closed("U1", modal)
    assert closed is not None and closed.status == 200
    (closed_body,) = bot.wait("closed")
    assert closed_body["view"]["id"] == modal["id"]
    assert closed_body["is_cleared"] is False
    assert emulator.open_views("U1") == []

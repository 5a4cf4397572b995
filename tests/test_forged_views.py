"""A modal's ``private_metadata`` comes back with the submission, and a submission is the sender's to forge.

Per manages Kari and Ola. He opens the modals mal offers him — Postpone on his `/mal` list, Send
invitation on a nudge — and sends them back with metadata of his own making: a URL of his choosing, or a
message of the bot's in Kari's DM. Before, mal posted Per's action list to that URL and overwrote Kari's
invitation with "Invitation sent". Now mal takes a response_url or a message from a modal only when it
sealed it for that person and that action or meeting; a forged one is ignored, the real work still done.
"""

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlencode

import pytest

from flows import actions
from tests.harness import Harness
from tests.story import add_people, after, dm, last_dm, pair, settle, text_of


class Catcher:
    """An attacker's web server: it records whatever is posted to it."""

    def __init__(self) -> None:
        self.posts: list[bytes] = []
        catcher = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                catcher.posts.append(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: Any) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/steal"


@pytest.fixture
def catcher() -> Iterator[Catcher]:
    c = Catcher()
    yield c
    c.server.shutdown()


def forged(bot: Harness, uid: str, view: dict[str, Any], metadata: dict[str, Any], values: dict[str, Any]) -> Any:
    """The view as mal opened it, submitted with ``metadata`` instead of what mal put there."""
    state = {block: {block: value} for block, value in values.items()}
    payload = {
        "type": "view_submission",
        "team": {"id": bot.emulator.team_id, "domain": bot.emulator.team_domain},
        "user": {"id": uid, "username": uid.lower(), "name": uid.lower(), "team_id": bot.emulator.team_id},
        "api_app_id": bot.d.api_app_id,
        "token": bot.d.verification_token,
        "trigger_id": bot.emulator.register_trigger(uid),
        "view": {**view, "private_metadata": json.dumps(metadata), "state": {"values": state}},
        "response_urls": [],
    }
    return bot.d.send(urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded")


@pytest.fixture
def team(bot: Harness) -> Harness:
    add_people(bot.emulator)
    pair(bot, "UPER", "UKARI")
    pair(bot, "UPER", "UOLA")
    bot.at(datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
    return bot


def an_action(bot: Harness) -> int:
    with bot.repo() as repo:
        per = repo.person_by_slack(bot.emulator.team_id, "UPER")
        kari = repo.person_by_slack(bot.emulator.team_id, "UKARI")
        assert per is not None and kari is not None
        today = bot.svc.today(per) if bot.svc else None
        assert today is not None
        added = actions.add(
            repo,
            per,
            kari,
            what="Fullføre kurset",
            due=today.replace(day=28),
            owner=kari,
            now=bot.clock.now(),
            today=today,
        )
        assert isinstance(added, actions.Added) and added.action.id is not None
        return added.action.id


def test_a_postpone_modal_with_a_forged_response_url_posts_nothing_there(team: Harness, catcher: Catcher) -> None:
    action_id = an_action(team)
    team.d.slash_command("UPER", "")
    listing = team.emulator.ephemerals("UPER")[-1]
    modal = after(team, "UPER", lambda: team.d.click("UPER", listing, "action_postpone"), what="view")
    assert catcher.url not in modal["private_metadata"]

    answer = forged(
        team,
        "UPER",
        modal,
        {"action_id": action_id, "response_url": catcher.url, "origin": "0" * 64 + ".e30="},
        {"due": {"type": "datepicker", "selected_date": "2026-12-31"}},
    )

    assert answer.status == 200
    settle(team, lambda: team.emulator.home_view("UPER") is not None or bool(catcher.posts), "no answer at all")
    assert catcher.posts == []
    assert team.emulator.home_view("UPER") is not None  # Per's Home shows the moved date instead
    with team.repo() as repo:
        action = repo.action(action_id)
        assert action is not None and action.due.isoformat() == "2026-12-31"  # the postponing itself stands


def test_an_origin_sealed_for_one_action_is_not_taken_for_another(team: Harness, catcher: Catcher) -> None:
    first, second = an_action(team), an_action(team)
    team.d.slash_command("UPER", "")
    listing = team.emulator.ephemerals("UPER")[-1]
    modal = after(
        team,
        "UPER",
        lambda: team.d.block_action("UPER", "action_postpone", value=str(first), source=listing),
        what="view",
    )
    sealed = json.loads(modal["private_metadata"])

    forged(
        team,
        "UPER",
        modal,
        {**sealed, "action_id": second},
        {"due": {"type": "datepicker", "selected_date": "2026-12-30"}},
    )

    posted = team.emulator.response_url_posts
    settle(team, lambda: team.emulator.home_view("UPER") is not None or bool(posted()), "no answer at all")
    assert posted() == []


def test_an_invitation_modal_cannot_overwrite_a_message_it_was_not_opened_from(team: Harness) -> None:
    kari_nudge, ola_nudge = (
        next(m for m in dm(team, "UPER") if f"<@{who}>" in text_of(m)) for who in ("UKARI", "UOLA")
    )
    modal = after(team, "UPER", lambda: team.d.click("UPER", kari_nudge, "meeting_invite_open"), what="view")
    assert team.d.view_submission("UPER", modal, {"date": "2026-12-03", "time": "10:00", "place": "Fjord"}).ok
    settle(
        team,
        lambda: "Invitasjonen er sendt" in text_of(team.emulator.message("UPER", kari_nudge["ts"]) or {}),
        "the nudge the invitation was sent from was not updated",
    )
    team.tick()
    invitation = last_dm(team, "UKARI")
    before = text_of(invitation)

    modal = after(team, "UPER", lambda: team.d.click("UPER", ola_nudge, "meeting_invite_open"), what="view")
    meeting = json.loads(modal["private_metadata"])["meeting_id"]
    answer = forged(
        team,
        "UPER",
        modal,
        {"meeting_id": meeting, "channel": invitation["channel"], "ts": invitation["ts"]},
        {
            "date": {"type": "datepicker", "selected_date": "2026-12-04"},
            "time": {"type": "timepicker", "selected_time": "10:00"},
            "place": {"type": "plain_text_input", "value": "Fjord"},
        },
    )

    assert answer.status == 200
    team.emulator.wait_for(lambda: team.emulator.count_calls("chat.update") > 1, timeout=1.0)
    after_forgery = team.emulator.message("UKARI", invitation["ts"])
    assert after_forgery is not None and text_of(after_forgery) == before
    assert team.emulator.count_calls("chat.update") == 1  # only the nudge the first modal came from

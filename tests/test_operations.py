"""Operating mal: a tick delivers everything that is due, nothing ends unsent without being counted and
logged, what a dropped brief carried reaches the manager anyway, and the operator can see it all at
``/metrics`` and ``/readyz``.

Per manages eight people in Oslo, Stockholm and New York and runs `mal-bot tick` from cron a few times a
day instead of the built-in scheduler.
"""

import json
import logging
import urllib.request
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from sqlmodel import select

from bot import logs
from bot.emulator.server import SlackEmulator
from bot.gateway import build_gateway, bulk_client
from bot.ops_http import ops_app
from bot.server import ThreadedServer
from storage.models import Outbox
from tests.harness import BOT_TOKEN, Harness, counted, counted_samples
from tests.story import after, dm, last_dm, pair, send_invitation, settle, text_of

MONDAY = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # 10:00 in Oslo
ZONES = ("Europe/Oslo", "Europe/Stockholm", "America/New_York")


def team_of_eight(bot: Harness) -> list[str]:
    bot.clock.set(MONDAY - timedelta(hours=2))
    bot.emulator.add_user("UPER", "per", real_name="Per Hansen", tz="Europe/Oslo", locale="nb-NO")
    reports = []
    for n in range(8):
        uid = f"UREP{n}"
        bot.emulator.add_user(uid, f"rep{n}", real_name=f"Report {n}", tz=ZONES[n % 3], locale="nb-NO")
        pair(bot, "UPER", uid)
        reports.append(uid)
    return reports


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return int(response.status), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_eight_nudges_to_one_manager_all_go_in_the_one_tick_that_finds_them_due(bot: Harness) -> None:
    team_of_eight(bot)
    assert bot.svc is not None
    bot.gateway = build_gateway(bot.svc)  # production's sender: about one message a second per DM
    bot.clock.set(MONDAY)
    report = bot.tick()
    assert report.drain.sent == 8 and len(dm(bot, "UPER")) == 8
    assert bot.emulator.rate_limited_count("chat.postMessage") == 0  # paced on mal's side, no 429 earned
    assert timedelta(seconds=6) <= bot.clock.now() - MONDAY <= timedelta(seconds=30)  # paced, in the clock's time


def invite_and_prepare(bot: Harness, manager: str, employee: str, when: datetime, answer: str) -> None:
    """Per invites from his nudge; the employee fills in the preparation form and shares it."""
    nudge = next(m for m in dm(bot, manager) if f"<@{employee}>" in text_of(m) and "meeting_invite_open" in str(m))
    local = when.astimezone(ZoneInfo("Europe/Oslo"))
    modal = after(bot, manager, lambda: bot.d.click(manager, nudge, "meeting_invite_open"), what="view")
    values: dict[str, Any] = {"date": local.date().isoformat(), "time": local.strftime("%H:%M"), "place": "Fjord"}
    send_invitation(bot, manager, modal, values)  # John's 08:30 is outside his hours: Per sends it anyway
    bot.tick()
    invitation = next(m for m in reversed(dm(bot, employee)) if "prep_form_open" in str(m))
    form = after(bot, employee, lambda: bot.d.click(employee, invitation, "prep_form_open"), what="view")
    first = next(b["block_id"] for b in form["blocks"] if b.get("block_id", "").startswith("q_"))
    summary = after(bot, employee, lambda: bot.d.view_submission(employee, form, {first: answer}))
    posts = len(bot.emulator.response_url_posts())
    bot.d.click(employee, summary, "prep_share")
    settle(bot, lambda: len(bot.emulator.response_url_posts()) > posts, f"{employee} could not share")


def test_briefs_held_up_past_their_meetings_reach_the_manager_in_the_follow_up_and_are_counted(
    bot: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    kari, sven, john = "UREP0", "UREP1", "UREP2"
    team_of_eight(bot)
    bot.at(MONDAY)
    bot.clock.set(MONDAY + timedelta(hours=5))  # 15:00 in Oslo, 09:00 in New York: everyone is at work
    tuesday = datetime(2026, 12, 1, tzinfo=UTC)
    meetings = {
        kari: tuesday.replace(hour=9),
        sven: tuesday.replace(hour=10),
        john: tuesday.replace(hour=13, minute=30),  # 08:30 in New York
    }
    answers = {kari: "Ny kunde i Bergen", sven: "Fler möten med kunden", john: "Shipped the release"}
    for who, when in meetings.items():
        invite_and_prepare(bot, "UPER", who, when, answers[who])
    dropped_before = counted("mal_messages_total", {"kind": "brief", "outcome": "dropped", "reason": "stale"})

    # cron runs `mal-bot tick` again only on Tuesday afternoon (15:45 in Oslo): the briefs' Monday morning
    # and all three meetings have passed.
    with caplog.at_level(logging.INFO, logger="mal.delivery"):
        report = bot.at(datetime(2026, 12, 1, 14, 45, tzinfo=UTC))
    assert report.drain.dropped["stale"] >= 3
    with bot.repo() as repo:
        briefs = repo.session.exec(select(Outbox).where(Outbox.kind == "brief")).all()
    assert {b.status for b in briefs} == {"cancelled"} and len(briefs) == 3
    for brief in briefs:
        assert [line for line in caplog.messages if brief.key in line and "stale" in line], caplog.messages
    assert not [line for line in caplog.messages if any(a in line for a in answers.values())]
    after_drop = counted("mal_messages_total", {"kind": "brief", "outcome": "dropped", "reason": "stale"})
    assert after_drop - dropped_before == 3

    # Each follow-up Per gets names its report and carries what that report prepared, nobody else's.
    followups = [m for m in dm(bot, "UPER") if "agree_open" in str(m)]
    assert len(followups) == 3
    for who, answer in answers.items():
        (mine,) = [m for m in followups if answer in text_of(m)]
        assert f"<@{who}>" in text_of(mine)
        assert not [a for w, a in answers.items() if w != who and a in text_of(mine)]
    # The employees' follow-ups carry nothing of the brief.
    for who, answer in answers.items():
        assert answer not in text_of(last_dm(bot, who))


def test_metrics_add_up_to_what_slack_received_and_readyz_follows_the_database(bot: Harness) -> None:
    assert bot.server is not None and bot.svc is not None
    team_of_eight(bot)
    sent_before = sum(v for labels, v in counted_samples("mal_messages_total") if labels["outcome"] == "sent")
    bot.at(MONDAY)
    status, text = get(bot.server.url + "/metrics")
    assert status == 200
    sent = sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith("mal_messages_total{") and 'outcome="sent"' in line
    )
    assert sent - sent_before == len([c for c in bot.emulator.calls if c[0] == "chat.postMessage"]) == 8
    assert 'mal_request_seconds_bucket{le="0.01",listener=' in text or "mal_request_seconds" in text
    assert "mal_tick_seconds_count" in text
    # Nothing waits: the outbox is empty of due messages.
    assert 'mal_outbox_oldest_due_age_seconds{kind="nudge"}' not in text

    # A message that waits (Per is outside his hours) shows its age once it is due and unsent.
    with bot.repo() as repo:
        repo.enqueue(
            key="nudge:waiting",
            team_id=bot.emulator.team_id,
            recipient="UPER",
            kind="nudge",
            payload={},
            not_before=bot.clock.now() - timedelta(minutes=20),
            now=bot.clock.now(),
        )
    _, text = get(bot.server.url + "/metrics")
    age = next(x for x in text.splitlines() if x.startswith('mal_outbox_oldest_due_age_seconds{kind="nudge"}'))
    assert float(age.rsplit(" ", 1)[1]) == pytest.approx(20 * 60)

    assert get(bot.server.url + "/readyz")[0] == 200
    with bot.svc.engine.begin() as conn:  # a deploy whose migration has not run yet
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '0006'"))
    status, text = get(bot.server.url + "/readyz")
    assert status == 503 and "migrations_behind" in text
    assert get(bot.server.url + "/healthz")[0] == 200  # alive all the same


def test_slow_acknowledgements_are_counted_per_listener(bot: Harness) -> None:
    bot.emulator.add_user("UKARI", "kari", locale="nb-NO")
    before = counted("mal_request_seconds_count", {"listener": "command:/mal"})
    assert bot.d.slash_command("UKARI", "").status == 200
    assert counted("mal_request_seconds_count", {"listener": "command:/mal"}) == before + 1


def test_socket_mode_side_port_serves_the_operators_endpoints_and_nothing_else(bot: Harness) -> None:
    assert bot.svc is not None
    side = ThreadedServer(ops_app(bot.svc)).start()
    try:
        assert get(side.url + "/healthz")[0] == 200
        assert get(side.url + "/readyz") == (200, '{"ok":true,"status":"ok"}')
        status, text = get(side.url + "/metrics")
        assert status == 200 and "process_cpu_seconds_total" in text and "mal_tick_seconds" in text
        assert get(side.url + "/slack/events")[0] == 404
    finally:
        side.stop()


def test_json_logs_are_one_line_per_event_and_never_carry_a_token_or_a_request_body(
    capsys: pytest.CaptureFixture[str],
) -> None:
    root = logging.getLogger()
    saved = (root.handlers[:], root.level, {n: logging.getLogger(n).level for n in logs.CHATTY})
    try:
        logs.configure("json", "DEBUG")
        logging.getLogger("mal.delivery").warning("outbox %s failed (%s)", "nudge:7", "token xoxb-123-secret")
        logging.getLogger("slack_sdk.web.base_client").debug("Sending a request - body: {'text': 'Jeg sliter'}")
        try:
            raise ValueError("boom")
        except ValueError:
            logging.getLogger("mal.tick").exception("planning failed")
    finally:
        root.handlers, root.level = saved[0], saved[1]
        for name, level in saved[2].items():
            logging.getLogger(name).setLevel(level)
    lines = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    records = [json.loads(line) for line in lines]  # every line is one JSON object, tracebacks included
    assert [r["logger"] for r in records] == ["mal.delivery", "mal.tick"]
    assert records[0]["level"] == "WARNING" and "nudge:7" in records[0]["message"]
    assert "xoxb-123-secret" not in "\n".join(lines) and "Jeg sliter" not in "\n".join(lines)
    assert "ValueError" in records[1].get("exc_info", "")


REPRS: list[int] = []


class CountedRepr(dict[str, Any]):
    """A view that notes each time somebody turns it into text (JSON encoding does not)."""

    def __repr__(self) -> str:
        REPRS.append(1)
        return "{...}"


def test_a_slack_call_builds_no_debug_line_that_would_be_thrown_away() -> None:
    """Slack's client builds its debug line (the whole request body) when its module logger's own level is
    unset, whatever level is configured; with logging at INFO, publishing a Home view formats nothing."""
    REPRS.clear()
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    emulator = SlackEmulator()
    emulator.start()
    try:
        logs.configure("text", "INFO")
        emulator.add_user("UKARI", "kari")
        client = bulk_client(BOT_TOKEN, emulator.api_url)
        view = CountedRepr(type="home", blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": "Hei"}}])
        assert client.api_call("views.publish", json={"user_id": "UKARI", "view": view})["ok"]
    finally:
        emulator.stop()
        root.handlers, root.level = saved
    assert REPRS == []

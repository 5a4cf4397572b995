"""A bad row or a bad half hour never stops mal for everyone.

Per has eight reports in Oslo, Stockholm and New York, and other managers have theirs. One person's data
is broken, one person claims an absence into 2029, Slack is unreachable for half an hour: every other
message still goes out, the broken item is logged with its key and counted, and after the outage every
waiting message arrives exactly once.
"""

import logging
from datetime import UTC, date, datetime, timedelta

import pytest
from slack_sdk import WebClient
from sqlmodel import select

from bot.delivery import MAX_ATTEMPTS
from bot.gateway import SlackGateway
from storage.models import Outbox, Pairing
from tests.harness import BOT_TOKEN, Harness
from tests.story import dm, pair, text_of

MONDAY = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
ZONES = ("Europe/Oslo", "Europe/Stockholm", "America/New_York")


def team(bot: Harness, managers: int = 3, reports: int = 8) -> list[tuple[str, list[str]]]:
    bot.clock.set(MONDAY)
    out = []
    for m in range(managers):
        manager = f"UM{m}"
        bot.emulator.add_user(manager, f"manager{m}", tz="Europe/Oslo", locale="nb-NO")
        mine = []
        for r in range(reports):
            report = f"UR{m}{r}"
            bot.emulator.add_user(report, f"report{m}{r}", tz=ZONES[r % 3], locale="nb-NO")
            pair(bot, manager, report)
            mine.append(report)
        out.append((manager, mine))
    return out


def outbox_rows(bot: Harness) -> list[Outbox]:
    with bot.repo() as repo:
        return list(repo.session.exec(select(Outbox).order_by(Outbox.id)).all())  # type: ignore[arg-type]


def nudges(bot: Harness, user: str) -> int:
    return len(dm(bot, user))


def test_a_pair_with_broken_data_is_skipped_logged_and_counted_while_everyone_else_is_nudged(
    bot: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    managers = team(bot)
    with bot.repo() as repo:
        broken = repo.session.exec(select(Pairing).order_by(Pairing.nudge_at)).first()  # type: ignore[arg-type]
        assert broken is not None
        broken.cadence = "fortnightly"  # a value no version of mal knows: the window cannot be computed
        repo.add(broken)
        broken_id, broken_manager = broken.id, broken.manager_id
    with caplog.at_level(logging.WARNING, logger="mal.planner"):
        report = bot.tick()
    assert report.plan.failed["nudge"] == 1
    assert [line for line in caplog.messages if f"pairing:{broken_id}" in line], caplog.messages
    # Each manager gets a nudge for every report but the broken pair; the broken pair's manager too.
    per_manager = {m: nudges(bot, m) for m, _ in managers}
    assert sum(per_manager.values()) == 3 * 8 - 1
    assert report.plan.nudges == 3 * 8 - 1 and report.drain.sent == 3 * 8 - 1
    with bot.repo() as repo:
        pairing = repo.pairing(broken_id or 0)
        assert pairing is not None and pairing.nudge_at == bot.clock.now() + timedelta(hours=1)  # put off
        assert repo.person(broken_manager) is not None
    caplog.clear()
    bot.clock.advance(timedelta(minutes=5))
    with caplog.at_level(logging.WARNING, logger="mal.planner"):
        assert bot.tick().plan.failed["nudge"] == 0  # not tried again on every tick
    assert not caplog.messages


def test_an_absence_into_2029_is_refused_and_one_stored_before_the_limit_stops_nobody_else(bot: Harness) -> None:
    managers = team(bot, managers=2, reports=3)
    (per, _), (anne, _) = managers
    answer = bot.d.slash_command(per, "away 31.12.2029")
    assert "høyst ett år, altså til og med" in text_of(answer.json)
    with bot.repo() as repo:  # the same absence stored by an earlier version, with no limit
        person = repo.person_by_slack(bot.emulator.team_id, per)
        assert person is not None and person.away_until is None
        person.away_until = date(2029, 12, 31)
        repo.add(person)
    report = bot.tick()
    assert report.plan.failed.total() == 0
    assert nudges(bot, anne) == 3  # Anne is nudged as usual
    assert nudges(bot, per) == 0
    waiting = [r for r in outbox_rows(bot) if r.recipient == per]
    assert len(waiting) == 3 and all(r.status == "pending" for r in waiting)
    assert all(r.not_before is not None and r.not_before.date() >= date(2030, 1, 2) for r in waiting)


def test_a_message_that_fails_inside_mal_does_not_hold_up_the_ones_behind_it(
    bot: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    managers = team(bot, managers=1, reports=4)
    (per, _) = managers[0]
    with bot.repo() as repo:  # a row whose payload no renderer can read (bad data, or a bug)
        repo.enqueue(
            key="nudge:broken",
            team_id=bot.emulator.team_id,
            recipient=per,
            kind="nudge",
            payload={"meeting_id": "not-a-number"},
            not_before=MONDAY - timedelta(days=1),  # first in line
            now=MONDAY,
        )
    with caplog.at_level(logging.WARNING, logger="mal.delivery"):
        report = bot.tick()
    assert report.drain.sent == 4 and report.drain.failed == 1
    assert nudges(bot, per) == 4
    assert any("nudge:broken" in line for line in caplog.messages)
    assert not any("not-a-number" in line for line in caplog.messages)  # the key, never the content
    for _ in range(MAX_ATTEMPTS + 2):
        bot.clock.advance(timedelta(hours=3))
        bot.tick()
    (broken,) = [r for r in outbox_rows(bot) if r.key == "nudge:broken"]
    assert broken.status == "dead" and broken.error == "error:ValueError"


def test_half_an_hour_without_slack_loses_no_message_and_doubles_none(bot: Harness) -> None:
    managers = team(bot, managers=6, reports=8)  # 48 nudges due at once
    reachable = bot.gateway
    # Nothing listens there: every call is refused at once (the client's own retry pause left out).
    bot.gateway = SlackGateway(WebClient(token=BOT_TOKEN, base_url="http://127.0.0.1:9/api/", retry_handlers=[]))
    for _ in range(30):  # the tick runs every minute through the outage
        report = bot.tick()
        assert report.drain.sent == 0 and report.drain.dead == 0
        bot.clock.advance(timedelta(minutes=1))
    rows = outbox_rows(bot)
    assert len(rows) == 48 and {r.status for r in rows} == {"pending"}
    assert all(r.attempts == 0 and r.unreachable > 0 for r in rows)  # waiting used nothing up
    bot.gateway = reachable
    for _ in range(10):
        bot.clock.advance(timedelta(minutes=1))
        bot.tick()
        if all(r.status == "sent" for r in outbox_rows(bot)):
            break
    assert {r.status for r in outbox_rows(bot)} == {"sent"}
    assert [nudges(bot, m) for m, _ in managers] == [8] * 6
    # The pause never grows past five minutes, so everything went within minutes of Slack coming back.
    assert bot.clock.now() - (MONDAY + timedelta(minutes=30)) <= timedelta(minutes=6)


def test_slack_failing_on_its_side_for_a_long_while_uses_up_no_attempt(bot: Harness) -> None:
    ((per, _),) = team(bot, managers=1, reports=1)
    bot.emulator.fail_next_http("chat.postMessage", status=503, times=MAX_ATTEMPTS * 2)
    for _ in range(MAX_ATTEMPTS * 2):
        bot.tick()
        bot.clock.advance(timedelta(minutes=5))
    bot.tick()
    (row,) = outbox_rows(bot)
    assert row.status == "sent" and row.unreachable == 0
    assert nudges(bot, per) == 1

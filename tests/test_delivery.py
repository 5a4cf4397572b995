"""Nothing lost, nothing twice: the outbox under Slack's rate limits, server errors, departed users,
a revoked token, and a sender that dies before or after Slack answers."""

import logging
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from bot.delivery import MAX_ATTEMPTS, drain
from bot.scheduler import JOB_ID, start_scheduler
from storage import outbox
from storage.models import Outbox, Workspace
from tests.harness import Harness, counted
from tests.story import pair

MONDAY = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def managers_with_one_report(bot: Harness, n: int) -> list[str]:
    bot.clock.set(MONDAY)
    managers = []
    for i in range(n):
        m, e = f"UM{i:03d}", f"UE{i:03d}"
        bot.emulator.add_user(m, f"m{i}")
        bot.emulator.add_user(e, f"e{i}")
        pair(bot, m, e)
        managers.append(m)
    return managers


def rows(bot: Harness) -> list[Outbox]:
    with bot.repo() as repo:
        return list(repo.session.exec(select(Outbox)).all())


def nudges_received(bot: Harness, user: str) -> int:
    return len(bot.emulator.messages(user))


def test_rate_limited_fan_out_defers_and_delivers_each_message_once(bot: Harness) -> None:
    managers = managers_with_one_report(bot, 30)
    bot.emulator.set_rate_clock(lambda: bot.clock.now().timestamp())  # Slack's window in the test's time
    bot.emulator.set_rate_limit("chat.postMessage", 10, per_seconds=1)
    for _ in range(200):
        bot.tick()
        if all(r.status == "sent" for r in rows(bot)):
            break
        bot.clock.advance(timedelta(seconds=2))
    assert bot.emulator.rate_limited_count("chat.postMessage") > 0
    assert all(r.status == "sent" for r in rows(bot))
    assert [nudges_received(bot, m) for m in managers] == [1] * 30


def test_a_message_slack_rate_limits_more_often_than_the_attempt_limit_is_still_delivered(bot: Harness) -> None:
    (manager,) = managers_with_one_report(bot, 1)
    bot.emulator.fail_next_http("chat.postMessage", status=429, times=MAX_ATTEMPTS + 3)
    started = bot.clock.now()
    report = bot.tick()  # Slack's Retry-After is short: the tick waits it out, again and again
    assert report.drain.rate_limited == MAX_ATTEMPTS + 3 and report.drain.dead == 0
    (row,) = rows(bot)
    assert row.status == "sent" and row.attempts == 1  # waiting for Slack is not a failed attempt
    assert nudges_received(bot, manager) == 1
    assert bot.clock.now() > started  # it waited in the clock's time, not in real time


def test_after_a_rate_limited_drain_the_next_tick_is_due_when_the_soonest_message_may_go(bot: Harness) -> None:
    managers_with_one_report(bot, 3)
    bot.emulator.set_rate_limit("chat.postMessage", 1, per_seconds=45)
    assert bot.svc is not None
    scheduler = start_scheduler(bot.svc, bot.gateway, every_seconds=3600)
    try:
        job = scheduler.get_job(JOB_ID)
        # The first tick runs at once: one nudge goes, Slack turns the next away for 45 s.
        for _ in range(200):  # the scheduler's thread moves the job after the emulator has answered
            if job.next_run_time < datetime.now(UTC) + timedelta(minutes=5):
                break
            bot.emulator.wait_for(lambda: False, timeout=0.05)
        wait = (job.next_run_time - datetime.now(UTC)).total_seconds()
        assert 30 < wait <= 45  # not the hour of the interval
    finally:
        scheduler.shutdown(wait=True)
    assert bot.emulator.rate_limited_count("chat.postMessage") == 1
    waiting = sorted(r.not_before for r in rows(bot) if r.status == "pending" and r.not_before is not None)
    assert len(waiting) == 2 and waiting[0] == bot.clock.now() + timedelta(seconds=45)  # Slack's Retry-After


def test_server_errors_are_retried_with_backoff_until_sent(bot: Harness) -> None:
    (manager,) = managers_with_one_report(bot, 1)
    bot.emulator.fail_next_http("chat.postMessage", status=500, times=2)
    first = bot.tick()
    assert first.drain.sent == 0 and first.drain.deferred == 1
    (row,) = rows(bot)
    assert row.status == "pending" and row.not_before is not None and row.not_before > bot.clock.now()
    for _ in range(5):
        bot.clock.advance(timedelta(minutes=1))
        bot.tick()
    assert [r.status for r in rows(bot)] == ["sent"]
    assert nudges_received(bot, manager) == 1


def test_a_user_who_left_is_marked_inactive_and_never_retried(bot: Harness, caplog: pytest.LogCaptureFixture) -> None:
    (manager,) = managers_with_one_report(bot, 1)
    bot.emulator.fail_next("chat.postMessage", "user_not_found")
    labels = {"kind": "nudge", "outcome": "dropped", "reason": "user_not_found"}
    before = counted("mal_messages_total", labels)
    with caplog.at_level(logging.INFO, logger="mal.delivery"):
        report = bot.tick()
    (row,) = rows(bot)
    assert row.status == "dead" and row.error == "user_not_found"
    assert report.drain.dropped["user_not_found"] == 1 and counted("mal_messages_total", labels) == before + 1
    assert [m for m in caplog.messages if row.key in m and "user_not_found" in m]
    assert bot.person(manager).active is False
    calls = bot.emulator.count_calls("chat.postMessage")
    bot.at(MONDAY + timedelta(days=40))  # a month later: no new nudge is even attempted
    assert bot.emulator.count_calls("chat.postMessage") == calls


def test_a_revoked_token_stops_all_sending_to_the_workspace(bot: Harness, caplog: pytest.LogCaptureFixture) -> None:
    managers_with_one_report(bot, 3)
    bot.emulator.revoke_token("xoxb-emulator")
    labels = {"kind": "nudge", "outcome": "dropped", "reason": "token_revoked"}
    before = counted("mal_messages_total", labels)
    with caplog.at_level(logging.INFO, logger="mal.delivery"):
        report = bot.tick()
    assert report.drain.sent == 0
    assert {r.status for r in rows(bot)} == {"dead"}
    assert counted("mal_messages_total", labels) == before + 3  # every waiting message counted, none silently
    assert all([m for m in caplog.messages if r.key in m] for r in rows(bot))
    assert bot.emulator.count_calls("chat.postMessage") == 1  # stopped after the first refusal
    with bot.repo() as repo:
        ws = repo.session.get(Workspace, bot.emulator.team_id)
        assert ws is not None and ws.active is False


def test_tokens_revoked_event_stops_sending(bot: Harness) -> None:
    managers_with_one_report(bot, 2)
    result = bot.d.event({"type": "tokens_revoked", "tokens": {"bot": ["UBOT"]}})
    assert result.status == 200
    bot.emulator.wait_for(lambda: False, timeout=0.5)
    bot.tick()
    assert bot.emulator.count_calls("chat.postMessage") == 0


def test_a_sender_that_dies_after_claiming_loses_nothing(bot: Harness) -> None:
    (manager,) = managers_with_one_report(bot, 1)
    with bot.repo() as repo:
        from flows.planner import plan

        assert bot.svc is not None
        plan(repo, bot.clock.now(), bot.svc.plan_settings)
    claimed = outbox.claim(bot.svc.engine, bot.clock.now(), "dead-worker")[0]  # then the process is killed
    assert len(claimed) == 1
    assert drain(bot.svc, bot.gateway, worker="survivor").sent == 0  # the lease still holds
    bot.clock.advance(outbox.LEASE + timedelta(seconds=1))
    takeovers = counted("mal_outbox_lease_takeovers_total")
    assert drain(bot.svc, bot.gateway, worker="survivor").sent == 1
    assert counted("mal_outbox_lease_takeovers_total") == takeovers + 1  # an operator sees it
    assert nudges_received(bot, manager) == 1
    assert outbox.mark_sent(bot.svc.engine, claimed[0].id or 0, "dead-worker", bot.clock.now(), None) is False


def test_dying_between_slacks_answer_and_the_mark_is_the_only_way_to_send_twice(bot: Harness) -> None:
    """The window the design accepts: Slack has the message, the store does not know yet."""
    (manager,) = managers_with_one_report(bot, 1)
    assert bot.svc is not None
    with bot.repo() as repo:
        from flows.planner import plan

        plan(repo, bot.clock.now(), bot.svc.plan_settings)
    (row,) = outbox.claim(bot.svc.engine, bot.clock.now(), "dying-worker")[0]
    assert bot.gateway.post(row.recipient, "x", []).outcome == "sent"  # Slack answered; the process dies here
    bot.clock.advance(outbox.LEASE + timedelta(seconds=1))
    drain(bot.svc, bot.gateway, worker="survivor")
    assert nudges_received(bot, manager) == 2
    # Dying before the send, or after the mark, leaves exactly one message (see the test above).

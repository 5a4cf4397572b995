"""mal keeps Slack's rate limits itself: a burst of nudges goes out without one 429, each exactly once,
spaced a second apart per DM, and a workspace-wide cap holds up only that workspace.

The emulator enforces Slack's published limits on the same injected clock as the bot, so "a second
apart" is measured in the story's time, never slept on.
"""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any

import pytest
from sqlmodel import select

from bot.emulator.server import SlackEmulator
from bot.gateway import SendResult, SlackGateway, build_gateway, bulk_client
from bot.ratelimit import RateLimiter
from flows.clock import ManualClock
from storage.models import Outbox
from tests.harness import BOT_TOKEN, Harness
from tests.story import pair

MONDAY = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(MONDAY)


@pytest.fixture
def emulator(clock: ManualClock) -> Iterator[SlackEmulator]:
    emu = SlackEmulator(rate_clock=lambda: clock.now().timestamp())
    emu.start()
    try:
        yield emu
    finally:
        emu.stop()


def managers_with_reports(bot: Harness, managers: int, reports: int) -> list[str]:
    """Every manager gets one nudge per report on the same Monday morning: a burst to each DM."""
    ids = []
    for i in range(managers):
        m = f"UM{i:03d}"
        bot.emulator.add_user(m, f"m{i}")
        for j in range(reports):
            e = f"UE{i:03d}{j:02d}"
            bot.emulator.add_user(e, f"e{i}-{j}", real_name=f"Employee {i}-{j}")
            pair(bot, m, e)
        ids.append(m)
    return ids


def rows(bot: Harness) -> list[Outbox]:
    with bot.repo() as repo:
        return list(repo.session.exec(select(Outbox)).all())


def run_until_sent(bot: Harness, step: timedelta = timedelta(seconds=1), limit: int = 600) -> None:
    for _ in range(limit):
        bot.tick()
        if all(r.status == "sent" for r in rows(bot)):
            return
        bot.clock.advance(step)
    raise AssertionError(f"not all sent: {sorted({r.status for r in rows(bot)})}")


def test_a_burst_of_a_hundred_nudges_gets_no_429_and_each_arrives_once_a_second_apart(bot: Harness) -> None:
    managers = managers_with_reports(bot, 25, 4)
    bot.emulator.enable_slack_rate_limits()  # Slack's tiers; chat.postMessage 1/s per channel, bursts of 3
    assert bot.svc is not None
    bot.gateway = build_gateway(bot.svc)
    run_until_sent(bot)
    assert bot.emulator.rate_limited_count() == 0
    assert len(rows(bot)) == 100
    for m in managers:
        texts = [msg["text"] for msg in bot.emulator.messages(m)]
        assert len(texts) == 4 and len(set(texts)) == 4  # each report's nudge, once
        sent = sorted(r.sent_at for r in rows(bot) if r.recipient == m and r.sent_at is not None)
        gaps = [(b - a).total_seconds() for a, b in pairwise(sent)]
        assert min(gaps) >= 1.0, gaps


def test_without_the_limiter_the_same_burst_earns_429s(bot: Harness) -> None:
    """The figure the limiter is measured against: the emulator really enforces the burst limit."""
    managers_with_reports(bot, 25, 4)
    bot.emulator.enable_slack_rate_limits()
    bot.gateway = SlackGateway(bulk_client(BOT_TOKEN, bot.emulator.api_url))
    for _ in range(60):
        bot.tick()
        bot.clock.advance(timedelta(seconds=1))
    assert bot.emulator.rate_limited_count("chat.postMessage") > 0  # 21 in this story; none with the limiter
    assert all(len(bot.emulator.messages(f"UM{i:03d}")) <= 4 for i in range(25))  # 429s never send twice


def test_the_workspace_wide_cap_defers_the_rest_instead_of_asking_slack(bot: Harness) -> None:
    managers = managers_with_reports(bot, 100, 1)
    bot.emulator.set_rate_limit("chat.postMessage", 30, per_seconds=60)
    assert bot.svc is not None
    limiter = RateLimiter(bot.clock, post_workspace_per_minute=30)
    bot.gateway = SlackGateway(bulk_client(BOT_TOKEN, bot.emulator.api_url), limiter=limiter)
    first = bot.tick()
    assert first.drain.sent == 30
    run_until_sent(bot, step=timedelta(seconds=10))
    assert bot.emulator.rate_limited_count() == 0
    assert sorted(len(bot.emulator.messages(m)) for m in managers) == [1] * 100
    assert bot.clock.now() - MONDAY >= timedelta(minutes=3)  # 100 at 30 a minute


def test_tier_budgets_are_per_workspace_and_per_method(clock: ManualClock) -> None:
    limiter = RateLimiter(clock)
    assert all(limiter.acquire("T1", "users.list").allowed for _ in range(20))
    held = limiter.acquire("T1", "users.list")
    assert not held.allowed and 59 < held.wait <= 61 and held.scope == "workspace"
    assert limiter.acquire("T2", "users.list").allowed  # another workspace has its own budget
    assert limiter.acquire("T1", "conversations.open").allowed  # another method too
    clock.advance(timedelta(seconds=61))
    assert limiter.acquire("T1", "users.list").allowed


def test_a_busy_channel_holds_up_only_that_channel(clock: ManualClock) -> None:
    limiter = RateLimiter(clock)
    assert limiter.acquire("T1", "chat.postMessage", "UA").allowed
    busy = limiter.acquire("T1", "chat.postMessage", "UA")
    assert not busy.allowed and busy.scope == "channel" and busy.wait <= 1.01
    assert limiter.acquire("T1", "chat.postMessage", "UB").allowed
    clock.advance(timedelta(seconds=1))
    assert limiter.acquire("T1", "chat.postMessage", "UA").allowed


def test_a_workspace_slot_that_frees_within_a_second_is_waited_for_not_deferred(
    clock: ManualClock, emulator: SlackEmulator
) -> None:
    """Past the first minute of a big send-out, slots come back one at a time: each is waited for in place
    (in the clock's time), so the drain neither defers the message nor claims the batch again for it."""
    for user in ("UA", "UB", "UC", "UD"):
        emulator.add_user(user, user.lower())
    limiter = RateLimiter(clock, post_workspace_per_minute=2)
    gateway = SlackGateway(bulk_client(BOT_TOKEN, emulator.api_url), limiter=limiter, sleep=clock.sleep)
    assert gateway.post("UA", "one", [], team_id="T1").outcome == "sent"
    clock.advance(timedelta(seconds=59.9))
    assert gateway.post("UB", "two", [], team_id="T1").outcome == "sent"
    before = clock.now()
    third = gateway.post("UC", "three", [], team_id="T1")  # the first stamp leaves the window 0.6 s from now
    assert third.outcome == "sent"
    assert timedelta(seconds=0.5) <= clock.now() - before <= timedelta(seconds=0.7)
    fourth = gateway.post("UD", "four", [], team_id="T1")  # the next slot frees in about a minute: not waited for
    assert fourth.outcome == "retry" and fourth.error == "ratelimited" and fourth.retry_after > 50
    assert clock.now() - before <= timedelta(seconds=0.7)


class CountingGateway(SlackGateway):
    """The production sender, noting how many messages were planned when each one left."""

    def __init__(self, gateway: SlackGateway, bot: Harness) -> None:
        super().__init__(gateway.client, gateway.tokens, gateway.limiter, gateway.sleep)
        self.bot, self.planned_at_send = bot, list[int]()

    def post(self, channel: str, text: str, blocks: list[dict[str, Any]], team_id: str = "") -> SendResult:
        self.planned_at_send.append(len(rows(self.bot)))
        return super().post(channel, text, blocks, team_id)


def test_the_first_nudges_go_out_while_the_rest_are_still_being_planned(bot: Harness) -> None:
    """A Monday with 250 nudges due: the first leave after the first batch is planned, not after all 250, and
    the time Slack's workspace budget holds the drain back goes to planning the rest."""
    managers = managers_with_reports(bot, 250, 1)
    bot.emulator.set_rate_limit("chat.postMessage", 30, per_seconds=60)
    assert bot.svc is not None
    limiter = RateLimiter(bot.clock, post_workspace_per_minute=30)
    gateway = CountingGateway(
        SlackGateway(bulk_client(BOT_TOKEN, bot.emulator.api_url), limiter=limiter, sleep=bot.clock.sleep), bot
    )
    bot.gateway = gateway
    first = bot.tick()
    assert first.plan.planned == 250 and first.drain.sent == 30
    assert gateway.planned_at_send[0] <= 100
    run_until_sent(bot, step=timedelta(seconds=10))
    assert bot.emulator.rate_limited_count() == 0
    assert sorted(len(bot.emulator.messages(m)) for m in managers) == [1] * 250


def test_replacing_earlier_overviews_keeps_to_the_tier_3_budget(clock: ManualClock, emulator: SlackEmulator) -> None:
    """Turning an older overview into a pointer to the newer one costs conversations.open and chat.update, both
    Tier 3: past the minute's budget the next replacement is held back (and said so), not sent to earn a 429."""
    emulator.enable_slack_rate_limits()
    for user in ("UA", "UB"):
        emulator.add_user(user, user.lower())
    limiter = RateLimiter(clock, tier_per_minute={3: 1})
    gateway = SlackGateway(bulk_client(BOT_TOKEN, emulator.api_url), limiter=limiter, sleep=clock.sleep)
    first = gateway.post("UA", "Oversikt", [], team_id="T1")
    second = gateway.post("UB", "Oversikt", [], team_id="T1")
    assert first.ts and second.ts
    assert gateway.replace("UA", first.ts, "Erstattet", [], team_id="T1").outcome == "sent"
    held = gateway.replace("UB", second.ts, "Erstattet", [], team_id="T1")
    assert held.outcome == "retry" and held.error == "ratelimited" and held.retry_after > 50
    assert emulator.rate_limited_count() == 0
    clock.advance(timedelta(seconds=61))
    assert gateway.replace("UB", second.ts, "Erstattet", [], team_id="T1").outcome == "sent"

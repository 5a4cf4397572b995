"""Per and Kari both click Done on the same action, again and again, at the same moment (a slow network, an
impatient double-click, two devices). The action is closed once: one "done" in its history, and the
``closed_by`` it shows is the person that history names. Postponing at the same moment likewise moves
the date once per change, and the history's dates follow each other without a gap.

Every click is a signed request to the bot's HTTP endpoint, sent from its own thread; on PostgreSQL too
when MAL_TEST_POSTGRES_URL is set.
"""

import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from datetime import UTC, date, datetime
from threading import Barrier
from typing import Any

from sqlmodel import col, select

from bot.app import LISTENER_THREADS
from flows import actions
from storage.models import Action, ActionEvent
from tests.harness import Harness
from tests.locks import waiting_on_locks, write_lock_held
from tests.story import add_people, after, pair

CLICKS = 50


def agreed_action(bot: Harness) -> tuple[int, dict[str, Any]]:
    """Per and Kari agreed an action; Per's `/mal` shows it with its Done and Postpone buttons."""
    add_people(bot.emulator)
    bot.clock.set(datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
    pair(bot, "UPER", "UKARI")
    with bot.repo() as repo:
        per = repo.person_by_slack(bot.emulator.team_id, "UPER")
        kari = repo.person_by_slack(bot.emulator.team_id, "UKARI")
        assert per is not None and kari is not None
        added = actions.add(
            repo,
            per,
            kari,
            what="Fullføre kurset",
            due=date(2026, 12, 15),
            owner=kari,
            now=bot.clock.now(),
            today=date(2026, 11, 23),
        )
        assert isinstance(added, actions.Added) and added.action.id is not None
        action_id = added.action.id
    assert bot.d.slash_command("UPER", "").status == 200
    return action_id, bot.emulator.ephemerals("UPER")[-1]


def settled_on_the_lock(bot: Harness, listeners: int) -> None:
    """The acknowledged listeners have read the action and wait to write: PostgreSQL shows them waiting on the
    lock (as many as the connection pool lets in); SQLite cannot tell, so they get a moment. Either way the
    lock goes well within the 3 s in which the clicks still waiting for a listener must be answered."""
    assert bot.svc is not None
    if not bot.database_url.startswith("postgresql"):
        time.sleep(1.0)
        return
    pool: Any = bot.svc.engine.pool
    expected = min(listeners, pool.size() + getattr(pool, "_max_overflow", 0))
    deadline = time.monotonic() + 1.5
    while waiting_on_locks(bot.database_url) < expected and time.monotonic() < deadline:
        time.sleep(0.05)


def history(bot: Harness, action_id: int) -> tuple[Action, list[ActionEvent]]:
    with bot.repo() as repo:
        action = repo.action(action_id)
        assert action is not None
        events = repo.session.exec(
            select(ActionEvent).where(ActionEvent.action_id == action_id).order_by(col(ActionEvent.id))
        ).all()
        return action, list(events)


def test_fifty_done_clicks_at_once_close_the_action_once_and_name_who_closed_it(bot: Harness) -> None:
    action_id, listing = agreed_action(bot)
    kari_listing = bot.d.slash_command("UKARI", "")
    assert kari_listing.status == 200
    kari_message = bot.emulator.ephemerals("UKARI")[-1]
    clickers = [("UPER", listing), ("UKARI", kari_message)] * (CLICKS // 2)

    start = Barrier(CLICKS)

    def click(who: tuple[str, dict[str, Any]]) -> Any:
        start.wait()  # every thread is ready: the clicks leave together
        return bot.d.block_action(who[0], "action_done", value=str(action_id), source=who[1])

    # A tick holds the write lock meanwhile: the clicks are answered, and each read the action as open before
    # any of them could write. (Bolt runs LISTENER_THREADS listeners at once; the rest wait for a free one.)
    with write_lock_held(bot.database_url) as release, ThreadPoolExecutor(max_workers=CLICKS) as pool:
        pending = [pool.submit(click, who) for who in clickers]
        for answered, _ in enumerate(as_completed(pending), start=1):
            if answered == LISTENER_THREADS:
                settled_on_the_lock(bot, LISTENER_THREADS)
                release.set()
        answers = [p.result() for p in pending]
    assert [a.status for a in answers] == [200] * CLICKS
    bot.emulator.wait_for(lambda: len(bot.emulator.response_url_posts()) >= CLICKS, timeout=20)
    action, events = history(bot, action_id)
    done = [e for e in events if e.kind == "done"]
    assert len(done) == 1
    assert action.status == "done" and action.closed_by == done[0].by_id and action.closed_at == done[0].at


def test_postponing_from_many_modals_at_once_moves_the_date_once_per_change_with_a_history_without_gaps(
    bot: Harness,
) -> None:
    action_id, listing = agreed_action(bot)
    modals = [
        after(bot, "UPER", lambda: bot.d.click("UPER", listing, "action_postpone"), what="view") for _ in range(10)
    ]
    targets = ["2027-01-10", "2027-01-10", "2027-01-20", "2027-01-10", "2027-01-31"] * 2

    start = Barrier(len(modals))

    def submit(modal_and_date: tuple[dict[str, Any], str]) -> Any:
        start.wait()
        return bot.d.view_submission("UPER", modal_and_date[0], {"due": modal_and_date[1]})

    with ThreadPoolExecutor(max_workers=len(modals)) as pool:
        answers = list(pool.map(submit, zip(modals, targets, strict=True)))

    assert [a.status for a in answers] == [200] * len(modals)
    action, events = history(bot, action_id)
    moves = [e for e in events if e.kind == "postponed"]
    assert moves, "nothing was postponed"
    assert all(e.old_due != e.new_due for e in moves)
    chain = [date(2026, 12, 15)] + [e.new_due for e in moves]
    assert [e.old_due for e in moves] == chain[:-1]  # each move starts where the previous one ended
    assert action.due == chain[-1] and action.status == "open"

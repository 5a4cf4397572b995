"""While another connection holds the database's write lock for longer than Slack waits — a long tick, a
backup, a migration — `/mal` still answers Per within Slack's three seconds, and the action he adds is not
lost: he is told at once that it is being saved, and told again, in his language, once it is.

Before, `/mal` wrote its audit row before answering, so Slack gave up on it, and `/mal add` ended in
"database is locked".
"""

import time
from datetime import UTC, date, datetime
from typing import Any

from sqlmodel import select

from flows import actions
from storage.models import Action, AuditLog
from tests.harness import Harness
from tests.locks import write_lock_held
from tests.story import add_people, pair, text_of

SLACK_WAITS = 3.0
HELD = 4.0


def timed(act: Any) -> tuple[Any, float]:
    start = time.monotonic()
    result = act()
    return result, time.monotonic() - start


def test_mal_answers_and_an_added_action_is_kept_while_another_connection_holds_the_write_lock(
    bot: Harness,
) -> None:
    add_people(bot.emulator)
    bot.clock.set(datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
    pair(bot, "UPER", "UKARI")
    with bot.repo() as repo:
        per, kari = (repo.person_by_slack(bot.emulator.team_id, u) for u in ("UPER", "UKARI"))
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
        assert isinstance(added, actions.Added)

    with write_lock_held(bot.database_url, ("action", "actionevent", "auditlog", "person")):
        locked_at = time.monotonic()
        listing, listed_in = timed(lambda: bot.d.slash_command("UPER", ""))
        adding, added_in = timed(
            lambda: bot.d.slash_command("UPER", "add <@UKARI|kari> Bestille kurs innen 20.12.2026")
        )
        add_url = bot.d.last_response_url
        with bot.repo() as repo:
            stored_meanwhile = [a.what for a in repo.session.exec(select(Action)).all()]
        time.sleep(max(0.0, HELD - (time.monotonic() - locked_at)))  # the lock stays past Slack's patience

    assert listing.status == 200 and listed_in < SLACK_WAITS
    assert "Fullføre kurset" in text_of({"blocks": listing.json["blocks"]})
    assert adding.status == 200 and added_in < SLACK_WAITS
    assert "Lagrer" in str(adding.json.get("text"))  # "saving": the answer follows
    assert "Bestille kurs" not in stored_meanwhile

    assert bot.emulator.wait_for(lambda: len(bot.emulator.response_url_posts(add_url)) >= 1, timeout=40)
    (outcome,) = bot.emulator.response_url_posts(add_url)
    assert "1 tiltak er registrert" in text_of(outcome)
    with bot.repo() as repo:
        whats = [a.what for a in repo.session.exec(select(Action)).all()]
        audit = repo.session.exec(select(AuditLog).where(AuditLog.what == "actions")).all()
    assert whats.count("Bestille kurs") == 1
    assert audit, "who read Kari's actions was recorded after the answer"


def test_without_a_lock_mal_add_answers_in_its_acknowledgement_as_before(bot: Harness) -> None:
    add_people(bot.emulator)
    bot.clock.set(datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
    pair(bot, "UPER", "UKARI")

    answer = bot.d.slash_command("UPER", "add <@UKARI|kari> Bestille kurs innen 20.12.2026")

    assert "1 tiltak er registrert" in text_of({"blocks": answer.json["blocks"]})
    assert bot.emulator.response_url_posts(bot.d.last_response_url) == []

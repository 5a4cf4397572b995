"""Evaluations read together: each party evaluates alone, and once both have, each is shown the other's, once.
Admins see only counts per answer, and only over at least five answers."""

import json
from datetime import UTC, datetime
from typing import Any

from flows import evaluations
from storage.models import Evaluation, Meeting, Pairing
from tests.harness import Harness
from tests.story import add_people, after, dm, last_dm, pair, settle, text_of


def test_each_sees_the_others_evaluation_once_both_have_evaluated(bot: Harness) -> None:
    add_people(bot.emulator)
    pair(bot, "UPER", "UKARI")
    bot.at(datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
    modal = after(bot, "UPER", lambda: bot.d.click("UPER", last_dm(bot, "UPER"), "meeting_invite_open"), what="view")
    assert bot.d.view_submission("UPER", modal, {"date": "2026-12-03", "time": "10:00"}).ok
    bot.tick()
    bot.at(datetime(2026, 12, 3, 11, 30, tzinfo=UTC))

    def evaluate(user: str, values: dict[str, Any]) -> None:
        followup = next(m for m in reversed(dm(bot, user)) if "evaluate_open" in str(m.get("blocks")))
        form = after(bot, user, lambda: bot.d.click(user, followup, "evaluate_open"), what="view")
        after(bot, user, lambda: bot.d.view_submission(user, form, values))

    evaluate("UKARI", {"e_useful": "Yes", "e_said_it": "Partly", "e_differently": "Mer tid til mål"})
    bot.tick()
    assert "Mer tid til mål" not in "\n".join(text_of(m) for m in dm(bot, "UPER"))  # Per has not evaluated yet

    evaluate("UPER", {"e_useful": "Partly", "e_said_it": "Yes", "e_differently": "Starte presis"})
    bot.tick()
    settle(bot, lambda: "Mer tid til mål" in text_of(last_dm(bot, "UPER")), "Per never saw Kari's evaluation")
    settle(bot, lambda: "Starte presis" in text_of(last_dm(bot, "UKARI")), "Kari never saw Per's evaluation")
    assert "Delvis" in text_of(last_dm(bot, "UKARI"))  # Per's choice in Kari's language
    count = len(dm(bot, "UKARI"))
    bot.tick()
    assert len(dm(bot, "UKARI")) == count  # once


def test_admins_see_evaluation_counts_only_over_five_answers(bot: Harness) -> None:
    add_people(bot.emulator)
    pair(bot, "UPER", "UKARI")
    with bot.repo() as repo:
        pairing = repo.active_pairing_of(bot.person("UKARI").id or 0)
        assert pairing is not None and pairing.id is not None
        for n in range(4):
            meeting = repo.add(Meeting(pairing_id=pairing.id, period=f"p{n}", template="annual", status="held"))
            repo.add(
                Evaluation(
                    meeting_id=meeting.id or 0,
                    person_id=pairing.employee_id,
                    answers=json.dumps({"met_expectations": "Yes", "useful_how": "Kari skrev dette"}),
                )
            )
        team = repo.session.get(Pairing, pairing.id).team_id  # type: ignore[union-attr]
        assert evaluations.aggregates(repo, team, "annual") == []  # four answers: nothing shown
        meeting = repo.add(Meeting(pairing_id=pairing.id, period="p5", template="annual", status="held"))
        repo.add(
            Evaluation(meeting_id=meeting.id or 0, person_id=pairing.manager_id, answers='{"met_expectations": "No"}')
        )
        tallies = evaluations.aggregates(repo, team, "annual")
    assert [(t.question.key, t.counts, t.total) for t in tallies] == [
        ("met_expectations", (("Yes", 4), ("Partly", 0), ("No", 1)), 5)
    ]
    assert "Kari skrev dette" not in str(tallies)

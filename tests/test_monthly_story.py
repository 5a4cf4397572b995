"""Per manages Kari. The story of one monthly 1:1, told through Slack as they would live it."""

from datetime import UTC, datetime

from storage.models import Outbox
from tests.harness import Harness
from tests.story import add_people, after, dm, last_dm, pair, settle, text_of


def test_one_monthly_one_to_one_from_nudge_to_closed_action(bot: Harness) -> None:
    add_people(bot.emulator)
    pair(bot, "UPER", "UKARI")

    # Monday 23 November, 10:00 in Oslo: the tick nudges Per about Kari.
    bot.at(datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
    nudge = last_dm(bot, "UPER")
    assert "<@UKARI>" in text_of(nudge)

    # Per sends the invitation: Thursday 3 December 10:00, room Fjord, with the core question.
    modal = after(bot, "UPER", lambda: bot.d.click("UPER", nudge, "meeting_invite_open"), what="view")
    result = bot.d.view_submission(
        "UPER",
        modal,
        {"date": "2026-12-03", "time": "10:00", "place": "Fjord", "extra": ["core"], "topics": "Kurset i vår"},
    )
    assert result.ok
    assert bot.emulator.open_views("UPER") == []
    bot.tick()
    invitation = last_dm(bot, "UKARI")
    shown = text_of(invitation)
    assert "Fjord" in shown and "<@UPER>" in shown
    assert "Hvordan ligger du an i forhold til mål og planer?" in shown
    assert "torsdag 3. desember kl. 10:00" in shown
    assert "Kurset i vår" in shown

    # Kari prepares in the DM, one question at a time.
    first = after(bot, "UKARI", lambda: bot.d.click("UKARI", invitation, "prep_start"))
    assert "Hvordan ligger du an" in text_of(first)
    second = after(bot, "UKARI", lambda: bot.d.message_im("UKARI", "Godt, to av tre mål er nådd"))
    assert "Hva har skjedd siden siste samtale?" in text_of(second)
    sent: dict[str, str] = {}
    after(bot, "UKARI", lambda: sent.update(event_id=bot.d.message_im("UKARI", "Ny kunde i Bergen").sent["event_id"]))
    bot.d.redeliver(sent["event_id"], retry_num=1)  # Slack retries: stored once, answered once
    paused = after(bot, "UKARI", lambda: bot.d.message_im("UKARI", "stopp"))
    assert "2" in text_of(paused)

    bot.restart()  # a deploy in the middle of the preparation
    resumed = after(bot, "UKARI", lambda: bot.d.message_im("UKARI", "fortsett"))
    assert "Hva har du lært eller utviklet deg i siden sist?" in text_of(resumed)
    for answer in ["Kubernetes", "hopp over", "Mer tid til kurset", "Nei", "Kurset", "Ja, lønn"]:
        summary = after(bot, "UKARI", lambda a=answer: bot.d.message_im("UKARI", a))
    assert "Ny kunde i Bergen" in text_of(summary)
    with bot.repo() as repo:
        meeting = repo.preparing_meeting_of(bot.person("UKARI").id or 0)
        assert meeting is not None and meeting.id is not None
        answers = repo.answers(meeting.id)
    assert answers["since_last"] == "Ny kunde i Bergen"
    assert "next" not in answers  # skipped
    assert answers["core"] == "Ja, lønn"
    bot.d.click("UKARI", summary, "prep_share")
    settle(bot, lambda: bot.person("UKARI") is not None and _shared(bot), "answers not shared")

    # The working day before, Per gets what Kari shared and questions for his own preparation.
    bot.at(datetime(2026, 12, 2, 8, 30, tzinfo=UTC))
    brief = last_dm(bot, "UPER")
    assert "Ny kunde i Bergen" in text_of(brief)
    assert "Hva opplever medarbeider som hindringer?" in text_of(brief)
    # No reminder to prepare went to Kari: she had shared.
    assert not any("forberedelse" in text_of(m).lower() and "påminn" in text_of(m).lower() for m in dm(bot, "UKARI"))

    # After the meeting both are asked what they agreed.
    bot.at(datetime(2026, 12, 3, 10, 0, tzinfo=UTC))
    followup = last_dm(bot, "UPER")
    assert "Hva ble dere enige om? Hvem gjør hva, når?" in text_of(followup)
    assert "Hva ble dere enige om?" in text_of(last_dm(bot, "UKARI"))
    assert "1:1-samtale med <@UKARI>, torsdag 3. desember kl. 10:00" in text_of(followup)  # which meeting
    assert "1:1-samtale med <@UPER>" in text_of(last_dm(bot, "UKARI"))
    agree = after(bot, "UPER", lambda: bot.d.click("UPER", followup, "agree_open"), what="view")
    after(
        bot,
        "UPER",
        lambda: bot.d.view_submission(
            "UPER",
            agree,
            {
                "what_1": "Fullføre kurset",
                "owner_1": "UKARI",
                "due_1": "2026-12-15",
                "what_2": "Sette opp møte med kunden",
                "owner_2": "UPER",
                "due_2": "2026-12-10",
            },
        ),
    )

    # Per types /mal: both actions, the earliest first; he closes one and it is gone.
    listing = bot.d.slash_command("UPER", "")
    shown = text_of({"blocks": listing.json["blocks"]})
    assert shown.index("Sette opp møte med kunden") < shown.index("Fullføre kurset")
    message = bot.emulator.ephemerals("UPER")[-1]
    done_button = next(
        el
        for b in listing.json["blocks"]
        if b["type"] == "actions"
        for el in b["elements"]
        if el["action_id"] == "action_done"
    )
    bot.d.block_action("UPER", "action_done", value=done_button["value"], source=message)
    bot.d.block_action("UPER", "action_done", value=done_button["value"], source=message)  # a double click
    settle(bot, lambda: len(bot.emulator.response_url_posts()) >= 2, "list not refreshed")
    relisted = bot.d.slash_command("UPER", "")
    shown_after = text_of({"blocks": relisted.json["blocks"]})
    assert "Sette opp møte med kunden" not in shown_after
    assert "Fullføre kurset" in shown_after
    with bot.repo() as repo:
        from sqlmodel import select

        from storage.models import ActionEvent

        done_events = repo.session.exec(select(ActionEvent).where(ActionEvent.kind == "done")).all()
        assert len(done_events) == 1

    # Kari evaluates the conversation once.
    evaluation = after(bot, "UKARI", lambda: bot.d.click("UKARI", last_dm(bot, "UKARI"), "evaluate_open"), what="view")
    thanks = after(
        bot,
        "UKARI",
        lambda: bot.d.view_submission(
            "UKARI", evaluation, {"e_useful": "Yes", "e_said_it": "Partly", "e_differently": "Kortere"}
        ),
    )
    assert "Takk" in text_of(thanks)

    # Nothing was sent twice.
    with bot.repo() as repo:
        from sqlmodel import select

        sent = repo.session.exec(select(Outbox).where(Outbox.status == "sent")).all()
    assert len({r.key for r in sent}) == len(sent)


def _shared(bot: Harness) -> bool:
    from sqlmodel import select

    from storage.models import Meeting

    with bot.repo() as repo:
        return any(m.prep_shared_at is not None for m in repo.session.exec(select(Meeting)).all())

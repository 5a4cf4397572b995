"""004's frequent conversation: the manager picks, in the invitation form, which of the template's questions
go with this invitation ("kvalitet går foran kvantitet"), and the employee prepares only those — in the DM and
in the form. The next invitation offers the same choice again, so a good set is kept without choosing anew."""

from datetime import UTC, datetime, timedelta
from typing import Any

from tests.harness import Harness
from tests.story import add_people, after, dm, last_dm, pair, text_of


def _use_template(bot: Harness, employee: str, key: str) -> None:
    with bot.repo() as repo:
        pairing = repo.active_pairing_of(bot.person(employee).id or 0)
        assert pairing is not None
        pairing.template = key
        repo.add(pairing)


def _picker(modal: dict[str, Any]) -> dict[str, Any]:
    return next(b for b in modal["blocks"] if b.get("block_id") == "chosen")


def _option(picker: dict[str, Any], label: str) -> dict[str, Any]:
    return next(o for g in picker["element"]["option_groups"] for o in g["options"] if o["text"]["text"] == label)


def test_the_manager_picks_the_questions_and_the_employee_prepares_only_those(bot: Harness) -> None:
    add_people(bot.emulator)
    pair(bot, "UPER", "UKARI")
    _use_template(bot, "UKARI", "frequent")
    bot.at(datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
    nudge = last_dm(bot, "UPER")
    modal = after(bot, "UPER", lambda: bot.d.click("UPER", nudge, "meeting_invite_open"), what="view")

    # The form offers 004's questions grouped by the template's sections, in Per's language; it is required.
    picker = _picker(modal)
    assert picker["optional"] is False
    groups = [g["label"]["text"] for g in picker["element"]["option_groups"]]
    assert groups == ["Innledning", "Spørsmål til samtalen", "Avtale"]
    labels = [o["text"]["text"] for g in picker["element"]["option_groups"] for o in g["options"]]
    assert len(labels) == 15 and "Hva gir deg arbeidsglede?" in labels
    assert "initial_options" not in picker["element"]  # nothing chosen before: Per chooses

    chosen = [
        _option(picker, "Hva gir deg arbeidsglede?"),
        _option(picker, "Har du den frihet du trenger til å gjøre jobben din?"),
        _option(picker, "Får du den støtten du ønsker fra meg som leder?"),
    ]
    result = bot.d.view_submission("UPER", modal, {"date": "2026-12-03", "time": "10:00", "chosen": chosen})
    assert result.ok
    bot.tick()
    invitation = last_dm(bot, "UKARI")
    shown = text_of(invitation)
    for option in chosen:
        assert option["text"]["text"] in shown
    assert "Er det noen tema i tillegg som bør reises i samtalen?" in shown  # 004: always asked with the invitation
    assert "Hva er det beste med arbeidsmiljøet?" not in shown  # not chosen: not asked

    # In the DM she is asked four questions, no more.
    first = after(bot, "UKARI", lambda: bot.d.click("UKARI", invitation, "prep_start"))
    assert "Spørsmål 1 av 4" in text_of(first)
    for answer in ("Nei", "Kundene", "Ja, stort sett"):
        after(bot, "UKARI", lambda a=answer: bot.d.message_im("UKARI", a))
    summary = after(bot, "UKARI", lambda: bot.d.message_im("UKARI", "Mer tid til deg"))
    assert "Hva er det beste med arbeidsmiljøet?" not in text_of(summary)
    assert "Kundene" in text_of(summary)

    # The form has the same four questions.
    form = after(bot, "UKARI", lambda: bot.d.click("UKARI", invitation, "prep_form_open"), what="view")
    assert len([b for b in form["blocks"] if b.get("block_id", "").startswith("q_")]) == 4

    # Next month Per's invitation form comes with the same three already chosen, and he can change them.
    with bot.repo() as repo:
        pairing = repo.active_pairing_of(bot.person("UKARI").id or 0)
        assert pairing is not None and pairing.nudge_at is not None
        next_nudge = pairing.nudge_at
    for hours in (0, 24, 48, 72, 96):  # the nudge waits for Per's working hours
        bot.at(next_nudge + timedelta(hours=hours))
    nudges = [
        m for m in dm(bot, "UPER") if any(b.get("block_id", "").startswith("nudge:") for b in m.get("blocks") or [])
    ]
    assert len(nudges) == 1 and nudges[0]["ts"] != nudge["ts"]  # the first was updated to "invitation sent"
    again = after(bot, "UPER", lambda: bot.d.click("UPER", nudges[-1], "meeting_invite_open"), what="view")
    initial = [o["value"] for o in _picker(again)["element"]["initial_options"]]
    assert initial == [o["value"] for o in chosen]


def test_a_template_without_a_choice_shows_no_picker(bot: Harness) -> None:
    add_people(bot.emulator)
    pair(bot, "UPER", "UKARI")
    bot.at(datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
    modal = after(bot, "UPER", lambda: bot.d.click("UPER", last_dm(bot, "UPER"), "meeting_invite_open"), what="view")
    assert all(b.get("block_id") != "chosen" for b in modal["blocks"])

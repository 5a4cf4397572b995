"""Whole conversations through Slack: the Swedish results and development conversation with ratings and
reasons, a sensitive question asked with care, private notes, and one invitation in four languages."""

import json
import os
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from flows import checkin
from flows.i18n import translator
from storage.models import Action, Meeting, PrivateNote
from tests.harness import Harness
from tests.story import add_people, after, dm, last_dm, pair, send_invitation, settle, text_of


def _use_template(bot: Harness, employee: str, key: str) -> None:
    with bot.repo() as repo:
        pairing = repo.active_pairing_of(bot.person(employee).id or 0)
        assert pairing is not None
        pairing.template = key
        repo.add(pairing)


def _invite(bot: Harness, manager: str, employee: str, values: dict[str, Any] | None = None) -> dict[str, Any]:
    """The manager is nudged on Monday 23 November and invites to Thursday 3 December 10:00 in Fjord."""
    bot.at(datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
    nudge = last_dm(bot, manager)
    modal = after(bot, manager, lambda: bot.d.click(manager, nudge, "meeting_invite_open"), what="view")
    result = bot.d.view_submission(
        manager, modal, {"date": "2026-12-03", "time": "10:00", "place": "Fjord", **(values or {})}
    )
    assert result.ok
    bot.tick()
    return last_dm(bot, employee)


def _everything_seen_by(bot: Harness, user: str) -> str:
    """All a person has been shown: DMs, ephemeral answers and modals."""
    seen = [text_of(m) for m in dm(bot, user)]
    seen += [text_of(m) for m in bot.emulator.ephemerals(user)]
    seen += [str(v) for v in bot.emulator.open_views(user)]
    return "\n".join(seen)


def _fake_message(user: str, buttons: list[tuple[str, str]]) -> dict[str, Any]:
    """A message with buttons carrying somebody else's ids, as an intruder could forge it."""
    elements = [
        {"type": "button", "action_id": a, "value": v, "text": {"type": "plain_text", "text": a}} for a, v in buttons
    ]
    return {
        "type": "message",
        "channel": f"D{user}",
        "ts": "1.000001",
        "blocks": [{"type": "actions", "block_id": "x", "elements": elements}],
    }


def _button(message: dict[str, Any], action_id: str) -> bool:
    return any(
        el.get("action_id") == action_id
        for b in message.get("blocks") or []
        if b.get("type") == "actions"
        for el in b.get("elements") or []
    )


def test_a_swedish_development_conversation_rates_with_reasons_and_ends_in_a_plan_both_see(bot: Harness) -> None:
    add_people(bot.emulator)
    pair(bot, "UPER", "USVEN")
    _use_template(bot, "USVEN", "rus")
    invitation = _invite(bot, "UPER", "USVEN")
    shown = text_of(invitation)
    assert "Inbjudan till 1:1-samtal" in shown
    assert "torsdag 3 december kl. 10:00" in shown
    assert "Planer, mål och strategier – styrning" in shown

    # Per gets his own preparation privately, with the invitation; Sven does not.
    own = last_dm(bot, "UPER")
    assert _button(own, "manager_prep_open")
    assert "Din egen forberedelse" in text_of(own)
    assert not any(_button(m, "manager_prep_open") for m in dm(bot, "USVEN"))

    # Sven skips the five follow-up questions and reaches the first criterion: three steps as buttons.
    prompt = after(bot, "USVEN", lambda: bot.d.click("USVEN", invitation, "prep_start"))
    for _ in range(5):
        prompt = after(bot, "USVEN", lambda: bot.d.message_im("USVEN", "hoppa"))
    assert "Planer, mål och strategier – styrning" in text_of(prompt)
    assert "1. Behöver utveckla" in text_of(prompt) and "3. Mycket bra" in text_of(prompt)

    # He clicks "Bra" twice (a double click): asked once for his reason.
    asked = after(bot, "USVEN", lambda: bot.d.click("USVEN", prompt, text="2. Bra"))
    assert "Varför?" in text_of(asked)
    count = len(dm(bot, "USVEN"))
    bot.d.click("USVEN", prompt, text="2. Bra")
    next_prompt = after(bot, "USVEN", lambda: bot.d.message_im("USVEN", "Planerna följdes, men sent"))
    assert len(dm(bot, "USVEN")) == count + 1
    assert "Måluppfyllelse" in text_of(next_prompt)

    # The next criterion he types, step and reason in one message.
    text_step = after(bot, "USVEN", lambda: bot.d.message_im("USVEN", "mycket bra, alla mål nådda"))
    assert "utveckla ditt sätt att styra" in text_of(text_step)  # the open question after it
    paused = after(bot, "USVEN", lambda: bot.d.message_im("USVEN", "stopp"))
    assert "2 av" in text_of(paused)

    # The rest in the form: a criterion by its select and a reason, and a feedback question.
    form = after(bot, "USVEN", lambda: bot.d.click("USVEN", invitation, "prep_form_open"), what="view")
    summary = after(
        bot,
        "USVEN",
        lambda: bot.d.view_submission(
            "USVEN",
            form,
            {
                "q_use_of_resources": "needs_development",
                "r_use_of_resources": "För många möten",
                "q_listens": "Lyssnar bra",
            },
        ),
    )
    shown = text_of(summary)
    assert "*Mycket bra* — alla mål nådda" in shown
    assert "*Behöver utveckla* — För många möten" in shown
    assert "Återkoppling till ledarskap" in shown
    with bot.repo() as repo:
        pairing = repo.active_pairing_of(bot.person("USVEN").id or 0)
        assert pairing is not None and pairing.id is not None
        meeting = repo.meetings_of_pairings([pairing.id])[-1]
        assert meeting.id is not None
        rows = repo.answer_rows(meeting.id)
        meeting_id = meeting.id
    assert (rows["plans_goals_strategies"].choice, rows["plans_goals_strategies"].text) == (
        "good",
        "Planerna följdes, men sent",
    )
    assert (rows["goal_attainment"].choice, rows["goal_attainment"].text) == ("very_good", "alla mål nådda")
    assert rows["use_of_resources"].choice == "needs_development"
    bot.d.click("USVEN", summary, "prep_share")
    settle(bot, lambda: _shared(bot, meeting_id), "not shared")

    # Per answers his own preparation in private: his own rating of the same criterion and a thought.
    prep_modal = after(bot, "UPER", lambda: bot.d.click("UPER", own, "manager_prep_open"), what="view")
    assert "Bara du" not in str(prep_modal)  # Per reads Bokmål
    assert "Bare du ser disse svarene." in str(prep_modal)
    after(
        bot,
        "UPER",
        lambda: bot.d.view_submission(
            "UPER", prep_modal, {"q_plans_goals_strategies": "very_good", "q_events": "Per tenker på omorganiseringen"}
        ),
    )

    # The working day before, Per's brief: Sven's ratings in Per's language, under the booklet's sections,
    # and Per's own answers, which Sven never sees.
    bot.at(datetime(2026, 12, 2, 8, 30, tzinfo=UTC))
    brief = text_of(last_dm(bot, "UPER"))
    assert "*Resultater*" in brief
    assert "*Bra* — Planerna följdes, men sent" in brief
    assert "*Trenger utvikling* — För många möten" in brief
    assert "*Oppfølging*" not in brief  # nothing answered there
    assert brief.index("*Resultater*") < brief.index("*Tilbakemelding på ledelse*")
    assert "Per tenker på omorganiseringen" in brief
    assert "Per tenker på omorganiseringen" not in _everything_seen_by(bot, "USVEN")

    # After the meeting: the development plan in the booklet's columns, then the evaluation.
    bot.at(datetime(2026, 12, 3, 11, 30, tzinfo=UTC))
    followup = last_dm(bot, "UPER")
    agree = after(bot, "UPER", lambda: bot.d.click("UPER", followup, "agree_open"), what="view")
    labels = str(agree)
    assert "Forpliktelse eller utviklingsområde" in labels and "Hvordan følge opp/evaluere" in labels
    after(
        bot,
        "UPER",
        lambda: bot.d.view_submission(
            "UPER",
            agree,
            {
                "goal_1": "Bättre resursanvändning",
                "what_1": "Halvera antalet interna möten",
                "owner_1": "USVEN",
                "due_1": "2027-03-31",
                "follow_1": "Vid nästa samtal",
            },
        ),
    )
    with bot.repo() as repo:
        action = repo.session.exec(select(Action)).one()
    assert (action.goal, action.what, action.follow_up, action.due) == (
        "Bättre resursanvändning",
        "Halvera antalet interna möten",
        "Vid nästa samtal",
        date(2027, 3, 31),
    )
    for who in ("UPER", "USVEN"):
        listing = bot.d.slash_command(who, "")
        assert "Halvera antalet interna möten" in text_of({"blocks": listing.json["blocks"]})

    sven_followup = last_dm(bot, "USVEN")
    evaluation = after(bot, "USVEN", lambda: bot.d.click("USVEN", sven_followup, "evaluate_open"), what="view")
    assert "Fick du säga det du ville?" in str(evaluation)
    thanks = after(
        bot, "USVEN", lambda: bot.d.view_submission("USVEN", evaluation, {"e_said_it": "Yes", "e_meaningful": "Partly"})
    )
    assert "Tack" in text_of(thanks)


def _shared(bot: Harness, meeting_id: int) -> bool:
    with bot.repo() as repo:
        meeting = repo.meeting(meeting_id)
        return meeting is not None and meeting.prep_shared_at is not None


# --- a sensitive question ----------------------------------------------------------------------------------

CARE = "Svaret går bare til lederen din. Du kan også kontakte verneombudet, tillitsvalgt eller HR."


@pytest.mark.parametrize("override", [None, "Ring HR-linja på 22 00 00 00, eller bruk varslingskanalen."])
def test_a_sensitive_question_shows_where_else_to_turn_and_its_answer_reaches_only_the_manager(
    emulator: Any, database_url: str, clock: Any, override: str | None
) -> None:
    overrides: dict[str, Any] = {"mal_hr_contact": "hr@example.org"}
    if override:
        overrides["mal_care_text"] = override
    bot = Harness(emulator, clock, database_url, overrides=overrides).start()
    try:
        add_people(bot.emulator)
        pair(bot, "UPER", "UKARI")
        pair(bot, "UOLA", "UJOHN")
        _use_template(bot, "UKARI", "annual-relational")
        invitation = _invite(bot, "UPER", "UKARI")
        care_text = override or translator("nb")._(
            "Your answer stays with you until you share it on its own; then only your manager sees it. You can also "
            "talk to your safety representative, your union representative, HR or the occupational health service."
        )
        assert care_text in text_of(invitation)

        # The question is answered with a choice and a few words, in the form.
        form = after(bot, "UKARI", lambda: bot.d.click("UKARI", invitation, "prep_form_open"), what="view")
        harassment = next(b for b in form["blocks"] if b.get("block_id") == "q_harassment")
        assert harassment["hint"]["text"] == care_text
        assert [o["text"]["text"] for o in harassment["element"]["options"]] == [
            "Nei",
            "Ja",
            "Jeg vil heller ta det muntlig",
        ]
        secret = "Jeg har opplevd kommentarer fra en kollega"
        summary = after(
            bot,
            "UKARI",
            lambda: bot.d.view_submission(
                "UKARI", form, {"q_harassment": "Yes", "r_harassment": secret, "q_satisfied": "Kundene"}
            ),
        )
        # Sharing the preparation leaves the sensitive answer behind; it is shared on its own, by a button.
        assert "ikke med i det du deler" in text_of(summary)
        bot.d.click("UKARI", summary, "prep_share")
        settle(bot, lambda: bool(bot.emulator.response_url_posts()), "not shared")
        with bot.repo() as repo:
            meeting = repo.session.exec(select(Meeting).where(Meeting.status == "invited")).one()
            assert meeting.id is not None
            assert secret not in str([a for q, a in checkin.shared_items(repo, meeting)])
        shared = bot.emulator.response_url_posts()[-1]
        bot.d.click("UKARI", {**shared, "channel": "DUKARI", "ts": "1.1"}, "prep_share_sensitive")
        settle(bot, lambda: "delt med lederen din for seg" in text_of(bot.emulator.response_url_posts()[-1]), "no")

        # Per's brief: the answer, and his duty to follow it up with the Norwegian law and where HR is.
        bot.at(datetime(2026, 12, 2, 8, 30, tzinfo=UTC))
        brief = text_of(last_dm(bot, "UPER"))
        assert secret in brief and "Kundene" in brief
        assert "Dette må du følge opp" in brief and "arbeidsmiljøloven § 4-3 (3)" in brief
        assert "hr@example.org" in brief

        # A colleague, another manager and an admin press every button with her meeting's id: each is
        # refused and none of them sees anything of her answer.
        meeting_id = next(el["value"] for b in invitation["blocks"] if b["type"] == "actions" for el in b["elements"])
        bot.emulator.add_user("UADMIN", "admin", locale="nb-NO", is_admin=True)
        clicks = ("prep_form_open", "prep_start", "prep_share", "note_open", "manager_prep_open", "agree_open")
        for other in ("UJOHN", "UOLA", "USVEN", "UADMIN"):
            fake = _fake_message(other, [(a, meeting_id) for a in clicks] + [("prep_choose", f"{meeting_id}:0:Yes")])
            posts = len(bot.emulator.response_url_posts())
            for element in fake["blocks"][0]["elements"]:
                answered = len(bot.emulator.response_url_posts()) + len(dm(bot, other))
                bot.d.click(other, fake, element["action_id"])
                settle(
                    bot,
                    lambda n=answered, o=other: len(bot.emulator.response_url_posts()) + len(dm(bot, o)) > n,
                    f"{other} got no answer to {element['action_id']}",
                )
            assert secret not in _everything_seen_by(bot, other)
            assert care_text not in json.dumps(bot.emulator.response_url_posts()[posts:], ensure_ascii=False)
    finally:
        bot.stop()


# --- private notes ------------------------------------------------------------------------------------------


def test_each_party_keeps_notes_only_they_can_read(bot: Harness) -> None:
    add_people(bot.emulator)
    pair(bot, "UPER", "UKARI")
    invitation = _invite(bot, "UPER", "UKARI")
    notes = after(bot, "UKARI", lambda: bot.d.click("UKARI", invitation, "note_open"), what="view")
    assert bot.d.view_submission("UKARI", notes, {"note": "Husk å ta opp lønn"}).ok

    bot.at(datetime(2026, 12, 2, 8, 30, tzinfo=UTC))
    brief = last_dm(bot, "UPER")
    per_notes = after(bot, "UPER", lambda: bot.d.click("UPER", brief, "note_open"), what="view")
    assert "Husk å ta opp lønn" not in str(per_notes)
    assert bot.d.view_submission("UPER", per_notes, {"note": "Kari vil snakke om lønn?"}).ok

    again = after(bot, "UKARI", lambda: bot.d.click("UKARI", invitation, "note_open"), what="view")
    assert "Husk å ta opp lønn" in str(again) and "Kari vil snakke om lønn?" not in str(again)
    assert "Kari vil snakke om lønn?" not in _everything_seen_by(bot, "UKARI")
    with bot.repo() as repo:
        assert len(repo.session.exec(select(PrivateNote)).all()) == 2

    # `/mal note` opens the same notes: Kari's own, Per's for his report; Ola, another manager, gets none.
    kari_cmd = after(bot, "UKARI", lambda: bot.d.slash_command("UKARI", "note"), what="view")
    assert "Husk å ta opp lønn" in str(kari_cmd)
    per_cmd = after(bot, "UPER", lambda: bot.d.slash_command("UPER", "notat <@UKARI|kari>"), what="view")
    assert "Kari vil snakke om lønn?" in str(per_cmd) and "Husk å ta opp lønn" not in str(per_cmd)
    refused = bot.d.slash_command("UOLA", "note <@UKARI|kari>")
    assert "lønn" not in str(refused.json) and bot.emulator.open_views("UOLA") == []


# --- four languages --------------------------------------------------------------------------------------------


def test_the_same_invitation_reads_naturally_in_bokmal_nynorsk_swedish_and_english(
    emulator: Any, database_url: str, clock: Any
) -> None:
    """Four employees of one manager, each with their own Slack locale, get the same invitation."""
    bot = Harness(emulator, clock, database_url).start()
    try:
        emulator.add_user("UPER", "per", real_name="Per Hansen", tz="Europe/Oslo", locale="nb-NO")
        people = {
            "UBOK": ("nb-NO", "Europe/Oslo"),
            "UNYN": ("nn-NO", "Europe/Oslo"),
            "USVE": ("sv-SE", "Europe/Stockholm"),
            "UENG": ("en-GB", "Europe/London"),
        }
        for user, (locale, tz) in people.items():
            emulator.add_user(user, user.lower(), real_name=user, tz=tz, locale=locale)
            pair(bot, "UPER", user)
        bot.at(datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
        for nudge in [m for m in dm(bot, "UPER") if _button(m, "meeting_invite_open")]:
            modal = after(bot, "UPER", lambda n=nudge: bot.d.click("UPER", n, "meeting_invite_open"), what="view")
            send_invitation(bot, "UPER", modal, {"date": "2026-12-01", "time": "10:00"})  # the same time, confirmed
        bot.tick()
        seen = {user: text_of(last_dm(bot, user)) for user in people}
    finally:
        bot.stop()
    assert "tirsdag 1. desember kl. 10:00" in seen["UBOK"] and "Hvordan ligger du an" in seen["UBOK"]
    assert "tysdag 1. desember kl. 10:00" in seen["UNYN"] and "Korleis ligg du an" in seen["UNYN"]
    assert "tisdag 1 december kl. 10:00" in seen["USVE"] and "Hur ligger du till" in seen["USVE"]
    assert "Tuesday 1 December at 09:00" in seen["UENG"] and "How are you doing" in seen["UENG"]


# --- a broken template stops the start --------------------------------------------------------------------------


def test_a_malformed_custom_template_stops_the_bot_at_start_with_its_file_and_line(tmp_path: Path) -> None:
    custom = tmp_path / "templates"
    custom.mkdir()
    (custom / "ours.yaml").write_text(
        'key: ours\ntitle: "Ours"\nemployee_prep:\n  - key: mood\n    text: "How are you?"\n    kind: stars\n',
        "utf-8",
    )
    env = {
        **os.environ,
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_SIGNING_SECRET": "secret",
        "DATABASE_URL": f"sqlite:///{tmp_path}/mal.db",
        "MAL_TEMPLATES_DIR": str(custom),
    }
    done = subprocess.run(
        [sys.executable, "-m", "bot", "run", "--http", "--port", "0"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert f"{custom / 'ours.yaml'}:6: question 'mood': unknown kind 'stars'" in done.stderr
    assert "Traceback" not in done.stderr

"""Text and dates that no person means, refused or cleaned before anything is stored.

Per manages Kari (the prepared 1:1 of ``test_privacy``). A pasted text carries a NUL byte or a terminal's
control characters: in a command, in a DM answer, in a modal. Before, SQLite kept the text only up to the
NUL; now every control character but tab and newline is dropped on the way in, in one place, and the rest
of the text is kept whole. A due date in year 9999 — typed or picked — is refused with a message that says
how far ahead a date may be, in the person's language.
"""

from datetime import date
from typing import Any

import pytest
from sqlmodel import col, select

from flows import checkin
from storage.models import Action, PrepAnswer, PrivateNote
from tests.harness import Harness
from tests.story import after
from tests.test_bad_input import errors_of, modals, open_modal, said
from tests.test_privacy import kari, snapshot  # noqa: F401  (the fixture with Kari's prepared 1:1)

CONTROLS = "".join(chr(c) for c in range(32) if chr(c) not in "\t\n") + "\x7f"
TOO_FAR = {
    "nb": "er for langt fram i tid: velg en dato høyst fem år fra i dag",
    "sv": "ligger för långt fram: välj ett datum högst fem år från i dag",
}


def clean(text: str) -> bool:
    return not any(ch in CONTROLS for ch in text)


def test_a_nul_in_a_command_is_dropped_and_the_whole_action_text_is_kept(
    bot: Harness,
    kari: dict[str, Any],  # noqa: F811
) -> None:
    answer = bot.d.slash_command("UPER", "add <@UKARI|kari> Kurs\x00 i brann\x07vern\x1b og\tførstehjelp by 15.12.2026")

    assert answer.status == 200 and "Kurs" not in said(answer)  # the usual confirmation
    with bot.repo() as repo:
        texts = [a.what for a in repo.session.exec(select(Action).order_by(col(Action.id))).all()]
    assert texts[-1] == "Kurs i brannvern og førstehjelp"


def test_a_dm_answer_keeps_its_text_without_control_characters(
    bot: Harness,
    kari: dict[str, Any],  # noqa: F811
) -> None:
    with bot.repo() as repo:
        kari_p = repo.person_by_slack(bot.emulator.team_id, "UKARI")
        assert kari_p is not None
        checkin.start(repo, kari_p, kari["meeting_id"], bot.clock.now())  # Kari goes over her answers again

    after(bot, "UKARI", lambda: bot.d.message_im("UKARI", "Jeg\x00 trenger\x08 mer tid\r\ntil kurset\x1b[0m"))

    with bot.repo() as repo:
        answers = repo.session.exec(select(PrepAnswer).where(PrepAnswer.meeting_id == kari["meeting_id"])).all()
    texts = [a.text for a in answers]
    assert "Jeg trenger mer tid\ntil kurset[0m" in texts
    assert all(clean(t) for t in texts)


def test_text_fields_of_modals_are_stored_without_control_characters(
    bot: Harness,
    kari: dict[str, Any],  # noqa: F811
) -> None:
    views = modals(bot, kari)
    agreed = bot.d.view_submission(
        "UPER", views["agree"][1], {"what_1": "Møte\x00 med HR", "owner_1": "UKARI", "due_1": "2026-12-20"}
    )
    assert agreed.ok
    note = open_modal(bot, "UKARI", "note_open", kari["meeting_id"])
    assert bot.d.view_submission("UKARI", note, {"note": "Spør om\x00 hjemmekontor"}).ok

    with bot.repo() as repo:
        whats = [a.what for a in repo.session.exec(select(Action)).all()]
        notes = [n.text for n in repo.session.exec(select(PrivateNote)).all()]
    assert "Møte med HR" in whats and all(clean(w) for w in whats)
    assert "Spør om hjemmekontor" in notes and all(clean(n) for n in notes)


@pytest.mark.parametrize("language", ["nb", "sv"])
def test_a_due_date_in_year_9999_is_refused_naming_the_limit_typed_or_picked(
    bot: Harness,
    kari: dict[str, Any],  # noqa: F811
    language: str,
) -> None:
    with bot.repo() as repo:
        for uid in ("UPER", "UKARI"):
            person = repo.person_by_slack(bot.emulator.team_id, uid)
            assert person is not None
            person.language = language
            repo.add(person)
    views = modals(bot, kari)
    before = snapshot(bot)

    typed = said(bot.d.slash_command("UPER", "add <@UKARI|kari> Kurs innen 31.12.9999"))
    agree = errors_of(bot.d.view_submission("UPER", views["agree"][1], {"what_1": "Kurs", "due_1": "9999-12-31"}))
    postpone = errors_of(bot.d.view_submission("UPER", views["postpone"][1], {"due": "9999-12-31"}))
    invite = errors_of(bot.d.view_submission("UPER", views["invite"][1], {"date": "2032-01-05", "time": "10:00"}))

    assert TOO_FAR[language] in typed and "31.12.9999" in typed
    assert TOO_FAR[language] in agree["due_1"] and "9999-12-31" in agree["due_1"]
    assert TOO_FAR[language] in postpone["due"]
    assert TOO_FAR[language] in invite["date"]
    assert snapshot(bot) == before


def test_a_date_within_five_years_is_still_taken(bot: Harness, kari: dict[str, Any]) -> None:  # noqa: F811
    views = modals(bot, kari)

    assert bot.d.view_submission("UPER", views["postpone"][1], {"due": "2031-11-01"}).ok

    with bot.repo() as repo:
        action = repo.action(kari["action_id"])
        assert action is not None and action.due == date(2031, 11, 1)

"""Slack has its answer, and then something fails: Kari hears of it, in her language, where she is.

Before, these ended in silence: an export promised a file and never sent one when the upload failed; an
answer in the DM was saved but the next question never came; a form or the Home tab did not open when
Slack answered 429 or 500, and nobody knew why. Each now ends with a short message to the person saying
what failed and what to do — through the click's or command's own thread when it has one, else in the
DM, and through the outbox if Slack will not even take that right now.
"""

from datetime import UTC, datetime
from typing import Any

from sqlmodel import select

from flows import checkin
from storage.models import Outbox, PrepAnswer
from tests.harness import Harness
from tests.story import after, dm, last_dm, text_of
from tests.test_bad_input import button_message
from tests.test_privacy import kari  # noqa: F401  (the fixture with Kari's prepared 1:1)

TOLD = {
    "export": "Eksporten din kunne ikke sendes",
    "next_question": "Svaret ditt er lagret, men Slack tok ikke imot det neste spørsmålet mitt",
    "form": "Slack åpnet ikke skjemaet akkurat nå",
    "home": "Hjem-fanen din i mal kunne ikke vises akkurat nå",
}
# The listeners' client tries a call three times (two retries) before it gives up.
GIVES_UP = 3


def posts_to(bot: Harness, url: str | None) -> list[str]:
    return [text_of(p) for p in bot.emulator.response_url_posts(url)]


def test_an_export_whose_upload_fails_is_told_not_promised(bot: Harness, kari: dict[str, Any]) -> None:  # noqa: F811
    bot.emulator.fail_next_http("files.getUploadURLExternal", 500, times=GIVES_UP)

    answer = bot.d.slash_command("UKARI", "export")

    assert answer.status == 200 and "Samler" in str(answer.json.get("text"))
    url = bot.d.last_response_url
    assert bot.emulator.wait_for(lambda: any(TOLD["export"] in p for p in posts_to(bot, url)), timeout=10)
    assert bot.emulator.files("UKARI") == []


def test_an_answer_saved_without_its_next_question_is_told(bot: Harness, kari: dict[str, Any]) -> None:  # noqa: F811
    with bot.repo() as repo:
        kari_p = repo.person_by_slack(bot.emulator.team_id, "UKARI")
        assert kari_p is not None
        checkin.start(repo, kari_p, kari["meeting_id"], bot.clock.now())
    bot.emulator.fail_next_http("chat.postMessage", 500, times=GIVES_UP)

    told = after(bot, "UKARI", lambda: bot.d.message_im("UKARI", "Kurset gikk bra"))

    assert TOLD["next_question"] in text_of(told)
    with bot.repo() as repo:
        answers = [a.text for a in repo.session.exec(select(PrepAnswer)).all()]
    assert "Kurset gikk bra" in answers


def test_a_form_slack_would_not_open_is_told_in_the_clicks_thread(bot: Harness, kari: dict[str, Any]) -> None:  # noqa: F811
    bot.emulator.fail_next_http("views.open", 429, times=GIVES_UP)
    message = button_message("UPER", action_postpone=kari["action_id"])

    assert bot.d.click("UPER", message, "action_postpone").status == 200

    url = bot.d.last_response_url
    assert bot.emulator.wait_for(lambda: any(TOLD["form"] in p for p in posts_to(bot, url)), timeout=10)
    assert bot.emulator.open_views("UPER") == []


def test_a_home_tab_slack_would_not_show_is_told_in_the_dm(bot: Harness, kari: dict[str, Any]) -> None:  # noqa: F811
    bot.emulator.fail_next_http("views.publish", 500, times=GIVES_UP)

    told = after(bot, "UKARI", lambda: bot.d.app_home_opened("UKARI"))

    assert TOLD["home"] in text_of(told)


def test_when_slack_takes_not_even_the_notice_the_outbox_brings_it_later(
    bot: Harness,
    kari: dict[str, Any],  # noqa: F811
) -> None:
    bot.emulator.fail_next_http("views.publish", 500, times=GIVES_UP)
    bot.emulator.fail_next_http("chat.postMessage", 500, times=GIVES_UP)
    shown = len(dm(bot, "UKARI"))

    bot.d.app_home_opened("UKARI")

    assert bot.emulator.wait_for(lambda: _notice_waiting(bot), timeout=15)
    assert len(dm(bot, "UKARI")) == shown
    bot.at(datetime(2026, 11, 23, 10, 5, tzinfo=UTC))
    assert TOLD["home"] in text_of(last_dm(bot, "UKARI"))


def _notice_waiting(bot: Harness) -> bool:
    with bot.repo() as repo:
        return repo.session.exec(select(Outbox).where(Outbox.kind == "notice")).first() is not None

"""Bad input from the people using mal, each answered clearly in their language, with nothing stored.

Per manages Kari, who has prepared, shared and has an open action. They type too much, too little, dates
gone by, people mal does not know or who have left, and commands that do not exist; a forged modal carries
what Slack itself would never send. Broken org files are answered by ``mal-bot import-org`` (more cases in
``test_import_org.py``, among them 10,000 rows).
"""

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from sqlmodel import select

from bot.cli import main
from bot.views.blocks import MESSAGE_BLOCKS_MAX, SECTION_MAX
from storage.models import Action, Person
from tests.harness import BOT_TOKEN, Harness
from tests.story import after, pair, text_of
from tests.test_privacy import kari, snapshot  # noqa: F401  (the fixture with Kari's prepared 1:1)

EXPECTED: dict[str, dict[str, str]] = {
    "nb": {
        "too_long": "Det er for langt: høyst {n} tegn.",
        "empty": "Ingenting ble fylt ut.",
        "past": "har allerede passert",
        "unknown_command": "Jeg kjenner ikke kommandoen «frobnicate»",
        "unknown_user": "Jeg kjenner ikke @nobody",
        "not_your_report": "Du kan bare se tiltakene til dine egne medarbeidere.",
        "inactive": "<@UGONE> er deaktivert i dette arbeidsområdet.",
        "unparseable": "Jeg kunne ikke lese datoen «en gang snart»",
    },
    "sv": {
        "too_long": "Det är för långt: högst {n} tecken.",
        "empty": "Ingenting fylldes i.",
        "past": "har redan passerat",
        "unknown_command": "Jag känner inte till kommandot ”frobnicate”",
        "unknown_user": "Jag känner inte till @nobody",
        "not_your_report": "Du kan bara se aktiviteterna för dina egna medarbetare.",
        "inactive": "<@UGONE> är inaktiverad i den här arbetsytan.",
        "unparseable": "Jag kunde inte läsa datumet ”en gang snart”",
    },
}
LONG_EMOJI_RTL = ("Øv på presentasjonen 🎤🇳🇴 " + "مرحبا بالعالم " + "שלום עולם ") * 75


@pytest.fixture(params=["nb", "sv"])
def lang(request: pytest.FixtureRequest, bot: Harness, kari: dict[str, Any]) -> Iterator[str]:  # noqa: F811
    """Per and Kari use mal in this language (chosen in App Home)."""
    with bot.repo() as repo:
        for uid in ("UPER", "UKARI"):
            person = repo.person_by_slack(bot.emulator.team_id, uid)
            assert person is not None
            person.language = request.param
            repo.add(person)
    yield request.param


def said(result: Any) -> str:
    return text_of({"blocks": result.json["blocks"]})


def button_message(uid: str, **buttons: object) -> dict[str, Any]:
    """A message in the person's DM with the bot's buttons, as the bot posts them."""
    return {
        "type": "message",
        "channel": f"D{uid[1:]}",
        "ts": "1.000001",
        "blocks": [
            {
                "type": "actions",
                "block_id": "b",
                "elements": [
                    {"type": "button", "action_id": a, "value": str(v), "text": {"type": "plain_text", "text": a}}
                    for a, v in buttons.items()
                ],
            }
        ],
    }


def open_modal(bot: Harness, uid: str, action_id: str, value: object) -> dict[str, Any]:
    return after(bot, uid, lambda: bot.d.click(uid, button_message(uid, **{action_id: value}), action_id), what="view")


def modals(bot: Harness, kari: dict[str, Any]) -> dict[str, tuple[str, dict[str, Any]]]:  # noqa: F811
    """Every modal mal opens, as the rightful person opens it."""
    mid, aid = kari["meeting_id"], kari["action_id"]
    return {
        "invite": ("UPER", open_modal(bot, "UPER", "meeting_invite_open", mid)),
        "skip": ("UPER", open_modal(bot, "UPER", "meeting_skip_open", mid)),
        "prep": ("UKARI", open_modal(bot, "UKARI", "prep_form_open", mid)),
        "agree": ("UPER", open_modal(bot, "UPER", "agree_open", mid)),
        "evaluate": ("UKARI", open_modal(bot, "UKARI", "evaluate_open", mid)),
        "postpone": ("UPER", open_modal(bot, "UPER", "action_postpone", aid)),
    }


def text_inputs(view: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [
        (b["block_id"], b["element"])
        for b in view["blocks"]
        if b["type"] == "input" and b["element"]["type"] == "plain_text_input"
    ]


VALUE_KEYS = {"datepicker": "selected_date", "timepicker": "selected_time", "users_select": "selected_user"}


def forged_submission(bot: Harness, uid: str, view: dict[str, Any], values: dict[str, str]) -> Any:
    """A view_submission Slack would never send (over ``max_length``, required fields empty), signed all the same."""
    state: dict[str, Any] = {}
    for block in view["blocks"]:
        if block["type"] == "input":
            element = block["element"]
            key = VALUE_KEYS.get(element["type"], "value")
            entry = {"type": element["type"], key: values.get(block["block_id"]) or None}
            if key == "value":
                entry[key] = values.get(block["block_id"], "")
            state[block["block_id"]] = {element["action_id"]: entry}
    payload = {
        "type": "view_submission",
        "team": {"id": bot.emulator.team_id, "domain": bot.emulator.team_domain},
        "user": {"id": uid, "username": uid.lower(), "name": uid.lower(), "team_id": bot.emulator.team_id},
        "api_app_id": bot.d.api_app_id,
        "token": bot.d.verification_token,
        "trigger_id": bot.emulator.register_trigger(uid),
        "view": {**view, "state": {"values": state}},
        "response_urls": [],
    }
    return bot.d.send(urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded")


def errors_of(result: Any) -> dict[str, str]:
    assert result.status == 200, result.body
    assert result.json and result.json.get("response_action") == "errors", result.body
    errors: dict[str, str] = result.json["errors"]
    return errors


def test_every_modal_text_field_has_a_slack_valid_limit(bot: Harness, kari: dict[str, Any]) -> None:  # noqa: F811
    for name, (_, view) in modals(bot, kari).items():
        assert len(view["title"]["text"]) <= 24 and len(view["blocks"]) <= 100, name
        assert len(view.get("private_metadata", "")) <= 3000, name
        for block_id, element in text_inputs(view):
            assert 1 <= element.get("max_length", 0) <= 3000, (name, block_id, element)


def test_a_forged_submission_over_a_fields_limit_is_refused_on_that_field(
    bot: Harness,
    kari: dict[str, Any],  # noqa: F811
    lang: str,
) -> None:
    views = modals(bot, kari)
    before = snapshot(bot)
    for name, (uid, view) in views.items():
        for block_id, element in text_inputs(view):
            limit = element["max_length"]
            result = forged_submission(bot, uid, view, {block_id: "x" * (limit + 1)})
            errors = errors_of(result)
            assert errors == {block_id: EXPECTED[lang]["too_long"].format(n=limit)}, (name, block_id)
    assert snapshot(bot) == before


def test_a_modal_submitted_with_nothing_filled_in_names_its_first_field(
    bot: Harness,
    kari: dict[str, Any],  # noqa: F811
    lang: str,
) -> None:
    views = modals(bot, kari)
    before = snapshot(bot)
    for name in ("skip", "prep", "agree", "evaluate"):
        uid, view = views[name]
        errors = errors_of(forged_submission(bot, uid, view, {}))
        first = next(b["block_id"] for b in view["blocks"] if b["type"] == "input")
        assert errors == {first: EXPECTED[lang]["empty"]}, name
    assert snapshot(bot) == before


def test_dates_gone_by_or_unreadable_are_refused_for_invitations_deadlines_and_postponing(
    bot: Harness,
    kari: dict[str, Any],  # noqa: F811
    lang: str,
) -> None:
    views = modals(bot, kari)
    before = snapshot(bot)
    past = "2026-11-01"
    invite = errors_of(bot.d.view_submission("UPER", views["invite"][1], {"date": past, "time": "10:00"}))
    agree = errors_of(bot.d.view_submission("UPER", views["agree"][1], {"what_1": "Kurs", "due_1": past}))
    postpone = errors_of(bot.d.view_submission("UPER", views["postpone"][1], {"due": past}))
    assert EXPECTED[lang]["past"] in invite["date"]
    assert EXPECTED[lang]["past"] in agree["due_1"]
    assert EXPECTED[lang]["past"] in postpone["due"]
    assert EXPECTED[lang]["past"] in said(bot.d.slash_command("UPER", "add <@UKARI|kari> Kurs innen 01.11.2026"))
    assert EXPECTED[lang]["past"] in said(bot.d.slash_command("UKARI", "away 2026-11-01"))
    assert EXPECTED[lang]["unparseable"] in said(bot.d.slash_command("UKARI", "away en gang snart"))
    unreadable = {"date": "en gang snart", "time": "10:00"}
    invite = errors_of(forged_submission(bot, "UPER", views["invite"][1], unreadable))
    unreadable = {"what_1": "Kurs", "due_1": "en gang snart"}
    agree = errors_of(forged_submission(bot, "UPER", views["agree"][1], unreadable))
    assert EXPECTED[lang]["unparseable"] in invite["date"] and EXPECTED[lang]["unparseable"] in agree["due_1"]
    assert snapshot(bot) == before


def test_unknown_commands_and_people_get_a_clear_answer(
    bot: Harness,
    kari: dict[str, Any],  # noqa: F811
    lang: str,
) -> None:
    bot.emulator.add_user("UGONE", "gone", locale="nb-NO")
    bot.emulator.add_user("UNOBODY", "nobody", locale="nb-NO")
    pair(bot, "UPER", "UGONE")
    bot.emulator.deactivate_user("UGONE")
    with bot.repo() as repo:
        gone = repo.person_by_slack(bot.emulator.team_id, "UGONE")
        assert gone is not None
        gone.active = False  # as the import, or a DM answered with user_disabled, leaves them
        repo.add(gone)
    before = snapshot(bot)
    expected = EXPECTED[lang]
    assert expected["unknown_command"] in said(bot.d.slash_command("UPER", "frobnicate"))
    assert expected["unknown_user"] in said(bot.d.slash_command("UPER", "@nobody"))
    assert expected["unknown_user"] in said(bot.d.slash_command("UPER", "add @nobody Kurs 15.12.2026"))
    assert expected["not_your_report"] in said(bot.d.slash_command("UPER", "<@UNOBODY|nobody>"))
    assert expected["inactive"] in said(bot.d.slash_command("UPER", "add <@UGONE|gone> Kurs innen 15.12.2026"))
    assert expected["inactive"] in said(bot.d.slash_command("UPER", "cadence <@UGONE|gone> weekly"))
    assert snapshot(bot) == before
    with bot.repo() as repo:
        assert repo.person_by_slack(bot.emulator.team_id, "UNOBODY") is None


def test_an_action_over_3000_characters_is_refused(bot: Harness, kari: dict[str, Any], lang: str) -> None:  # noqa: F811
    before = snapshot(bot)
    result = bot.d.slash_command("UPER", f"add <@UKARI|kari> {'x' * 3001} innen 15.12.2026")
    assert EXPECTED[lang]["too_long"].format(n=3000) in said(result)
    assert snapshot(bot) == before


def within_message_limits(blocks: list[dict[str, Any]]) -> None:
    assert len(blocks) <= MESSAGE_BLOCKS_MAX
    assert len(json.dumps(blocks, ensure_ascii=False)) < 40_000
    for b in blocks:
        if isinstance(b.get("text"), dict):
            assert len(b["text"]["text"]) <= SECTION_MAX


def test_long_actions_with_emoji_and_right_to_left_text_are_kept_whole_and_listed_within_limits(
    bot: Harness,
    kari: dict[str, Any],  # noqa: F811
) -> None:
    text = LONG_EMOJI_RTL[:2990].strip()
    for n in range(16):
        answer = bot.d.slash_command("UPER", f"add <@UKARI|kari> {n} {text} innen 15.12.2026")
        assert answer.status == 200
    with bot.repo() as repo:
        stored = [a for a in repo.session.exec(select(Action)).all() if a.what.endswith(text)]
    assert len(stored) == 16 and all(a.due == date(2026, 12, 15) for a in stored)
    for uid, listing in [("UPER", ""), ("UKARI", ""), ("UPER", "<@UKARI|kari>")]:
        blocks = bot.d.slash_command(uid, listing).json["blocks"]
        within_message_limits(blocks)
        assert "مرحبا بالعالم" in text_of({"blocks": blocks}) and "שלום עולם" in text_of({"blocks": blocks})
        assert "🎤" in text_of({"blocks": blocks})
    bot.d.app_home_opened("UKARI")
    assert bot.emulator.wait_for(
        lambda: "שלום" in json.dumps(bot.emulator.home_view("UKARI") or {}, ensure_ascii=False)
    )
    home = bot.emulator.home_view("UKARI")
    assert home is not None and len(home["blocks"]) <= 100
    assert len(json.dumps(home, ensure_ascii=False).encode()) < 250_000


CSV_ANSWERS = {
    "nb": ("filen er ikke UTF-8-tekst", "mangler kolonnene employee, manager", "Ingenting ble importert"),
    "sv": ("filen är inte UTF-8-text", "saknar kolumnerna employee, manager", "Ingenting importerades"),
}


@pytest.mark.parametrize("language", ["nb", "sv"])
def test_a_broken_org_file_is_explained_and_imports_nothing(
    bot: Harness,
    kari: dict[str, Any],  # noqa: F811
    language: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for name, value in [
        ("DATABASE_URL", bot.database_url),
        ("SLACK_BOT_TOKEN", BOT_TOKEN),
        ("SLACK_API_URL", bot.emulator.api_url),
        ("MAL_LOCALE", language),
    ]:
        monkeypatch.setenv(name, value)
    bot.emulator.add_user("UBJORN", "bjorn", email="bjørn@example.org")
    latin1 = tmp_path / "latin1.csv"
    latin1.write_bytes("employee,manager\nbjørn@example.org,UPER\n".encode("latin-1"))
    columns = tmp_path / "columns.csv"
    columns.write_text("name,boss\nUKARI,UPER\n", encoding="utf-8")
    before = snapshot(bot)
    with bot.repo() as repo:
        people = len(repo.session.exec(select(Person)).all())
    encoding, missing, nothing = CSV_ANSWERS[language]
    assert main(["import-org", str(latin1)]) == 1
    out = capsys.readouterr().out
    assert encoding in out and nothing in out
    assert main(["import-org", str(columns)]) == 1
    out = capsys.readouterr().out
    assert missing in out and nothing in out
    assert snapshot(bot) == before
    with bot.repo() as repo:
        assert len(repo.session.exec(select(Person)).all()) == people

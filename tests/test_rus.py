"""The Swedish results and development conversation (003) as the booklet has it: the manager's booklet, held with
someone who is a manager themselves; each criterion rated on the three-step key with what each level looks like
(kriterienyckel); rated "med hjälp av lönekriterierna", linked when the organisation has its criteria online."""

from datetime import UTC, datetime

from flows.templates import season_template
from tests.harness import Harness
from tests.story import add_people, after, invite_from_nudge, last_dm, pair, settle, template_of, text_of

CRITERIA = "https://intra.example.org/lonekriterier"


def _shown(answer: object) -> str:
    return text_of({"blocks": getattr(answer, "json")["blocks"]})  # noqa: B009 - a driver result


def test_the_managers_booklet_is_offered_for_managers_only_and_rates_with_its_key(bot: Harness) -> None:
    bot.overrides["mal_salary_criteria_url"] = CRITERIA
    bot.restart()
    add_people(bot.emulator)
    pair(bot, "UPER", "USVEN")

    # Sven leads nobody yet: the booklet is not among his choices, and naming it is refused with the reason.
    choices = _shown(bot.d.slash_command("UPER", "template <@USVEN|sven>"))
    assert "Resultat- og utviklingssamtale" not in choices and "Månedlig 1:1" in choices
    refused = _shown(bot.d.slash_command("UPER", "template <@USVEN|sven> rus"))
    assert "lederens hefte" in refused and template_of(bot, "USVEN") == "monthly"
    assert season_template("rus", None, 2027, is_manager=False) == "annual"  # a season gives him the annual one

    # John starts reporting to Sven: now Sven is a manager and the booklet is his conversation with Per.
    pair(bot, "USVEN", "UJOHN")
    assert "Resultat- og utviklingssamtale" in _shown(bot.d.slash_command("UPER", "template <@USVEN|sven>"))
    bot.d.slash_command("UPER", "template <@USVEN|sven> rus")
    settle(bot, lambda: template_of(bot, "USVEN") == "rus", "the booklet was not chosen")
    assert season_template("rus", None, 2027, is_manager=True) == "rus"

    bot.at(datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
    invite_from_nudge(bot, "UPER", "2026-12-03", about="USVEN")
    invitation = next(m for m in reversed(bot.emulator.messages("USVEN")) if "prep_start" in str(m.get("blocks")))

    # The first criterion: the three steps, what each level looks like, and the link to the salary criteria.
    prompt = after(bot, "USVEN", lambda: bot.d.click("USVEN", invitation, "prep_start"))
    for _ in range(5):
        prompt = after(bot, "USVEN", lambda: bot.d.message_im("USVEN", "hoppa"))
    shown = text_of(prompt)
    assert "Planer, mål och strategier – styrning" in shown
    assert "1. *Behöver utveckla*: Passiv. Negativ. Bromsar." in shown
    assert "2. *Bra*: Delaktig. Positiv. Genomför. Når krav och förväntningar." in shown
    assert "3. *Mycket bra*: Aktiv. Sprider. Tar initiativ." in shown
    assert f"<{CRITERIA}|lönekriterierna>" in shown

    # In the form, "Resursanvändande" carries the booklet's own key for that criterion.
    form = after(bot, "USVEN", lambda: bot.d.click("USVEN", invitation, "prep_form_open"), what="view")
    resources = next(b for b in form["blocks"] if b.get("block_id") == "q_use_of_resources")
    hint = resources["hint"]["text"]
    assert "Utvecklar metoder för att förbättra resursanvändandet." in hint
    assert "Visar brister i att planera, använda och följa upp resurser" in hint and CRITERIA in hint
    assert "Delaktig" not in hint  # its own key replaces the general one
    assert "Passiv" not in text_of(last_dm(bot, "UPER"))  # nothing of Sven's preparation reached Per

"""002's conversation form reaches both: the employee prepares its sections after her own preparation, the
manager gets them as his own preparation, and the invitation and the manager's brief carry the form's parts
as the agenda, in the form's order."""

from datetime import UTC, datetime

from flows.templates import template
from tests.harness import Harness
from tests.story import add_people, after, last_dm, pair, settle, text_of

FORM = ["Arbeidsoppgaver og ansvarsområder", "Etterlevelse av verdiene", "Karriereutvikling", "Andre temaer"]


def test_the_ks_form_is_prepared_by_both_and_is_the_agenda_of_invitation_and_brief(bot: Harness) -> None:
    add_people(bot.emulator)
    pair(bot, "UPER", "UKARI")
    answer = bot.d.slash_command("UPER", "template <@UKARI|kari> annual")
    assert answer.ok
    bot.at(datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
    nudge = last_dm(bot, "UPER")
    modal = after(bot, "UPER", lambda: bot.d.click("UPER", nudge, "meeting_invite_open"), what="view")
    assert bot.d.view_submission("UPER", modal, {"date": "2026-12-03", "time": "10:00"}).ok
    bot.tick()
    message = last_dm(bot, "UKARI")
    invitation = text_of(message)
    positions = [invitation.index(title) for title in FORM]
    assert positions == sorted(positions), "the agenda follows the form"
    assert "Hva er dine karriereplaner i et 3–5 års perspektiv?" in invitation

    # Kari skips to the career question (her own eight, then the form's first ten) and answers it.
    start = after(bot, "UKARI", lambda: bot.d.click("UKARI", message, "prep_start"))
    tpl = template("annual")
    total = len(tpl.employee_prep)
    assert f"av {total}" in text_of(start)
    career = [q.key for q in tpl.employee_prep].index("career_plans")
    prompt = start
    for _ in range(career):
        prompt = after(bot, "UKARI", lambda: bot.d.message_im("UKARI", "hopp"))
    assert "karriereplaner" in text_of(prompt)
    after(bot, "UKARI", lambda: bot.d.message_im("UKARI", "Bli fagleder om tre år"))
    summary = after(bot, "UKARI", lambda: bot.d.message_im("UKARI", "stopp"))
    assert "1 av" in text_of(summary)
    form = after(bot, "UKARI", lambda: bot.d.click("UKARI", message, "prep_form_open"), what="view")
    shared = after(bot, "UKARI", lambda: bot.d.view_submission("UKARI", form, {"q_other_important": "Hjemmekontor"}))
    bot.d.click("UKARI", shared, "prep_share")

    # Per's own preparation has the form too (privately), after the leader's questions of 002.
    own = next(m for m in reversed(bot.emulator.messages("UPER")) if "manager_prep_open" in str(m.get("blocks")))
    prep = after(bot, "UPER", lambda: bot.d.click("UPER", own, "manager_prep_open"), what="view")
    labels = [b["label"]["text"] for b in prep["blocks"] if b.get("type") == "input"]
    assert "Hva er dine karriereplaner i et 3–5 års perspektiv?" in labels
    assert len(labels) == len(tpl.manager_prep)

    # The brief the day before: the same agenda, and Kari's answers under the form's own parts.
    bot.at(datetime(2026, 12, 2, 8, 30, tzinfo=UTC))
    settle(bot, lambda: "Bli fagleder" in text_of(last_dm(bot, "UPER")), "no brief")
    brief = text_of(last_dm(bot, "UPER"))
    positions = [brief.index(title) for title in FORM]
    assert positions == sorted(positions)
    assert brief.index("*Karriereutvikling*\n") < brief.index("Bli fagleder") < brief.index("Hjemmekontor")

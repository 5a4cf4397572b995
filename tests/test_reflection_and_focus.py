"""000's note forms and the team's focus, any time of the year.

Each party's private notes offer the questions of 000's note form for their role (the employee reflects on own
goals, competence and follow-up; the manager on feedback to give) as optional fields, private to their author.
The team's focus (000: focus areas, goals, challenges shared before the conversations) is the manager's to share
whenever, not only in a season: it goes to every report and into the next invitations."""

from datetime import UTC, datetime

from tests.harness import Harness
from tests.story import add_people, after, dm, invite_from_nudge, last_dm, pair, settle, text_of

KARI_REFLECTION = "Jeg nådde salgsmålet, men kundeoppfølgingen haltet"
PER_REFLECTION = "Kari tar ansvar, må delegere mer"


def _invitation(bot: Harness, user: str) -> dict[str, object]:
    return next(m for m in reversed(dm(bot, user)) if "note_open" in str(m.get("blocks")))


def test_each_party_reflects_on_their_own_note_form_in_private(bot: Harness) -> None:
    add_people(bot.emulator)
    pair(bot, "UPER", "UKARI")
    bot.at(datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
    invite_from_nudge(bot, "UPER", "2026-12-03")

    notes = after(bot, "UKARI", lambda: bot.d.click("UKARI", _invitation(bot, "UKARI"), "note_open"), what="view")
    fields = {b["block_id"]: b for b in notes["blocks"] if b.get("type") == "input"}
    assert list(fields) == ["reflect_work_goals", "reflect_competence", "reflect_follow_up", "note"]
    assert fields["reflect_work_goals"]["label"]["text"] == "Arbeidsmål og arbeidsoppgaver"
    assert "Hva har jeg oppnådd i forhold til mål og planer?" in fields["reflect_work_goals"]["hint"]["text"]
    assert all(f.get("optional") for f in fields.values())  # all of it is optional
    assert bot.d.view_submission("UKARI", notes, {"reflect_work_goals": KARI_REFLECTION, "note": "Husk kurset"}).ok

    again = after(bot, "UKARI", lambda: bot.d.click("UKARI", _invitation(bot, "UKARI"), "note_open"), what="view")
    assert KARI_REFLECTION in str(again) and "Husk kurset" in str(again)

    # Per's notes hold the manager's form, and nothing Kari wrote.
    per_notes = after(bot, "UPER", lambda: bot.d.click("UPER", _invitation(bot, "UPER"), "note_open"), what="view")
    assert "Hva er jeg spesielt fornøyd med?" in str(per_notes)
    assert KARI_REFLECTION not in str(per_notes) and "Husk kurset" not in str(per_notes)
    assert bot.d.view_submission("UPER", per_notes, {"reflect_work_goals": PER_REFLECTION}).ok
    bot.at(datetime(2026, 12, 2, 8, 30, tzinfo=UTC))  # the brief: nothing of either reflection crosses over
    assert KARI_REFLECTION not in "\n".join(text_of(m) for m in dm(bot, "UPER"))
    assert PER_REFLECTION not in "\n".join(text_of(m) for m in dm(bot, "UKARI"))
    export = bot.d.slash_command("UKARI", "export")
    assert export.status == 200


def test_the_team_focus_is_shared_any_time_and_shown_in_the_next_invitations(bot: Harness) -> None:
    add_people(bot.emulator)
    pair(bot, "UPER", "UKARI")
    pair(bot, "UPER", "USVEN")
    bot.at(datetime(2026, 11, 16, 9, 0, tzinfo=UTC))  # no season anywhere
    form = after(bot, "UPER", lambda: bot.d.slash_command("UPER", "focus"), what="view")
    values = {"focus_areas": "Kundereisen i Bergen", "goals": "Svartid under to dager", "challenges": "Ny kollega"}
    after(bot, "UPER", lambda: bot.d.view_submission("UPER", form, values))
    bot.tick()
    settle(bot, lambda: "Kundereisen i Bergen" in text_of(last_dm(bot, "UKARI")), "Kari did not get the focus")
    assert "Kundereisen i Bergen" in text_of(last_dm(bot, "USVEN"))

    bot.at(datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
    invite_from_nudge(bot, "UPER", "2026-12-03", about="UKARI")
    invitation = text_of(_invitation(bot, "UKARI"))
    assert "Kundereisen i Bergen" in invitation and "Svartid under to dager" in invitation

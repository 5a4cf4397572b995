"""Every conversation of the seeds, run as a pair lives it: from the manager's nudge and invitation through the
preparation, the conversation, the agreed plan both confirm, to the PDF in the personnel archive. Each run fails
if any question of its template was never shown to anyone: the employee's preparation, the manager's own, the
evaluation, the plan's columns."""

import html
import io
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from flows.i18n import translator
from flows.templates import template
from tests.harness import Harness
from tests.story import add_people, after, dm, pair, settle, text_of

SEEDS = ["monthly", "frequent", "annual", "annual-relational", "rus", "senior"]
ANSWER = "Jeg vil lede prosjektet i Bergen"
AGREED = "Kari leder prosjektgruppen fra mars"


def _seen(bot: Harness, users: tuple[str, ...], views: list[dict[str, Any]]) -> str:
    """Everything the two were shown: their DMs, ephemeral answers, Home tabs and the modals they opened."""
    parts = [text_of(m) for u in users for m in dm(bot, u)]
    parts += [text_of(m) for u in users for m in bot.emulator.ephemerals(u)]
    parts += [json.dumps(v, ensure_ascii=False) for v in views]
    return html.unescape("\n".join(parts))


def _with(bot: Harness, user: str, words: str) -> dict[str, Any]:
    return next(m for m in reversed(dm(bot, user)) if words in json.dumps(m))


def _open(bot: Harness, user: str, source: dict[str, Any], action_id: str, views: list[dict[str, Any]]) -> Any:
    view = after(bot, user, lambda: bot.d.click(user, source, action_id), what="view")
    views.append(view)
    return view


@pytest.mark.parametrize("key", SEEDS)
def test_a_seed_conversation_runs_from_invitation_to_the_archived_plan_and_shows_every_question(
    bot: Harness, tmp_path: Path, key: str
) -> None:
    archive = tmp_path / "arkiv"
    archive.mkdir()
    bot.overrides.update(mal_archive_dir=str(archive), mal_admins="UADMIN")
    bot.restart()
    add_people(bot.emulator)
    bot.emulator.add_user("UADMIN", "admin", real_name="Hanne HR", tz="Europe/Oslo", locale="nb-NO")
    # The senior conversation is offered the year one turns 60: Kari, born 1967, in 2027.
    bot.clock.set(
        datetime(2027, 1, 4, 9, 0, tzinfo=UTC) if key == "senior" else datetime(2026, 11, 16, 9, 0, tzinfo=UTC)
    )
    pair(bot, "UPER", "UKARI")
    if key == "rus":
        pair(bot, "UKARI", "UOLA")  # the manager's booklet: Kari leads Ola
    if key == "senior":
        shown = text_of({"blocks": bot.d.slash_command("UADMIN", "birthyear <@UKARI|kari> 1967").json["blocks"]})
        assert "1967" in shown
    chosen = bot.d.slash_command("UPER", f"template <@UKARI|kari> {key}")
    assert chosen.status == 200
    with bot.repo() as repo:
        pairing = repo.active_pairing_of(bot.person("UKARI").id or 0)
        assert pairing is not None and pairing.template == key, "the manager could not choose the conversation"
        nudge_at = pairing.nudge_at
    assert nudge_at is not None
    tpl = template(key)
    views: list[dict[str, Any]] = []

    # The nudge; the invitation (in the frequent conversation Per picks every question, to see them all).
    bot.at(nudge_at)
    nudge = _with(bot, "UPER", "meeting_invite_open")
    invite = _open(bot, "UPER", nudge, "meeting_invite_open", views)
    day = nudge_at.date().toordinal() + 10
    when = datetime.fromordinal(day).date()
    while when.weekday() >= 5:
        when = datetime.fromordinal(when.toordinal() + 1).date()
    values: dict[str, Any] = {"date": when.isoformat(), "time": "10:00"}
    if tpl.manager_picks:
        picker = next(b["element"] for b in invite["blocks"] if b.get("block_id") == "chosen")
        values["chosen"] = [o for g in picker["option_groups"] for o in g["options"]]
    assert bot.d.view_submission("UPER", invite, values).ok
    bot.tick()

    # Kari prepares in the form (every question of hers is in it) and shares; Per opens his own preparation.
    invitation = _with(bot, "UKARI", "prep_form_open")
    form = _open(bot, "UKARI", invitation, "prep_form_open", views)
    first_text = next(q for q in tpl.employee_prep if q.kind == "text")
    after(bot, "UKARI", lambda: bot.d.view_submission("UKARI", form, {f"q_{first_text.key}": ANSWER}))
    summary = _with(bot, "UKARI", "prep_share")
    bot.d.click("UKARI", summary, "prep_share")
    settle(
        bot, lambda: "Delt med lederen din" in text_of(bot.emulator.message(summary["channel"], summary["ts"]) or {})
    )
    if tpl.manager_prep:
        own = _with(bot, "UPER", "manager_prep_open")
        _open(bot, "UPER", own, "manager_prep_open", views)
    _open(bot, "UKARI", invitation, "note_open", views)

    # The day before, Per's brief; after the meeting both record, evaluate and confirm the plan.
    meeting_at = datetime.combine(when, datetime.min.time(), tzinfo=UTC)
    bot.at(meeting_at.replace(hour=7))
    bot.at(meeting_at.replace(hour=12))
    followup = _with(bot, "UPER", "agree_open")
    agree = _open(bot, "UPER", followup, "agree_open", views)
    record: dict[str, Any] = {"what_1": AGREED}
    columns = {c.key for c in tpl.plan.columns}
    if "responsible" in columns:
        record["owner_1"] = "UKARI"
    if "deadline" in columns:
        record["due_1"] = datetime.fromordinal(when.toordinal() + 60).date().isoformat()
    after(bot, "UPER", lambda: bot.d.view_submission("UPER", agree, record))
    for who in ("UKARI", "UPER"):
        evaluation = _open(bot, who, _with(bot, who, "evaluate_open"), "evaluate_open", views)
        answers = {f"e_{q.key}": q.choices[0] if q.kind == "choice" else "Godt samtaleklima" for q in tpl.evaluation}
        after(bot, who, lambda who=who, e=evaluation, a=answers: bot.d.view_submission(who, e, a))  # type: ignore[misc]
    bot.tick()
    done = ("Takk. Planen går til arkivet", "Dere har begge bekreftet planen")

    def confirmed(message: dict[str, Any]) -> bool:
        current = bot.emulator.message(message["channel"], message["ts"]) or {}
        return any(d in text_of(current) for d in done)

    for who in ("UKARI", "UPER"):
        asked = _with(bot, who, "plan_confirm")
        bot.d.click(who, asked, "plan_confirm")
        settle(bot, lambda a=asked: confirmed(a))  # type: ignore[misc]
    bot.tick()
    assert len(list(archive.glob("*.pdf"))) == 1, f"{key}: no plan in the archive"

    (pdf,) = archive.glob("*.pdf")
    text = " ".join(" ".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(pdf.read_bytes())).pages).split())
    nb = translator("nb")
    assert nb._(tpl.title) in text and AGREED in text and "Kari Nordmann" in text and "Per Hansen" in text
    assert "Medarbeider: Kari Nordmann, bekreftet i Slack" in text and "Leder: Per Hansen, bekreftet i Slack" in text
    if tpl.cadence == "yearly":
        assert ANSWER in text  # the annual conversations carry the answers both saw
    else:
        assert ANSWER not in text

    # Every question of the template was shown to someone, in their language.
    seen = _seen(bot, ("UKARI", "UPER"), views)
    questions = [*tpl.employee_prep, *tpl.manager_prep, *tpl.evaluation]
    missing = [q.key for q in questions if nb._(q.text) not in seen]
    assert not missing, f"{key}: questions never shown to anyone: {missing}"
    columns = [c.key for c in tpl.plan.columns if nb._(c.label) not in seen]
    assert not columns, f"{key}: plan columns never shown: {columns}"

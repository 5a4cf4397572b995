"""Content about Kari is for Kari and Per, her nearest manager. Everybody else who tries — a colleague,
another manager, her former manager, a Slack admin, a user of another workspace — is refused by every
listener and sees none of it."""

import json
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlmodel import select

from bot.emulator.driver import SlackDriver
from flows import actions, checkin
from flows.cadence import WorkingHours
from flows.outbox import enqueue
from storage.models import Action, Evaluation, Meeting, Outbox, Pairing, PrepAnswer
from tests.harness import SIGNING_SECRET, Harness
from tests.story import after, dm, pair, text_of

SECRET_ANSWER = "Jeg vurderer å slutte"
SECRET_ACTION = "Samtale med bedriftshelsetjenesten"


@pytest.fixture
def kari(bot: Harness) -> dict[str, Any]:
    """Kari reports to Per (before that to Frode); she has prepared, shared, and has an open action."""
    emu = bot.emulator
    for uid, name in [("UPER", "per"), ("UKARI", "kari"), ("UOLA", "ola"), ("UMONA", "mona"), ("UFRODE", "frode")]:
        emu.add_user(uid, name, locale="nb-NO")
    emu.add_user("UADMIN", "admin", locale="nb-NO", is_admin=True)
    bot.clock.set(datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
    pair(bot, "UFRODE", "UKARI")
    pair(bot, "UPER", "UKARI")  # Per is her manager now; Frode is her former manager
    pair(bot, "UMONA", "UOLA")
    bot.tick()
    now = bot.clock.now()
    with bot.repo() as repo:
        per, kari_p = bot_person(bot, repo, "UPER"), bot_person(bot, repo, "UKARI")
        pairing = repo.active_pairing_of(kari_p.id or 0)
        assert pairing is not None
        meeting = repo.session.exec(select(Meeting).where(Meeting.pairing_id == pairing.id)).one()
        assert meeting.id is not None
        invited = checkin.invite(repo, per, meeting.id, when=datetime(2026, 12, 3, 9, 0, tzinfo=UTC), place="Fjord",
                                 extra_questions=[], special_topics="", now=now, hours=WorkingHours())
        assert isinstance(invited, checkin.Invited)
        enqueue(repo, invited.planned, now)
        checkin.start(repo, kari_p, meeting.id, now)
        checkin.on_message(repo, kari_p, SECRET_ANSWER, now)
        checkin.share(repo, kari_p, meeting.id, now)
        added = actions.add(repo, per, kari_p, what=SECRET_ACTION, due=date(2026, 12, 20), owner=kari_p, now=now,
                            today=date(2026, 11, 23), meeting_id=meeting.id)
        assert isinstance(added, actions.Added)
        return {"meeting_id": meeting.id, "action_id": added.action.id, "pairing_id": pairing.id}


def bot_person(bot: Harness, repo: Any, uid: str) -> Any:
    p = repo.person_by_slack(bot.emulator.team_id, uid)
    assert p is not None
    return p


def snapshot(bot: Harness) -> dict[str, Any]:
    """Everything an intruder could try to change."""
    with bot.repo() as repo:
        s = repo.session
        return {
            "answers": sorted((a.meeting_id, a.question_key, a.text) for a in s.exec(select(PrepAnswer)).all()),
            "actions": sorted((a.id, a.status, a.due, a.what) for a in s.exec(select(Action)).all()),
            "meetings": sorted((m.id, m.status, m.scheduled_at, m.skip_reason, m.prep_shared_at)
                               for m in s.exec(select(Meeting)).all()),
            "evaluations": len(s.exec(select(Evaluation)).all()),
            "pairings": sorted((p.id, p.cadence, p.paused, p.manager_id) for p in s.exec(select(Pairing)).all()),
            "outbox": len(s.exec(select(Outbox)).all()),
        }


def everything_seen_by(bot: Harness, uid: str) -> str:
    """All the intruder can see: DMs, ephemeral answers, modals, their Home tab."""
    seen = [text_of(m) for m in dm(bot, uid)]
    seen += [text_of(m) for m in bot.emulator.ephemerals(uid)]
    seen += [json.dumps(v, ensure_ascii=False) for v in bot.emulator.open_views(uid)]
    seen += [json.dumps(p, ensure_ascii=False) for p in bot.emulator.response_url_posts()]
    home = bot.emulator.home_view(uid)
    seen.append(json.dumps(home, ensure_ascii=False) if home else "")
    return "\n".join(seen)


def legit_view(bot: Harness, user: str, source: dict[str, Any], action_id: str) -> dict[str, Any]:
    """The modal the rightful person gets; an intruder replays it with its metadata."""
    return after(bot, user, lambda: bot.d.click(user, source, action_id), what="view")


INTRUDERS = ["UOLA", "UMONA", "UFRODE", "UADMIN", "other-workspace"]


@pytest.mark.parametrize("intruder", INTRUDERS)
def test_nobody_but_kari_and_per_gets_at_karis_content(bot: Harness, kari: dict[str, Any], intruder: str) -> None:
    mid, aid, pid = str(kari["meeting_id"]), str(kari["action_id"]), str(kari["pairing_id"])
    # Real sources the rightful people have, whose ids an intruder could copy.
    bot.at(datetime(2026, 11, 23, 10, 0, tzinfo=UTC))
    invite_msg = next(m for m in dm(bot, "UKARI") if any(str(b.get("block_id", "")).startswith("prep:")
                                                         for b in m.get("blocks") or []))
    per_list = bot.d.slash_command("UPER", "")
    assert SECRET_ACTION in text_of({"blocks": per_list.json["blocks"]})  # Per, her manager, does see it
    prep_form = legit_view(bot, "UKARI", invite_msg, "prep_form_open")
    assert SECRET_ANSWER in json.dumps(prep_form, ensure_ascii=False)  # and Kari sees her own answer
    before = snapshot(bot)

    driver: SlackDriver = bot.d
    uid = intruder
    if intruder == "other-workspace":
        bot.emulator.add_user("UKARI2", "kari-elsewhere")
        driver = SlackDriver(bot.d.bot_url, SIGNING_SECRET, bot.emulator, team_id="TOTHER")
        uid = "UKARI2"

    fake_message = {"type": "message", "channel": f"D{uid}", "ts": "1.000001", "blocks": [{
        "type": "actions", "block_id": "x", "elements": [
            {"type": "button", "action_id": a, "value": v, "text": {"type": "plain_text", "text": a}}
            for a, v in [("action_done", aid), ("action_postpone", aid), ("meeting_invite_open", mid),
                         ("meeting_skip_open", mid), ("meeting_snooze", mid), ("prep_start", mid),
                         ("prep_form_open", mid), ("prep_share", mid), ("agree_open", mid), ("evaluate_open", mid),
                         ("team_pause", pid)]]}]}
    attempts: list[tuple[str, Callable[[], Any]]] = [
        ("/mal @kari", lambda: driver.slash_command(uid, "<@UKARI|kari>")),
        ("/mal add @kari", lambda: driver.slash_command(uid, f"add <@UKARI|kari> Gjør noe innen {date(2026, 12, 30)}")),
        ("/mal cadence @kari", lambda: driver.slash_command(uid, "cadence <@UKARI|kari> weekly")),
    ]
    for element in fake_message["blocks"][0]["elements"]:
        attempts.append((element["action_id"], lambda a=element["action_id"]: driver.click(uid, fake_message, a)))
    attempts.append(("team_cadence", lambda: driver.block_action(
        uid, "team_cadence", source=fake_message, block_id="x",
        selected_option={"text": {"type": "plain_text", "text": "w"}, "value": f"{pid}:weekly"})))
    forged = [
        ("prep_form_submit", prep_form, {f"q_{'goals'}": "overwritten"}),
    ]
    for callback, meta, values in [
        ("meeting_invite_submit", {"meeting_id": kari["meeting_id"]},
         {"date": "2026-12-10", "time": "10:00"}),
        ("meeting_skip_submit", {"meeting_id": kari["meeting_id"]}, {"reason": "nei"}),
        ("agree_submit", {"meeting_id": kari["meeting_id"]}, {"what_1": "Snik", "due_1": "2026-12-30"}),
        ("evaluate_submit", {"meeting_id": kari["meeting_id"]}, {"e_useful": "Yes"}),
        ("action_postpone_submit", {"action_id": kari["action_id"]}, {"due": "2027-01-30"}),
    ]:
        forged.append((callback, forged_view(callback, meta), values))
    for callback, view, values in forged:
        attempts.append((callback, lambda v=view, vals=values: driver.view_submission(uid, v, vals)))
    attempts.append(("message.im", lambda: driver.message_im(uid, "Mitt svar")))
    attempts.append(("app_home_opened", lambda: driver.app_home_opened(uid)))

    for name, attempt in attempts:
        result = attempt()
        assert result is None or result.status in (200, 404), (name, result.status, result.body)
    bot.emulator.wait_for(lambda: False, timeout=1.0)  # let listeners that run after the ack finish

    assert snapshot(bot) == before, "an intruder changed something"
    seen = everything_seen_by(bot, uid)
    assert SECRET_ANSWER not in seen and SECRET_ACTION not in seen
    assert "overwritten" not in seen


def forged_view(callback: str, meta: dict[str, Any]) -> dict[str, Any]:
    """A modal as the bot would have opened it, carrying someone else's ids in its metadata."""
    from bot.views import actions as action_views
    from bot.views import checkin as views
    from flows.i18n import translator
    from storage.models import Person

    t = translator("nb")
    kari = Person(id=0, team_id="T0MAL", slack_user_id="UKARI", name="Kari")
    blocks_by_callback: dict[str, list[dict[str, Any]]] = {
        "meeting_invite_submit": [
            {"type": "input", "block_id": "date", "label": {"type": "plain_text", "text": "d"},
             "element": {"type": "datepicker", "action_id": "date"}},
            {"type": "input", "block_id": "time", "label": {"type": "plain_text", "text": "t"},
             "element": {"type": "timepicker", "action_id": "time"}}],
        "meeting_skip_submit": views.skip_modal(0, t, {})["blocks"],
        "agree_submit": action_views.agree_modal(0, kari, t, date(2026, 12, 30))["blocks"],
        "evaluate_submit": [
            {"type": "input", "block_id": "e_useful", "label": {"type": "plain_text", "text": "u"},
             "element": {"type": "radio_buttons", "action_id": "answer", "options": [
                 {"text": {"type": "plain_text", "text": "Yes"}, "value": "Yes"}]}}],
        "action_postpone_submit": action_views.postpone_modal(0, "x", date(2026, 12, 20), date(2026, 11, 23), t,
                                                              {})["blocks"],
    }
    return {"id": f"VFORGED{callback}", "type": "modal", "callback_id": callback, "private_metadata": json.dumps(meta),
            "blocks": blocks_by_callback[callback], "state": {"values": {}}, "hash": "x",
            "title": {"type": "plain_text", "text": "x"}}


def test_former_manager_loses_access_when_kari_moves(bot: Harness, kari: dict[str, Any]) -> None:
    result = bot.d.slash_command("UFRODE", "<@UKARI|kari>")
    assert SECRET_ACTION not in text_of({"blocks": result.json["blocks"]})
    assert "bare se tiltakene til dine egne medarbeidere" in text_of({"blocks": result.json["blocks"]}) or \
        "only see the actions of your own direct reports" in text_of({"blocks": result.json["blocks"]})



# --- the annual season's listeners ------------------------------------------------------------------------
# Kari's pair takes part in a season; nobody else may invite her to it, share a focus in Per's name, open
# or close a season, or read the season's numbers without being a mal admin (a Slack admin is not one).


def _season_snapshot(bot: Harness) -> dict[str, Any]:
    from storage.models import Season, SeasonPairing, TeamFocus

    with bot.repo() as repo:
        s = repo.session
        return {
            **snapshot(bot),
            "seasons": sorted((x.id, x.status, x.deadline) for x in s.exec(select(Season)).all()),
            "members": len(s.exec(select(SeasonPairing)).all()),
            "focus": sorted((f.manager_id, f.focus_areas) for f in s.exec(select(TeamFocus)).all()),
        }


@pytest.mark.parametrize("intruder", INTRUDERS)
def test_nobody_but_per_acts_on_karis_season_conversation(bot: Harness, kari: dict[str, Any], intruder: str) -> None:
    from flows import season
    from flows.outbox import enqueue as store

    with bot.repo() as repo:
        hr = repo.person_by_slack(bot.emulator.team_id, "UOLA")
        assert hr is not None
        hr.is_admin = True  # an admin of mal, but still only counts; Ola is refused below as the intruder anyway
        opened = season.open_season(repo, hr, admin_ids=(), template_key="annual", deadline=date(2027, 4, 30),
                                    selector=season.Selector(), now=bot.clock.now(), hours=WorkingHours(),
                                    tz="Europe/Oslo")
        assert isinstance(opened, season.Opened)
        hr.is_admin = False
        repo.add(hr)
        member = next(m for m in season.seasons.members(repo, opened.season.id or 0)
                      if m.pairing_id == kari["pairing_id"])
        member.nudge_at = bot.clock.now()
        repo.add(member)
        new, _ = season.plan_nudges(repo, bot.clock.now(), WorkingHours())
        assert new >= 1
        repo.session.flush()
        meeting_id = repo.meeting_for(kari["pairing_id"], f"season-{opened.season.id}").id  # type: ignore[union-attr]
        per = bot_person(bot, repo, "UPER")
        shared = season.share_focus(repo, per, season.FocusText("Per sitt fokus"), now=bot.clock.now(),
                                    hours=WorkingHours())
        assert isinstance(shared, season.Shared)
        store(repo, shared.planned, bot.clock.now())
    before = _season_snapshot(bot)

    driver: SlackDriver = bot.d
    uid = intruder
    if intruder == "other-workspace":
        bot.emulator.add_user("UKARI2", "kari-elsewhere")
        driver = SlackDriver(bot.d.bot_url, SIGNING_SECRET, bot.emulator, team_id="TOTHER")
        uid = "UKARI2"
    fake_message = {"type": "message", "channel": f"D{uid}", "ts": "1.000002", "blocks": [{
        "type": "actions", "block_id": "y", "elements": [
            {"type": "button", "action_id": a, "value": v, "text": {"type": "plain_text", "text": a}}
            for a, v in [("season_invite_open", str(meeting_id)), ("focus_open", str(opened.season.id))]]}]}

    def forged(callback: str, blocks: list[dict[str, Any]]) -> dict[str, Any]:
        return {"id": f"VFORGED{callback}", "type": "modal", "callback_id": callback, "private_metadata": "{}",
                "blocks": blocks, "state": {"values": {}}, "hash": "x", "title": {"type": "plain_text", "text": "x"}}

    from bot.views import season as season_views
    from flows.i18n import translator

    t = translator("nb")
    attempts: list[tuple[str, Callable[[], Any]]] = [
        ("/mal season", lambda: driver.slash_command(uid, "season")),
        ("/mal season close", lambda: driver.slash_command(uid, "season close")),
        ("/mal season open", lambda: driver.slash_command(uid, "season open")),
        ("/mal focus", lambda: driver.slash_command(uid, "focus")),
        ("season_invite_open", lambda: driver.click(uid, fake_message, "season_invite_open")),
        ("focus_open", lambda: driver.click(uid, fake_message, "focus_open")),
        ("season_open_submit", lambda: driver.view_submission(
            uid, forged("season_open_submit", season_views.open_modal(t, season.annual_templates(),
                                                                      date(2027, 5, 31), [])["blocks"]),
            {"template": "annual", "deadline": "2027-05-31", "who": "everyone"})),
        ("focus_submit", lambda: driver.view_submission(
            uid, forged("focus_submit", season_views.focus_modal(season.FocusText(), t, 0)["blocks"]),
            {"focus_areas": "Overtatt"})),
    ]
    if intruder == "UMONA":  # Mona leads her own team in the season: sharing her own focus is hers to do
        attempts = [a for a in attempts if a[0] != "focus_submit"]
    for name, attempt in attempts:
        result = attempt()
        assert result is None or result.status in (200, 404), (name, result.status, result.body)
    bot.emulator.wait_for(lambda: False, timeout=1.0)

    assert _season_snapshot(bot) == before, "an intruder changed something"
    seen = everything_seen_by(bot, uid)
    assert SECRET_ANSWER not in seen and SECRET_ACTION not in seen and "Overtatt" not in seen
    views = bot.emulator.open_views(uid)
    assert not any(v.get("callback_id") in ("meeting_invite_submit", "season_open_submit") for v in views)
    assert "Per sitt fokus" not in json.dumps(views, ensure_ascii=False)  # a manager edits only their own focus

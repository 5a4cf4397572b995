"""Content about Kari is for Kari and Per, her nearest manager. Everybody else who tries — a colleague,
another manager, her former manager, an admin, a user of another workspace — is refused by every
listener and sees none of it. What each of the two keeps to themselves (private notes, Per's own
preparation) is for its author alone: not for the other of the pair either."""

import json
import re
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import partial
from typing import Any

import pytest
from sqlmodel import select

from bot import people
from bot.app import LISTENER_MODULES
from bot.emulator.driver import SlackDriver
from flows import actions, archive, checkin, notes, reschedule, season
from flows.cadence import WorkingHours
from flows.guard import Guard
from flows.outbox import enqueue
from flows.templates import option_keys, template
from storage import seasons
from storage.models import (
    Action,
    Evaluation,
    Meeting,
    Outbox,
    Pairing,
    Person,
    PrepAnswer,
    PrivateNote,
    Season,
    SeasonPairing,
    TeamFocus,
)
from tests.harness import SIGNING_SECRET, Harness
from tests.story import after, dm, pair, text_of

SECRET_ANSWER = "Jeg vurderer å slutte"
SECRET_ACTION = "Samtale med bedriftshelsetjenesten"
SECRET_TOPIC = "Lønnsforhandling etter sykmeldingen"
SECRETS = (SECRET_ANSWER, SECRET_ACTION, SECRET_TOPIC)  # what Kari and Per share about Kari
KARI_NOTE = "Kari noterer for seg selv: vil be om hjemmekontor"
PER_NOTE = "Per noterer for seg selv: Kari virker sliten"
PER_PREP = "Per forbereder seg alene: avdelingen legges ned"
ALL_SECRETS = (*SECRETS, KARI_NOTE, PER_NOTE, PER_PREP)
# Who may be shown which secret: the shared content goes to the two of the pair, a private text to its author.
MAY_SEE: dict[str, tuple[str, ...]] = {"employee": (*SECRETS, KARI_NOTE), "manager": (*SECRETS, PER_NOTE, PER_PREP)}


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
        invited = checkin.invite(
            repo,
            per,
            meeting.id,
            when=datetime(2026, 12, 3, 9, 0, tzinfo=UTC),
            place="Fjord",
            extra_questions=[],
            special_topics=SECRET_TOPIC,
            now=now,
            hours=WorkingHours(),
        )
        assert isinstance(invited, checkin.Invited)
        enqueue(repo, invited.planned, now)
        checkin.start(repo, kari_p, meeting.id, now)
        checkin.on_message(repo, kari_p, SECRET_ANSWER, now)
        checkin.share(repo, kari_p, meeting.id, now)
        added = actions.add(
            repo,
            per,
            kari_p,
            what=SECRET_ACTION,
            due=date(2026, 12, 20),
            owner=kari_p,
            now=now,
            today=date(2026, 11, 23),
            meeting_id=meeting.id,
        )
        assert isinstance(added, actions.Added)
        return {"meeting_id": meeting.id, "action_id": added.action.id, "pairing_id": pairing.id}


def bot_person(bot: Harness, repo: Any, uid: str) -> Any:
    p = repo.person_by_slack(bot.emulator.team_id, uid)
    assert p is not None
    return p


@pytest.fixture
def kari_year(bot: Harness, kari: dict[str, Any]) -> dict[str, Any]:
    """Kari's 1:1 as in ``kari``, and more of her year: each of the two has written a private note for it and
    Per has answered his own preparation; the admin (a mal admin through MAL_ADMINS) has opened the annual
    season, the relational annual conversation (with a chosen answer), for Per's team, and Per has invited Kari
    to her season conversation."""
    bot.overrides["mal_admins"] = "UADMIN"
    bot.restart()
    now = bot.clock.now()
    with bot.repo() as repo:
        per, kari_p = bot_person(bot, repo, "UPER"), bot_person(bot, repo, "UKARI")
        admin = people.ensure(repo, None, bot.emulator.team_id, "UADMIN", now)
        assert admin.id is not None
        meeting_id = kari["meeting_id"]
        for author, text in [(kari_p, KARI_NOTE), (per, PER_NOTE)]:
            assert isinstance(notes.save_notes(repo, author, meeting_id, text, now), notes.Notes)
        prepared = notes.save_manager_prep(repo, per, meeting_id, {"on_track": PER_PREP}, {}, now)
        assert isinstance(prepared, notes.ManagerPrep)
        opened = season.open_season(
            repo,
            admin,
            admin_ids=("UADMIN",),
            template_key="annual-relational",
            deadline=date(2027, 4, 30),
            selector=season.Selector(everyone=False, managers=("UPER",)),  # Mona's team is not in it
            now=now,
            hours=WorkingHours(),
            tz="Europe/Oslo",
        )
        assert isinstance(opened, season.Opened) and opened.season.id is not None
        member = next(m for m in seasons.members(repo, opened.season.id) if m.pairing_id == kari["pairing_id"])
        member.nudge_at = now
        repo.add(member)
        season.plan_nudges(repo, now, WorkingHours(), Guard(repo, Counter()))
        repo.session.flush()
        season_meeting = repo.meeting_for(kari["pairing_id"], f"season-{opened.season.id}")
        assert season_meeting is not None and season_meeting.id is not None
        invited = checkin.invite(
            repo,
            per,
            season_meeting.id,
            when=datetime(2026, 12, 7, 9, 0, tzinfo=UTC),
            place="Fjord",
            extra_questions=[],
            special_topics="",
            now=now,
            hours=WorkingHours(),
        )
        assert isinstance(invited, checkin.Invited)
        enqueue(repo, invited.planned, now)
        return {**kari, "season_meeting_id": season_meeting.id, "season_id": opened.season.id}


def private_notes(bot: Harness) -> list[tuple[str, int, str, str, str | None]]:
    """Every private note and private preparation answer, with the Slack id of its author."""
    with bot.repo() as repo:
        return _notes_in(repo)


def _notes_in(repo: Any) -> list[tuple[str, int, str, str, str | None]]:
    rows = repo.session.exec(select(PrivateNote, Person).where(PrivateNote.person_id == Person.id)).all()
    return sorted((p.slack_user_id, n.meeting_id, n.key, n.text, n.choice) for n, p in rows)


def snapshot(bot: Harness) -> dict[str, Any]:
    """Everything an intruder could try to change."""
    with bot.repo() as repo:
        s = repo.session
        return {
            "notes": _notes_in(repo),
            "seasons": sorted((x.id, x.status, x.deadline, x.template) for x in s.exec(select(Season)).all()),
            "season_members": len(s.exec(select(SeasonPairing)).all()),
            "focus": sorted(
                (f.manager_id, f.focus_areas, f.goals, f.challenges) for f in s.exec(select(TeamFocus)).all()
            ),
            "answers": sorted(
                (a.meeting_id, a.question_key, a.text, a.choice or "") for a in s.exec(select(PrepAnswer)).all()
            ),
            "actions": sorted((a.id, a.status, a.due, a.what) for a in s.exec(select(Action)).all()),
            "meetings": sorted(
                (
                    m.id,
                    m.status,
                    m.scheduled_at,
                    m.skip_reason,
                    m.prep_shared_at,
                    m.place,
                    m.proposed_at,
                    m.calendar_sequence,
                    m.employee_confirmed_at,
                    m.manager_confirmed_at,
                    m.held_at,
                )
                for m in s.exec(select(Meeting)).all()
            ),
            "evaluations": len(s.exec(select(Evaluation)).all()),
            "pairings": sorted(
                (p.id, p.cadence, p.paused, p.manager_id, p.template) for p in s.exec(select(Pairing)).all()
            ),
            "outbox": len(s.exec(select(Outbox)).all()),
            "birth_years": sorted(
                (p.slack_user_id, p.birth_year) for p in s.exec(select(Person)).all() if p.birth_year
            ),
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


# --- the table: every listener × every kind of caller -------------------------------------------------------

CALLERS = {
    "employee": "UKARI",
    "manager": "UPER",
    "colleague": "UOLA",
    "other_manager": "UMONA",
    "former_manager": "UFRODE",
    "admin": "UADMIN",
    "other_workspace": "UKARI2",
}
NEAREST = ("employee", "manager")
INTRUDERS = ["UOLA", "UMONA", "UFRODE", "UADMIN", "other-workspace"]
# What a caller gets from a row: "sees" content they may see (``MAY_SEE``: Kari's shared content, or their own
# private note or preparation), "opens" a modal (no content, no change), "acts" (the store changes as asked),
# or "none": nothing of Kari's is shown or changed and no modal opens (a refusal, or an answer about the
# caller's own things). "leaks" — a secret the caller may not see was shown — is never the expected outcome.
Outcome = str


@dataclass(frozen=True)
class World:
    """What a caller holds for one row: the driver (of their workspace), their id, Kari's ids and real views."""

    bot: Harness
    driver: SlackDriver
    uid: str
    ids: dict[str, Any]
    prep_form: dict[str, Any]

    def buttons(self, action_id: str, value: str) -> Any:
        message = {
            "type": "message",
            "channel": f"D{self.uid[1:]}",
            "ts": "1.000001",
            "blocks": [
                {
                    "type": "actions",
                    "block_id": "x",
                    "elements": [
                        {
                            "type": "button",
                            "action_id": action_id,
                            "value": value,
                            "text": {"type": "plain_text", "text": action_id},
                        }
                    ],
                }
            ],
        }
        return self.driver.click(self.uid, message, action_id)

    def select(self, action_id: str, value: str) -> Any:
        message = {
            "type": "message",
            "channel": f"D{self.uid[1:]}",
            "ts": "1.000001",
            "blocks": [
                {
                    "type": "actions",
                    "block_id": "x",
                    "elements": [
                        {
                            "type": "static_select",
                            "action_id": action_id,
                            "options": [{"text": {"type": "plain_text", "text": value}, "value": value}],
                        }
                    ],
                }
            ],
        }
        option = {"text": {"type": "plain_text", "text": value}, "value": value}
        return self.driver.block_action(self.uid, action_id, source=message, block_id="x", selected_option=option)

    def submit(self, callback: str, values: dict[str, Any]) -> Any:
        if callback == "prep_form_submit":
            return self.driver.view_submission(self.uid, self.prep_form, values)
        meta: dict[str, Any] = (
            {"action_id": self.ids["action"]} if callback.startswith("action") else {"meeting_id": self.ids["meeting"]}
        )
        if callback == "focus_submit":
            meta = {"season_id": self.ids["season"]}
        elif callback == "season_open_submit":
            meta = {}
        return self.driver.view_submission(self.uid, forged_view(callback, meta), values)

    def event(self, kind: str) -> Any:
        return self.driver.event({"type": kind})


@dataclass(frozen=True)
class Row:
    listener: str
    what: str
    act: Callable[[World], Any]
    employee: Outcome = "none"
    manager: Outcome = "none"
    slack_only: bool = False  # sent by Slack for a workspace, never by a person: only tried from elsewhere
    admin: Outcome = "none"  # an admin may open a season (counts only), never see or touch a pair's content
    setup: Callable[[World], None] | None = None  # what must hold before the row, whoever calls
    # What Mona, who manages Ola, gets from a row about her own team (the team's focus): never Kari's content.
    other_manager: Outcome = "none"

    def outcome(self, role: str) -> Outcome:
        return {
            "employee": self.employee,
            "manager": self.manager,
            "admin": self.admin,
            "other_manager": self.other_manager,
        }.get(role, "none")


def page(n: int) -> str:
    return json.dumps({"page": n, "user": "UKARI"})


def season_over(w: World) -> None:
    """The admin closes the season of the fixture, so the next opening is a real one: refused only for not
    being an admin, not for a season already running."""
    with w.bot.repo() as repo:
        admin = bot_person(w.bot, repo, "UADMIN")
        closed = season.close_season(repo, admin, admin_ids=("UADMIN",), now=w.bot.clock.now())
        assert isinstance(closed, Season)


def kari_met(w: World) -> None:
    """Kari's 1:1 took place yesterday (and nobody has said it was held yet)."""
    with w.bot.repo() as repo:
        meeting = repo.meeting(w.ids["meeting"])
        assert meeting is not None
        meeting.scheduled_at = w.bot.clock.now() - timedelta(days=1)
        meeting.status, meeting.held_at = "invited", None  # the manager's earlier rows skipped it
        repo.add(meeting)


def kari_proposes(w: World) -> None:
    """Kari has asked for another time, so there is a proposal to answer (a fresh one before each row)."""
    with w.bot.repo() as repo:
        kari_p = bot_person(w.bot, repo, "UKARI")
        now = w.bot.clock.now()
        meeting = repo.meeting(w.ids["meeting"])
        assert meeting is not None and meeting.scheduled_at is not None
        when = meeting.scheduled_at + timedelta(days=1)
        proposed = reschedule.propose(repo, kari_p, w.ids["meeting"], when=when, note="", now=now, hours=WorkingHours())
        assert not isinstance(proposed, checkin.Refused), proposed


def plan_digest(w: World) -> str:
    """The digest the plan's message carries: what the confirm button of the real message holds."""
    with w.bot.repo() as repo:
        plan = archive.plan_of(repo, w.ids["meeting"])
        assert plan is not None
        return plan.digest


PREP_CHOOSE_PATTERN = re.compile(r"^prep_choose(:\d+)?$")  # one action_id per button of a row
PREP_CHOOSE = f"action:{PREP_CHOOSE_PATTERN}"  # the key its listener registers under
RATED = next(i for i, q in enumerate(template("annual-relational").employee_prep) if q.kind in ("rating", "choice"))
RATED_VALUE = option_keys(template("annual-relational").employee_prep[RATED])[0]


# Reading rows first, then the ones that change things, in an order where each still makes sense.
TABLE = [
    Row("command:/mal", "/mal @kari", lambda w: w.driver.slash_command(w.uid, "<@UKARI|kari>"), "sees", "sees"),
    Row("command:/mal", "/mal", lambda w: w.driver.slash_command(w.uid, ""), "sees", "sees"),
    Row("command:/mal", "/mal team", lambda w: w.driver.slash_command(w.uid, "team")),
    # Per's export holds his own private note and preparation for Kari's 1:1: his to see (MAY_SEE), not Kari's.
    Row("command:/mal", "/mal export", lambda w: w.driver.slash_command(w.uid, "export"), "sees", "sees"),
    Row(
        "action:action_postpone",
        "Postpone with Kari's action id",
        lambda w: w.buttons("action_postpone", str(w.ids["action"])),
        "sees",
        "sees",
    ),
    Row(
        "action:actions_page_next",
        "next page of Kari's actions",
        lambda w: w.buttons("actions_page_next", page(1)),
        "sees",
        "sees",
    ),
    Row(
        "action:actions_page_prev",
        "previous page of Kari's actions",
        lambda w: w.buttons("actions_page_prev", page(0)),
        "sees",
        "sees",
    ),
    Row(
        "action:meeting_invite_open",
        "open the invitation of Kari's 1:1",
        lambda w: w.buttons("meeting_invite_open", str(w.ids["meeting"])),
        manager="opens",
    ),
    Row(
        "action:meeting_skip_open",
        "open skipping Kari's 1:1",
        lambda w: w.buttons("meeting_skip_open", str(w.ids["meeting"])),
        manager="opens",
    ),
    Row(
        "action:prep_start",
        "start Kari's preparation",
        lambda w: w.buttons("prep_start", str(w.ids["meeting"])),
        employee="sees",
    ),
    Row(
        "action:prep_form_open",
        "open Kari's preparation form",
        lambda w: w.buttons("prep_form_open", str(w.ids["meeting"])),
        employee="sees",
    ),
    Row(
        "action:prep_share",
        "share Kari's preparation",
        lambda w: w.buttons("prep_share", str(w.ids["meeting"])),
        employee="sees",
    ),
    Row(
        "action:prep_share_sensitive",
        "share a sensitive answer of Kari's on its own (her 1:1 asks none: nothing crosses over for anyone)",
        lambda w: w.buttons("prep_share_sensitive", f"{w.ids['meeting']}:goals"),
    ),
    Row(
        "action:agree_open",
        "open what was agreed in Kari's 1:1",
        lambda w: w.buttons("agree_open", str(w.ids["meeting"])),
        "opens",
        "opens",
    ),
    Row(
        "action:evaluate_open",
        "open the evaluation of Kari's 1:1",
        lambda w: w.buttons("evaluate_open", str(w.ids["meeting"])),
        "opens",
        "opens",
    ),
    Row(
        "action:note_open",
        "open the private notes of Kari's 1:1: each sees only their own",
        lambda w: w.buttons("note_open", str(w.ids["meeting"])),
        "sees",
        "sees",
    ),
    Row(
        "action:answer_open",
        "read Kari's whole answer",
        lambda w: w.buttons("answer_open", f"{w.ids['meeting']}:goals"),
        "sees",
        "sees",
    ),
    Row(
        "action:manager_prep_open",
        "open Per's own preparation for Kari's 1:1",
        lambda w: w.buttons("manager_prep_open", str(w.ids["meeting"])),
        manager="sees",
    ),
    Row(
        "action:season_invite_open",
        "open the invitation of Kari's season conversation",
        lambda w: w.buttons("season_invite_open", str(w.ids["season_meeting"])),
        manager="opens",
    ),
    Row(
        "action:focus_open",
        "open the team's focus (Per's of the season; Mona's own team's, outside any season)",
        lambda w: w.buttons("focus_open", "0"),
        manager="opens",
        other_manager="opens",
    ),
    Row("event:message.im", "a DM to the bot", lambda w: w.driver.message_im(w.uid, "Mitt svar")),
    Row("event:app_home_opened", "App Home", lambda w: w.driver.app_home_opened(w.uid), employee="sees"),
    Row(
        "action:home_language",
        "choose a language in App Home",
        lambda w: w.select("home_language", "nb"),
        employee="sees",
    ),
    Row("event:app_uninstalled", "app_uninstalled", lambda w: w.event("app_uninstalled"), slack_only=True),
    Row("event:tokens_revoked", "tokens_revoked", lambda w: w.event("tokens_revoked"), slack_only=True),
    Row(
        "action:team_cadence",
        "change the cadence of Kari's pair",
        lambda w: w.select("team_cadence", f"{w.ids['pairing']}:weekly"),
        "acts",
        "acts",
    ),
    Row(
        "action:pair_template",
        "choose the conversation of Kari's pair: her nearest manager only",
        lambda w: w.select("pair_template", f"{w.ids['pairing']}:frequent"),
        manager="acts",
    ),
    Row(
        "command:/mal",
        "/mal birthyear @kari: recorded by an admin only, never asked of anyone",
        lambda w: w.driver.slash_command(w.uid, "birthyear <@UKARI|kari> 1966"),
        admin="acts",
    ),
    Row(
        "action:team_pause",
        "pause Kari's pair",
        lambda w: w.buttons("team_pause", str(w.ids["pairing"])),
        "acts",
        "acts",
    ),
    Row(
        "command:/mal",
        "/mal cadence @kari",
        lambda w: w.driver.slash_command(w.uid, "cadence <@UKARI|kari> quarterly"),
        "acts",
        "acts",
    ),
    Row(
        "command:/mal",
        "/mal add @kari",
        lambda w: w.driver.slash_command(w.uid, "add <@UKARI|kari> Snik 30.12.2026"),
        "acts",
        "acts",
    ),
    Row(
        "view:agree_submit",
        "agree an action in Kari's 1:1",
        lambda w: w.submit("agree_submit", {"what_1": "Snik", "due_1": "2026-12-30"}),
        "acts",
        "acts",
    ),
    Row(
        "view:evaluate_submit",
        "evaluate Kari's 1:1",
        lambda w: w.submit("evaluate_submit", {"e_useful": "Yes"}),
        "acts",
        "acts",
    ),
    Row(
        "view:action_postpone_submit",
        "postpone Kari's action",
        lambda w: w.submit("action_postpone_submit", {"due": "2027-01-30"}),
        "acts",
        "acts",
    ),
    Row(
        "view:prep_form_submit",
        "overwrite Kari's preparation",
        lambda w: w.submit("prep_form_submit", {"q_goals": "overwritten"}),
        employee="acts",
    ),
    Row("action:meeting_snooze", "snooze Kari's 1:1", lambda w: w.buttons("meeting_snooze", str(w.ids["meeting"]))),
    Row(
        "view:meeting_invite_submit",
        "move Kari's 1:1",
        lambda w: w.submit("meeting_invite_submit", {"date": "2026-12-10", "time": "10:00"}),
        manager="acts",
    ),
    Row(
        "action:meeting_move_open",
        "open the change of time or place of Kari's 1:1",
        lambda w: w.buttons("meeting_move_open", str(w.ids["meeting"])),
        manager="opens",
    ),
    Row(
        "view:meeting_move_submit",
        "change the time and place of Kari's 1:1",
        lambda w: w.submit("meeting_move_submit", {"date": "2026-12-11", "time": "11:00", "place": "Rom Hav"}),
        manager="acts",
    ),
    Row(
        "action:meeting_propose_open",
        "open proposing another time for Kari's 1:1",
        lambda w: w.buttons("meeting_propose_open", str(w.ids["meeting"])),
        employee="opens",
    ),
    Row(
        "view:meeting_propose_submit",
        "propose another time for Kari's 1:1",
        lambda w: w.submit("meeting_propose_submit", {"date": "2026-12-14", "time": "12:00", "note": "Passer bedre"}),
        employee="acts",
    ),
    Row(
        "action:proposal_accept",
        "accept the time Kari proposed",
        lambda w: w.buttons("proposal_accept", str(w.ids["meeting"])),
        manager="acts",
        setup=kari_proposes,
    ),
    Row(
        "action:proposal_decline",
        "keep the time instead of the one Kari proposed",
        lambda w: w.buttons("proposal_decline", str(w.ids["meeting"])),
        manager="acts",
        setup=kari_proposes,
    ),
    # Her own address only, whoever asks: nothing of Kari's is shown to anyone else, and nothing of hers changes.
    Row("command:/mal", "/mal calendar", lambda w: w.driver.slash_command(w.uid, "calendar")),
    Row("command:/mal", "/mal calendar reset", lambda w: w.driver.slash_command(w.uid, "calendar reset")),
    Row(
        "action:plan_confirm",
        "confirm the agreed plan of Kari's 1:1 (the plan as it stands, with the action agreed in it)",
        lambda w: w.buttons("plan_confirm", f"{w.ids['meeting']}:{plan_digest(w)}"),
        "acts",
        "acts",
    ),
    Row(
        "action:action_done",
        "Done with Kari's action id",
        lambda w: w.buttons("action_done", str(w.ids["action"])),
        "acts",
        "acts",
    ),
    Row(
        "action:action_undo",
        "Undo the Done of Kari's action",
        lambda w: w.buttons("action_undo", str(w.ids["action"])),
        "acts",
        "acts",
    ),
    Row(
        PREP_CHOOSE,
        "answer the first chosen question of Kari's season preparation",
        lambda w: w.buttons(f"prep_choose:{RATED}", f"{w.ids['season_meeting']}:{RATED}:{RATED_VALUE}"),
        employee="acts",
    ),
    Row(
        "view:note_submit",
        "change the private note of Kari's 1:1: each only their own",
        lambda w: w.submit("note_submit", {"note": "Nytt notat"}),
        "acts",
        "acts",
    ),
    Row(
        "view:manager_prep_submit",
        "change Per's own preparation for Kari's 1:1",
        lambda w: w.submit("manager_prep_submit", {"q_on_track": "Ny forberedelse"}),
        manager="acts",
    ),
    Row(
        "view:focus_submit",
        "share the team's focus (Per's of the season; Mona's own team's, outside any season)",
        lambda w: w.submit("focus_submit", {"focus_areas": "Nytt fokus"}),
        manager="acts",
        other_manager="acts",
    ),
    Row(
        "view:meeting_skip_submit",
        "skip Kari's 1:1",
        lambda w: w.submit("meeting_skip_submit", {"reason": "nei"}),
        manager="acts",
    ),
    Row(
        "view:season_open_submit",
        "open next year's season",
        lambda w: w.submit("season_open_submit", {"template": "annual", "deadline": "2027-05-31", "who": "everyone"}),
        admin="acts",
        setup=season_over,
    ),
    # Last: it moves Kari's 1:1 into the past, so that it can be said to have been held.
    Row(
        "action:meeting_held",
        "mark Kari's 1:1 as held, after it took place",
        lambda w: w.buttons("meeting_held", str(w.ids["meeting"])),
        "acts",
        "acts",
        setup=kari_met,
    ),
]


class Keys:
    """Stands in for the Bolt app to learn every listener a module registers."""

    def __init__(self) -> None:
        self.keys: set[str] = set()

    def _add(self, kind: str, spec: Any) -> Any:
        if isinstance(spec, dict):
            spec = f"{spec['type']}.{spec['channel_type']}" if "channel_type" in spec else spec["type"]
        self.keys.add(f"{kind}:{spec}")
        return lambda fn: fn

    def command(self, spec: Any) -> Any:
        return self._add("command", spec)

    def event(self, spec: Any) -> Any:
        return self._add("event", spec)

    def action(self, spec: Any) -> Any:
        return self._add("action", spec)

    def view(self, spec: Any) -> Any:
        return self._add("view", spec)

    def shortcut(self, spec: Any) -> Any:
        return self._add("shortcut", spec)

    def options(self, spec: Any) -> Any:
        return self._add("options", spec)

    def message(self, spec: Any) -> Any:
        return self._add("message", spec)


def test_every_listener_has_a_row_in_the_privacy_table() -> None:
    keys = Keys()
    for module in LISTENER_MODULES:
        module.register(keys)
    missing = keys.keys - {row.listener for row in TABLE}
    assert not missing, f"listeners without a row in the privacy table: {sorted(missing)}"
    assert {row.listener for row in TABLE} <= keys.keys, "rows for listeners that no longer exist"


def test_content_is_for_the_employee_and_the_nearest_manager_only() -> None:
    for row in TABLE:
        for role in CALLERS:
            if role == "admin" and (row.listener == "view:season_open_submit" or "birthyear" in row.what):
                assert row.outcome(role) == "acts", row.what  # opening a season (counts only), a birth year
                continue
            if role == "other_manager" and "view:focus" in row.listener.replace("action:focus", "view:focus"):
                continue  # Mona's own team's focus: nothing of Kari's
            assert role in NEAREST or row.outcome(role) == "none", (row.what, role)
            assert row.outcome(role) != "leaks", (row.what, role)


def seen_items(bot: Harness, uid: str) -> list[str]:
    """Everything the caller has been shown: DMs, ephemeral answers, modals, response_url posts, Home, files."""
    seen = [text_of(m) for m in dm(bot, uid)]
    seen += [text_of(m) for m in bot.emulator.ephemerals(uid)]
    seen += [json.dumps(v, ensure_ascii=False) for v in bot.emulator.open_views(uid)]
    seen += [json.dumps(p, ensure_ascii=False) for p in bot.emulator.response_url_posts()]
    home = bot.emulator.home_view(uid)
    if home:
        seen.append(json.dumps(home, ensure_ascii=False))
    seen += [bot.emulator.file_content(f["id"]).decode() for f in bot.emulator.files(uid)]
    return seen


def poll(condition: Callable[[], bool], timeout: float) -> bool:
    """Listeners finish after their acknowledgement, on Bolt's threads: look until it is done."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def observe(
    bot: Harness,
    uid: str,
    may_see: tuple[str, ...],
    before: dict[str, Any],
    seen_before: list[str],
    views_before: set[str],
    answer: str,
) -> Outcome:
    """What the row did: showed a secret not meant for the caller, changed the store, showed content the
    caller may see, opened a modal, or none of these."""
    new = [*seen_items(bot, uid), answer]
    for item in seen_before:
        if item in new:
            new.remove(item)
    shown = "\n".join(new)
    if any(secret in shown for secret in ALL_SECRETS if secret not in may_see):
        return "leaks"
    if snapshot(bot) != before:
        return "acts"
    if any(secret in shown for secret in may_see):
        return "sees"
    if any(json.dumps(v, sort_keys=True) not in views_before for v in bot.emulator.open_views(uid)):
        return "opens"
    return "none"


def is_outcome(look: Callable[[], Outcome], expected: Outcome) -> bool:
    return look() == expected


def shown_more(bot: Harness, uid: str, count: int) -> bool:
    return len(seen_items(bot, uid)) > count


@pytest.mark.parametrize("role", list(CALLERS))
def test_privacy_table(bot: Harness, kari_year: dict[str, Any], role: str) -> None:
    kari = kari_year
    bot.at(datetime(2026, 11, 23, 10, 0, tzinfo=UTC))
    invite_msg = next(
        m
        for m in dm(bot, "UKARI")
        if any(b.get("block_id") == f"prep:{kari['meeting_id']}" for b in m.get("blocks") or [])
    )
    prep_form = legit_view(bot, "UKARI", invite_msg, "prep_form_open")
    driver: SlackDriver = bot.d
    uid = CALLERS[role]
    if role == "other_workspace":
        bot.emulator.add_user(uid, "kari-elsewhere")
        driver = SlackDriver(bot.d.bot_url, SIGNING_SECRET, bot.emulator, team_id="TOTHER")
    ids = {
        "meeting": kari["meeting_id"],
        "action": kari["action_id"],
        "pairing": kari["pairing_id"],
        "season_meeting": kari["season_meeting_id"],
        "season": kari["season_id"],
    }
    world = World(bot, driver, uid, ids, prep_form)
    may_see = MAY_SEE.get(role, ())
    failures = []
    for row in TABLE:
        if row.slack_only and role != "other_workspace":
            continue
        if row.setup is not None:
            row.setup(world)
        expected = row.outcome(role)
        notes_before = [n for n in private_notes(bot) if n[0] != uid]
        before, seen_before = snapshot(bot), seen_items(bot, uid)
        views_before = {json.dumps(v, sort_keys=True) for v in bot.emulator.open_views(uid)}
        result = row.act(world)
        assert result is None or result.status in (200, 404), (row.what, result.status, result.body)
        answer = json.dumps(result.json, ensure_ascii=False) if result is not None and result.json else ""
        look = partial(observe, bot, uid, may_see, before, seen_before, views_before, answer)
        if expected == "none" and not answer:  # wait for the answer (a refusal, usually), then look at what it was
            poll(partial(shown_more, bot, uid, len(seen_before)), timeout=2)
        else:
            poll(partial(is_outcome, look, expected), timeout=5)
        actual = look()
        if actual != expected:
            failures.append(f"{row.what}: expected {expected}, got {actual}")
        if [n for n in private_notes(bot) if n[0] != uid] != notes_before:
            failures.append(f"{row.what}: changed a private note or preparation of someone else")
    assert not failures, f"{role} ({uid}):\n" + "\n".join(failures)
    seen = "\n".join(seen_items(bot, uid))
    assert not [secret for secret in ALL_SECRETS if secret in seen and secret not in may_see]
    if role not in NEAREST:
        assert "overwritten" not in seen


def forged_view(callback: str, meta: dict[str, Any]) -> dict[str, Any]:
    """A modal as the bot would have opened it, carrying someone else's ids in its metadata."""
    from bot.views import actions as action_views
    from bot.views import calendar as calendar_views
    from bot.views import checkin as views
    from bot.views import season as season_views
    from flows.i18n import translator

    t = translator("nb")
    kari = Person(id=0, team_id="T0MAL", slack_user_id="UKARI", name="Kari")
    forged_ctx = checkin.MeetingContext(
        Meeting(id=0, pairing_id=0, period="x", scheduled_at=datetime(2026, 12, 3, 9, 0, tzinfo=UTC)),
        Pairing(id=0, team_id="T0MAL", manager_id=0, employee_id=0),
        Person(id=1, team_id="T0MAL", slack_user_id="UPER", name="Per"),
        kari,
    )
    blocks_by_callback: dict[str, list[dict[str, Any]]] = {
        "meeting_invite_submit": [
            {
                "type": "input",
                "block_id": "date",
                "label": {"type": "plain_text", "text": "d"},
                "element": {"type": "datepicker", "action_id": "date"},
            },
            {
                "type": "input",
                "block_id": "time",
                "label": {"type": "plain_text", "text": "t"},
                "element": {"type": "timepicker", "action_id": "time"},
            },
        ],
        "meeting_skip_submit": views.skip_modal(0, t, {})["blocks"],
        "meeting_move_submit": calendar_views.move_modal(forged_ctx, t, {})["blocks"][1:4],
        "meeting_propose_submit": calendar_views.propose_modal(forged_ctx, t)["blocks"][1:],
        "agree_submit": action_views.agree_modal(0, kari, t, date(2026, 12, 30))["blocks"],
        "evaluate_submit": [
            {
                "type": "input",
                "block_id": "e_useful",
                "label": {"type": "plain_text", "text": "u"},
                "element": {
                    "type": "radio_buttons",
                    "action_id": "answer",
                    "options": [{"text": {"type": "plain_text", "text": "Yes"}, "value": "Yes"}],
                },
            }
        ],
        "action_postpone_submit": action_views.postpone_modal(0, "x", date(2026, 12, 20), date(2026, 11, 23), t, {})[
            "blocks"
        ],
        "note_submit": views.notes_modal(0, "", t)["blocks"],
        "manager_prep_submit": [
            {
                "type": "input",
                "block_id": "q_on_track",
                "optional": True,
                "label": {"type": "plain_text", "text": "q"},
                "element": {"type": "plain_text_input", "action_id": "answer", "multiline": True},
            }
        ],
        "focus_submit": season_views.focus_modal(season.FocusText(), t, 0)["blocks"],
        "season_open_submit": season_views.open_modal(t, season.annual_templates(), date(2027, 5, 31), [])["blocks"],
    }
    return {
        "id": f"VFORGED{callback}",
        "type": "modal",
        "callback_id": callback,
        "private_metadata": json.dumps(meta),
        "blocks": blocks_by_callback[callback],
        "state": {"values": {}},
        "hash": "x",
        "title": {"type": "plain_text", "text": "x"},
    }


def test_former_manager_loses_access_when_kari_moves(bot: Harness, kari: dict[str, Any]) -> None:
    result = bot.d.slash_command("UFRODE", "<@UKARI|kari>")
    assert SECRET_ACTION not in text_of({"blocks": result.json["blocks"]})
    assert "bare se tiltakene til dine egne medarbeidere" in text_of(
        {"blocks": result.json["blocks"]}
    ) or "only see the actions of your own direct reports" in text_of({"blocks": result.json["blocks"]})


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
        opened = season.open_season(
            repo,
            hr,
            admin_ids=(),
            template_key="annual",
            deadline=date(2027, 4, 30),
            selector=season.Selector(),
            now=bot.clock.now(),
            hours=WorkingHours(),
            tz="Europe/Oslo",
        )
        assert isinstance(opened, season.Opened)
        hr.is_admin = False
        repo.add(hr)
        member = next(m for m in seasons.members(repo, opened.season.id or 0) if m.pairing_id == kari["pairing_id"])
        member.nudge_at = bot.clock.now()
        repo.add(member)
        new, _ = season.plan_nudges(repo, bot.clock.now(), WorkingHours(), Guard(repo, Counter()))
        assert new >= 1
        repo.session.flush()
        meeting_id = repo.meeting_for(kari["pairing_id"], f"season-{opened.season.id}").id  # type: ignore[union-attr]
        per = bot_person(bot, repo, "UPER")
        shared = season.share_focus(
            repo, per, season.FocusText("Per sitt fokus"), now=bot.clock.now(), hours=WorkingHours()
        )
        assert isinstance(shared, season.Shared)
        store(repo, shared.planned, bot.clock.now())
    before = _season_snapshot(bot)

    driver: SlackDriver = bot.d
    uid = intruder
    if intruder == "other-workspace":
        bot.emulator.add_user("UKARI2", "kari-elsewhere")
        driver = SlackDriver(bot.d.bot_url, SIGNING_SECRET, bot.emulator, team_id="TOTHER")
        uid = "UKARI2"
    fake_message = {
        "type": "message",
        "channel": f"D{uid}",
        "ts": "1.000002",
        "blocks": [
            {
                "type": "actions",
                "block_id": "y",
                "elements": [
                    {"type": "button", "action_id": a, "value": v, "text": {"type": "plain_text", "text": a}}
                    for a, v in [("season_invite_open", str(meeting_id)), ("focus_open", str(opened.season.id))]
                ],
            }
        ],
    }

    def forged(callback: str, blocks: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            "id": f"VFORGED{callback}",
            "type": "modal",
            "callback_id": callback,
            "private_metadata": "{}",
            "blocks": blocks,
            "state": {"values": {}},
            "hash": "x",
            "title": {"type": "plain_text", "text": "x"},
        }

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
        (
            "season_open_submit",
            lambda: driver.view_submission(
                uid,
                forged(
                    "season_open_submit",
                    season_views.open_modal(t, season.annual_templates(), date(2027, 5, 31), [])["blocks"],
                ),
                {"template": "annual", "deadline": "2027-05-31", "who": "everyone"},
            ),
        ),
        (
            "focus_submit",
            lambda: driver.view_submission(
                uid,
                forged("focus_submit", season_views.focus_modal(season.FocusText(), t, 0)["blocks"]),
                {"focus_areas": "Overtatt"},
            ),
        ),
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


# --- the calendar feed ------------------------------------------------------------------------------------------
# Outside Slack, behind nothing but its secret address: each caller's feed holds their own 1:1s with title, time,
# place and the other person. Kari's answers, notes, actions and topics are in nobody's feed, Kari's meetings
# only in hers and Per's, and a former address or someone else's token shows nothing.


def _feed_of(bot: Harness, driver: SlackDriver, uid: str) -> tuple[str, str]:
    import urllib.error
    import urllib.request

    answer = driver.slash_command(uid, "calendar")
    shown = text_of({"blocks": answer.json["blocks"]})
    link = next(w.strip("`") for w in shown.split() if "/calendar/" in w)
    assert bot.server is not None
    try:
        with urllib.request.urlopen(link.replace("https://mal.example.org", bot.server.url), timeout=10) as resp:
            return link, resp.read().decode("utf-8")
    except urllib.error.HTTPError as exc:
        return link, f"HTTP {exc.code}"


def test_the_calendar_feed_holds_each_callers_own_1_1s_and_none_of_the_content(
    bot: Harness, kari_year: dict[str, Any]
) -> None:
    from ical.calendar_stream import IcsCalendarStream

    bot.overrides["mal_public_url"] = "https://mal.example.org"
    bot.restart()
    feeds: dict[str, str] = {}
    links: dict[str, str] = {}
    for role, uid in CALLERS.items():
        driver = bot.d
        if role == "other_workspace":
            bot.emulator.add_user(uid, "kari-elsewhere")
            driver = SlackDriver(bot.d.bot_url, SIGNING_SECRET, bot.emulator, team_id="TOTHER")
        links[role], feeds[role] = _feed_of(bot, driver, uid)
    for role, text in feeds.items():
        assert text.startswith("BEGIN:VCALENDAR"), (role, text[:40])
        assert not [s for s in ALL_SECRETS if s in text], role
        events = IcsCalendarStream.calendar_from_ics(text).events
        titles = [(e.summary or "").lower() for e in events]
        with_kari = [t for t in titles if t.endswith((" kari", " per"))]
        if role == "employee":
            assert len(titles) == 2 and all(t.endswith(" med per") for t in titles)  # her 1:1 and her season talk
        elif role == "manager":
            assert len(titles) == 2 and all(t.endswith(" med kari") for t in titles)
        else:
            assert with_kari == [], role  # not her colleague, another manager, her former manager or an admin
        assert all(e.attendees == [] and e.organizer is None and not e.description for e in events)
    assert len(set(links.values())) == len(links)  # an address per person
    # Kari resets hers: the old address shows nothing any more, to anybody.
    bot.d.slash_command("UKARI", "calendar reset")
    import urllib.error
    import urllib.request

    assert bot.server is not None
    old = links["employee"].replace("https://mal.example.org", bot.server.url)
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(old, timeout=10)
    assert refused.value.code == 404


def test_the_confirmed_plan_goes_to_the_pair_and_the_archive_only(
    bot: Harness, kari: dict[str, Any], tmp_path: Any
) -> None:
    """Kari and Per confirm the plan of her 1:1: the PDF goes to the archive folder, never into Slack, and nobody
    else is told or shown anything of it."""
    folder = tmp_path / "arkiv"
    folder.mkdir()
    bot.overrides["mal_archive_dir"] = str(folder)
    bot.restart()
    seen_before = {uid: everything_seen_by(bot, uid) for uid in INTRUDERS if uid != "other-workspace"}
    with bot.repo() as repo:
        digest = plan_digest(World(bot, bot.d, "UKARI", {"meeting": kari["meeting_id"]}, {}))
        for uid in ("UKARI", "UPER"):
            done = archive.confirm(
                repo, bot_person(bot, repo, uid), kari["meeting_id"], digest, bot.clock.now(), WorkingHours(), "nb"
            )
            assert isinstance(done, archive.Confirmed), done
            enqueue(repo, list(done.planned), bot.clock.now())
    bot.tick()
    (pdf,) = folder.glob("*.pdf")
    assert pdf.read_bytes().startswith(b"%PDF")
    assert ".pdf" not in str(bot.emulator.files())  # not shared in Slack, with anyone
    for uid, before in seen_before.items():
        after_all = everything_seen_by(bot, uid)
        assert SECRET_ACTION not in after_all and after_all == before, uid


# --- a third person made responsible -------------------------------------------------------------------------
# Where the organisation allows it (MAL_ALLOW_OTHER_RESPONSIBLE), Per can make Ola responsible for one action
# from Kari's 1:1. Ola then sees that action's text and deadline — in `/mal`, on Home, in its reminder and in
# the digest — and never the conversation: not Kari's name, not the meeting or its date, not her other actions.

THIRD_ACTION = "Bestille ergonomisk stol"


@pytest.fixture
def ola_responsible(bot: Harness, kari: dict[str, Any]) -> dict[str, Any]:
    bot.overrides["mal_allow_other_responsible"] = True
    bot.restart()
    now = bot.clock.now()
    with bot.repo() as repo:
        per, kari_p, ola = (bot_person(bot, repo, u) for u in ("UPER", "UKARI", "UOLA"))
        added = actions.add(
            repo,
            per,
            kari_p,
            what=THIRD_ACTION,
            due=date(2026, 11, 25),
            owner=ola,
            now=now,
            today=date(2026, 11, 23),
            meeting_id=kari["meeting_id"],
            allow_others=True,
        )
        assert isinstance(added, actions.Added)
    return {**kari, "third_action": added.action.id}


def _third_party_sees(bot: Harness) -> str:
    return "\n".join(seen_items(bot, "UOLA"))


def _assert_text_and_deadline_only(shown: str) -> None:
    assert THIRD_ACTION in shown
    for leak in (*SECRETS, "UKARI", "Kari", "3. des", "Fjord"):  # not her, nor the meeting or its date
        assert leak not in shown, leak


THIRD_PARTY_ROWS: list[tuple[str, Callable[[Harness, dict[str, Any]], Any]]] = [
    ("command:/mal", lambda bot, ids: bot.d.slash_command("UOLA", "")),
    ("event:app_home_opened", lambda bot, ids: bot.d.app_home_opened("UOLA")),
    ("digest and reminder", lambda bot, ids: bot.at(datetime(2026, 11, 30, 9, 0, tzinfo=UTC))),
]


@pytest.mark.parametrize("listener", [name for name, _ in THIRD_PARTY_ROWS])
def test_a_third_person_responsible_sees_the_action_and_its_deadline_only(
    bot: Harness, ola_responsible: dict[str, Any], listener: str
) -> None:
    act = dict(THIRD_PARTY_ROWS)[listener]
    before = len(seen_items(bot, "UOLA"))
    result = act(bot, ola_responsible)
    if result is not None and getattr(result, "json", None):
        _assert_text_and_deadline_only(json.dumps(result.json, ensure_ascii=False))
    else:
        assert poll(lambda: len(seen_items(bot, "UOLA")) > before, timeout=5), listener
        _assert_text_and_deadline_only(_third_party_sees(bot))
    # And the conversation itself stays closed to Ola.
    refused = bot.d.slash_command("UOLA", "<@UKARI|kari>")
    assert SECRET_ACTION not in json.dumps(refused.json, ensure_ascii=False)


def test_a_third_person_responsible_can_close_their_action(bot: Harness, ola_responsible: dict[str, Any]) -> None:
    listing = bot.d.slash_command("UOLA", "")
    message = bot.emulator.ephemerals("UOLA")[-1]
    bot.d.block_action("UOLA", "action_done", value=str(ola_responsible["third_action"]), source=message)
    assert poll(lambda: bool(bot.emulator.response_url_posts()), timeout=5)
    _assert_text_and_deadline_only(json.dumps(bot.emulator.response_url_posts()[-1], ensure_ascii=False))
    with bot.repo() as repo:
        assert repo.action(ola_responsible["third_action"]).status == "done"  # type: ignore[union-attr]
    assert listing.ok


def test_without_the_setting_only_the_employee_or_manager_can_be_responsible(
    bot: Harness, kari: dict[str, Any]
) -> None:
    from bot.views import actions as action_views
    from flows.i18n import translator

    t = translator("nb")
    with bot.repo() as repo:
        per, kari_p, ola = (bot_person(bot, repo, u) for u in ("UPER", "UKARI", "UOLA"))
        refused = actions.add(
            repo,
            per,
            kari_p,
            what="x",
            due=date(2026, 12, 30),
            owner=ola,
            now=bot.clock.now(),
            today=date(2026, 11, 23),
        )
        assert isinstance(refused, actions.Refused) and refused.reason == "owner_not_allowed"
        modal = action_views.agree_modal(kari["meeting_id"], kari_p, t, date(2026, 12, 30), manager=per)
    owner = next(b for b in modal["blocks"] if b.get("block_id") == "owner_1")["element"]
    assert owner["type"] == "static_select"
    assert {o["value"] for o in owner["options"]} == {"UKARI", "UPER"}
    # A forged submission naming Ola is refused on the field, and nothing is stored.
    before = snapshot(bot)
    forged = forged_view("agree_submit", {"meeting_id": kari["meeting_id"]})
    forged["blocks"] = [b for b in forged["blocks"] if not str(b.get("block_id", "")).endswith(("_2", "_3"))]
    result = bot.d.view_submission("UPER", forged, {"what_1": "Snik", "owner_1": "UOLA", "due_1": "2026-12-30"})
    assert result.json and result.json.get("response_action") == "errors" and "owner_1" in result.json["errors"]
    assert snapshot(bot) == before

"""Per leads Kari (Oslo), Sven (Stockholm) and John (New York). What each of them sees stays true when there are
several reports: one list of open actions everywhere, counts in proper plural, each message saying which
meeting it is about, follow-up going both ways, Done undoable, `/mal @person` staying on that person, long
answers readable in full, the dialogue speaking each language, and dates as people type them."""

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from flows import actions, checkin
from flows.cadence import WorkingHours
from flows.outbox import enqueue
from storage.models import Action, Meeting, Outbox, PrepAnswer
from tests.harness import Harness
from tests.story import add_people, after, dm, last_dm, pair, settle, text_of

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # Monday 10:00 in Oslo


@pytest.fixture
def per(bot: Harness) -> Harness:
    add_people(bot.emulator)
    bot.clock.set(NOW)
    for report in ("UKARI", "USVEN", "UJOHN"):
        pair(bot, "UPER", report)
    bot.tick()
    return bot


def people(bot: Harness, *ids: str) -> list[Any]:
    return [bot.person(i) for i in ids]


def meeting_of(bot: Harness, employee: str) -> Meeting:
    with bot.repo() as repo:
        person = repo.person_by_slack(bot.emulator.team_id, employee)
        assert person is not None and person.id is not None
        pairing = repo.active_pairing_of(person.id)
        assert pairing is not None
        return repo.session.exec(select(Meeting).where(Meeting.pairing_id == pairing.id).order_by(Meeting.id)).first()


def invite(bot: Harness, employee: str, when: datetime) -> int:
    meeting = meeting_of(bot, employee)
    assert meeting.id is not None
    with bot.repo() as repo:
        manager = repo.person_by_slack(bot.emulator.team_id, "UPER")
        assert manager is not None
        done = checkin.invite(
            repo,
            manager,
            meeting.id,
            when=when,
            place="",
            extra_questions=[],
            special_topics="",
            now=bot.clock.now(),
            hours=WorkingHours(),
        )
        assert isinstance(done, checkin.Invited)
        enqueue(repo, done.planned, bot.clock.now())
    return meeting.id


def add_action(bot: Harness, employee: str, owner: str, what: str, due: date, meeting_id: int | None = None) -> int:
    with bot.repo() as repo:
        per_p, emp, own = (repo.person_by_slack(bot.emulator.team_id, u) for u in ("UPER", employee, owner))
        assert per_p is not None and emp is not None and own is not None
        added = actions.add(
            repo,
            per_p,
            emp,
            what=what,
            due=due,
            owner=own,
            now=bot.clock.now(),
            today=date(2026, 11, 23),
            meeting_id=meeting_id,
        )
        assert isinstance(added, actions.Added) and added.action.id is not None
        return added.action.id


def home_text(bot: Harness, user: str) -> str:
    before = json.dumps(bot.emulator.home_view(user))
    bot.d.app_home_opened(user)
    settle(bot, lambda: json.dumps(bot.emulator.home_view(user)) != before, f"no Home for {user}")
    return text_of(bot.emulator.home_view(user) or {})


# --- one truth about open actions ---------------------------------------------------------------------------


def test_home_and_mal_agree_and_a_managers_own_action_from_a_report_meeting_is_on_her_home(per: Harness) -> None:
    mid = invite(per, "UKARI", datetime(2026, 12, 3, 9, 0, tzinfo=UTC))
    add_action(per, "UKARI", "UPER", "Bestille kurs til Kari", date(2026, 11, 24), mid)
    per.clock.set(datetime(2026, 11, 25, 9, 0, tzinfo=UTC))
    home = home_text(per, "UPER")
    listing = text_of({"blocks": per.d.slash_command("UPER", "").json["blocks"]})
    for shown in (home, listing):
        assert "Bestille kurs til Kari" in shown
        assert "1 åpent tiltak · 1 over fristen" in shown  # one, in the singular
        assert "1:1-samtale med <@UKARI>, 3. des. 2026" in shown  # the meeting it came from
    # Kari's own Home shows it too, as an action from her 1:1 with Per.
    kari_home = home_text(per, "UKARI")
    assert "Bestille kurs til Kari" in kari_home and "1:1-samtale med <@UPER>" in kari_home


@pytest.mark.parametrize(
    ("locale", "one", "two"),
    [
        ("nb", "1 åpent tiltak", "2 åpne tiltak"),
        ("nn", "1 ope tiltak", "2 opne tiltak"),
        ("sv", "1 öppen", "2 öppna"),
        ("en", "1 open action", "2 open actions"),
    ],
)
def test_counts_use_each_languages_plural(locale: str, one: str, two: str) -> None:
    from bot.views.actions import counts
    from flows.i18n import translator

    t = translator(locale)
    assert counts(1, 0, t).startswith(one) and counts(2, 0, t).startswith(two)


# --- follow-up both ways ------------------------------------------------------------------------------------


def test_kari_receives_what_per_recorded_and_hears_when_he_moves_a_deadline(per: Harness) -> None:
    mid = invite(per, "UKARI", datetime(2026, 12, 3, 9, 0, tzinfo=UTC))
    per.at(datetime(2026, 12, 3, 9, 30, tzinfo=UTC))
    followup = next(m for m in dm(per, "UPER") if any(b.get("block_id") == f"followup:{mid}" for b in m["blocks"]))
    agree = after(per, "UPER", lambda: per.d.click("UPER", followup, "agree_open"), what="view")
    assert "1:1-samtale med <@UKARI>, torsdag 3. desember kl. 10:00" in json.dumps(agree, ensure_ascii=False)
    after(
        per, "UPER", lambda: per.d.view_submission("UPER", agree, {"what_1": "Fullføre kurset", "due_1": "2026-12-18"})
    )
    per.tick()
    recorded = last_dm(per, "UKARI")
    assert "Fullføre kurset" in text_of(recorded) and "1:1-samtale med <@UPER>" in text_of(recorded)

    listing = per.d.slash_command("UPER", "<@UKARI|kari>")
    source = per.emulator.ephemerals("UPER")[-1]
    modal = after(per, "UPER", lambda: per.d.click("UPER", source, "action_postpone"), what="view")
    assert per.d.view_submission("UPER", modal, {"due": "2027-01-08"}).ok
    per.tick()
    moved = last_dm(per, "UKARI")
    assert "8. januar 2027" in text_of(moved) and "Fullføre kurset" in text_of(moved)
    assert listing.ok


def test_per_gets_one_weekly_summary_of_what_his_reports_finished_or_postponed(per: Harness) -> None:
    ids = [add_action(per, u, u, f"Oppgave {u}", date(2026, 12, 18)) for u in ("UKARI", "USVEN", "UJOHN")]
    per.clock.set(datetime(2026, 11, 25, 10, 0, tzinfo=UTC))
    with per.repo() as repo:
        kari, sven = (repo.person_by_slack(per.emulator.team_id, u) for u in ("UKARI", "USVEN"))
        assert kari is not None and sven is not None
        actions.close(repo, kari, ids[0], per.clock.now())
        actions.postpone(repo, sven, ids[1], date(2027, 1, 15), per.clock.now(), date(2026, 11, 25))
    per.at(datetime(2026, 11, 30, 9, 0, tzinfo=UTC))  # Monday 10:00 in Oslo
    per.at(datetime(2026, 12, 1, 9, 0, tzinfo=UTC))
    with per.repo() as repo:
        summaries = repo.session.exec(select(Outbox).where(Outbox.kind == "week_summary")).all()
    assert [s.recipient for s in summaries] == ["UPER"] and summaries[0].status == "sent"
    shown = text_of(last_dm(per, "UPER")) if "Oppgave" in text_of(last_dm(per, "UPER")) else ""
    shown = shown or next(text_of(m) for m in dm(per, "UPER") if "Oppgave UKARI" in text_of(m))
    assert "<@UKARI> fullførte: Oppgave UKARI" in shown
    assert "<@USVEN> flyttet til 15. jan. 2027: Oppgave USVEN" in shown
    assert "Oppgave UJOHN" not in shown


def test_done_is_confirmed_with_an_undo_and_mal_at_person_stays_on_that_person(per: Harness) -> None:
    add_action(per, "UKARI", "UKARI", "Kari sin oppgave", date(2026, 12, 18))
    add_action(per, "USVEN", "USVEN", "Svens uppgift", date(2026, 12, 18))
    per.d.slash_command("UPER", "<@USVEN|sven>")
    source = per.emulator.ephemerals("UPER")[-1]
    per.d.click("UPER", source, "action_done")
    settle(per, lambda: bool(per.emulator.response_url_posts()), "the list was not refreshed")
    after_done = text_of({"blocks": per.emulator.response_url_posts()[-1]["blocks"]})
    assert "Markert som utført: Svens uppgift" in after_done
    assert "Kari sin oppgave" not in after_done  # still Sven's list, not the team's
    assert "Åpne tiltak fra samtalene dine med" in after_done
    undo_source = {**source, "blocks": per.emulator.response_url_posts()[-1]["blocks"]}
    per.d.click("UPER", undo_source, "action_undo")
    settle(per, lambda: len(per.emulator.response_url_posts()) >= 2, "undo did not answer")
    after_undo = text_of({"blocks": per.emulator.response_url_posts()[-1]["blocks"]})
    assert "Svens uppgift" in after_undo and "Markert som utført" not in after_undo
    with per.repo() as repo:
        assert {a.status for a in repo.session.exec(select(Action)).all()} == {"open"}
    # Ten minutes later, an Undo is too late: the action stays done.
    with per.repo() as repo:
        per_p = repo.person_by_slack(per.emulator.team_id, "UPER")
        action = repo.session.exec(select(Action).where(Action.what == "Svens uppgift")).one()
        assert per_p is not None and action.id is not None
        actions.close(repo, per_p, action.id, per.clock.now())
        late = actions.reopen(repo, per_p, action.id, per.clock.now() + timedelta(minutes=11))
    assert isinstance(late, actions.Refused) and late.reason == "undo_too_late"


# --- lapses -----------------------------------------------------------------------------------------------


def test_a_window_that_closes_without_a_meeting_is_told_once_and_shown_in_the_team(per: Harness) -> None:
    invite(per, "UKARI", datetime(2026, 12, 3, 9, 0, tzinfo=UTC))  # Per invites Kari only
    sven_meeting = meeting_of(per, "USVEN")
    assert sven_meeting.window_end is not None
    for day in range(0, 40, 3):
        per.at(datetime(2026, 11, 24, 9, 0, tzinfo=UTC) + timedelta(days=day))
    per.at(sven_meeting.window_end + timedelta(days=1, hours=2))
    per.at(sven_meeting.window_end + timedelta(days=3, hours=2))
    with per.repo() as repo:
        lapses = repo.session.exec(select(Outbox).where(Outbox.kind == "lapse")).all()
        statuses = [m.status for m in repo.session.exec(select(Meeting)).all()]
    assert sorted(r.key for r in lapses) == sorted({f"lapse:{sven_meeting.id}", f"lapse:{meeting_of(per, 'UJOHN').id}"})
    told = [m for m in dm(per, "UPER") if "ble ikke holdt" in text_of(m) and "nudge:" not in json.dumps(m)]
    assert len(told) == 2 and any("<@USVEN>" in text_of(m) for m in told)
    assert statuses.count("missed") == 2
    team = text_of({"blocks": per.d.slash_command("UPER", "team").json["blocks"]})
    assert "1 ikke holdt" in team  # Sven and John each missed one
    assert "siste 1:1 for" in team  # Kari met Per: how long ago
    # The next nudge about Sven (which goes out ahead of its window) said the previous one was not held yet.
    nudges = [m for m in dm(per, "UPER") if "<@USVEN>" in text_of(m) and "Send invitasjon" in text_of(m)]
    assert "Den forrige 1:1-samtalen med <@USVEN>" in text_of(nudges[-1])
    assert "er ikke holdt ennå" in text_of(nudges[-1])


def test_a_pair_that_never_met_is_flagged_and_admins_see_missed_counts_per_unit(bot: Harness) -> None:
    bot.overrides["mal_admins"] = "UOLA"
    bot.restart()
    add_people(bot.emulator)
    bot.clock.set(NOW)
    pair(bot, "UPER", "UKARI")
    with bot.repo() as repo:
        kari = repo.person_by_slack(bot.emulator.team_id, "UKARI")
        assert kari is not None
        kari.unit = "Salg"
        repo.add(kari)
    for day in range(0, 50, 4):
        bot.at(NOW + timedelta(days=day))
    team = text_of({"blocks": bot.d.slash_command("UPER", "team").json["blocks"]})
    assert ":warning: ingen 1:1-samtale ennå" in team
    admin_home = home_text(bot, "UOLA")
    assert "Salg: 1 1:1-samtale ikke holdt" in admin_home
    assert "Kari" not in admin_home


# --- long answers ---------------------------------------------------------------------------------------------


def test_a_long_answer_is_cut_with_an_ellipsis_and_opens_in_full(per: Harness) -> None:
    mid = invite(per, "UKARI", datetime(2026, 12, 3, 9, 0, tzinfo=UTC))
    long_answer = "Dette er et langt svar. " * 100
    with per.repo() as repo:
        kari = repo.person_by_slack(per.emulator.team_id, "UKARI")
        assert kari is not None
        checkin.start(repo, kari, mid, per.clock.now())
        checkin.on_message(repo, kari, long_answer, per.clock.now())
        checkin.share(repo, kari, mid, per.clock.now())
    per.at(datetime(2026, 12, 2, 8, 30, tzinfo=UTC))
    brief = next(m for m in dm(per, "UPER") if any(b.get("block_id") == f"brief:{mid}" for b in m.get("blocks") or []))
    assert "…" in text_of(brief) and long_answer.strip() not in text_of(brief)
    whole = after(per, "UPER", lambda: per.d.click("UPER", brief, "answer_open"), what="view")
    assert long_answer.strip() in text_of(whole).replace("\n", "")
    with per.repo() as repo:
        assert repo.session.exec(select(PrepAnswer)).one().text == long_answer.strip()


# --- the dialogue and dates -------------------------------------------------------------------------------


def test_command_words_are_shown_in_the_readers_language_and_never_stored_as_answers(per: Harness) -> None:
    mid = invite(per, "USVEN", datetime(2026, 12, 3, 9, 0, tzinfo=UTC))
    per.tick()
    invitation = last_dm(per, "USVEN")
    first = after(per, "USVEN", lambda: per.d.click("USVEN", invitation, "prep_start"))
    assert "`hoppa över` går vidare" in text_of(first) and "`skip`" not in text_of(first)
    paused = after(per, "USVEN", lambda: per.d.message_im("USVEN", "paus"))
    assert "`fortsätt`" in text_of(paused)
    after(per, "USVEN", lambda: per.d.message_im("USVEN", "hald fram"))  # Nynorsk, understood in Swedish too
    after(per, "USVEN", lambda: per.d.message_im("USVEN", "hopp over"))
    with per.repo() as repo:
        stored = repo.answers(mid)
    assert stored == {}, stored


@pytest.mark.parametrize(
    ("typed", "due"),
    [
        ("Fullføre kurset innen fredag", date(2026, 11, 27)),
        ("Fullføre kurset neste fredag", date(2026, 11, 27)),
        ("Fullføre kurset i morgen", date(2026, 11, 24)),
        ("Fullføre kurset om to uker", date(2026, 12, 7)),
        ("Fullföra kursen om två veckor", date(2026, 12, 7)),
        ("Finish the course in two weeks", date(2026, 12, 7)),
        ("Fullføre kurset 31.12", date(2026, 12, 31)),
        ("Fullföra kursen senast 2026-12-15", date(2026, 12, 15)),
    ],
)
def test_mal_add_takes_dates_as_people_type_them(per: Harness, typed: str, due: date) -> None:
    per.d.slash_command("UPER", f"add <@UKARI|kari> {typed}")
    with per.repo() as repo:
        action = repo.session.exec(select(Action)).one()
    assert action.due == due


def test_a_date_that_does_not_exist_is_named_as_such(per: Harness) -> None:
    answer = per.d.slash_command("UPER", "add <@UKARI|kari> Fullføre kurset 31.02.2027")
    assert "«31.02.2027» finnes ikke i kalenderen" in text_of({"blocks": answer.json["blocks"]})


# --- the suggested slot and the one check of a chosen time --------------------------------------------------


def test_the_invitation_suggests_a_time_for_both_and_warns_about_a_saturday_or_4am_in_new_york(per: Harness) -> None:
    per.clock.set(datetime(2026, 12, 14, 9, 0, tzinfo=UTC))  # a late click: Per opens John's nudge weeks later
    nudge = next(m for m in dm(per, "UPER") if "<@UJOHN>" in text_of(m))
    form = after(per, "UPER", lambda: per.d.click("UPER", nudge, "meeting_invite_open"), what="view")
    day = next(b for b in form["blocks"] if b["block_id"] == "date")["element"]["initial_date"]
    clock = next(b for b in form["blocks"] if b["block_id"] == "time")["element"]["initial_time"]
    suggested = datetime.fromisoformat(f"{day}T{clock}").replace(tzinfo=ZoneInfo("Europe/Oslo"))
    in_new_york = suggested.astimezone(ZoneInfo("America/New_York"))
    assert suggested > per.clock.now() + timedelta(days=6)  # never in the past, a week to prepare
    assert suggested.weekday() < 5 and 9 <= suggested.hour < 16 and 9 <= in_new_york.hour < 16
    assert suggested.date() not in (date(2026, 12, 25), date(2026, 12, 26))  # Christmas in both countries
    assert f"{in_new_york:%H:%M}" in json.dumps(form, ensure_ascii=False)  # John's own time is shown

    # Saturday at 10:00 in Oslo is 04:00 in New York: both are named, and Per may go on.
    per.d.view_submission("UPER", form, {"date": "2027-01-09", "time": "10:00"})
    warned = next(v for v in per.emulator.open_views("UPER") if v.get("callback_id") == "meeting_invite_submit")
    warning = text_of({"blocks": [b for b in warned["blocks"] if b.get("block_id") == "slot_warning"]})
    assert "helg for <@UPER>" in warning and "arbeidstiden til <@UJOHN> (04:00 der)" in warning
    with per.repo() as repo:
        assert not repo.session.exec(select(Meeting).where(Meeting.status == "invited")).all()
    assert per.d.view_submission("UPER", warned, {"date": "2027-01-09", "time": "10:00"}).ok
    with per.repo() as repo:
        invited = repo.session.exec(select(Meeting).where(Meeting.status == "invited")).one()
    assert invited.scheduled_at == datetime(2027, 1, 9, 9, 0, tzinfo=UTC)

    # A public holiday is named in the reader's language: Saturday 26 December is Andre juledag in Oslo.
    kari_nudge = next(m for m in dm(per, "UPER") if "<@UKARI>" in text_of(m))
    holiday = after(per, "UPER", lambda: per.d.click("UPER", kari_nudge, "meeting_invite_open"), what="view")
    per.d.view_submission("UPER", holiday, {"date": "2026-12-26", "time": "10:00"})
    warned = [v for v in per.emulator.open_views("UPER") if v.get("callback_id") == "meeting_invite_submit"][-1]
    assert "helligdag for <@UKARI> (Andre juledag)" in json.dumps(warned, ensure_ascii=False)
    per.d.view_submission("UPER", warned, {"date": "2027-01-05", "time": "10:00"})  # another day: no warning

    # A time in the past is refused on the field, also when the invited meeting is moved.
    changed = next(m for m in reversed(dm(per, "UPER")) if "meeting_move_open" in str(m.get("blocks")))
    again = after(per, "UPER", lambda: per.d.click("UPER", changed, "meeting_move_open"), what="view")
    refused = per.d.view_submission("UPER", again, {"date": "2026-12-01", "time": "10:00"})
    assert refused.json and refused.json["response_action"] == "errors" and "date" in refused.json["errors"]


def test_a_newer_overview_of_overdue_actions_turns_the_older_one_into_a_pointer(per: Harness) -> None:
    """John lets one action run over, and another the week after: he gets a new overview each Monday, and the
    one from the week before no longer carries buttons — one list to act on, never a stack of them."""
    add_action(per, "UJOHN", "UJOHN", "Skrive rapporten", date(2026, 11, 24))
    add_action(per, "UJOHN", "UJOHN", "Ringe kunden", date(2026, 12, 2))  # runs over in the second week
    for monday in (datetime(2026, 11, 30, 15, 0, tzinfo=UTC), datetime(2026, 12, 7, 15, 0, tzinfo=UTC)):
        per.at(monday)  # 10:00 in New York
    with per.repo() as repo:
        digests = repo.session.exec(
            select(Outbox).where(Outbox.kind == "digest", Outbox.status == "sent").order_by(Outbox.sent_at)  # type: ignore[arg-type]
        ).all()
    assert [d.recipient for d in digests] == ["UJOHN", "UJOHN"]
    older = per.emulator.message("UJOHN", str(digests[0].slack_ts))
    newer = per.emulator.message("UJOHN", str(digests[1].slack_ts))
    assert older is not None and newer is not None
    assert "action_done" not in json.dumps(older["blocks"]) and "replaced by the newer one" in text_of(older)
    assert "action_done" in json.dumps(newer["blocks"]) and "Skrive rapporten" in text_of(newer)

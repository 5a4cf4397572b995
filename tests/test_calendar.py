"""The 1:1 in everyone's calendar. Per, in Oslo, manages Kari and Ola (Oslo), Sven (Stockholm) and John
(New York). Each invitation brings a calendar file to both of the pair; every change brings an updated one
and a cancellation a CANCEL; each of them can subscribe to a feed of their own 1:1s.

Every file is read back with ``ical``, an iCalendar library independent of the ``icalendar`` that writes
them, and compared with what the store holds: the same UID for a meeting's whole life, SEQUENCE rising,
the start the same instant as the stored meeting, also across the March and October changes of DST.
"""

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from ical.calendar import Calendar
from ical.calendar_stream import IcsCalendarStream
from sqlmodel import select

from storage.models import Meeting, Outbox, Pairing
from tests.harness import Harness
from tests.story import add_people, after, dm, last_dm, pair, send_invitation, settle, text_of

OSLO = ZoneInfo("Europe/Oslo")
REPORTS = ("UKARI", "USVEN", "UJOHN", "UOLA")
SECRET_TOPIC = "Lønnsforhandling etter sykmeldingen"


@dataclass(frozen=True)
class Ics:
    """A calendar file as a person got it, read by the second library."""

    calendar: Calendar
    raw: str

    @property
    def event(self) -> Any:
        (event,) = self.calendar.events
        return event


def read(raw: bytes | str) -> Ics:
    text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    return Ics(IcsCalendarStream.calendar_from_ics(text), text)


def files_of(bot: Harness, user: str) -> list[Ics]:
    """The calendar files shared in a person's DM, oldest first."""
    return [read(bot.emulator.file_content(f["id"])) for f in bot.emulator.files(user) if f["name"].endswith(".ics")]


def meeting_of(bot: Harness, employee: str) -> Meeting:
    with bot.repo() as repo:
        person = repo.person_by_slack(bot.emulator.team_id, employee)
        assert person is not None
        return repo.session.exec(
            select(Meeting).join(Pairing).where(Pairing.employee_id == person.id).order_by(Meeting.id.desc())  # type: ignore[union-attr]
        ).first()


def nudge_for(bot: Harness, employee: str) -> dict[str, Any]:
    return next(m for m in reversed(dm(bot, "UPER")) if f"<@{employee}>" in text_of(m) and m.get("blocks"))


def invite(bot: Harness, employee: str, day: str, clock: str, place: str = "Fjord", topics: str = "") -> None:
    """Per sends the invitation from his nudge, as the story tests do."""
    modal = after(
        bot, "UPER", lambda: bot.d.click("UPER", nudge_for(bot, employee), "meeting_invite_open"), what="view"
    )
    send_invitation(bot, "UPER", modal, {"date": day, "time": clock, "place": place, "topics": topics})
    settle(bot, lambda: meeting_of(bot, employee).status == "invited")


def invitation_sent(bot: Harness) -> dict[str, Any]:
    """Per's nudge, turned by his invitation into its confirmation with the buttons to change or cancel it."""
    return next(
        m for m in dm(bot, "UPER") if any(b.get("block_id", "").startswith("manage:") for b in m.get("blocks") or [])
    )


def team(bot: Harness, start: datetime) -> None:
    add_people(bot.emulator)
    bot.clock.set(start)
    for report in REPORTS:
        pair(bot, "UPER", report)
    bot.tick()  # the nudges, one per report
    for report in REPORTS:
        nudge_for(bot, report)


def assert_same_instant(ics: Ics, meeting: Meeting) -> None:
    start = ics.event.dtstart
    assert isinstance(start, datetime) and start.tzinfo is not None, "all-day or floating"
    assert meeting.scheduled_at is not None
    assert start == meeting.scheduled_at, (start, meeting.scheduled_at)


# --- the invitation ------------------------------------------------------------------------------------------


def test_the_invitation_brings_both_of_the_pair_the_event_for_their_calendar(bot: Harness) -> None:
    team(bot, datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
    invite(bot, "UKARI", "2026-12-03", "10:00", topics=SECRET_TOPIC)
    invite(bot, "UJOHN", "2026-12-03", "15:30", place="https://meet.example.org/per-john")
    bot.tick()

    # Kari's DM: the calendar file, then the invitation with its buttons as the newest message.
    kari_dm = dm(bot, "UKARI")
    invitation = last_dm(bot, "UKARI")
    assert any(b.get("block_id", "").startswith("prep:") for b in invitation["blocks"])
    shared = [m for m in kari_dm if m.get("files")]
    assert len(shared) == 1 and kari_dm.index(shared[0]) < kari_dm.index(invitation)
    assert shared[0]["files"][0]["name"] == "1-1-2026-12-03.ics"
    assert "torsdag 3. desember kl. 10:00" in text_of(shared[0])

    kari_meeting = meeting_of(bot, "UKARI")
    (kari_file,) = files_of(bot, "UKARI")
    per_files = files_of(bot, "UPER")
    assert len(per_files) == 2  # one for each invitation he sent
    per_copy = next(f for f in per_files if f.event.uid == kari_file.event.uid)
    for ics in (kari_file, per_copy):
        assert ics.calendar.method == "REQUEST"
        assert ics.event.sequence == 0
        assert_same_instant(ics, kari_meeting)
        assert ics.event.dtend - ics.event.dtstart == timedelta(minutes=30)  # the template's duration
        assert ics.event.dtstart.tzinfo.key == "Europe/Oslo"  # the organiser's zone ...
        assert "BEGIN:VTIMEZONE\r\nTZID:Europe/Oslo" in ics.raw  # ... with its VTIMEZONE
        assert ics.event.location == "Fjord"
        assert ics.event.organizer.uri == "mailto:per@example.org"
        assert [a.uri for a in ics.event.attendees] == ["mailto:kari@example.org"]
        assert "Slack" in (ics.event.description or "")
        assert SECRET_TOPIC not in ics.raw  # the topics Per wants to raise stay in Slack
    assert kari_file.event.summary == "Månedlig 1:1 med Per Hansen"
    assert per_copy.event.summary == "Månedlig 1:1 med Kari Nordmann"

    # John, in New York, gets his when his working day starts, and the same instant: 15:30 in Oslo is 09:30
    # for him, written in Per's zone.
    assert files_of(bot, "UJOHN") == []
    bot.at(datetime(2026, 11, 23, 14, 0, tzinfo=UTC))
    (john_file,) = files_of(bot, "UJOHN")
    assert_same_instant(john_file, meeting_of(bot, "UJOHN"))
    assert john_file.event.dtstart.astimezone(ZoneInfo("America/New_York")).hour == 9
    assert john_file.event.summary == "Monthly 1:1 with Per Hansen"  # in John's language
    assert john_file.event.location == "https://meet.example.org/per-john"
    assert john_file.event.uid != kari_file.event.uid

    # Slack's upload the way Slack wants it now: an upload URL, the bytes, then completing into the DM.
    assert bot.emulator.count_calls("files.getUploadURLExternal") == 4
    assert bot.emulator.count_calls("files.completeUploadExternal") == 4
    assert bot.emulator.count_calls("files.upload") == 0

    # A second tick sends nothing again.
    bot.tick()
    assert len(files_of(bot, "UKARI")) == 1 and len(files_of(bot, "UPER")) == 2


# --- rescheduling both ways, across DST ---------------------------------------------------------------------


def test_per_moves_a_1_1_across_the_october_dst_change_and_reminders_follow(bot: Harness) -> None:
    team(bot, datetime(2026, 10, 12, 7, 0, tzinfo=UTC))  # Monday 12 October, 09:00 in Oslo
    invite(bot, "USVEN", "2026-10-23", "10:00")  # Friday, summer time (+02:00)
    bot.tick()
    (first,) = files_of(bot, "USVEN")
    assert first.event.dtstart.utcoffset() == timedelta(hours=2)
    confirmation = invitation_sent(bot)

    # From his confirmation of the invitation, Per moves it to Monday after the clocks went back.
    modal = after(bot, "UPER", lambda: bot.d.click("UPER", confirmation, "meeting_move_open"), what="view")
    assert bot.d.view_submission("UPER", modal, {"date": "2026-10-26", "time": "10:00", "place": "Rom Sjø"}).ok
    settle(bot, lambda: meeting_of(bot, "USVEN").calendar_sequence == 1)
    bot.tick()
    moved = meeting_of(bot, "USVEN")
    assert moved.scheduled_at == datetime(2026, 10, 26, 9, 0, tzinfo=UTC)  # 10:00 in Oslo, winter time
    sven_files, per_files = files_of(bot, "USVEN"), files_of(bot, "UPER")
    assert len(sven_files) == 2
    update = sven_files[-1]
    assert update.calendar.method == "REQUEST"
    assert update.event.uid == first.event.uid
    assert update.event.sequence == 1 > first.event.sequence
    assert update.event.dtstart.utcoffset() == timedelta(hours=1)
    assert_same_instant(update, moved)
    assert update.event.location == "Rom Sjø"
    assert next(f for f in reversed(per_files) if f.event.uid == first.event.uid).event.sequence == 1
    assert "har ändrats: det är nu måndag 26 oktober kl. 10:00" in text_of(last_dm(bot, "USVEN"))  # Sven's zone

    # The reminder, the brief and the question afterwards go by the new time; the old ones are dropped.
    count = len(dm(bot, "USVEN"))
    bot.at(datetime(2026, 10, 23, 9, 0, tzinfo=UTC))  # the old meeting is over: nothing is asked about it
    assert not any("överens" in text_of(m) for m in dm(bot, "USVEN")[count:])
    with bot.repo() as repo:
        rows = [(r.kind, r.status, r.payload) for r in repo.session.exec(select(Outbox)).all()]
    old, new = moved_from_to(rows, "brief", "2026-10-23T10:00:00+02:00", "2026-10-26T10:00:00+01:00")
    assert old == ["cancelled"] and new == ["sent"]  # Friday is the working day before both times
    brief = next(m for m in reversed(dm(bot, "UPER")) if "<@USVEN>" in text_of(m) and "i morgen" in text_of(m))
    assert "mandag 26. oktober kl. 10:00" in text_of(brief)
    bot.at(datetime(2026, 10, 26, 9, 31, tzinfo=UTC))  # 10:31 in Oslo and Stockholm: the meeting is over
    assert "överens" in text_of(last_dm(bot, "USVEN"))


def moved_from_to(rows: list[tuple[str, str, str]], kind: str, old: str, new: str) -> tuple[list[str], list[str]]:
    """The statuses of the outbox rows of one kind planned for the old time and for the new one."""

    def at(moment: str) -> list[str]:
        wanted = datetime.fromisoformat(moment)
        return [s for k, s, p in rows if k == kind and datetime.fromisoformat(json.loads(p)["scheduled_at"]) == wanted]

    return at(old), at(new)


def test_kari_proposes_another_time_and_per_accepts_it_across_the_march_dst_change(bot: Harness) -> None:
    team(bot, datetime(2027, 3, 15, 8, 0, tzinfo=UTC))  # Monday 15 March, 09:00 in Oslo
    invite(bot, "UKARI", "2027-03-26", "09:00")  # Friday, winter time (+01:00)
    bot.tick()
    (first,) = files_of(bot, "UKARI")
    assert first.event.dtstart.utcoffset() == timedelta(hours=1)

    # Kari opens her Home tab and proposes Monday 29 March, after the clocks went forward.
    bot.d.app_home_opened("UKARI")
    settle(bot, lambda: bot.emulator.home_view("UKARI") is not None)
    home = bot.emulator.home_view("UKARI")
    assert home is not None
    mid = meeting_of(bot, "UKARI").id
    modal = after(
        bot,
        "UKARI",
        lambda: bot.d.block_action("UKARI", "meeting_propose_open", source=home, block_id=f"upcoming:{mid}"),
        what="view",
    )
    sent = after(
        bot,
        "UKARI",
        lambda: bot.d.view_submission("UKARI", modal, {"date": "2027-03-29", "time": "09:00", "note": "Kurs fredag"}),
    )
    assert "Sendt til lederen din" in text_of(sent)
    bot.tick()
    question = last_dm(bot, "UPER")
    assert "<@UKARI> ber om å flytte 1:1-samtalen" in text_of(question) and "Kurs fredag" in text_of(question)
    assert meeting_of(bot, "UKARI").scheduled_at == datetime(2027, 3, 26, 8, 0, tzinfo=UTC)  # not moved yet

    bot.d.click("UPER", question, "proposal_accept")
    # a double click: the second arrives after the first changed the message, and changes nothing again
    bot.d.block_action("UPER", "proposal_accept", source=question, block_id=f"proposal:{mid}", value=str(mid))
    settle(bot, lambda: meeting_of(bot, "UKARI").calendar_sequence == 1)
    bot.tick()
    moved = meeting_of(bot, "UKARI")
    assert moved.scheduled_at == datetime(2027, 3, 29, 7, 0, tzinfo=UTC)  # 09:00 in Oslo, summer time
    assert moved.calendar_sequence == 1
    kari_files = files_of(bot, "UKARI")
    assert [f.event.sequence for f in kari_files] == [0, 1]
    assert {f.event.uid for f in kari_files} == {first.event.uid}
    assert kari_files[-1].event.dtstart.utcoffset() == timedelta(hours=2)
    assert_same_instant(kari_files[-1], moved)
    assert "er flyttet til" in text_of(bot.emulator.message("UPER", question["ts"]) or {})


def test_per_declines_svens_proposal_and_the_time_stays(bot: Harness) -> None:
    team(bot, datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
    invite(bot, "USVEN", "2026-12-03", "13:00")
    bot.tick()
    mid = meeting_of(bot, "USVEN").id
    invitation = last_dm(bot, "USVEN")
    modal = after(bot, "USVEN", lambda: bot.d.click("USVEN", invitation, "meeting_propose_open"), what="view")
    after(bot, "USVEN", lambda: bot.d.view_submission("USVEN", modal, {"date": "2026-12-04", "time": "13:00"}))
    bot.tick()
    question = last_dm(bot, "UPER")
    bot.d.click("UPER", question, "proposal_decline")
    settle(bot, lambda: meeting_of(bot, "USVEN").proposed_at is None)
    bot.tick()
    assert "behåller 1:1-samtalet" in text_of(last_dm(bot, "USVEN"))
    kept = meeting_of(bot, "USVEN")
    assert kept.id == mid and kept.calendar_sequence == 0
    assert kept.scheduled_at == datetime(2026, 12, 3, 12, 0, tzinfo=UTC)  # 13:00 in Oslo, Per's zone
    assert len(files_of(bot, "USVEN")) == 1  # nothing changed, so no new file


def test_a_proposal_in_the_past_is_refused_by_the_invitations_own_check(bot: Harness) -> None:
    team(bot, datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
    invite(bot, "UOLA", "2026-12-03", "10:00")
    bot.tick()
    modal = after(bot, "UOLA", lambda: bot.d.click("UOLA", last_dm(bot, "UOLA"), "meeting_propose_open"), what="view")
    result = bot.d.view_submission("UOLA", modal, {"date": "2026-11-20", "time": "10:00"})
    assert "passert" in result.json["errors"]["date"]
    assert meeting_of(bot, "UOLA").proposed_at is None


# --- cancelling ------------------------------------------------------------------------------------------------


def test_a_cancelled_1_1_leaves_both_calendars_with_a_cancel_and_nothing_more_is_sent(bot: Harness) -> None:
    team(bot, datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
    invite(bot, "UJOHN", "2026-12-03", "15:00")
    bot.at(datetime(2026, 11, 23, 14, 0, tzinfo=UTC))  # 09:00 in New York: John's day starts
    confirmation = invitation_sent(bot)
    modal = after(bot, "UPER", lambda: bot.d.click("UPER", confirmation, "meeting_skip_open"), what="view")
    assert bot.d.view_submission("UPER", modal, {"reason": "Per er syk"}).ok
    settle(bot, lambda: meeting_of(bot, "UJOHN").status == "skipped")
    bot.tick()
    john = files_of(bot, "UJOHN")
    assert [f.calendar.method for f in john] == ["REQUEST", "CANCEL"]
    cancel = john[-1]
    assert cancel.event.uid == john[0].event.uid and cancel.event.sequence == 1
    assert cancel.event.status == "CANCELLED"
    assert_same_instant(cancel, meeting_of(bot, "UJOHN"))
    assert "Per er syk" not in cancel.raw  # the reason is Per's own
    assert "cancelled" in text_of(last_dm(bot, "UJOHN"))
    assert files_of(bot, "UPER")[-1].calendar.method == "CANCEL"
    # No reminder, brief or question afterwards for a meeting that will not be.
    count = len(dm(bot, "UJOHN"))
    bot.at(datetime(2026, 12, 3, 16, 0, tzinfo=UTC))
    assert len(dm(bot, "UJOHN")) == count


def test_a_new_manager_takes_the_old_pairs_coming_1_1_out_of_both_calendars(bot: Harness) -> None:
    """Sven is invited by Per for 10 December; then Sven moves to Ola's team. The 1:1 with Per will not be:
    both get its cancellation (same UID, SEQUENCE raised), and nothing more about it is sent."""
    team(bot, datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
    invite(bot, "USVEN", "2026-12-10", "10:00")
    bot.tick()
    (request,) = files_of(bot, "USVEN")
    pair(bot, "UOLA", "USVEN")  # the next import says Sven reports to Ola now
    report = bot.tick()
    assert report.plan.cancelled == 2  # one file each
    sven, per = files_of(bot, "USVEN"), files_of(bot, "UPER")
    assert [f.calendar.method for f in sven] == ["REQUEST", "CANCEL"]
    cancel = sven[-1]
    assert cancel.event.uid == request.event.uid and cancel.event.sequence == request.event.sequence + 1
    assert_same_instant(cancel, meeting_of_pairing_with(bot, "UPER", "USVEN"))
    assert per[-1].calendar.method == "CANCEL" and per[-1].event.uid == request.event.uid
    assert bot.tick().plan.cancelled == 0  # once
    count = len(dm(bot, "USVEN"))
    bot.at(datetime(2026, 12, 10, 12, 0, tzinfo=UTC))  # the old meeting's time: no brief, no question afterwards
    assert not [m for m in dm(bot, "USVEN")[count:] if "<@UPER>" in text_of(m)]


def meeting_of_pairing_with(bot: Harness, manager: str, employee: str) -> Meeting:
    with bot.repo() as repo:
        m, e = (repo.person_by_slack(bot.emulator.team_id, u) for u in (manager, employee))
        assert m is not None and e is not None
        found = repo.session.exec(
            select(Meeting).join(Pairing).where(Pairing.manager_id == m.id, Pairing.employee_id == e.id)
        ).first()
        assert found is not None
        return found


# --- the feed --------------------------------------------------------------------------------------------------


@pytest.fixture
def feed_bot(bot: Harness) -> Harness:
    bot.overrides["mal_public_url"] = "https://mal.example.org/"
    bot.restart()
    return bot


def feed_link(bot: Harness, user: str) -> str:
    bot.d.app_home_opened(user)
    settle(bot, lambda: "/calendar/" in str(bot.emulator.home_view(user)))
    home = text_of({"blocks": (bot.emulator.home_view(user) or {})["blocks"]})
    start = home.index("https://mal.example.org/calendar/")
    return home[start : home.index(".ics", start) + 4]


@dataclass(frozen=True)
class Fetched:
    status_code: int
    headers: dict[str, str]
    text: str


def fetch(bot: Harness, link: str) -> Fetched:
    """What a calendar client gets when it fetches the link (the public address stands for the test server)."""
    assert bot.server is not None
    try:
        with urllib.request.urlopen(link.replace("https://mal.example.org", bot.server.url), timeout=10) as resp:
            headers = {k.lower(): v for k, v in resp.headers.items()}
            return Fetched(resp.status, headers, resp.read().decode("utf-8"))
    except urllib.error.HTTPError as exc:
        return Fetched(exc.code, {}, "")


def test_each_person_subscribes_to_their_own_1_1s_and_a_reset_closes_the_old_address(feed_bot: Harness) -> None:
    bot = feed_bot
    team(bot, datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
    for report, day in (("UKARI", "2026-12-03"), ("USVEN", "2026-12-04"), ("UJOHN", "2026-12-07")):
        invite(bot, report, day, "14:00", topics=SECRET_TOPIC)
    bot.tick()

    kari_link, per_link = feed_link(bot, "UKARI"), feed_link(bot, "UPER")
    assert kari_link != per_link
    kari = fetch(bot, kari_link)
    assert kari.status_code == 200 and kari.headers["content-type"].startswith("text/calendar")
    kari_cal = read(kari.text).calendar
    assert [e.summary for e in kari_cal.events] == ["Månedlig 1:1 med Per Hansen"]
    assert kari_cal.events[0].uid == files_of(bot, "UKARI")[0].event.uid
    assert_same_instant(Ics(kari_cal, kari.text), meeting_of(bot, "UKARI"))
    for private in (SECRET_TOPIC, "Sven", "John", "mailto:"):
        assert private not in kari.text  # title, time, place, the other person: nothing else

    per_cal = read(fetch(bot, per_link).text).calendar
    assert sorted(e.summary for e in per_cal.events) == [
        "Månedlig 1:1 med John Smith",
        "Månedlig 1:1 med Kari Nordmann",
        "Månedlig 1:1 med Sven Svensson",
    ]
    assert all(e.dtstart.tzinfo.key == "Europe/Oslo" for e in per_cal.events)

    # A guessed token, another shape of token, and Kari's address after she resets it: 404.
    assert fetch(bot, "https://mal.example.org/calendar/" + "A" * 43 + ".ics").status_code == 404
    assert fetch(bot, "https://mal.example.org/calendar/x.ics").status_code == 404
    answer = bot.d.slash_command("UKARI", "calendar reset")
    new_link = next(w.strip("`") for w in text_of({"blocks": answer.json["blocks"]}).split() if "/calendar/" in w)
    assert new_link != kari_link
    assert fetch(bot, kari_link).status_code == 404
    assert fetch(bot, new_link).status_code == 200
    bot.d.app_home_opened("UKARI")
    settle(bot, lambda: new_link in str(bot.emulator.home_view("UKARI")), "Home shows the new address")
    assert kari_link not in str(bot.emulator.home_view("UKARI"))
    assert fetch(bot, per_link).status_code == 200  # Per's address is his own, untouched


def test_without_a_public_address_home_says_there_is_no_feed(bot: Harness) -> None:
    add_people(bot.emulator)
    pair(bot, "UPER", "UKARI")
    bot.d.app_home_opened("UKARI")
    settle(bot, lambda: bot.emulator.home_view("UKARI") is not None)
    home = text_of({"blocks": (bot.emulator.home_view("UKARI") or {})["blocks"]})
    assert "offentlig nettadresse" in home and "/calendar/" not in home
    answer = bot.d.slash_command("UKARI", "calendar reset")
    assert "offentlig nettadresse" in text_of({"blocks": answer.json["blocks"]})


def test_in_socket_mode_home_says_there_is_no_public_address(feed_bot: Harness) -> None:
    assert feed_bot.svc is not None
    feed_bot.svc.socket_mode = True  # the listeners are the same whichever way Slack reaches them
    add_people(feed_bot.emulator)
    pair(feed_bot, "UPER", "UKARI")
    feed_bot.d.app_home_opened("UKARI")
    settle(feed_bot, lambda: feed_bot.emulator.home_view("UKARI") is not None)
    home = text_of({"blocks": (feed_bot.emulator.home_view("UKARI") or {})["blocks"]})
    assert "offentlig nettadresse" in home and "/calendar/" not in home

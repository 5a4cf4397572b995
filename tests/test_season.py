"""The annual season. Hanne in HR opens it in January with the KS deadline, the end of April; Per leads
six people in Sales, Mona three in Operations. Per shares the team's focus, everyone is reminded over the
weeks, and Hanne follows the numbers — and only the numbers."""

import json
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import select

from bot.app import listener_client
from bot.org_import import format_report, import_org
from bot.views.notices import notice
from flows.cadence import is_holiday
from flows.i18n import translator
from storage.models import Meeting, Season, SeasonPairing
from tests.harness import Harness
from tests.story import after, dm, last_dm, settle, text_of

OSLO = ZoneInfo("Europe/Oslo")
ADMIN = "UHANNE"
PER_TEAM = [f"UA{i}" for i in range(1, 7)]
MONA_TEAM = [f"UB{i}" for i in range(1, 4)]
FOCUS = "Kundeopplevelsen i Bergen"
GOALS = "Tre nye avtaler innen sommeren"
CHALLENGES = "Ny kollega og lite tid"
SECRET = "Jeg tenker på å søke meg bort"


def org(bot: Harness, tmp: Path) -> None:
    """The HR export, with a unit column; one of Per's people has no unit in it."""
    emu = bot.emulator
    emu.add_user(ADMIN, "hanne", real_name="Hanne HR", tz="Europe/Oslo", locale="en-US")
    emu.add_user("UPER", "per", real_name="Per Leder", email="per@example.no", tz="Europe/Oslo", locale="nb-NO")
    emu.add_user("UMONA", "mona", real_name="Mona Leder", email="mona@example.no", tz="Europe/Oslo", locale="nb-NO")
    lines = ["employee;manager;unit"]
    for uid in PER_TEAM + MONA_TEAM:
        emu.add_user(
            uid, uid.lower(), real_name=uid, email=f"{uid.lower()}@example.no", tz="Europe/Oslo", locale="nb-NO"
        )
    lines += [f"{u.lower()}@example.no;per@example.no;{'' if u == 'UA6' else 'Salg'}" for u in PER_TEAM]
    lines += [f"{u.lower()}@example.no;mona@example.no;Drift" for u in MONA_TEAM]
    path = tmp / "org.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert bot.svc is not None
    s = bot.svc.settings
    report = import_org(
        s, bot.svc.engine, listener_client(s.bot_token, s.slack_api_url), path, bot.clock.now(), language="en"
    )
    assert report.ok, report.problems


def with_admin(bot: Harness) -> None:
    bot.overrides["mal_admins"] = ADMIN
    bot.restart()


def season_nudges(bot: Harness, user: str) -> list[dict[str, Any]]:
    return [
        m
        for m in dm(bot, user)
        if any(str(b.get("block_id", "")).startswith("season_nudge:") for b in m.get("blocks") or [])
    ]


def admin_view(bot: Harness) -> str:
    return text_of({"blocks": bot.d.slash_command(ADMIN, "season").json["blocks"]})


def test_a_season_with_a_deadline_spreads_invitations_over_the_remaining_weeks_and_reports_participation_counts(
    bot: Harness, tmp_path: Path
) -> None:
    with_admin(bot)
    bot.clock.set(datetime(2027, 1, 11, 8, 0, tzinfo=UTC))  # Monday 11 January, 09:00 in Oslo
    org(bot, tmp_path)

    # Hanne opens the season: the annual conversation, by the end of April, for everyone.
    modal = after(bot, ADMIN, lambda: bot.d.slash_command(ADMIN, "season open"), what="view")
    deadline_el = next(b["element"] for b in modal["blocks"] if b.get("block_id") == "deadline")
    assert deadline_el["initial_date"] == "2027-04-30"
    units = next(b["element"] for b in modal["blocks"] if b.get("block_id") == "units")
    assert [o["value"] for o in units["options"]] == ["Drift", "Salg"]
    values = {"template": "annual", "deadline": "2027-04-30", "who": "everyone"}
    assert bot.d.view_submission(ADMIN, modal, values).ok
    assert bot.d.view_submission(ADMIN, modal, values).ok  # a double submission
    with bot.repo() as repo:
        assert len(repo.session.exec(select(Season)).all()) == 1
        assert len(repo.session.exec(select(SeasonPairing)).all()) == 9
    settle(bot, lambda: len(dm(bot, ADMIN)) == 2)
    assert "9 new conversations planned" in text_of(dm(bot, ADMIN)[0])
    assert "nothing was added twice" in text_of(dm(bot, ADMIN)[1])

    # Per's first message of the season asks him to share the team's focus first.
    bot.at(datetime(2027, 1, 11, 9, 0, tzinfo=UTC))
    opening = next(m for m in dm(bot, "UPER") if "focus_open" in json.dumps(m))
    focus_modal = after(bot, "UPER", lambda: bot.d.click("UPER", opening, "focus_open"), what="view")
    focus = {"focus_areas": FOCUS, "goals": GOALS, "challenges": CHALLENGES}
    after(bot, "UPER", lambda: bot.d.view_submission("UPER", focus_modal, focus))
    bot.tick()
    for uid in PER_TEAM:
        shown = text_of(last_dm(bot, uid))
        assert FOCUS in shown and GOALS in shown and CHALLENGES in shown
    assert not any(FOCUS in text_of(m) for uid in MONA_TEAM for m in dm(bot, uid))
    # The same focus once more (from /mal focus) posts nothing twice.
    again = after(bot, "UPER", lambda: bot.d.slash_command("UPER", "focus"), what="view")
    after(bot, "UPER", lambda: bot.d.view_submission("UPER", again, focus))
    bot.tick()
    assert sum(FOCUS in text_of(m) for m in dm(bot, "UA1")) == 1

    # The weeks pass; every nudge is recorded with the moment it arrived.
    arrived: dict[str, list[datetime]] = defaultdict(list)
    invited = marked = False
    seen: set[str] = set()
    day = date(2027, 1, 11)
    while day <= date(2027, 5, 3):
        for hour in (6, 9, 13):
            moment = datetime(day.year, day.month, day.day, hour, 0, tzinfo=UTC)
            if moment <= bot.clock.now():
                continue
            bot.at(moment)
            for manager in ("UPER", "UMONA"):
                for nudge in season_nudges(bot, manager):
                    if nudge["ts"] not in seen:
                        seen.add(nudge["ts"])
                        arrived[manager].append(moment)
            if not invited and arrived["UPER"]:
                invited = True
                invite_first_report(bot, day)
            held = next((m for m in dm(bot, "UPER") if "meeting_held" in json.dumps(m)), None)
            if held is not None and not marked:  # after the conversation Per says it was held
                marked = True
                bot.d.click("UPER", held, "meeting_held")
                settle(bot, lambda: "Registrert som holdt" in str(bot.emulator.ephemerals("UPER")))
        if day == date(2027, 2, 15):
            counts = admin_view(bot)
            assert "1 planned" in counts or "1 held" in counts
        day += timedelta(days=1)

    assert len(arrived["UPER"]) == 6 and len(arrived["UMONA"]) == 3
    for manager, moments in arrived.items():
        local = [m.astimezone(OSLO) for m in moments]
        weeks = {m.isocalendar()[:2] for m in local}
        assert len(weeks) == len(local), f"{manager} got two nudges in one week: {local}"
        for m in local:
            assert m.weekday() < 5 and 9 <= m.hour < 16, m
            assert not is_holiday(m.date(), "NO"), m
            assert m.date() <= date(2027, 4, 30) - timedelta(days=7), m
        assert max(weeks) > min(weeks)
    assert {date(2027, 3, 25), date(2027, 3, 26), date(2027, 3, 29)}.isdisjoint(
        m.astimezone(OSLO).date() for ms in arrived.values() for m in ms
    )
    assert arrived["UPER"][0] != arrived["UMONA"][0]  # the managers do not all start the same day

    # After the deadline each manager hears once which conversations were not held, and Hanne how it ended.
    def told(user: str, words: str) -> list[dict[str, Any]]:
        return [m for m in dm(bot, user) if words in text_of(m)]

    per_late = told("UPER", "Fristen for medarbeidersamtalene, fredag 30. april 2027, er ute, og 5 av dine")
    assert len(per_late) == 1 and len(told("UMONA", "og 3 av dine samtaler er ikke holdt")) == 1
    (ended,) = told(ADMIN, ":checkered_flag: The deadline of the annual conversations,")
    assert "9 conversations in all: 1 held · 0 planned · 0 not started · 8 overdue" in text_of(ended)
    bot.at(bot.clock.now() + timedelta(days=1))
    assert len(told("UPER", "er ute, og 5 av dine")) == 1  # once

    # A late date can still be booked from it.
    late = after(bot, "UPER", lambda: bot.d.click("UPER", per_late[0], "season_invite_open"), what="view")
    assert "for nær eller ute" in json.dumps(late, ensure_ascii=False)
    assert late["title"]["text"] == "Årlig medarbeidersamtale"
    booked = bot.d.view_submission("UPER", late, {"date": "2027-05-18", "time": "10:00"})
    assert booked.ok and not (booked.json or {}).get("errors")

    # After the deadline: one held, the rest overdue; per unit, people without a unit under "No unit".
    counts = admin_view(bot)
    assert "9 conversations in all: 1 held · 0 planned · 0 not started · 8 overdue" in counts
    assert "*Salg*: 1 held · 0 planned · 0 not started · 4 overdue" in counts
    assert "*No unit*: 0 held · 0 planned · 0 not started · 1 overdue" in counts
    assert "<@UMONA>: 0 held · 0 planned · 0 not started · 3 overdue" in counts
    for content in (SECRET, FOCUS, GOALS, CHALLENGES):
        assert content not in counts
    bot.d.app_home_opened(ADMIN)
    settle(bot, lambda: bot.emulator.home_view(ADMIN) is not None)
    home = json.dumps(bot.emulator.home_view(ADMIN), ensure_ascii=False)
    assert "1 held" in home and SECRET not in home and FOCUS not in home


def invite_first_report(bot: Harness, today: date) -> None:
    """Per's first season nudge: a date three days ahead is refused, a date ten days ahead is taken, and
    the report finds the team's focus in the invitation."""
    nudge = season_nudges(bot, "UPER")[0]
    shown = text_of(nudge)
    assert "medarbeidersamtale" in shown.lower() or "årlige" in shown.lower()
    assert "1–1½" in shown
    mid = next(b["elements"][0]["value"] for b in nudge["blocks"] if b.get("type") == "actions")
    with bot.repo() as repo:
        meeting = repo.meeting(int(mid))
        assert meeting is not None and meeting.season_id is not None and meeting.template == "annual"
        report = repo.person(repo.pairing(meeting.pairing_id).employee_id)  # type: ignore[union-attr]
        assert report is not None
        employee = report.slack_user_id
    modal = after(bot, "UPER", lambda: bot.d.click("UPER", nudge, "season_invite_open"), what="view")
    picker = next(b["element"] for b in modal["blocks"] if b.get("block_id") == "date")
    initial = date.fromisoformat(picker["initial_date"])
    assert today + timedelta(days=7) <= initial <= date(2027, 4, 30)
    too_soon = bot.d.view_submission("UPER", modal, {"date": (today + timedelta(days=3)).isoformat(), "time": "10:00"})
    assert too_soon.json["response_action"] == "errors"
    assert too_soon.json["errors"]["date"] == notice("season_too_soon", translator("nb"))
    late = bot.d.view_submission("UPER", modal, {"date": "2027-05-03", "time": "10:00"})
    assert late.json["errors"]["date"] == notice("season_after_deadline", translator("nb"))
    assert bot.d.view_submission("UPER", modal, {"date": initial.isoformat(), "time": "10:00"}).ok
    bot.tick()
    invitation = last_dm(bot, employee)
    text = text_of(invitation)
    assert text.startswith("Invitasjon til medarbeidersamtale med Per Leder")
    assert "inviterer deg til samtale: *Årlig medarbeidersamtale*" in text and "Sett av 1–1½ time" in text
    form = after(bot, employee, lambda: bot.d.click(employee, invitation, "prep_form_open"), what="view")
    assert form["title"]["text"] == "Årlig medarbeidersamtale"  # the season's form is titled as the annual one
    assert FOCUS in text and GOALS in text
    assert text.index(FOCUS) < text.index("Hva er det spesielt viktig for deg at vi får snakket om i samtalen?")
    # The report starts preparing; what they write is theirs and Per's, never the admin's.
    after(bot, employee, lambda: bot.d.click(employee, invitation, "prep_start"))
    after(bot, employee, lambda: bot.d.message_im(employee, SECRET))
    counts = admin_view(bot)
    assert "1 planned" in counts and SECRET not in counts


def test_only_admins_see_or_open_the_season(bot: Harness, tmp_path: Path) -> None:
    with_admin(bot)
    bot.clock.set(datetime(2027, 1, 11, 8, 0, tzinfo=UTC))
    org(bot, tmp_path)
    refusal = notice("not_admin", translator("nb"))
    for words in ("season", "season open", "season close", "sesong åpne"):
        answer = bot.d.slash_command("UPER", words)
        assert text_of({"blocks": answer.json["blocks"]}).strip() == refusal
    assert bot.emulator.open_views("UPER") == []
    # A forged opening modal from a manager opens nothing.
    forged = {
        "id": "VFORGED",
        "type": "modal",
        "callback_id": "season_open_submit",
        "private_metadata": "",
        "blocks": after(bot, ADMIN, lambda: bot.d.slash_command(ADMIN, "season open"), what="view")["blocks"],
        "state": {"values": {}},
        "hash": "x",
        "title": {"type": "plain_text", "text": "x"},
    }
    result = bot.d.view_submission("UPER", forged, {"template": "annual", "deadline": "2027-04-30", "who": "everyone"})
    assert result.json["response_action"] == "errors"
    with bot.repo() as repo:
        assert repo.session.exec(select(Season)).all() == []
    # No season yet: Hanne is told how to open one; the team's focus is Per's to share any time (000), and
    # Hanne, who leads nobody, is told there is no team to share it with.
    assert "/mal season open" in text_of({"blocks": bot.d.slash_command(ADMIN, "season").json["blocks"]})
    opened = after(bot, "UPER", lambda: bot.d.slash_command("UPER", "focus"), what="view")
    assert opened["callback_id"] == "focus_submit"
    focus = bot.d.slash_command(ADMIN, "focus")
    assert bot.svc is not None
    assert text_of({"blocks": focus.json["blocks"]}).strip() == notice("no_reports", bot.svc.t(bot.person(ADMIN)))


def test_help_lists_the_season_and_focus_commands(bot: Harness) -> None:
    bot.emulator.add_user("UPER", "per", locale="en-US")
    shown = text_of({"blocks": bot.d.slash_command("UPER", "help").json["blocks"]})
    assert "/mal season" in shown and "/mal focus" in shown


def test_closing_the_season_stops_its_reminders(bot: Harness, tmp_path: Path) -> None:
    with_admin(bot)
    bot.clock.set(datetime(2027, 1, 11, 8, 0, tzinfo=UTC))
    org(bot, tmp_path)
    modal = after(bot, ADMIN, lambda: bot.d.slash_command(ADMIN, "season open"), what="view")
    bot.d.view_submission(
        ADMIN, modal, {"template": "annual", "deadline": "2027-04-30", "who": "chosen", "units": ["Drift"]}
    )
    with bot.repo() as repo:
        members = repo.session.exec(select(SeasonPairing)).all()
        assert len(members) == 3
    closed = bot.d.slash_command(ADMIN, "season close")
    assert "closed" in text_of({"blocks": closed.json["blocks"]})
    bot.at(datetime(2027, 4, 30, 9, 0, tzinfo=UTC))
    assert season_nudges(bot, "UMONA") == []
    with bot.repo() as repo:
        assert all(m.season_id is None for m in repo.session.exec(select(Meeting)).all())


def test_closing_the_season_while_the_database_is_busy_answers_in_time_and_closes_once_it_can(
    bot: Harness, tmp_path: Path
) -> None:
    """Hanne closes the season while a long tick holds the write lock: Slack gets its answer ("saving") within
    its three seconds, and the outcome follows in the same place once the write is through."""
    import time

    from tests.locks import write_lock_held

    with_admin(bot)
    bot.clock.set(datetime(2027, 1, 11, 8, 0, tzinfo=UTC))
    org(bot, tmp_path)
    modal = after(bot, ADMIN, lambda: bot.d.slash_command(ADMIN, "season open"), what="view")
    bot.d.view_submission(ADMIN, modal, {"template": "annual", "deadline": "2027-04-30", "who": "everyone"})
    with write_lock_held(bot.database_url, ("season", "seasonpairing", "meeting", "person", "outbox")):
        started = time.monotonic()
        closing = bot.d.slash_command(ADMIN, "season close")
        answered_in = time.monotonic() - started
        url = bot.d.last_response_url
        with bot.repo() as repo:
            still_open = [s.closed_at for s in repo.session.exec(select(Season)).all()]
        time.sleep(max(0.0, 4.0 - (time.monotonic() - started)))  # the lock stays past Slack's patience
    assert closing.status == 200 and answered_in < 3.0
    assert still_open == [None]
    assert bot.emulator.wait_for(lambda: len(bot.emulator.response_url_posts(url)) >= 1, timeout=40)
    (outcome,) = bot.emulator.response_url_posts(url)
    assert "closed" in text_of(outcome)
    with bot.repo() as repo:
        assert all(s.closed_at is not None for s in repo.session.exec(select(Season)).all())


def test_a_manager_with_many_reports_gets_them_spread_over_every_week() -> None:
    from collections import Counter

    from flows.cadence import WorkingHours
    from flows.season import spread, working_mornings

    mornings = working_mornings(
        datetime(2027, 1, 11, 7, 0, tzinfo=UTC), date(2027, 4, 16), "Europe/Oslo", WorkingHours()
    )
    assert all(m.weekday() < 5 and not is_holiday(m.date(), "NO") for m in mornings)
    assert {m.hour for m in mornings} == {9}  # 09:00 in Oslo, before and after the change to summer time
    per_week = Counter(m.isocalendar()[:2] for m in spread(30, mornings))
    assert len(per_week) == 14 and max(per_week.values()) <= 3


def test_a_report_hired_after_the_season_opened_joins_it_with_the_next_import(bot: Harness, tmp_path: Path) -> None:
    """Siri starts in Per's team in February: HR's next export brings her in, and Per is reminded about her
    conversation before the deadline without Hanne opening the season again."""
    with_admin(bot)
    bot.clock.set(datetime(2027, 1, 11, 8, 0, tzinfo=UTC))
    org(bot, tmp_path)
    modal = after(bot, ADMIN, lambda: bot.d.slash_command(ADMIN, "season open"), what="view")
    assert bot.d.view_submission(ADMIN, modal, {"template": "annual", "deadline": "2027-04-30", "who": "everyone"}).ok

    bot.clock.set(datetime(2027, 2, 15, 8, 0, tzinfo=UTC))
    bot.emulator.add_user("USIRI", "siri", real_name="Siri", email="siri@example.no", tz="Europe/Oslo")
    lines = [*(tmp_path / "org.csv").read_text(encoding="utf-8").splitlines(), "siri@example.no;per@example.no;Salg"]
    path = tmp_path / "org-february.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert bot.svc is not None
    s = bot.svc.settings
    client = listener_client(s.bot_token, s.slack_api_url)
    report = import_org(s, bot.svc.engine, client, path, bot.clock.now(), language="en")
    assert report.ok and report.created == 1 and report.season_joined == 1
    assert "1 pair joined the annual season that is open." in format_report(report, translator("en"))
    again = import_org(s, bot.svc.engine, client, path, bot.clock.now(), language="en")
    assert again.season_joined == 0  # the same file once more adds nobody twice

    with bot.repo() as repo:
        siri = repo.person_by_slack(bot.emulator.team_id, "USIRI")
        assert siri is not None
        member = repo.session.exec(select(SeasonPairing).where(SeasonPairing.employee_id == siri.id)).one()
    assert member.nudge_at is not None
    assert datetime(2027, 2, 15, tzinfo=UTC) <= member.nudge_at <= datetime(2027, 4, 16, 23, 59, tzinfo=UTC)
    bot.at(member.nudge_at + timedelta(hours=1))
    assert any("Siri" in text_of(m) for m in season_nudges(bot, "UPER"))


def test_a_conversation_counts_as_held_when_said_so_and_a_closed_seasons_button_says_it_is_closed(
    bot: Harness, tmp_path: Path
) -> None:
    """Mona's first report's conversation passes its date: still planned, not held, until Mona marks it held.
    Her next nudge's button, after Hanne has closed the season, says the season is closed."""
    with_admin(bot)
    bot.clock.set(datetime(2027, 1, 11, 8, 0, tzinfo=UTC))
    org(bot, tmp_path)
    modal = after(bot, ADMIN, lambda: bot.d.slash_command(ADMIN, "season open"), what="view")
    values = {"template": "annual", "deadline": "2027-04-30", "who": "chosen", "units": ["Drift"]}
    assert bot.d.view_submission(ADMIN, modal, values).ok
    bot.at(datetime(2027, 1, 11, 9, 0, tzinfo=UTC))
    opening = next(m for m in dm(bot, "UMONA") if "focus_open" in json.dumps(m))
    day = datetime(2027, 1, 11, 9, 0, tzinfo=UTC)
    while len(season_nudges(bot, "UMONA")) < 2:
        day += timedelta(hours=6)
        bot.at(day)
    first, second = season_nudges(bot, "UMONA")[:2]
    assert min(float(first["ts"]), float(second["ts"])) > float(opening["ts"])  # the focus request came first
    invite = after(bot, "UMONA", lambda: bot.d.click("UMONA", first, "season_invite_open"), what="view")
    assert invite["title"]["text"] == "Årlig medarbeidersamtale"
    when = (day + timedelta(days=8)).date()
    while when.weekday() >= 5 or is_holiday(when, "NO"):
        when += timedelta(days=1)
    assert bot.d.view_submission("UMONA", invite, {"date": when.isoformat(), "time": "10:00"}).ok
    bot.at(datetime.combine(when, datetime.min.time(), tzinfo=UTC) + timedelta(hours=14))
    assert "1 planned" in admin_view(bot) and "1 held" not in admin_view(bot)  # its date passing is not enough
    held = next(m for m in dm(bot, "UMONA") if "meeting_held" in json.dumps(m))
    bot.d.click("UMONA", held, "meeting_held")
    settle(bot, lambda: "1 held" in admin_view(bot), "marking it held did not count")

    closed = bot.d.slash_command(ADMIN, "season close")
    assert "closed" in text_of({"blocks": closed.json["blocks"]})
    bot.d.click("UMONA", second, "season_invite_open")
    settle(bot, lambda: any("avsluttet" in text_of(e) for e in bot.emulator.ephemerals("UMONA")))

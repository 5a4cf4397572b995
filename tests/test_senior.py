"""The senior conversation of 004, on a birth year nobody is asked for: the admin's org file (or an admin in
Slack) gives it; the year a person turns 60 the season offers them the senior conversation; from 58 the senior
measures are questions of their annual conversation. The year is seen by the person, the manager and admins."""

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from slack_sdk import WebClient

from bot.org_import import import_org
from flows import season
from flows.cadence import WorkingHours
from storage import seasons
from tests.harness import Harness
from tests.story import add_people, after, last_dm, send_invitation, settle, text_of

ORG = """employee,manager,unit,birth_year
kari@example.org,per@example.org,Drift,1968
ola@example.org,per@example.org,Drift,1967
sven@example.org,per@example.org,Drift,
"""
MEASURE = "Hvilke mulige seniorpolitiske tiltak blir vi enige om?"


def _import(bot: Harness, tmp_path: Path, content: str) -> Any:
    path = tmp_path / f"org-{len(list(tmp_path.iterdir()))}.csv"
    path.write_text(content, "utf-8")
    assert bot.svc is not None
    client = WebClient(token="xoxb-emulator", base_url=bot.emulator.api_url)
    return import_org(bot.settings, bot.svc.engine, client, path, bot.clock.now(), language="nb")


def _shown(result: Any) -> str:
    return text_of({"blocks": result.json.get("blocks") or [], "text": result.json.get("text", "")})


def test_birth_years_come_from_the_org_file_or_an_admin_and_are_seen_by_the_three_only(
    emulator: Any, database_url: str, clock: Any, tmp_path: Path
) -> None:
    bot = Harness(emulator, clock, database_url, overrides={"mal_admins": "UADMIN"}).start()
    try:
        add_people(bot.emulator)
        bot.emulator.add_user("UADMIN", "hr", locale="nb-NO")
        bad = _import(bot, tmp_path, "employee,manager,fødselsår\nkari@example.org,per@example.org,68\n")
        assert bad.problems and bad.problems[0].line == 2 and "68" in bad.problems[0].message
        assert _import(bot, tmp_path, ORG).ok
        assert bot.person("UKARI").birth_year == 1968 and bot.person("USVEN").birth_year is None

        # The admin reads and sets it; Per (a manager) and John (nobody's manager here) may not.
        assert "1968" in _shown(bot.d.slash_command("UADMIN", "birthyear <@UKARI|kari>"))
        for who in ("UPER", "UJOHN", "UKARI"):
            refused = _shown(bot.d.slash_command(who, "birthyear <@USVEN|sven> 1960"))
            assert "administrator" in refused or "admin of mal" in refused
        assert bot.person("USVEN").birth_year is None
        assert "1960" in _shown(bot.d.slash_command("UADMIN", "fødselsår <@USVEN|sven> 1960"))
        assert bot.person("USVEN").birth_year == 1960
        # An empty cell in a later file never erases it.
        assert _import(bot, tmp_path, ORG).ok and bot.person("USVEN").birth_year == 1960

        # Kari sees hers in App Home; Per sees it where he chooses her conversation (with the senior one
        # offered only to those of 60 or more this year); John sees it nowhere.
        bot.d.app_home_opened("UKARI")
        settle(bot, lambda: bot.emulator.home_view("UKARI") is not None, "no home")
        assert "Fødselsår: 1968" in str(bot.emulator.home_view("UKARI"))
        per_view = _shown(bot.d.slash_command("UPER", "template <@USVEN|sven>"))
        assert "Fødselsår: 1960" in per_view and "Seniorsamtale" in per_view
        assert "Seniorsamtale" not in _shown(bot.d.slash_command("UPER", "template <@UKARI|kari>"))
        john = _shown(bot.d.slash_command("UJOHN", "template <@UKARI|kari>"))
        bot.d.app_home_opened("UJOHN")
        settle(bot, lambda: bot.emulator.home_view("UJOHN") is not None, "no home")
        assert "1968" not in john + str(bot.emulator.home_view("UJOHN"))
    finally:
        bot.stop()


def test_the_season_offers_the_senior_conversation_at_60_and_asks_senior_measures_from_58(
    bot: Harness, tmp_path: Path
) -> None:
    add_people(bot.emulator)
    bot.emulator.add_user("UADMIN", "hr", locale="nb-NO")
    assert _import(bot, tmp_path, ORG).ok
    now = bot.clock.now()
    with bot.repo() as repo:
        admin = repo.ensure_person(bot.emulator.team_id, "UADMIN", {"is_admin": True})
        opened = season.open_season(
            repo,
            admin,
            admin_ids=(),
            template_key="annual",
            deadline=date(2027, 4, 30),  # Ola turns 60 in 2027, Kari 59, Sven's year is not known
            selector=season.Selector(),
            now=now,
            hours=WorkingHours(),
            tz="Europe/Oslo",
        )
        assert isinstance(opened, season.Opened) and opened.season.id is not None
        for member in seasons.members(repo, opened.season.id):
            member.nudge_at = now
            repo.add(member)
    bot.at(datetime(2026, 11, 23, 10, 0, tzinfo=UTC))
    with bot.repo() as repo:
        by_employee = {m.employee_id: repo.meeting(m.meeting_id or 0) for m in seasons.members(repo, opened.season.id)}
        templates = {uid: by_employee[bot.person(uid).id or 0].template for uid in ("UKARI", "UOLA", "USVEN")}
    assert templates == {"UKARI": "annual", "UOLA": "senior", "USVEN": "annual"}

    def invite(employee: str) -> str:
        nudge = next(
            m for m in reversed(bot.emulator.messages("UPER")) if f"<@{employee}>" in text_of(m) and "season" in str(m)
        )
        modal = after(bot, "UPER", lambda: bot.d.click("UPER", nudge, "season_invite_open"), what="view")
        day = (bot.clock.now() + timedelta(days=10)).date().isoformat()
        send_invitation(bot, "UPER", modal, {"date": day, "time": "10:00"})  # the same time for each: a clash
        bot.tick()
        return text_of(last_dm(bot, employee))

    kari, ola, sven = invite("UKARI"), invite("UOLA"), invite("USVEN")
    assert MEASURE in kari  # 58 or more: the senior measures in her annual conversation
    assert MEASURE in ola and "Seniorperspektiv" in ola  # 60 this year: the senior conversation itself
    assert MEASURE not in sven  # no birth year: never

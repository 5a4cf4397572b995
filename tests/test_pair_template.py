"""A template per pair: the admin's org file names each pair's conversation, the manager changes it with
`/mal template @person` (choices by their titles in the manager's language), App Home shows it, and the
next invitation asks that conversation's questions. While a pair's annual conversation of an open season
is still to be held, its regular nudges pause, and they resume once it is held."""

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from slack_sdk import WebClient
from sqlmodel import select

from bot.org_import import import_org
from flows import season
from flows.cadence import WorkingHours
from flows.i18n import translator
from flows.org import ProblemKind
from storage import seasons
from storage.models import Meeting
from tests.harness import Harness
from tests.story import add_people, after, dm, last_dm, settle, template_of, text_of


def _import(bot: Harness, tmp_path: Path, content: str) -> Any:
    path = tmp_path / f"org-{len(list(tmp_path.iterdir()))}.csv"
    path.write_text(content, "utf-8")
    assert bot.svc is not None
    client = WebClient(token="xoxb-emulator", base_url=bot.emulator.api_url)
    return import_org(bot.settings, bot.svc.engine, client, path, bot.clock.now(), language="nb")


def _shown(result: Any) -> str:
    return text_of({"blocks": result.json.get("blocks") or [], "text": result.json.get("text", "")})


ORG = """employee,manager,cadence,template
kari@example.org,per@example.org,monthly,frequent
sven@example.org,per@example.org,monthly,
john@example.org,per@example.org,monthly,rus
ola@example.org,kari@example.org,,
"""


def test_the_org_file_names_each_pairs_conversation_and_an_unknown_one_is_refused_by_line(
    bot: Harness, tmp_path: Path
) -> None:
    add_people(bot.emulator)
    bad = _import(bot, tmp_path, "employee,manager,samtale\nkari@example.org,per@example.org,fortnightly\n")
    assert [p.kind for p in bad.problems] == [ProblemKind.UNKNOWN_TEMPLATE]
    assert bad.problems[0].line == 2 and "fortnightly" in bad.problems[0].message
    assert "frequent" in bad.problems[0].message  # the keys to choose from are named

    report = _import(bot, tmp_path, ORG)
    assert report.ok, report.problems
    assert [template_of(bot, u) for u in ("UKARI", "USVEN", "UJOHN", "UOLA")] == [
        "frequent",
        "monthly",
        "rus",
        "monthly",
    ]
    # The same file again changes nothing; a changed conversation is an update of the pair, not a new pair.
    again = _import(bot, tmp_path, ORG)
    assert (again.unchanged, again.updated, again.created) == (4, 0, 0)
    changed = _import(bot, tmp_path, ORG.replace("monthly,frequent", "monthly,annual-relational"))
    assert (changed.updated, changed.created, changed.moved) == (1, 0, 0)
    assert template_of(bot, "UKARI") == "annual-relational"


def test_a_manager_chooses_the_conversation_by_its_title_and_the_next_invitation_asks_its_questions(
    bot: Harness, tmp_path: Path
) -> None:
    add_people(bot.emulator)
    assert _import(bot, tmp_path, ORG).ok
    nb = translator("nb")

    # Per asks for Sven's choices: the titles in Bokmål, the current one chosen, no senior conversation
    # (nobody gave Sven's birth year).
    answer = bot.d.slash_command("UPER", "template <@USVEN|sven>")
    shown = _shown(answer)
    assert "Månedlig 1:1" in shown and "Hyppig utviklingssamtale" in shown
    select = next(b["accessory"] for b in answer.json["blocks"] if b.get("block_id", "").startswith("pair_template"))
    assert select["initial_option"]["text"]["text"] == "Månedlig 1:1"
    assert nb._("Senior conversation") not in [o["text"]["text"] for o in select["options"]]

    # Kari (an employee of Per, manager of Ola) may not choose for Sven; Ola not for Kari.
    for who, target in (("UKARI", "USVEN"), ("UOLA", "UKARI")):
        refused = _shown(bot.d.slash_command(who, f"template <@{target}|x>"))
        assert "dine egne medarbeidere" in refused
    assert template_of(bot, "USVEN") == "monthly" and template_of(bot, "UKARI") == "frequent"

    # Per chooses the frequent conversation for Sven in the list.
    message = bot.emulator.ephemerals("UPER")[-1]
    frequent = next(o for o in select["options"] if o["text"]["text"] == "Hyppig utviklingssamtale")
    bot.d.block_action("UPER", "pair_template", source=message, selected_option=frequent)
    settle(bot, lambda: template_of(bot, "USVEN") == "frequent", "template not changed")
    posts = bot.emulator.response_url_posts
    settle(bot, lambda: any("Hyppig utviklingssamtale" in text_of(p) for p in posts()), "no answer")

    # Typing the title works too, in the manager's language; a made-up name is refused by name.
    typed = _shown(bot.d.slash_command("UPER", "template <@UJOHN|john> monthly"))
    assert "Månedlig 1:1" in typed and template_of(bot, "UJOHN") == "monthly"
    made_up = _shown(bot.d.slash_command("UPER", "template <@UJOHN|j> weekly-chat"))
    assert "finnes ingen samtale «weekly-chat»" in made_up

    # App Home: Per sees each report's conversation, Sven sees his own (in Swedish).
    bot.d.app_home_opened("UPER")
    settle(bot, lambda: bot.emulator.home_view("UPER") is not None, "no home")
    home = str(bot.emulator.home_view("UPER"))
    assert home.count("Hyppig utviklingssamtale") >= 2 and "Månedlig 1:1" in home
    bot.d.app_home_opened("USVEN")
    settle(bot, lambda: bot.emulator.home_view("USVEN") is not None, "no home")
    assert "Regelbundet utvecklingssamtal" in str(bot.emulator.home_view("USVEN"))

    # The next nudge for Sven leads to an invitation with the frequent conversation's questions.
    with bot.repo() as repo:
        pairing = repo.active_pairing_of(bot.person("USVEN").id or 0)
        assert pairing is not None and pairing.nudge_at is not None
        nudge_at = pairing.nudge_at
    bot.at(nudge_at + timedelta(hours=1))
    nudge = next(m for m in reversed(dm(bot, "UPER")) if "<@USVEN>" in text_of(m))
    modal = after(bot, "UPER", lambda: bot.d.click("UPER", nudge, "meeting_invite_open"), what="view")
    day = (nudge_at + timedelta(days=10)).date()
    while day.weekday() >= 5:
        day += timedelta(days=1)
    picker = next(b for b in modal["blocks"] if b.get("block_id") == "chosen")  # 004: Per picks the questions
    joy = next(o for g in picker["element"]["option_groups"] for o in g["options"] if o["value"] == "joy")
    assert bot.d.view_submission("UPER", modal, {"date": day.isoformat(), "time": "10:00", "chosen": [joy]}).ok
    bot.tick()
    invitation = text_of(last_dm(bot, "USVEN"))
    assert "Vad ger dig arbetsglädje?" in invitation  # 004's frequent conversation, in Swedish
    assert "Hur ligger du till i förhållande till mål och planer?" not in invitation  # not the monthly themes


def test_the_regular_nudges_pause_while_the_season_conversation_is_due_and_resume_after_it(
    bot: Harness, tmp_path: Path
) -> None:
    add_people(bot.emulator)
    bot.emulator.add_user("UADMIN", "hr", email="hr@example.org", locale="nb-NO")
    assert _import(bot, tmp_path, "employee,manager,cadence\nkari@example.org,per@example.org,weekly\n").ok
    with bot.repo() as repo:
        admin = repo.ensure_person(bot.emulator.team_id, "UADMIN", {"is_admin": True})
        opened = season.open_season(
            repo,
            admin,
            admin_ids=(),
            template_key="annual",
            deadline=date(2027, 4, 30),
            selector=season.Selector(),
            now=bot.clock.now(),
            hours=WorkingHours(),
            tz="Europe/Oslo",
        )
        assert isinstance(opened, season.Opened)
        season_id = opened.season.id

    def monthly_nudges() -> list[dict[str, Any]]:
        return [m for m in dm(bot, "UPER") if any(b.get("block_id", "").startswith("nudge:") for b in m["blocks"])]

    # Eight weeks of Monday ticks: Kari's weekly nudges do not come while her annual conversation waits.
    start = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    for week in range(8):
        bot.at(start + timedelta(weeks=week))
    assert monthly_nudges() == []

    # Per holds the annual conversation (it is marked held); the weekly nudges come again from the next window.
    with bot.repo() as repo:
        member = seasons.members(repo, season_id or 0)[0]
        assert member.meeting_id is not None, "the season's own nudge came in these weeks"
        meeting = repo.meeting(member.meeting_id)
        assert meeting is not None
        meeting.status, meeting.held_at = "held", bot.clock.now()
        repo.add(meeting)
    for week in range(8, 11):
        bot.at(start + timedelta(weeks=week))
    assert len(monthly_nudges()) >= 2
    with bot.repo() as repo:
        regular = [m for m in repo.session.exec(select(Meeting)).all() if m.season_id is None]
    assert regular and all(m.template == "monthly" for m in regular)

"""`/mal` as people type it: adding actions with dates in their language, bad input answered clearly,
long lists paged within Slack's limits, the team view, cadence and absence, and App Home."""

import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import select

from flows import actions
from storage.models import Action, Pairing
from tests.harness import Harness
from tests.story import pair, settle, text_of


@pytest.fixture
def team(bot: Harness) -> Harness:
    bot.emulator.add_user("UPER", "per", real_name="Per", locale="nb-NO")
    bot.emulator.add_user("UKARI", "kari", real_name="Kari", locale="nb-NO")
    bot.emulator.add_user("UJOHN", "john", real_name="John", locale="en-US", tz="America/New_York")
    bot.emulator.add_user("UOLA", "ola", real_name="Ola", locale="nb-NO")
    bot.clock.set(datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
    pair(bot, "UPER", "UKARI")
    pair(bot, "UPER", "UJOHN")
    return bot


def shown(result: Any) -> str:
    return text_of({"blocks": result.json["blocks"]})


def test_manager_adds_an_action_with_a_norwegian_date_and_sees_it(team: Harness) -> None:
    added = team.d.slash_command("UPER", "add <@UKARI|kari> Fullføre kurset innen 15. desember")
    assert added.status == 200
    with team.repo() as repo:
        action = repo.session.exec(select(Action)).one()
    assert action.what == "Fullføre kurset" and action.due == date(2026, 12, 15)
    listing = shown(team.d.slash_command("UPER", "<@UKARI|kari>"))
    assert "Fullføre kurset" in listing


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("add <@UKARI|kari> Fullføre kurset innen 2020-01-01", "har allerede passert"),
        ("add <@UKARI|kari> Fullføre kurset", "Legg til en dato"),
        ("add @kari Fullføre kurset 15.12.2026", "@kari"),
        ("add <@UOLA|ola> Noe 15.12.2026", "egne medarbeidere"),
        ("frobnicate", "frobnicate"),
        ("cadence <@UKARI|kari> sometimes", "/mal cadence"),
    ],
)
def test_bad_input_gets_a_clear_answer_and_changes_nothing(team: Harness, text: str, expected: str) -> None:
    result = team.d.slash_command("UPER", text)
    assert result.status == 200
    assert expected in shown(result)
    with team.repo() as repo:
        assert repo.session.exec(select(Action)).all() == []


def test_help_explains_the_subcommands(team: Harness) -> None:
    text = shown(team.d.slash_command("UJOHN", "help"))
    for sub in ("/mal add", "/mal team", "/mal cadence", "/mal away"):
        assert sub in text


def test_overdue_actions_listed_first_and_long_lists_page(team: Harness) -> None:
    per, kari = team.person("UPER"), team.person("UKARI")
    with team.repo() as repo:
        for n in range(40):
            actions.add(
                repo,
                per,
                kari,
                what=f"Tiltak {n:02d}",
                due=date(2026, 12, 1 + n % 28),
                owner=kari,
                now=team.clock.now(),
                today=date(2026, 11, 23),
            )
    team.clock.set(datetime(2026, 12, 5, 9, 0, tzinfo=UTC))  # four days of actions are now overdue
    result = team.d.slash_command("UPER", "")
    blocks = result.json["blocks"]
    assert len(blocks) <= 50
    text = shown(result)
    assert "over fristen" in text.lower()
    first = text.index("Tiltak 00")
    assert first < text.index("Tiltak 05")  # due 1 December (overdue) before 6 December
    assert "Side 1 av 3" in text
    message = team.emulator.ephemerals("UPER")[-1]
    team.d.click("UPER", message, "actions_page_next")
    settle(team, lambda: bool(team.emulator.response_url_posts()), "no next page")
    page2 = text_of(team.emulator.response_url_posts()[-1])
    assert "Side 2 av 3" in page2 and "Tiltak 00" not in page2


def test_team_view_changes_cadence_and_pauses(team: Harness) -> None:
    result = team.d.slash_command("UPER", "team")
    assert "<@UKARI>" in shown(result) and "<@UJOHN>" in shown(result)
    message = team.emulator.ephemerals("UPER")[-1]
    kari_pairing = next(b for b in result.json["blocks"] if "<@UKARI>" in str(b.get("text")))
    pid = kari_pairing["block_id"].split(":")[1]
    team.d.block_action(
        "UPER",
        "team_cadence",
        source=message,
        block_id=kari_pairing["block_id"],
        selected_option={"text": {"type": "plain_text", "text": "x"}, "value": f"{pid}:quarterly"},
    )
    team.d.click("UPER", message, "team_pause")
    settle(team, lambda: len(team.emulator.response_url_posts()) >= 2, "team view not refreshed")
    with team.repo() as repo:
        pairings = {p.id: p for p in repo.session.exec(select(Pairing)).all()}
    assert pairings[int(pid)].cadence == "quarterly"
    assert any(p.paused for p in pairings.values())


def test_employee_changes_cadence_and_goes_away(team: Harness) -> None:
    result = team.d.slash_command("UJOHN", "cadence biweekly")
    assert "<@UPER>" in shown(result)
    with team.repo() as repo:
        pairing = repo.active_pairing_of(team.person("UJOHN").id or 0)
        assert pairing is not None and pairing.cadence == "biweekly"
    away = team.d.slash_command("UJOHN", "away 2026-12-24")
    assert "24 December" in shown(away)
    assert team.person("UJOHN").away_until == date(2026, 12, 24)
    team.d.slash_command("UJOHN", "back")
    assert team.person("UJOHN").away_until is None


def test_away_person_gets_nothing_until_back(team: Harness) -> None:
    team.d.slash_command("UPER", "away 2026-11-30")
    team.tick()
    assert team.emulator.messages("UPER") == []
    team.at(datetime(2026, 12, 1, 9, 0, tzinfo=UTC))
    assert len(team.emulator.messages("UPER")) == 2  # the two nudges, the first working morning after


def test_app_home_shows_own_actions_and_team_overview(team: Harness) -> None:
    per, kari = team.person("UPER"), team.person("UKARI")
    with team.repo() as repo:
        actions.add(
            repo,
            per,
            kari,
            what="Fullføre kurset",
            due=date(2026, 11, 24),
            owner=kari,
            now=team.clock.now(),
            today=date(2026, 11, 23),
        )
    team.clock.set(datetime(2026, 11, 30, 9, 0, tzinfo=UTC))
    team.d.app_home_opened("UPER")
    settle(team, lambda: team.emulator.home_view("UPER") is not None, "no home for Per")
    per_home = text_of(team.emulator.home_view("UPER") or {})
    assert "<@UKARI>" in per_home and "1 over fristen" in per_home
    assert "Fullføre kurset" not in per_home  # the team overview shows counts, not content
    team.d.app_home_opened("UKARI")
    settle(team, lambda: team.emulator.home_view("UKARI") is not None, "no home for Kari")
    assert "Fullføre kurset" in text_of(team.emulator.home_view("UKARI") or {})


def test_choosing_english_in_app_home_changes_the_language(team: Harness) -> None:
    team.d.app_home_opened("UKARI")
    settle(team, lambda: team.emulator.home_view("UKARI") is not None, "no home")
    home = team.emulator.home_view("UKARI") or {}
    team.d.click("UKARI", home, "home_language", option="en")
    settle(team, lambda: team.person("UKARI").language == "en", "language not saved")
    assert "No open actions" in shown(team.d.slash_command("UKARI", ""))


def test_manager_postpones_an_action_from_mal_and_the_change_is_recorded(team: Harness) -> None:
    per, kari = team.person("UPER"), team.person("UKARI")
    with team.repo() as repo:
        added = actions.add(
            repo,
            per,
            kari,
            what="Fullføre kurset",
            due=date(2026, 12, 1),
            owner=kari,
            now=team.clock.now(),
            today=date(2026, 11, 23),
        )
        assert isinstance(added, actions.Added)
        action_id = added.action.id
    team.d.slash_command("UPER", "")
    message = team.emulator.ephemerals("UPER")[-1]
    from tests.story import after

    modal = after(team, "UPER", lambda: team.d.click("UPER", message, "action_postpone"), what="view")
    past = team.d.view_submission("UPER", modal, {"due": "2026-11-01"})
    assert past.json["response_action"] == "errors"
    team.d.view_submission("UPER", modal, {"due": "2027-01-15"})
    settle(team, lambda: bool(team.emulator.response_url_posts()), "list not refreshed")
    with team.repo() as repo:
        action = repo.action(action_id or 0)
        assert action is not None and action.due == date(2027, 1, 15)
        events = repo.action_events(action_id or 0)
    assert [(e.kind, e.old_due, e.new_due) for e in events][-1] == ("postponed", date(2026, 12, 1), date(2027, 1, 15))
    assert events[-1].by_id == per.id


def test_manager_skips_one_and_snoozes_another(team: Harness) -> None:
    from tests.story import after, dm

    team.tick()
    nudges = dm(team, "UPER")
    assert len(nudges) == 2
    skip = after(team, "UPER", lambda: team.d.click("UPER", nudges[0], "meeting_skip_open"), what="view")
    empty = team.d.view_submission("UPER", skip, {"reason": " "})
    assert empty.json["response_action"] == "errors"
    team.d.view_submission("UPER", skip, {"reason": "Ferie"})
    team.d.click("UPER", nudges[1], "meeting_snooze")
    settle(team, lambda: "Ferie" in str(_meetings(team)), "not skipped")
    settle(team, lambda: any("snooze" in k for k in _outbox_keys(team)), "not snoozed")
    # A week later the snoozed one comes back; the skipped one does not.
    team.at(datetime(2026, 11, 30, 9, 0, tzinfo=UTC))
    again = [
        m
        for m in dm(team, "UPER")
        if any(str(b.get("block_id", "")).startswith("nudge:") for b in m.get("blocks") or [])
    ]
    # The two first nudges were replaced by what Per decided; one new nudge, for the snoozed meeting.
    assert len(dm(team, "UPER")) == 3
    snoozed_id = next(b["block_id"] for b in nudges[1]["blocks"] if str(b.get("block_id", "")).startswith("nudge:"))
    assert len(again) == 1 and any(b.get("block_id") == snoozed_id for b in again[0]["blocks"])


def _meetings(team: Harness) -> list[Any]:
    from storage.models import Meeting

    with team.repo() as repo:
        return [(m.status, m.skip_reason) for m in repo.session.exec(select(Meeting)).all()]


def _outbox_keys(team: Harness) -> list[str]:
    from storage.models import Outbox

    with team.repo() as repo:
        return [o.key for o in repo.session.exec(select(Outbox)).all()]


def test_paging_through_a_long_team_list_shows_overdue_first_and_counts_everything(team: Harness) -> None:
    pair(team, "UJOHN", "UOLA")  # Ola is not Per's report: Per is responsible for one of her actions all the same
    per, kari, john, ola = (team.person(u) for u in ("UPER", "UKARI", "UJOHN", "UOLA"))
    start = date(2026, 11, 23)
    planned: list[tuple[date, str]] = []
    with team.repo() as repo:
        for n in range(34):
            employee = (kari, john, ola)[n % 3] if n < 33 else kari
            owner = per if employee is ola else employee
            due = start + timedelta(days=(n * 7) % 31)
            status = "done" if n in (4, 9) else "open"
            repo.add(
                Action(
                    team_id=per.team_id,
                    employee_id=employee.id or 0,
                    owner_id=owner.id or 0,
                    what=f"Punkt-{n:02d}",
                    due=due,
                    status=status,
                    created_by=per.id or 0,
                )
            )
            if status == "open" and (employee is not ola or owner is per):
                planned.append((due, f"Punkt-{n:02d}"))
        repo.add(
            Action(
                team_id=per.team_id,
                employee_id=ola.id or 0,
                owner_id=ola.id or 0,
                what="Punkt-ola-alene",
                due=start,
                created_by=ola.id or 0,
            )
        )
    team.clock.set(datetime(2026, 12, 5, 9, 0, tzinfo=UTC))
    today = date(2026, 12, 5)
    expected = [what for _, what in sorted(planned, key=lambda p: (p[0], int(p[1][-2:])))]
    overdue = sum(1 for due, _ in planned if due < today)
    assert len(expected) > 2 * 15 and 0 < overdue < len(expected)

    first = team.d.slash_command("UPER", "")
    pages = [shown(first)]
    message = team.emulator.ephemerals("UPER")[-1]
    for n in (2, 3):
        before = len(team.emulator.response_url_posts())
        team.d.click("UPER", message, "actions_page_next")
        settle(team, lambda before=before: len(team.emulator.response_url_posts()) > before, f"no page {n}")
        pages.append(text_of(team.emulator.response_url_posts()[-1]))
        message = team.emulator.ephemerals("UPER")[-1]  # the ephemeral as it now reads, with its own buttons

    seen = [re.findall(r"Punkt-\d\d", page) for page in pages]
    assert [len(s) for s in seen] == [15, 15, len(expected) - 30]
    assert [what for s in seen for what in s] == expected  # overdue (earliest) first, then by due date
    for n, page in enumerate(pages, start=1):
        assert f"{len(expected)} åpne tiltak · {overdue} over fristen" in page
        assert f"Side {n} av 3" in page
    assert "Punkt-ola-alene" not in " ".join(pages)


def test_a_new_persons_parallel_first_requests_make_one_person_and_both_are_answered(bot: Harness) -> None:
    """Slack sends a newcomer's double-typed /mal (or two clicks) side by side; the second must not fail."""
    from concurrent.futures import ThreadPoolExecutor

    from storage.models import Person

    bot.emulator.add_user("UNEW", "nina", real_name="Nina", locale="nb-NO")
    bot.clock.set(datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(lambda _: bot.d.slash_command("UNEW", "help"), range(6)))
    assert [r.status for r in results] == [200] * 6
    with bot.repo() as repo:
        people = repo.session.exec(select(Person).where(Person.slack_user_id == "UNEW")).all()
    assert len(people) == 1 and people[0].name == "Nina"

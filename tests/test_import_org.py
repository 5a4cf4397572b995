"""Importing who reports to whom, end to end: a CSV file, Slack's directory over HTTP, a migrated database."""

import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.directory import Directory
from bot.emulator.server import SlackEmulator
from bot.org_import import format_report, import_org
from bot.settings import Settings
from flows import org
from flows.i18n import translator
from flows.org import ImportReport, ProblemKind
from storage.db import make_engine, migrate, session_scope
from storage.models import Action, Meeting, Pairing, Person, Workspace

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
TEAM = "T0MAL"

PEOPLE = {
    "U0ANNE": ("anne", "anne@example.no"),
    "U0BJORN": ("bjorn", "bjorn@example.no"),
    "U0CARL": ("carl", "carl@example.no"),
    "U0DINA": ("dina", "dina@example.no"),
    "U0EVA": ("eva", "eva@example.no"),
}


@pytest.fixture(scope="module")
def workspace() -> Iterator[SlackEmulator]:
    """One server for the module: stopping one takes half a second, a fresh workspace per test not."""
    slack = SlackEmulator(team_id=TEAM)
    slack.start()
    yield slack
    slack.stop()


@pytest.fixture
def emulator(workspace: SlackEmulator) -> SlackEmulator:
    workspace.reset()
    workspace.clear_rate_limits()
    for user_id, (name, email) in PEOPLE.items():
        workspace.add_user(user_id, name, email=email, real_name=name.title() + " Hansen", locale="nb-NO")
    return workspace


@pytest.fixture
def client(emulator: SlackEmulator) -> WebClient:
    return WebClient(token="xoxb-emulator", base_url=emulator.api_url)


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    db = make_engine(f"sqlite:///{tmp_path / 'mal.db'}")
    migrate(db)
    yield db
    db.dispose()


@pytest.fixture
def settings() -> Settings:
    return Settings(mal_timezone="Europe/Oslo", mal_locale="en", mal_invite_lead_days=10)


@pytest.fixture
def run(tmp_path: Path, settings: Settings, engine: Engine, client: WebClient) -> "Runner":
    return Runner(tmp_path, settings, engine, client)


class Runner:
    """Writes a CSV file and imports it the way the CLI does."""

    def __init__(self, tmp_path: Path, settings: Settings, engine: Engine, client: WebClient) -> None:
        self.tmp_path, self.settings, self.engine, self.client = tmp_path, settings, engine, client
        self.files = 0

    def __call__(self, content: str | bytes, *, now: datetime = NOW, language: str = "en") -> ImportReport:
        self.files += 1
        path = self.tmp_path / f"org{self.files}.csv"
        path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
        return import_org(self.settings, self.engine, self.client, path, now, language=language)


def active_pairs(engine: Engine) -> dict[str, str]:
    """employee Slack ID → manager Slack ID for every active pairing."""
    with Session(engine) as session:
        people = {p.id: p.slack_user_id for p in session.exec(select(Person)).all()}
        active = session.exec(select(Pairing).where(col(Pairing.ended_at).is_(None))).all()
        return {people[p.employee_id]: people[p.manager_id] for p in active}


def count(engine: Engine, table: type[Person] | type[Pairing] | type[Workspace]) -> int:
    with Session(engine) as session:
        return len(session.exec(select(table)).all())


def kinds(report: ImportReport) -> list[ProblemKind]:
    return [p.kind for p in report.problems]


BASIC = """employee,manager,cadence,language
bjorn@example.no,anne@example.no,,nn
carl@example.no,anne@example.no,biweekly,
dina@example.no,bjorn@example.no,,
"""


def test_import_creates_people_and_pairings_from_slack_profiles(run: Runner, engine: Engine) -> None:
    report = run(BASIC)

    assert report.ok, report.problems
    assert (report.rows, report.created, report.people_created) == (3, 3, 4)
    assert active_pairs(engine) == {"U0BJORN": "U0ANNE", "U0CARL": "U0ANNE", "U0DINA": "U0BJORN"}
    with Session(engine) as session:
        bjorn = session.exec(select(Person).where(Person.slack_user_id == "U0BJORN")).one()
        assert (bjorn.team_id, bjorn.email, bjorn.name) == (TEAM, "bjorn@example.no", "Bjorn Hansen")
        assert (bjorn.tz, bjorn.slack_locale, bjorn.language, bjorn.active) == ("Europe/Oslo", "nb-NO", "nn", True)
        cadences = {p.employee_id: p.cadence for p in session.exec(select(Pairing)).all()}
        assert sorted(cadences.values()) == ["biweekly", "monthly", "monthly"]
        pairing = session.exec(select(Pairing)).first()
        assert pairing is not None and pairing.nudge_at is not None and pairing.next_window_at is not None
        assert session.get(Workspace, TEAM) is not None


def test_reimporting_the_same_file_changes_nothing(run: Runner, engine: Engine) -> None:
    run(BASIC)
    with Session(engine) as session:
        before = [p.model_dump() for p in session.exec(select(Pairing).order_by(col(Pairing.id))).all()]
        people_before = [p.model_dump() for p in session.exec(select(Person).order_by(col(Person.id))).all()]

    report = run(BASIC, now=NOW + timedelta(days=3))

    assert report.ok
    assert (report.unchanged, report.created, report.moved, report.updated, report.ended) == (3, 0, 0, 0, 0)
    assert (report.people_created, report.people_updated) == (0, 0)
    with Session(engine) as session:
        assert [p.model_dump() for p in session.exec(select(Pairing).order_by(col(Pairing.id))).all()] == before
        assert [p.model_dump() for p in session.exec(select(Person).order_by(col(Person.id))).all()] == people_before


def test_unknown_email_is_reported_by_line_and_nothing_is_imported(run: Runner, engine: Engine) -> None:
    report = run(BASIC + "eva@example.no,nobody@example.no,,\n")

    assert not report.ok
    assert kinds(report) == [ProblemKind.UNKNOWN_USER]
    assert report.problems[0].lines == (5,)
    assert report.problems[0].message == "Line 5: nobody@example.no is not a user in this Slack workspace"
    assert count(engine, Person) == count(engine, Pairing) == count(engine, Workspace) == 0


def test_unknown_manager_on_many_lines_is_one_problem_naming_every_line(run: Runner) -> None:
    report = run(
        "employee,manager\nbjorn@example.no,gone@example.no\ncarl@example.no,gone@example.no\n"
        "dina@example.no,U0NOBODY\n"
    )

    assert [(p.kind, p.lines) for p in report.problems] == [
        (ProblemKind.UNKNOWN_USER, (2, 3)),
        (ProblemKind.UNKNOWN_USER, (4,)),
    ]
    assert report.problems[0].message == "Lines 2, 3: gone@example.no is not a user in this Slack workspace"
    assert "U0NOBODY" in report.problems[1].message


def test_deactivated_user_is_rejected(run: Runner, emulator: SlackEmulator, engine: Engine) -> None:
    emulator.deactivate_user("U0ANNE")

    report = run(BASIC)

    assert [(p.kind, p.lines) for p in report.problems] == [(ProblemKind.DEACTIVATED_USER, (2, 3))]
    assert report.problems[0].message == "Lines 2, 3: anne@example.no is deactivated in Slack"
    assert count(engine, Person) == 0


def test_a_manager_on_many_lines_is_looked_up_once(run: Runner, emulator: SlackEmulator) -> None:
    rows = "".join(f"{e},anne@example.no\n" for e in ["bjorn@example.no", "carl@example.no", "U0DINA"])
    report = run("employee,manager\n" + rows + "eva@example.no,U0ANNE\n")

    assert report.ok, report.problems
    # Each person costs one users.info, whether named by e-mail, by ID or both; an e-mail already seen
    # in a users.info answer needs no lookup.
    assert emulator.count_calls("users.info") == 5
    assert emulator.count_calls("users.lookupByEmail") <= 4


def test_cycle_is_rejected(run: Runner, engine: Engine) -> None:
    report = run("employee,manager\nanne@example.no,bjorn@example.no\nbjorn@example.no,anne@example.no\n")

    assert [(p.kind, p.lines) for p in report.problems] == [(ProblemKind.CYCLE, (2, 3))]
    assert report.problems[0].message == (
        "Lines 2, 3: reporting cycle anne@example.no → bjorn@example.no → anne@example.no (→ means “reports to”)"
    )
    assert count(engine, Pairing) == 0


def test_longer_cycle_names_everyone_in_it(run: Runner) -> None:
    report = run(
        "employee,manager\n"
        "eva@example.no,anne@example.no\n"
        "anne@example.no,bjorn@example.no\n"
        "bjorn@example.no,U0CARL\n"
        "U0CARL,anne@example.no\n"
    )

    assert [(p.kind, p.lines) for p in report.problems] == [(ProblemKind.CYCLE, (3, 4, 5))]
    message = report.problems[0].message
    assert all(name in message for name in ("anne@example.no", "bjorn@example.no", "U0CARL"))
    assert "eva" not in message


def test_cycle_through_a_pairing_not_in_the_file_is_rejected(run: Runner, engine: Engine) -> None:
    assert run("employee,manager\nbjorn@example.no,anne@example.no\n").ok

    report = run("employee,manager\nanne@example.no,bjorn@example.no\n")

    assert kinds(report) == [ProblemKind.CYCLE]
    assert report.problems[0].lines == (2,)
    assert report.problems[0].message.startswith("Line 2: reporting cycle ")
    assert active_pairs(engine) == {"U0BJORN": "U0ANNE"}


def test_changed_manager_moves_pairing_and_keeps_history(run: Runner, engine: Engine) -> None:
    assert run(BASIC).ok
    with session_scope(engine) as session:
        old = session.exec(
            select(Pairing).join(Person, col(Person.id) == Pairing.employee_id).where(Person.slack_user_id == "U0DINA")
        ).one()
        assert old.id is not None
        meeting = Meeting(pairing_id=old.id, period="2026-03-12", status="held", created_at=NOW)
        session.add(meeting)
        session.flush()
        action = Action(
            team_id=TEAM,
            employee_id=old.employee_id,
            owner_id=old.employee_id,
            meeting_id=meeting.id,
            what="Take the course",
            due=date(2026, 4, 1),
            created_by=old.manager_id,
            created_at=NOW,
        )
        session.add(action)
        session.flush()
        old_id, meeting_id, action_id = old.id, meeting.id, action.id

    later = NOW + timedelta(days=20)
    report = run(BASIC.replace("dina@example.no,bjorn@example.no", "dina@example.no,U0EVA"), now=later)

    assert report.ok, report.problems
    assert (report.moved, report.unchanged, report.created, report.people_created) == (1, 2, 0, 1)
    assert active_pairs(engine)["U0DINA"] == "U0EVA"
    with Session(engine) as session:
        ended = session.get(Pairing, old_id)
        assert ended is not None and ended.ended_at == later and ended.nudge_at is None
        kept_meeting, kept_action = session.get(Meeting, meeting_id), session.get(Action, action_id)
        assert kept_meeting is not None and kept_meeting.pairing_id == old_id and kept_meeting.status == "held"
        assert kept_action is not None and kept_action.status == "open" and kept_action.meeting_id == meeting_id


def test_empty_manager_imports_the_person_and_ends_their_pairing(run: Runner, engine: Engine) -> None:
    assert run(BASIC).ok

    report = run("employee,manager\ndina@example.no,\neva@example.no,\n")

    assert report.ok, report.problems
    assert (report.ended, report.unchanged, report.people_created) == (1, 1, 1)
    assert "U0DINA" not in active_pairs(engine)
    with Session(engine) as session:
        assert session.exec(select(Person).where(Person.slack_user_id == "U0EVA")).one().active


def test_cadence_change_updates_and_empty_cadence_keeps_it(run: Runner, engine: Engine) -> None:
    assert run(BASIC).ok

    report = run(
        BASIC.replace(",biweekly,", ",,").replace(
            "dina@example.no,bjorn@example.no,,", "dina@example.no,bjorn@example.no,quarterly,"
        )
    )

    assert (report.updated, report.unchanged) == (1, 2)
    with Session(engine) as session:
        cadences = sorted(p.cadence for p in session.exec(select(Pairing)).all())
    assert cadences == ["biweekly", "monthly", "quarterly"]


def test_broken_encoding_is_a_clear_error(run: Runner, engine: Engine) -> None:
    content = "employee,manager\nbjorn@example.no,anne@example.no\nbjørn@example.no,anne@example.no\n"

    report = run(content.encode("latin-1"))

    assert kinds(report) == [ProblemKind.ENCODING]
    assert report.problems[0].lines == (3,)
    assert "not UTF-8" in report.problems[0].message
    assert count(engine, Person) == 0


def test_byte_order_mark_and_windows_line_ends_are_accepted(run: Runner, engine: Engine) -> None:
    report = run(b"\xef\xbb\xbf" + BASIC.replace("\n", "\r\n").encode("utf-8"))

    assert report.ok, report.problems
    assert report.created == 3


def test_missing_columns_named(run: Runner) -> None:
    report = run("name,boss\nbjorn@example.no,anne@example.no\n")

    assert kinds(report) == [ProblemKind.UNKNOWN_COLUMN, ProblemKind.UNKNOWN_COLUMN, ProblemKind.MISSING_COLUMNS]
    assert report.problems[0].message.startswith("Line 1: unknown column name (the columns mal reads are employee,")
    assert report.problems[2].message == "Line 1: the header (name,boss) is missing the columns employee, manager"


def test_duplicate_employee_names_both_lines(run: Runner) -> None:
    report = run(BASIC + "U0CARL,U0BJORN,,\n")

    assert [(p.kind, p.lines) for p in report.problems] == [(ProblemKind.DUPLICATE_EMPLOYEE, (3, 5))]
    assert report.problems[0].message == "Line 5: U0CARL is already listed on line 3"


def test_the_same_person_by_email_and_by_id_is_a_duplicate(run: Runner) -> None:
    report = run("employee,manager\nbjorn@example.no,anne@example.no\nU0BJORN,U0CARL\n")

    assert [(p.kind, p.lines) for p in report.problems] == [(ProblemKind.DUPLICATE_EMPLOYEE, (2, 3))]


def test_a_long_chain_of_managers_is_no_cycle_and_a_long_loop_is() -> None:
    chain = {f"U{i:06d}": f"U{i + 1:06d}" for i in range(50_000)}
    assert org.find_cycles(chain) == []

    chain["U050000"] = "U000000"
    (cycle,) = org.find_cycles(chain)
    assert len(cycle) == 50_001


def test_quoted_cells_and_blank_lines_keep_line_numbers(run: Runner) -> None:
    report = run('employee,manager\n\n"bjorn@example.no","anne@example.no"\n,,\n"Carl, the\nboss",anne@example.no\n')

    assert [(p.kind, p.lines) for p in report.problems] == [(ProblemKind.NOT_AN_IDENTITY, (5,))]


def test_semicolon_csv_and_slack_ids(run: Runner, engine: Engine) -> None:
    content = "Ansatt;Nærmeste leder;Frekvens;Språk\nu0bjorn;U0ANNE;ukentlig;sv\nU0CARL;U0ANNE;;\n"

    report = run(content)

    assert report.ok, report.problems
    assert active_pairs(engine) == {"U0BJORN": "U0ANNE", "U0CARL": "U0ANNE"}
    with Session(engine) as session:
        bjorn = session.exec(select(Person).where(Person.slack_user_id == "U0BJORN")).one()
        assert bjorn.language == "sv" and bjorn.email == "bjorn@example.no"
        assert sorted(p.cadence for p in session.exec(select(Pairing)).all()) == ["monthly", "weekly"]


def test_every_problem_in_the_file_is_reported_at_once(run: Runner, engine: Engine) -> None:
    report = run(
        "employee;manager;cadence;language\n"
        ";anne@example.no;;\n"
        "bjorn@example.no;anne@example.no;daily;\n"
        "carl@example.no;anne@example.no;;de\n"
        "dina@example.no;dina@example.no;;\n"
        "Eva Hansen;anne@example.no;;\n"
        "U0EVA;eva@example.no;;\n"
    )

    assert [(p.kind, p.lines) for p in report.problems] == [
        (ProblemKind.EMPTY_EMPLOYEE, (2,)),
        (ProblemKind.UNKNOWN_CADENCE, (3,)),
        (ProblemKind.UNKNOWN_LANGUAGE, (4,)),
        (ProblemKind.SELF_MANAGER, (5,)),
        (ProblemKind.NOT_AN_IDENTITY, (6,)),
        (ProblemKind.SELF_MANAGER, (7,)),
    ]
    assert report.problems[1].message == ("Line 3: unknown cadence daily (use weekly, biweekly, monthly or quarterly)")
    assert count(engine, Person) == 0


def test_report_is_formatted_with_a_summary_and_numbered_problems(run: Runner) -> None:
    t = translator("en")
    assert format_report(run(BASIC), t) == (
        "3 rows imported. Pairings: 3 new, 0 moved, 0 updated, 0 unchanged, 0 ended. People: 4 new."
    )

    refused = run("employee,manager\nnobody@example.no,anne@example.no\nanne@example.no,anne@example.no\n")

    assert format_report(refused, t).splitlines() == [
        "Nothing was imported: 2 problems found.",
        "1. Line 2: nobody@example.no is not a user in this Slack workspace",
        "2. Line 3: anne@example.no cannot be their own manager",
    ]


def test_texts_follow_the_language_asked_for(run: Runner) -> None:
    report = run("employee,manager\nnobody@example.no,anne@example.no\n", language="nb")

    nb = translator("nb")
    assert report.problems[0].message == nb.ngettext(
        "Line {lines}: {email} is not a user in this Slack workspace",
        "Lines {lines}: {email} is not a user in this Slack workspace",
        1,
        lines="2",
        email="nobody@example.no",
    )
    assert format_report(report, nb).splitlines()[0] == nb.ngettext(
        "Nothing was imported: {n} problem found.", "Nothing was imported: {n} problems found.", 1
    )


def test_missing_file_is_reported_not_raised(
    settings: Settings, engine: Engine, client: WebClient, tmp_path: Path
) -> None:
    report = import_org(settings, engine, client, tmp_path / "nope.csv", NOW, language="en")

    assert kinds(report) == [ProblemKind.UNREADABLE]
    assert "nope.csv" in report.problems[0].message


def test_slack_failure_is_reported_and_nothing_is_imported(
    run: Runner, emulator: SlackEmulator, engine: Engine
) -> None:
    emulator.fail_next("users.lookupByEmail", "missing_scope")

    report = run(BASIC)

    assert kinds(report) == [ProblemKind.SLACK_ERROR]
    assert "missing_scope" in report.problems[0].message
    assert count(engine, Person) == 0


def test_directory_maps_unknown_and_deactivated_and_lets_other_errors_through(
    client: WebClient, emulator: SlackEmulator
) -> None:
    emulator.deactivate_user("U0EVA")
    directory = Directory(client)

    assert directory.resolve("nobody@example.no") is None
    assert directory.resolve("U0NOBODY") is None
    eva = directory.resolve("eva@example.no")
    assert eva is not None and eva.deleted and eva.locale == "nb-NO" and eva.tz == "Europe/Oslo"
    emulator.fail_next("users.info", "missing_scope")
    with pytest.raises(SlackApiError):
        directory.resolve("U0ANNE")


def test_rate_limited_lookups_wait_and_go_on(client: WebClient, emulator: SlackEmulator) -> None:
    emulator.set_rate_limit("users.info", 2, per_seconds=1.0)
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        time.sleep(seconds)

    found = Directory(client, sleep=sleep).resolve_all(["U0ANNE", "U0BJORN", "U0CARL"])

    assert all(found.values())
    assert waits and emulator.rate_limited_count("users.info") >= 1


def test_ten_thousand_rows(settings: Settings, engine: Engine, tmp_path: Path) -> None:
    managers = [f"U1M{i:04d}" for i in range(99)]
    employees = [f"U2E{i:05d}" for i in range(9900)]
    with SlackEmulator(team_id=TEAM) as big:
        big.add_user("U0CEO", "ceo", email="ceo@big.example")
        for user_id in managers + employees:
            big.add_user(user_id, user_id.lower(), email=f"{user_id.lower()}@big.example")
        lines = ["employee,manager", "ceo@big.example,"]
        lines += [f"{m.lower()}@big.example,ceo@big.example" for m in managers]
        lines += [f"{e.lower()}@big.example,{managers[i % 99]}" for i, e in enumerate(employees)]
        run = Runner(tmp_path, settings, engine, WebClient(token="xoxb-emulator", base_url=big.api_url))

        report = run("\n".join(lines) + "\n")

        assert report.ok, report.problems[:3]
        assert (report.rows, report.created, report.unchanged, report.people_created) == (10_000, 9_999, 1, 10_000)
        assert big.count_calls("users.lookupByEmail") == big.count_calls("users.info") == 0
        assert big.count_calls("users.list") == 11  # the whole directory, 1,000 a page, instead

        again = run("\n".join(lines) + "\n")

        assert (again.unchanged, again.people_created, again.people_updated) == (10_000, 0, 0)
    assert len(active_pairs(engine)) == 9_999

"""Templates as data: every shipped template loads and carries a whole conversation through the real dialogue
and store; a broken custom file is refused with its file and line; a custom file replaces a shipped one;
the senior conversation is offered from the year of 60 and never without a birth year."""

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from flows import checkin, senior
from flows.actions import Added, add
from flows.cadence import WorkingHours
from flows.pairings import pair
from flows.templates import (
    PLAN_COLUMNS,
    Question,
    Rating,
    Template,
    TemplateError,
    configure,
    load_templates,
    measures_due,
    offered_templates,
    parse_answer,
    parse_rating,
    shipped_templates,
    template,
    templates,
)
from storage.db import make_engine, session_scope
from storage.models import Person
from storage.repo import Repo

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
MEETING_AT = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
HOURS = WorkingHours()
SHIPPED = ("monthly", "frequent", "annual", "annual-relational", "rus", "senior")
# Where each plan column lands on an agreed action (``how`` has no column of its own in the store).
ACTION_FIELD = {
    "goal": "goal",
    "action": "what",
    "responsible": "owner_id",
    "deadline": "due",
    "follow_up": "follow_up",
}


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    eng = make_engine(database_url)
    try:
        yield eng
    finally:
        eng.dispose()


@pytest.fixture
def custom_reset() -> Iterator[None]:
    try:
        yield
    finally:
        configure(None)


@contextmanager
def unit(engine: Engine) -> Iterator[Repo]:
    """One unit of work per step, as the bot has: the dialogue's state must survive in the store."""
    with session_scope(engine) as session:
        yield Repo(session)


# --- the shipped templates -----------------------------------------------------------------------------------


def test_every_shipped_template_loads_with_plan_evaluation_and_both_preparations() -> None:
    shipped = shipped_templates()
    assert set(shipped) == set(SHIPPED)
    assert templates() == shipped
    for key, tpl in shipped.items():
        assert tpl.key == key and tpl.title and tpl.source
        assert tpl.employee_prep, key
        assert tpl.manager_prep, key
        assert tpl.evaluation, key
        assert tpl.plan_columns[:4] == ("goal", "action", "responsible", "deadline"), key
        assert set(tpl.plan_columns) <= set(PLAN_COLUMNS)
        assert all(c.label for c in tpl.plan.columns)


def test_monthly_keeps_the_six_themes_first() -> None:
    tpl = template("monthly")
    assert [q.key for q in tpl.employee_prep][:6] == ["goals", "since_last", "learned", "next", "support", "other"]
    assert tpl.employee_prep[0].text == "How are you doing against goals and plans?"


def test_annual_has_the_sections_of_the_ks_form_and_the_end_of_april() -> None:
    tpl = template("annual")
    assert [s.key for s in tpl.sections] == [
        "tasks",
        "values",
        "competence_motivation",
        "career",
        "life_phase_senior",
        "other_topics",
    ]
    assert tpl.cadence == "yearly" and tpl.due_by == "04-30" and tpl.duration_minutes == 90
    # 002: both prepare the form; its 16 questions follow each party's own preparation, in the form's order.
    in_form = [q for s in tpl.sections for q in s.questions]
    assert len(in_form) == 16
    assert list(tpl.employee_prep) == [*tpl.employee_prep[:8], *in_form]
    assert list(tpl.manager_prep) == [*tpl.manager_prep[:9], *in_form]


def test_every_question_of_every_shipped_template_is_prepared_by_someone() -> None:
    for tpl in templates().values():
        asked = {q.key for q in (*tpl.employee_prep, *tpl.manager_prep)}
        never = [q.key for s in tpl.sections for q in s.questions if q.key not in asked]
        assert not never, (tpl.key, never)


def test_rus_rates_the_criteria_with_reasons_and_plans_how_to_follow_up() -> None:
    tpl = template("rus")
    ratings = [q for s in tpl.sections for q in s.questions if q.kind == "rating"]
    assert len(ratings) == 8
    for q in ratings:
        assert [(s.key, s.text) for s in q.scale] == [
            ("needs_development", "Needs development"),
            ("good", "Good"),
            ("very_good", "Very good"),
        ]
        assert q.with_reason
        assert q in tpl.employee_prep and q in tpl.manager_prep  # both prepare by rating
    leadership = next(s for s in tpl.sections if s.key == "leadership")
    assert all(q in tpl.employee_prep and q not in tpl.manager_prep for q in leadership.questions)
    assert tpl.plan_columns == ("goal", "action", "responsible", "deadline", "follow_up")
    assert [g.key for g in tpl.plan.groups] == ["commitments", "development_areas"]
    assert [q.text for q in tpl.evaluation] == [
        "Did you get to say what you wanted?",
        "Do you think the conversation was meaningful?",
    ]


def test_the_harassment_question_is_sensitive_and_says_where_else_to_turn() -> None:
    tpl = template("annual-relational")
    q = tpl.question("harassment")
    assert q is not None and q.sensitive and "only your manager sees it" in q.care_text
    assert q in tpl.employee_prep
    manager_only = {q.key for q in tpl.manager_prep} - {q.key for q in tpl.employee_prep}
    assert {"ahead", "unit_goals", "advice_to_employee"} <= manager_only


# --- a whole conversation per template --------------------------------------------------------------------------


def answer_for(q: Question, index: int) -> str:
    if q.kind == "rating":
        return Rating(q.scale[index % len(q.scale)], f"because of {q.key}").stored()
    if q.kind == "choice":
        chosen = q.choices[index % len(q.choices)]
        return f"{chosen}: because of {q.key}" if q.with_reason else chosen
    return f"answer {index} to {q.key}"


def stored_as(q: Question, typed: str) -> checkin.Answer:
    """How a typed answer is kept: a rating or choice as its step or choice, with the reason apart."""
    if q.kind == "rating":
        rating = parse_rating(q, typed)
        assert rating is not None
        return checkin.Answer(rating.reason, rating.step.key)
    if q.kind == "choice":
        found = parse_answer(q, typed)
        assert found is not None
        return checkin.Answer(found[1], found[0])
    return checkin.Answer(typed)


def evaluation_answers(tpl: Template, who: str) -> dict[str, str]:
    return {q.key: q.choices[0] if q.kind == "choice" else f"{who} on {q.key}" for q in tpl.evaluation}


def run_conversation(engine: Engine, key: str) -> None:
    with unit(engine) as repo:
        manager = repo.add(Person(team_id="T1", slack_user_id="UPER", name="Per", tz="Europe/Oslo"))
        employee = repo.add(Person(team_id="T1", slack_user_id="UKARI", name="Kari", tz="Europe/Oslo", birth_year=1966))
        pairing, outcome = pair(repo, manager, employee, now=NOW, tz="Europe/Oslo", lead=10)
        assert outcome == "created" and pairing.id is not None
        pairing.template = key
        repo.add(pairing)
        meeting = repo.ensure_meeting(
            pairing.id, "2026-12", template=pairing.template, window_start=MEETING_AT, created_at=NOW, status="planned"
        )
        assert meeting.id is not None
        ids = (manager.id, employee.id, meeting.id)
        assert key in [t.key for t in offered_templates(employee.birth_year, NOW.year)]

    manager_id, employee_id, meeting_id = ids
    assert manager_id is not None and employee_id is not None
    tpl = template(key)

    with unit(engine) as repo:
        manager = repo.person(manager_id)
        assert manager is not None
        invited = checkin.invite(
            repo,
            manager,
            meeting_id,
            when=MEETING_AT,
            place="Fjord",
            extra_questions=["core"],
            special_topics="",
            now=NOW,
            hours=HOURS,
            chosen=[q.key for q in tpl.pickable] or None,  # 004: the manager picks; here every question
        )
        assert isinstance(invited, checkin.Invited)

    # The employee answers every question in the DM, one at a time, each step its own unit of work.
    expected: dict[str, checkin.Answer] = {}
    reply: checkin.Reply | None
    with unit(engine) as repo:
        employee = repo.person(employee_id)
        assert employee is not None
        reply = checkin.start(repo, employee, meeting_id, NOW)
    step = 0
    while isinstance(reply, checkin.Prompt):
        q = reply.question
        # the template's questions, the core question, and (Kari is 60) the senior measures of a yearly conversation
        measures = senior.measure_questions(key, 1966, MEETING_AT.year)
        assert reply.total == len(tpl.employee_prep) + 1 + len(measures)
        if q.sensitive:
            assert q.care_text
        answer = answer_for(q, reply.index)
        expected[q.key] = stored_as(q, answer)
        step += 1
        with unit(engine) as repo:
            employee = repo.person(employee_id)
            assert employee is not None
            reply = checkin.on_message(repo, employee, answer, NOW + timedelta(minutes=step))
    assert isinstance(reply, checkin.Summary), reply
    measured = [k.split(":")[1] for k in senior.measure_questions(key, 1966, MEETING_AT.year)]
    assert [q.key for q, _ in reply.items] == [q.key for q in tpl.employee_prep] + ["core", *measured]
    assert {q.key: a for q, a in reply.items} == expected

    with unit(engine) as repo:
        employee, manager = repo.person(employee_id), repo.person(manager_id)
        assert employee is not None and manager is not None
        shared = checkin.share(repo, employee, meeting_id, NOW + timedelta(hours=1))
        assert isinstance(shared, checkin.Summary) and shared.shared
        assert {q.key: a for q, a in shared.items} == expected
        for q, a in shared.items:
            if q.kind == "rating":
                assert a.choice in [s.key for s in q.scale] and a.text == f"because of {q.key}"

    # After the meeting: the plan row in the template's columns, and one evaluation from each.
    after = MEETING_AT + timedelta(minutes=tpl.duration_minutes)
    with unit(engine) as repo:
        held = repo.meeting(meeting_id)
        employee, manager = repo.person(employee_id), repo.person(manager_id)
        assert held is not None and employee is not None and manager is not None
        checkin.mark_held(repo, held, after)
        assert held.status == "held"
        added = add(
            repo,
            manager,
            employee,
            goal="Lead the spring project",
            what="Take the project management course",
            owner=employee,
            due=date(2027, 3, 31),
            now=after,
            today=after.date(),
            meeting_id=meeting_id,
            follow_up="At the next conversation" if "follow_up" in tpl.plan_columns else None,
        )
        assert isinstance(added, Added)
        for column in tpl.plan_columns:
            if column in ACTION_FIELD:
                assert getattr(added.action, ACTION_FIELD[column]), column
        for person, who in ((employee, "employee"), (manager, "manager")):
            assert person.id is not None
            assert checkin.evaluate(repo, person, meeting_id, evaluation_answers(tpl, who), after) is True
            assert checkin.evaluate(repo, person, meeting_id, evaluation_answers(tpl, who), after) is False
            stored = repo.evaluation(meeting_id, person.id)
            assert stored is not None and json.loads(stored.answers) == evaluation_answers(tpl, who)


@pytest.mark.parametrize("key", SHIPPED)
def test_each_template_runs_through_a_whole_conversation(engine: Engine, key: str) -> None:
    run_conversation(engine, key)


def test_a_custom_template_runs_through_the_dialogue_after_configure(
    engine: Engine, tmp_path: Path, custom_reset: None
) -> None:
    (tmp_path / "retro.yaml").write_text(
        'key: retro\ntitle: "Team retro"\nemployee_prep:\n  - key: went_well\n    text: "What went well?"\n'
        '  - key: mood\n    text: "How is the mood?"\n    kind: rating\n    scale:\n'
        '      - {key: low, text: "Low"}\n      - {key: high, text: "High"}\n'
        'evaluation:\n  - key: useful\n    text: "Was the conversation useful?"\n',
        "utf-8",
    )
    configure(tmp_path)
    assert "retro" in templates() and "monthly" in templates()
    run_conversation(engine, "retro")


# --- ratings typed in a DM ---------------------------------------------------------------------------------------


def test_a_rating_is_read_by_key_number_or_text_in_either_language() -> None:
    q = template("rus").question("goal_attainment")
    assert q is not None
    sv = {"Needs development": "Behöver utveckla", "Good": "Bra", "Very good": "Mycket bra"}
    cases = {
        "good: met every target": ("good", "met every target"),
        "3 - exceeded them": ("very_good", "exceeded them"),
        "Very good, exceeded them": ("very_good", "exceeded them"),
        "needs development": ("needs_development", ""),
        "Behöver utveckla: för få mål nådda": ("needs_development", "för få mål nådda"),
        "mycket bra\nvi överträffade målen": ("very_good", "vi överträffade målen"),
    }
    for text, (step, reason) in cases.items():
        rating = parse_rating(q, text, lambda m: sv.get(m, m))
        assert rating is not None, text
        assert (rating.step.key, rating.reason) == (step, reason), text
    assert parse_rating(q, "fine, I think") is None
    assert parse_rating(q, "goodish") is None
    choice = template("rus").evaluation[0]
    assert parse_answer(choice, "partly, there was little time") == ("Partly", "there was little time")
    assert parse_answer(choice, "2") == ("Partly", "")
    assert parse_answer(choice, "maybe") is None


# --- custom templates ---------------------------------------------------------------------------------------------

GOOD = 'key: mine\ntitle: "Mine"\nemployee_prep:\n  - key: one\n    text: "One?"\n'

BROKEN = {
    "unknown top-level key": ('key: mine\ntitle: "Mine"\nquestions: []\n', 3, "unknown key 'questions'"),
    "missing text": ('key: mine\ntitle: "Mine"\nemployee_prep:\n  - key: one\n', 4, "needs 'key' and 'text'"),
    "missing key": ('title: "Mine"\nemployee_prep: []\n', 1, "needs a 'key'"),
    "unknown kind": (GOOD + "    kind: slider\n", 6, "unknown kind 'slider'"),
    "duplicate question key": (GOOD + '  - key: one\n    text: "Again?"\n', 6, "duplicate question key 'one'"),
    "choice without choices": (GOOD + "    kind: choice\n", 4, "needs 'choices'"),
    "rating without scale": (GOOD + "    kind: rating\n", 4, "needs a 'scale'"),
    "unknown scale": (GOOD + "    kind: rating\n    scale: stars\n", 7, "unknown scale 'stars'"),
    "plan column outside the set": (
        GOOD + "plan:\n  columns: [goal, action, budget, deadline]\n",
        7,
        "unknown plan column 'budget'",
    ),
    "plan without a deadline": (GOOD + "plan:\n  columns: [goal, action]\n", 7, "needs the columns deadline"),
    "sensitive without care": (GOOD + "    sensitive: true\n", 4, "needs a 'care_text'"),
    "key of the question menu": (
        'key: mine\ntitle: "Mine"\nemployee_prep:\n  - key: core\n    text: "Stay?"\n',
        4,
        "taken by the question menu",
    ),
    "duplicate key across sections": (
        GOOD
        + 'sections:\n  - key: s\n    title: "S"\n    prepared_by: employee\n    questions:\n'
        + '      - key: one\n        text: "Two?"\n',
        11,
        "duplicate question key 'one'",
    ),
    "a section question nobody prepares": (
        GOOD + 'sections:\n  - key: s\n    title: "S"\n    questions:\n      - key: two\n        text: "Two?"\n',
        10,
        "question 'two' of section 's' names no party",
    ),
    "yaml syntax error": (GOOD + '  - key: two\n    text: "unterminated\n', 8, "YAML syntax error"),
    "bad indentation": ('key: mine\ntitle: "Mine"\n employee_prep: []\n', 3, "YAML syntax error"),
    "not a mapping": ("- one\n- two\n", 1, "must be a mapping"),
    "unquoted yes as a choice": (GOOD + "    kind: choice\n    choices: [Yes, No]\n", 7, "put 'Yes' in quotes"),
    "unknown cadence": (GOOD + "cadence: hourly\n", 6, "unknown cadence 'hourly'"),
    "offer age not a number": (GOOD + "offer:\n  min_age_in_year: sixty\n", 7, "'min_age_in_year' must be"),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_a_malformed_custom_template_is_refused_with_file_line_and_reason(tmp_path: Path, case: str) -> None:
    text, line, reason = BROKEN[case]
    path = tmp_path / "broken.yaml"
    path.write_text(text, "utf-8")
    with pytest.raises(TemplateError) as err:
        load_templates(tmp_path)
    message = str(err.value)
    assert message.startswith(f"{path}:{line}: "), message
    assert reason in message, message
    assert (err.value.file, err.value.line) == (str(path), line)


def test_a_custom_file_overrides_a_shipped_key_and_configure_makes_it_the_one_in_use(
    tmp_path: Path, custom_reset: None
) -> None:
    (tmp_path / "our-monthly.yaml").write_text(
        'key: monthly\ntitle: "Our monthly"\nemployee_prep:\n  - key: goals\n    text: "How are the goals?"\n'
        'evaluation:\n  - key: useful\n    text: "Was the conversation useful?"\n',
        "utf-8",
    )
    (tmp_path / "notes.txt").write_text("not a template", "utf-8")
    loaded = load_templates(tmp_path)
    assert set(loaded) == set(SHIPPED)
    assert loaded["monthly"].title == "Our monthly" and len(loaded["monthly"].employee_prep) == 1
    assert loaded["annual"] == shipped_templates()["annual"]
    assert template("monthly").title == "Monthly 1:1"  # nothing changes until start configures it
    configure(tmp_path)
    assert template("monthly").title == "Our monthly"
    configure(None)
    assert template("monthly").title == "Monthly 1:1"


def test_two_custom_files_with_one_key_and_a_missing_directory_are_refused(tmp_path: Path) -> None:
    for name in ("a.yaml", "b.yaml"):
        (tmp_path / name).write_text(GOOD, "utf-8")
    with pytest.raises(TemplateError, match=r"b\.yaml:1: template key 'mine' is also used by .*a\.yaml:1"):
        load_templates(tmp_path)
    with pytest.raises(TemplateError, match="does not exist"):
        load_templates(tmp_path / "nowhere")


# --- the senior conversation --------------------------------------------------------------------------------------


def offered(birth_year: int | None, year: int) -> list[str]:
    return [t.key for t in offered_templates(birth_year, year)]


def test_senior_is_offered_the_year_the_employee_turns_60_not_at_59_never_without_birth_year() -> None:
    assert "senior" in offered(1966, 2026)  # turns 60 in 2026
    assert "senior" in offered(1950, 2026)  # and later
    assert "senior" not in offered(1967, 2026)  # 59
    assert "senior" not in offered(None, 2026)
    assert set(offered(None, 2026)) == set(SHIPPED) - {"senior"}
    senior = template("senior")
    assert senior.offer is not None and (senior.offer.min_age_in_year, senior.offer.measures_from_age) == (60, 58)


def test_senior_measures_are_a_topic_from_58() -> None:
    assert [t.key for t in measures_due(1968, 2026)] == ["senior"]
    assert measures_due(1969, 2026) == []
    assert measures_due(None, 2026) == []

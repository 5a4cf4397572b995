"""The preparation dialogue as a flow, for every shipped template: rated and chosen questions by click and by
typing, reasons asked when the template wants them, the manager's own preparation kept private, each party's
notes exported and erased with the rest; and the yearly rhythm for the annual conversation."""

import json
from collections.abc import Iterator
from datetime import UTC, date, timedelta
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select

from flows import cadence, checkin, notes, privacy
from flows.commands import parse
from flows.i18n import translator
from flows.pairings import pair
from flows.templates import Question, option_keys, template
from storage.db import make_engine
from storage.models import Person, PrivateNote
from tests.test_templates import HOURS, MEETING_AT, NOW, SHIPPED, unit


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    eng = make_engine(database_url)
    try:
        yield eng
    finally:
        eng.dispose()


def _setup(engine: Engine, key: str) -> dict[str, int]:
    with unit(engine) as repo:
        manager = repo.add(Person(team_id="T1", slack_user_id="UPER", name="Per", tz="Europe/Oslo"))
        employee = repo.add(
            Person(team_id="T1", slack_user_id="USVEN", name="Sven", tz="Europe/Stockholm", birth_year=1966)
        )
        pairing, _ = pair(repo, manager, employee, now=NOW, tz="Europe/Oslo", lead=10)
        assert pairing.id is not None
        pairing.template = key
        repo.add(pairing)
        meeting = repo.ensure_meeting(
            pairing.id, "2026-12", template=key, window_start=MEETING_AT, created_at=NOW, status="planned"
        )
        invited = checkin.invite(
            repo,
            manager,
            meeting.id or 0,
            when=MEETING_AT,
            place="",
            extra_questions=[],
            special_topics="",
            now=NOW,
            hours=HOURS,
            chosen=[q.key for q in template(key).pickable] or None,  # 004: the manager picks; here all of them
        )
        assert isinstance(invited, checkin.Invited)
        kinds = [p.kind for p in invited.planned]
        assert ("manager_prep" in kinds) == bool(template(key).manager_prep)
        assert all(p.recipient == "UPER" for p in invited.planned if p.kind == "manager_prep")
        return {"manager": manager.id or 0, "employee": employee.id or 0, "meeting": meeting.id or 0}


def _person(repo: Any, person_id: int) -> Person:
    person = repo.person(person_id)
    assert person is not None
    return person


@pytest.mark.parametrize("key", SHIPPED)
def test_every_template_is_prepared_by_click_and_by_typing_with_reasons_where_wanted(engine: Engine, key: str) -> None:
    ids = _setup(engine, key)
    sv = translator("sv")
    expected: dict[str, checkin.Answer] = {}
    with unit(engine) as repo:
        reply: checkin.Reply | None = checkin.start(repo, _person(repo, ids["employee"]), ids["meeting"], NOW)
    step = 0
    while isinstance(reply, checkin.Prompt):
        q: Question = reply.question
        step += 1
        now = NOW + timedelta(minutes=step)
        with unit(engine) as repo:
            sven = _person(repo, ids["employee"])
            if q.kind == "text":
                reply = checkin.on_message(repo, sven, f"svar {step}", now, sv._)
                expected[q.key] = checkin.Answer(f"svar {step}")
            elif step % 2:
                # Clicked: the last step or choice; a reason follows when the template asks for one.
                value, index = option_keys(q)[-1], reply.index
                reply = checkin.choose(repo, sven, ids["meeting"], index, value, now)
                assert checkin.choose(repo, sven, ids["meeting"], index, value, now) is None  # a double click
                if q.with_reason:
                    assert isinstance(reply, checkin.Prompt) and reply.asking_reason
                    reply = checkin.on_message(repo, sven, f"därför {step}", now, sv._)
                expected[q.key] = checkin.Answer(f"därför {step}" if q.with_reason else "", value)
            else:
                # Typed in Swedish: the first step or choice by its label, with the reason after it.
                value = option_keys(q)[0]
                label = sv._(q.scale[0].text if q.kind == "rating" else q.choices[0])
                reply = checkin.on_message(repo, sven, f"{label.lower()}: för att {step}", now, sv._)
                expected[q.key] = checkin.Answer(f"för att {step}", value)
    assert isinstance(reply, checkin.Summary)
    assert {q.key: a for q, a in reply.items} == expected

    with unit(engine) as repo:
        shared = checkin.share(repo, _person(repo, ids["employee"]), ids["meeting"], NOW + timedelta(hours=2))
        assert isinstance(shared, checkin.Summary) and shared.shared

    # The manager's own preparation is stored as the manager's notes; the employee cannot reach it.
    tpl = template(key)
    with unit(engine) as repo:
        per, sven = _person(repo, ids["manager"]), _person(repo, ids["employee"])
        answers = {q.key: f"Pers tanke om {q.key}" for q in tpl.manager_prep if q.kind == "text"}
        choices = {q.key: option_keys(q)[0] for q in tpl.manager_prep if q.kind != "text"}
        saved = notes.save_manager_prep(repo, per, ids["meeting"], answers, choices, NOW + timedelta(hours=3))
        assert isinstance(saved, notes.ManagerPrep)
        assert {q.key: a.text for q, a in saved.items if a and q.kind == "text"} == answers
        assert isinstance(notes.manager_prep(repo, sven, ids["meeting"]), checkin.Refused)
        assert {q.key for q, _ in checkin.summary(repo, repo.meeting(ids["meeting"])).items} == set(expected)


def test_a_typed_word_that_names_no_step_is_asked_again(engine: Engine) -> None:
    ids = _setup(engine, "rus")
    with unit(engine) as repo:
        sven = _person(repo, ids["employee"])
        checkin.start(repo, sven, ids["meeting"], NOW)
        for _ in range(5):
            checkin.on_message(repo, sven, "hoppa", NOW)
        unclear = checkin.on_message(repo, sven, "kanske", NOW, translator("sv")._)
        assert isinstance(unclear, checkin.Prompt) and unclear.unclear and unclear.question.kind == "rating"
        rated = checkin.on_message(repo, sven, "2", NOW, translator("sv")._)
        assert isinstance(rated, checkin.Prompt) and rated.asking_reason
        back = checkin.on_message(repo, sven, "tillbaka", NOW)
        assert isinstance(back, checkin.Prompt) and not back.asking_reason and back.index == unclear.index
        moved = checkin.on_message(repo, sven, "mycket bra", NOW, translator("sv")._)
        assert isinstance(moved, checkin.Prompt) and moved.asking_reason
        assert checkin.answers_of(repo, ids["meeting"])["plans_goals_strategies"].choice == "very_good"


def test_notes_are_their_authors_alone_and_go_with_export_erase_and_retention(engine: Engine) -> None:
    ids = _setup(engine, "annual")
    with unit(engine) as repo:
        per, sven = _person(repo, ids["manager"]), _person(repo, ids["employee"])
        assert isinstance(notes.save_notes(repo, sven, ids["meeting"], "Ta upp lönen", NOW), notes.Notes)
        assert isinstance(notes.save_notes(repo, per, ids["meeting"], "Sven vill nog byta roll", NOW), notes.Notes)
        stranger = repo.add(Person(team_id="T1", slack_user_id="UOLA", name="Ola", is_admin=True))
        assert isinstance(notes.notes(repo, stranger, ids["meeting"]), checkin.Refused)
        assert isinstance(notes.save_notes(repo, stranger, ids["meeting"], "x", NOW), checkin.Refused)
        own = notes.notes(repo, sven, ids["meeting"])
        assert isinstance(own, notes.Notes) and own.text == "Ta upp lönen"

        exported = json.dumps(privacy.export(repo, sven), ensure_ascii=False)
        assert "Ta upp lönen" in exported and "Sven vill nog byta roll" not in exported
        per_export = json.dumps(privacy.export(repo, per), ensure_ascii=False)
        assert "Sven vill nog byta roll" in per_export and "Ta upp lönen" not in per_export

    # Retention: notes older than the period go, like preparation answers.
    with unit(engine) as repo:
        assert privacy.expire(repo, NOW + timedelta(days=31 * 25), 24) >= 2
        assert repo.session.exec(select(PrivateNote)).all() == []

    # Erasure on request: the person's own notes and the notes kept about their conversations.
    with unit(engine) as repo:
        per, sven = _person(repo, ids["manager"]), _person(repo, ids["employee"])
        notes.save_notes(repo, sven, ids["meeting"], "Ta upp lönen", NOW)
        notes.save_notes(repo, per, ids["meeting"], "Om Sven", NOW)
        erased = privacy.erase(repo, sven)
        assert erased.notes == 2
        assert repo.session.exec(select(PrivateNote)).all() == []


def test_the_annual_conversation_can_follow_a_yearly_rhythm() -> None:
    first = cadence.first_window("yearly", date(2027, 3, 1), "Europe/Oslo", 10, NOW)
    nxt = cadence.following_window("yearly", date(2027, 3, 1), "Europe/Oslo", 10, first.start)
    assert first.start.date() == date(2027, 3, 1) and nxt.start.date() == date(2028, 3, 1)
    assert nxt.nudge_at.date() == date(2028, 2, 20)
    assert parse("cadence <@U1|kari> årlig").cadence == "yearly"
    assert parse("cadence yearly").cadence == "yearly"
    assert template("annual").cadence == "yearly"
    assert MEETING_AT.tzinfo is UTC

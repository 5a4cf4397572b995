"""What the law asks of an employer's tool: a person takes out all data about them, an admin erases a
person's content on request, old content expires, and every time a manager reads a report's content
it is written down."""

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import select

from bot.cli import main
from flows import actions, checkin
from flows.cadence import WorkingHours
from flows.outbox import enqueue
from storage.models import Action, AuditLog, Meeting, PrepAnswer
from tests.harness import Harness
from tests.story import pair, settle


@pytest.fixture
def prepared(bot: Harness) -> Harness:
    for uid in ("UPER", "UKARI", "UOLA"):
        bot.emulator.add_user(uid, uid.lower()[1:], locale="en-US")
    bot.clock.set(datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
    pair(bot, "UPER", "UKARI")
    pair(bot, "UPER", "UOLA")
    bot.tick()
    now = bot.clock.now()
    with bot.repo() as repo:
        per = repo.person_by_slack(bot.emulator.team_id, "UPER")
        kari = repo.person_by_slack(bot.emulator.team_id, "UKARI")
        ola = repo.person_by_slack(bot.emulator.team_id, "UOLA")
        assert per and kari and ola and kari.id
        pairing = repo.active_pairing_of(kari.id)
        assert pairing
        meeting = repo.session.exec(select(Meeting).where(Meeting.pairing_id == pairing.id)).one()
        assert meeting.id
        invited = checkin.invite(
            repo,
            per,
            meeting.id,
            when=now + timedelta(days=10),
            place="Fjord",
            extra_questions=[],
            special_topics="",
            now=now,
            hours=WorkingHours(),
        )
        assert isinstance(invited, checkin.Invited)
        enqueue(repo, invited.planned, now)
        checkin.start(repo, kari, meeting.id, now)
        checkin.on_message(repo, kari, "Kari's own answer", now)
        checkin.share(repo, kari, meeting.id, now)
        actions.add(
            repo, per, kari, what="Kari's course", due=date(2026, 12, 20), owner=kari, now=now, today=date(2026, 11, 23)
        )
        actions.add(
            repo,
            per,
            ola,
            what="Ola's secret task",
            due=date(2026, 12, 20),
            owner=ola,
            now=now,
            today=date(2026, 11, 23),
        )
    return bot


def test_export_sends_the_caller_a_file_with_their_data_and_nobody_elses(prepared: Harness) -> None:
    prepared.d.slash_command("UPER", "")  # Per reads his team's actions: recorded
    ack = prepared.d.slash_command("UKARI", "export")
    assert ack.status == 200 and "Collecting" in ack.json["text"]
    settle(prepared, lambda: bool(prepared.emulator.files("UKARI")), "no export file")
    (file,) = prepared.emulator.files("UKARI")
    data: dict[str, Any] = json.loads(prepared.emulator.file_content(file["id"]))
    dumped = json.dumps(data)
    assert data["person"]["slack_user_id"] == "UKARI"
    assert "Kari's own answer" in dumped and "Kari's course" in dumped
    assert "Ola's secret task" not in dumped
    assert [r["who"] for r in data["read_by"]] == ["UPER"]


def test_a_manager_reading_a_reports_content_is_audited(prepared: Harness) -> None:
    prepared.d.slash_command("UPER", "<@UKARI|kari>")
    prepared.at(datetime(2026, 12, 2, 9, 0, tzinfo=UTC))  # the brief with Kari's shared answers
    with prepared.repo() as repo:
        rows = repo.session.exec(select(AuditLog)).all()
        kari = prepared.person("UKARI")
        assert {(r.what, r.subject_id) for r in rows} >= {("actions", kari.id), ("brief", kari.id)}
    prepared.d.slash_command("UKARI", "")  # her own actions: nothing to record
    with prepared.repo() as repo:
        assert all(r.actor_id == prepared.person("UPER").id for r in repo.session.exec(select(AuditLog)).all())


def test_admin_erases_a_persons_content_and_counts_remain(
    prepared: Harness, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", prepared.database_url)
    monkeypatch.setenv("MAL_LOCALE", "en")
    assert main(["forget", "UKARI"]) == 0
    assert "Erased 1 answers, 1 action texts" in capsys.readouterr().out
    with prepared.repo() as repo:
        assert repo.session.exec(select(PrepAnswer)).all() == []
        texts = {a.what for a in repo.session.exec(select(Action)).all()}
        assert texts == {"", "Ola's secret task"}
        assert len(repo.session.exec(select(Meeting)).all()) == 2
    assert main(["forget", "nobody@example.org"]) == 1


def test_answers_older_than_the_retention_period_expire(prepared: Harness) -> None:
    later = datetime(2028, 12, 1, 9, 0, tzinfo=UTC)  # 24 months and a week after the answers
    report = prepared.at(later)
    assert report.plan.expired == 1
    with prepared.repo() as repo:
        assert repo.session.exec(select(PrepAnswer)).all() == []
        assert len(repo.session.exec(select(Meeting)).all()) >= 2

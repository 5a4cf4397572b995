"""The agreed plan confirmed by both and filed in the personnel archive (002: archived in the personnel file;
003: the agreement signed). Each confirms in Slack; mal keeps who confirmed and when, makes the PDF once in the
pair's language, and hands it to the archive route — a folder or the archive system's HTTP endpoint — through
the outbox, retrying until the archive confirms. What the archive has not confirmed is never expired."""

import io
import json
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from sqlmodel import select

from bot import cli
from flows import privacy
from storage.models import ArchiveDocument, Meeting, Outbox, PrepAnswer
from tests.harness import Harness
from tests.story import add_people, after, dm, invite_from_nudge, last_dm, pair, settle, text_of


def pdf_text(content: bytes) -> str:
    """The PDF as a reader sees it: every page's text, read by a library other than the one that wrote it."""
    reader = PdfReader(io.BytesIO(content))
    return " ".join(" ".join(page.extract_text() or "" for page in reader.pages).split())


def hold_the_1_1(bot: Harness, manager: str, employee: str, *, day: str = "2026-12-03") -> int:
    """The manager invites from the nudge; the meeting's time passes; the follow-up question comes."""
    bot.at(datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
    invite_from_nudge(bot, manager, day, about=employee)
    bot.at(datetime.fromisoformat(day).replace(hour=11, minute=30, tzinfo=UTC))
    with bot.repo() as repo:
        meeting = repo.session.exec(select(Meeting).where(Meeting.status.in_(("invited", "held")))).first()  # type: ignore[attr-defined]
        assert meeting is not None and meeting.id is not None
        return meeting.id


def record(bot: Harness, who: str, values: dict[str, Any]) -> None:
    followup = next(m for m in reversed(dm(bot, who)) if "agree_open" in str(m.get("blocks")))
    agree = after(bot, who, lambda: bot.d.click(who, followup, "agree_open"), what="view")
    after(bot, who, lambda: bot.d.view_submission(who, agree, values))


def confirm_message(bot: Harness, who: str) -> dict[str, Any]:
    return next(m for m in reversed(dm(bot, who)) if "plan_confirm" in str(m.get("blocks")))


def confirm(bot: Harness, who: str, message: dict[str, Any] | None = None) -> None:
    source = message or confirm_message(bot, who)
    bot.d.click(who, source, "plan_confirm")


def confirmed_times(bot: Harness, meeting_id: int) -> tuple[datetime | None, datetime | None]:
    with bot.repo() as repo:
        m = repo.meeting(meeting_id)
        assert m is not None
        return m.employee_confirmed_at, m.manager_confirmed_at


def documents(bot: Harness) -> list[ArchiveDocument]:
    with bot.repo() as repo:
        rows = list(repo.session.exec(select(ArchiveDocument)).all())
        for r in rows:
            repo.session.expunge(r)
        return rows


def test_both_confirm_the_plan_and_it_is_filed_as_a_pdf_in_the_pairs_language(bot: Harness, tmp_path: Path) -> None:
    """Per (Bokmål) and Sven (Swedish, Stockholm) agree two actions; each confirms; the archive folder gets one
    PDF in Sven's language with the plan and both signatures. A plan changed after one confirmed is confirmed
    again by both; a stale button is refused, a double click changes nothing."""
    folder = tmp_path / "arkiv"
    folder.mkdir()
    bot.overrides["mal_archive_dir"] = str(folder)
    bot.restart()
    add_people(bot.emulator)
    pair(bot, "UPER", "USVEN")
    meeting_id = hold_the_1_1(bot, "UPER", "USVEN")

    record(bot, "UPER", {"what_1": "Halvera antalet interna möten", "owner_1": "USVEN", "due_1": "2027-03-31"})
    bot.tick()
    asked = confirm_message(bot, "USVEN")
    assert "Halvera antalet interna möten" in text_of(asked)
    assert "Bekräfta planen" in text_of(asked)  # Sven reads it in Swedish
    per_first = confirm_message(bot, "UPER")
    assert "Bekreft planen" in text_of(per_first)  # Per in Bokmål

    bot.clock.set(datetime(2026, 12, 3, 12, 0, tzinfo=UTC))
    confirm(bot, "USVEN", asked)
    settle(bot, lambda: confirmed_times(bot, meeting_id)[0] is not None, "Sven's confirmation was not kept")
    settle(bot, lambda: "Tack." in text_of(bot.emulator.message(asked["channel"], asked["ts"]) or {}))

    # Per adds a second action: a new plan, so both are asked again, and Per's first message no longer counts.
    record(bot, "UPER", {"what_1": "Boka utbildning i ledarskap", "owner_1": "UPER", "due_1": "2027-02-28"})
    bot.tick()
    assert confirmed_times(bot, meeting_id) == (None, None)
    confirm(bot, "UPER", per_first)
    settle(bot, lambda: any("Planen er endret" in text_of(m) for m in bot.emulator.ephemerals("UPER")))
    assert confirmed_times(bot, meeting_id) == (None, None) and documents(bot) == []

    bot.clock.set(datetime(2026, 12, 3, 13, 15, tzinfo=UTC))
    confirm(bot, "USVEN")
    settle(bot, lambda: confirmed_times(bot, meeting_id)[0] is not None)
    bot.clock.set(datetime(2026, 12, 4, 8, 5, tzinfo=UTC))
    confirm(bot, "UPER")
    settle(bot, lambda: len(documents(bot)) == 1, "no document after both confirmed")
    bot.tick()

    files = list(folder.glob("*.pdf"))
    assert len(files) == 1 and not list(folder.glob(".mal-*"))
    text = pdf_text(files[0].read_bytes())
    assert "Planen ni kom överens om" in text
    assert "Halvera antalet interna möten" in text and "Boka utbildning i ledarskap" in text
    assert "Sven Svensson" in text and "Per Hansen" in text
    # The signatures: who confirmed and when, in Sven's time zone and language, in the order they came.
    assert "Medarbetare: Sven Svensson, bekräftad i Slack torsdag 3 december kl. 14:15" in text
    assert "Chef: Per Hansen, bekräftad i Slack fredag 4 december kl. 09:05" in text
    assert text.index("Medarbetare: Sven") < text.index("Chef: Per")
    (doc,) = documents(bot)
    assert doc.delivered_at is not None and doc.reference == str(files[0]) and doc.language == "sv"
    assert pdf_text(doc.pdf or b"") == text
    settle(bot, lambda: "Planen är bekräftad" in text_of(last_dm(bot, "USVEN")), "Sven was not told Per confirmed")
    with bot.repo() as repo:
        rows = repo.session.exec(select(Outbox).where(Outbox.kind == "archive")).all()
    assert [(r.status, r.key) for r in rows] == [("sent", f"archive:{doc.id}")]


class ArchiveEndpoint:
    """A stand-in for the archive system's HTTP endpoint: answers with the statuses it is given, in turn."""

    def __init__(self, statuses: list[int]) -> None:
        self.statuses = statuses
        self.requests: list[tuple[dict[str, str], bytes]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                outer.requests.append((dict(self.headers.items()), body))
                status = outer.statuses.pop(0) if outer.statuses else 201
                payload = json.dumps({"reference": "360-2026-0042"} if status < 300 else {"error": "x"}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: Any) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/api/documents"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def endpoint() -> Iterator[ArchiveEndpoint]:
    found = ArchiveEndpoint([])
    try:
        yield found
    finally:
        found.close()


def both_confirm(bot: Harness, manager: str, employee: str) -> int:
    add_people(bot.emulator)
    pair(bot, manager, employee)
    meeting_id = hold_the_1_1(bot, manager, employee)
    record(bot, manager, {"what_1": "Fullføre kurset", "owner_1": employee, "due_1": "2027-01-15"})
    bot.tick()
    confirm(bot, employee)
    settle(bot, lambda: confirmed_times(bot, meeting_id)[0] is not None)
    confirm(bot, manager)
    settle(bot, lambda: len(documents(bot)) == 1)
    return meeting_id


def test_the_archive_endpoint_gets_the_pdf_and_an_outage_is_retried_until_it_confirms(
    bot: Harness, endpoint: ArchiveEndpoint
) -> None:
    endpoint.statuses = [503, 503]
    bot.overrides.update(mal_archive_url=endpoint.url, mal_archive_token="s3cret")
    bot.restart()
    both_confirm(bot, "UPER", "UKARI")
    bot.tick()
    assert documents(bot)[0].delivered_at is None  # the archive was down: kept, waiting
    bot.at(bot.clock.now() + timedelta(minutes=2))
    assert documents(bot)[0].delivered_at is None
    bot.at(bot.clock.now() + timedelta(minutes=10))
    (doc,) = documents(bot)
    assert doc.delivered_at is not None and doc.reference == "360-2026-0042"
    headers, body = endpoint.requests[-1]
    assert len(endpoint.requests) == 3
    assert headers["Content-Type"] == "application/pdf" and headers["Authorization"] == "Bearer s3cret"
    assert headers["Idempotency-Key"] == endpoint.requests[0][0]["Idempotency-Key"]  # one document, one key
    assert "Fullføre kurset" in pdf_text(body) and "Planen dere ble enige om" in pdf_text(body)
    bot.at(bot.clock.now() + timedelta(hours=1))
    assert len(endpoint.requests) == 3  # confirmed: never sent again


def test_mal_bot_archive_sends_again_what_the_archive_refused(
    bot: Harness, endpoint: ArchiveEndpoint, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    endpoint.statuses = [400]
    bot.overrides["mal_archive_url"] = endpoint.url
    bot.restart()
    both_confirm(bot, "UPER", "UKARI")
    bot.tick()
    with bot.repo() as repo:
        row = repo.session.exec(select(Outbox).where(Outbox.kind == "archive")).one()
    assert (row.status, row.error) == ("dead", "archive_http_400")  # a 4xx will not change by itself
    assert documents(bot)[0].delivered_at is None

    monkeypatch.setenv("DATABASE_URL", bot.database_url)
    monkeypatch.setenv("MAL_ARCHIVE_URL", endpoint.url)
    monkeypatch.setenv("MAL_LOCALE", "nb")
    assert cli.main(["archive"]) == 0
    assert "Sendte 1 av 1 planer til arkivet; 0 ikke bekreftet." in capsys.readouterr().out
    assert documents(bot)[0].reference == "360-2026-0042"
    assert cli.main(["archive"]) == 0  # nothing left to send
    assert len(endpoint.requests) == 2

    monkeypatch.delenv("MAL_ARCHIVE_URL")
    assert cli.main(["archive"]) == 2
    assert "MAL_ARCHIVE_DIR" in capsys.readouterr().err


def test_retention_keeps_what_the_archive_has_not_confirmed(bot: Harness, endpoint: ArchiveEndpoint) -> None:
    endpoint.statuses = [503] * 50
    bot.overrides["mal_archive_url"] = endpoint.url
    bot.restart()
    meeting_id = both_confirm(bot, "UPER", "UKARI")
    with bot.repo() as repo:
        repo.save_answer(meeting_id, "goals", "Kari svarte dette", datetime(2026, 11, 30, tzinfo=UTC))
    three_years_on = datetime(2029, 12, 4, tzinfo=UTC)
    with bot.repo() as repo:
        privacy.expire(repo, three_years_on, 24)
    with bot.repo() as repo:
        assert repo.answers(meeting_id) == {"goals": "Kari svarte dette"}  # the archive has not confirmed it
    assert documents(bot)[0].pdf

    endpoint.statuses = []
    bot.tick()
    assert documents(bot)[0].delivered_at is not None
    with bot.repo() as repo:
        privacy.expire(repo, three_years_on, 24, keep_archived_document=True)
    with bot.repo() as repo:
        assert repo.session.exec(select(PrepAnswer)).all() == []
    assert documents(bot)[0].pdf  # the organisation chose to keep its own copy
    with bot.repo() as repo:
        privacy.expire(repo, three_years_on, 24)
    (doc,) = documents(bot)
    assert doc.pdf is None and doc.reference == "360-2026-0042"  # the receipt stays
    assert doc.created_at is not None and doc.created_at.date() == date(2026, 12, 3)


def test_a_plan_changed_after_it_was_filed_is_signed_again_and_filed_as_the_next_version(
    bot: Harness, tmp_path: Path
) -> None:
    """Per and Kari confirm their plan and it is filed. A week later Per records one more action they agreed:
    the archive must hold what the two signed, so both are asked again, told that the plan changed after it was
    filed; when both have confirmed, a second PDF goes to the archive naming the version it replaces, and the
    first stays as it was. A double click files nothing more."""
    folder = tmp_path / "arkiv"
    folder.mkdir()
    bot.overrides["mal_archive_dir"] = str(folder)
    bot.restart()
    meeting_id = both_confirm(bot, "UPER", "UKARI")
    bot.tick()
    (first,) = list(folder.glob("*.pdf"))
    first_bytes = first.read_bytes()

    bot.clock.set(datetime(2026, 12, 10, 9, 0, tzinfo=UTC))
    record(bot, "UPER", {"what_1": "Melde seg på mentorprogrammet", "owner_1": "UKARI", "due_1": "2027-02-01"})
    bot.tick()
    assert confirmed_times(bot, meeting_id) == (None, None)
    for who in ("UKARI", "UPER"):
        asked = confirm_message(bot, who)
        shown = text_of(asked)
        assert "Melde seg på mentorprogrammet" in shown and "Fullføre kurset" in shown
        assert "Planen er endret etter at den ble arkivert" in shown
    assert len(documents(bot)) == 1

    confirm(bot, "UKARI")
    settle(bot, lambda: confirmed_times(bot, meeting_id)[0] is not None)
    bot.clock.set(datetime(2026, 12, 10, 10, 30, tzinfo=UTC))
    per_asked = confirm_message(bot, "UPER")
    confirm(bot, "UPER", per_asked)
    confirm(bot, "UPER", per_asked)  # a double click
    settle(bot, lambda: len(documents(bot)) == 2, "the changed plan was not filed again")
    bot.tick()

    v1, v2 = sorted(documents(bot), key=lambda d: d.version)
    assert (v1.version, v2.version) == (1, 2) and v1.digest != v2.digest
    assert v1.delivered_at is not None and v2.delivered_at is not None
    second = folder / v2.filename
    assert second.name.endswith("-v2.pdf") and sorted(p.name for p in folder.glob("*.pdf")) == sorted(
        [first.name, second.name]
    )
    assert first.read_bytes() == first_bytes  # the first version stays as the two signed it
    text = pdf_text(second.read_bytes())
    assert "Melde seg på mentorprogrammet" in text and "Fullføre kurset" in text
    assert "Denne versjonen erstatter planen som ble arkivert" in text
    assert "Melde seg på mentorprogrammet" not in pdf_text(first_bytes)
    settle(bot, lambda: "Planen er bekreftet" in text_of(last_dm(bot, "UKARI")), "Kari was not told Per confirmed")
    with bot.repo() as repo:
        keys = sorted(r.key for r in repo.session.exec(select(Outbox).where(Outbox.kind == "archive")).all())
    assert keys == sorted([f"archive:{v1.id}", f"archive:{v2.id}"])
    bot.tick()
    assert len(documents(bot)) == 2 and len(list(folder.glob("*.pdf"))) == 2

"""An admin's org file with a column mal does not read is refused, not half-read.

HR exports a sheet where someone typed ``cadense`` for ``cadence``: before, mal imported the people and
quietly left every pair monthly. Now ``mal-bot import-org`` names the column, lists the columns it reads,
and imports nothing — not even the lines that were fine — until the file is right.
"""

from pathlib import Path

import pytest
from sqlmodel import select

from bot.cli import main
from flows.org import COLUMN_ALIASES
from storage.models import Pairing, Person
from tests.harness import BOT_TOKEN, Harness


@pytest.fixture
def cli(bot: Harness, monkeypatch: pytest.MonkeyPatch) -> Harness:
    for name, value in [
        ("DATABASE_URL", bot.database_url),
        ("SLACK_BOT_TOKEN", BOT_TOKEN),
        ("SLACK_API_URL", bot.emulator.api_url),
        ("MAL_LOCALE", "en"),
    ]:
        monkeypatch.setenv(name, value)
    for uid, name in (("UPER", "per"), ("UKARI", "kari"), ("UOLA", "ola")):
        bot.emulator.add_user(uid, name, email=f"{name}@example.org")
    return bot


def stored(bot: Harness) -> tuple[int, int]:
    with bot.repo() as repo:
        return len(repo.session.exec(select(Person)).all()), len(repo.session.exec(select(Pairing)).all())


def test_a_misspelt_column_is_named_with_the_known_ones_and_nothing_is_imported(
    cli: Harness, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sheet = tmp_path / "people.csv"
    sheet.write_text(
        "employee,manager,cadense\nkari@example.org,per@example.org,weekly\nola@example.org,per@example.org,\n",
        encoding="utf-8",
    )

    assert main(["import-org", str(sheet)]) == 1

    out = capsys.readouterr().out
    assert "Line 1: unknown column cadense" in out
    assert "employee, manager, cadence, language, unit" in out
    assert all(column in out for column in COLUMN_ALIASES)
    assert "Nothing was imported" in out
    assert stored(cli) == (0, 0)


def test_once_the_column_is_spelt_right_the_same_file_imports(
    cli: Harness, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sheet = tmp_path / "people.csv"
    sheet.write_text(
        "employee,manager,cadence\nkari@example.org,per@example.org,weekly\nola@example.org,per@example.org,\n",
        encoding="utf-8",
    )

    assert main(["import-org", str(sheet)]) == 0

    assert stored(cli) == (3, 2)
    with cli.repo() as repo:
        assert sorted(p.cadence for p in repo.session.exec(select(Pairing)).all()) == ["monthly", "weekly"]


def test_a_value_under_a_column_without_a_name_is_reported_and_a_stray_separator_is_not(
    cli: Harness, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sheet = tmp_path / "people.csv"
    sheet.write_text(
        "employee;manager;;\nkari@example.org;per@example.org;;\nola@example.org;per@example.org;;quarterly\n",
        encoding="utf-8",
    )

    assert main(["import-org", str(sheet)]) == 1

    out = capsys.readouterr().out
    assert "Line 3: quarterly is in column 4, which has no name in the header" in out
    assert "Line 2" not in out
    assert stored(cli) == (0, 0)


def test_the_column_is_named_in_the_organisations_language(
    cli: Harness, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MAL_LOCALE", "nb")
    sheet = tmp_path / "people.csv"
    sheet.write_text("ansatt,leder,kadense\nkari@example.org,per@example.org,ukentlig\n", encoding="utf-8")

    assert main(["import-org", str(sheet)]) == 1

    out = capsys.readouterr().out
    assert "Linje 1: ukjent kolonne kadense" in out
    assert stored(cli) == (0, 0)

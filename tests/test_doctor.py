"""An organisation's IT runs `mal-bot doctor` before (and after) going live. It asks Slack — the emulator
here, over HTTP — what the token may do (``auth.test`` and its ``x-oauth-scopes`` header) against the bot
scopes of app.yaml, checks the signing secret's shape, the database and its schema, the time zone and the
public holidays, and opens a DM with an admin; it explains in the organisation's language what to change,
and exits 0 only when everything holds.
"""

from pathlib import Path

import pytest

from bot.cli import main
from bot.emulator.server import DEFAULT_BOT_SCOPES
from bot.settings import manifest_scopes
from tests.harness import BOT_TOKEN, Harness

GOOD_SECRET = "0123456789abcdef" * 2  # the shape of a Slack signing secret


@pytest.fixture
def installed(bot: Harness, monkeypatch: pytest.MonkeyPatch) -> Harness:
    """mal as IT set it up: a bot token, a signing secret, a migrated database, Per as the admin."""
    bot.emulator.add_user("UPER", "per", real_name="Per Hansen", email="per@example.org")
    for name, value in [
        ("DATABASE_URL", bot.database_url),
        ("SLACK_BOT_TOKEN", BOT_TOKEN),
        ("SLACK_SIGNING_SECRET", GOOD_SECRET),
        ("SLACK_API_URL", bot.emulator.api_url),
        ("MAL_LOCALE", "nb"),
        ("MAL_TIMEZONE", "Europe/Oslo"),
        ("MAL_HOLIDAYS_COUNTRY", "NO"),
        ("MAL_ADMINS", "per@example.org"),
    ]:
        monkeypatch.setenv(name, value)
    return bot


def doctor(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(["doctor", *args])
    return code, capsys.readouterr().out


def test_a_healthy_installation_passes_every_check(installed: Harness, capsys: pytest.CaptureFixture[str]) -> None:
    assert set(manifest_scopes()) == set(DEFAULT_BOT_SCOPES)  # the emulator grants what app.yaml asks for
    asked = installed.emulator.count_calls("auth.test")

    code, out = doctor(capsys)

    assert code == 0, out
    assert "✗" not in out
    assert "Bot-tokenet virker" in out and "T0MAL" in out
    assert "alle 7 tilgangene mal ber om" in out
    assert "Europe/Oslo" in out and "Norge" in out
    assert "mal kan åpne en direktemelding med administratoren per@example.org" in out
    assert out.rstrip().endswith("Alle 7 sjekkene besto.")
    assert installed.emulator.count_calls("auth.test") == asked + 1
    assert installed.emulator.count_calls("conversations.open") == 1


def test_a_token_missing_a_scope_names_it_and_how_to_add_it(
    installed: Harness, capsys: pytest.CaptureFixture[str]
) -> None:
    installed.emulator.set_token_scopes(BOT_TOKEN, [s for s in DEFAULT_BOT_SCOPES if s != "im:history"])

    code, out = doctor(capsys)

    assert code == 1
    assert "✗ Tokenet mangler tilgangen im:history, som mal trenger." in out
    assert "Legg til im:history under oauth_config.scopes.bot i app.yaml" in out
    assert "installer appen i arbeidsområdet på nytt" in out
    assert "OAuth & Permissions" in out


def test_the_same_advice_in_english(
    installed: Harness, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MAL_LOCALE", "en")
    installed.emulator.set_token_scopes(
        BOT_TOKEN, [s for s in DEFAULT_BOT_SCOPES if s not in ("im:history", "im:write")]
    )

    code, out = doctor(capsys)

    assert code == 1
    assert "The token lacks the scopes im:write, im:history, which mal needs." in out
    assert "Add im:write, im:history under oauth_config.scopes.bot in app.yaml" in out
    assert "reinstall the app to the workspace" in out
    # Without im:write no DM can be opened either, and the doctor says which scope that takes.
    assert "mal cannot open a DM with the admin per@example.org: Slack answered missing_scope." in out


def test_a_database_not_yet_migrated_says_to_migrate(
    installed: Harness, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'new.db'}")

    code, out = doctor(capsys)

    assert code == 1
    assert "Databasen er tilgjengelig, men har ikke det nyeste skjemaet" in out
    assert "Kjør `mal-bot migrate`." in out


def test_a_signing_secret_of_the_wrong_shape_and_a_deactivated_admin_fail(
    installed: Harness, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "xoxb-pasted-the-token-instead")
    installed.emulator.deactivate_user("UPER")

    code, out = doctor(capsys)

    assert code == 1
    assert "✗ SLACK_SIGNING_SECRET ser ikke ut som en signeringsnøkkel" in out
    assert "Basic Information" in out
    assert "Slack svarte user_disabled" in out and "deaktivert" in out
    assert out.rstrip().endswith("2 av 7 sjekker feilet.")


def test_without_a_token_or_admins_the_doctor_says_what_to_set(
    installed: Harness, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SLACK_BOT_TOKEN")
    monkeypatch.delenv("MAL_ADMINS")
    asked = installed.emulator.count_calls("auth.test")

    code, out = doctor(capsys)

    assert code == 1
    assert "SLACK_BOT_TOKEN" in out and "MAL_ADMINS" in out
    assert installed.emulator.count_calls("auth.test") == asked

"""The skeleton a user meets first: `/mal` answers over real HTTP, forged requests are refused,
the manifest matches the listeners, the schema migrates both ways, bad configuration is explained."""

import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import yaml

from bot.app import LISTENER_MODULES
from bot.settings import SettingsError, load_settings
from flows import actions
from storage.db import downgrade, make_engine, migrate
from tests.harness import Harness

ROOT = Path(__file__).resolve().parent.parent


def texts(blocks: list[dict[str, Any]]) -> str:
    out = []
    for b in blocks:
        for key in ("text",):
            if isinstance(b.get(key), dict):
                out.append(b[key]["text"])
        for el in b.get("elements", []) + b.get("fields", []):
            if isinstance(el, dict) and "text" in el:
                out.append(el["text"] if isinstance(el["text"], str) else el["text"]["text"])
    return "\n".join(out)


def test_mal_without_actions_answers_ephemerally_in_norwegian(bot: Harness) -> None:
    bot.emulator.add_user("UKARI", "kari", locale="nb-NO")
    result = bot.d.slash_command("UKARI", "")
    assert result.status == 200
    assert result.json["response_type"] == "ephemeral"
    assert "Ingen åpne tiltak" in texts(result.json["blocks"])


def test_mal_in_english_for_an_english_slack_user(bot: Harness) -> None:
    bot.emulator.add_user("UJOHN", "john", locale="en-US")
    result = bot.d.slash_command("UJOHN", "")
    assert "No open actions" in texts(result.json["blocks"])


def test_mal_lists_the_callers_own_open_actions(bot: Harness) -> None:
    bot.emulator.add_user("UKARI", "kari", locale="en-US")
    bot.d.slash_command("UKARI", "")
    kari = bot.person("UKARI")
    with bot.repo() as repo:
        actions.add(
            repo,
            kari,
            kari,
            what="Finish the course",
            due=date(2026, 12, 15),
            owner=kari,
            now=bot.clock.now(),
            today=date(2026, 11, 23),
        )
    result = bot.d.slash_command("UKARI", "")
    shown = texts(result.json["blocks"])
    assert "Finish the course" in shown
    assert "Your open actions" in shown


@pytest.mark.parametrize("forgery", [{"sign_with": "wrong-secret"}, {"timestamp_offset": -400}])
def test_forged_or_stale_request_is_refused_and_changes_nothing(bot: Harness, forgery: dict[str, Any]) -> None:
    bot.emulator.add_user("UKARI", "kari")
    result = bot.d.slash_command("UKARI", "add <@UKARI> Something by 2026-12-24", **forgery)
    assert result.status == 401
    with bot.repo() as repo:
        assert repo.person_by_slack(bot.emulator.team_id, "UKARI") is None


def test_healthz_answers(bot: Harness) -> None:
    import urllib.request

    assert bot.server is not None
    with urllib.request.urlopen(bot.server.url + "/healthz") as resp:
        assert resp.status == 200


class Recorder:
    """Stands in for the Bolt app to see what each listener module registers."""

    def __init__(self) -> None:
        self.commands: set[str] = set()
        self.events: set[str] = set()
        self.interactive = 0

    def _keep(self, *_: Any) -> Any:
        return lambda fn: fn

    def command(self, name: str) -> Any:
        self.commands.add(name)
        return self._keep()

    def event(self, spec: Any) -> Any:
        if isinstance(spec, dict):
            self.events.add(f"{spec['type']}.{spec['channel_type']}" if "channel_type" in spec else spec["type"])
        else:
            self.events.add(spec)
        return self._keep()

    def action(self, _: Any) -> Any:
        self.interactive += 1
        return self._keep()

    view = action
    shortcut = action


def test_manifest_and_listeners_match() -> None:
    manifest = yaml.safe_load((ROOT / "app.yaml").read_text())
    rec = Recorder()
    for module in LISTENER_MODULES:
        module.register(rec)  # type: ignore[arg-type]
    assert {c["command"] for c in manifest["features"]["slash_commands"]} == rec.commands
    assert set(manifest["settings"]["event_subscriptions"]["bot_events"]) == rec.events
    assert manifest["settings"]["interactivity"]["is_enabled"] == (rec.interactive > 0)
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    assert {"chat:write", "im:write", "im:history", "commands", "users:read", "users:read.email"} <= scopes
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True


def test_migrations_upgrade_from_empty_and_downgrade_back(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/m.db")
    migrate(engine)
    tables = set(sa.inspect(engine).get_table_names())
    assert {"person", "pairing", "meeting", "prepanswer", "action", "evaluation", "outbox"} <= tables
    downgrade(engine)
    assert set(sa.inspect(engine).get_table_names()) <= {"alembic_version"}
    migrate(engine)
    assert "outbox" in sa.inspect(engine).get_table_names()


def test_missing_tokens_are_named(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN"):
        monkeypatch.delenv(var, raising=False)
    with pytest.raises(SettingsError) as err:
        load_settings()
    assert "SLACK_BOT_TOKEN" in str(err.value) and "SLACK_SIGNING_SECRET" in str(err.value)


def test_malformed_token_is_explained(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxp-user-token")
    with pytest.raises(SettingsError) as err:
        load_settings(require_slack=False)
    assert "SLACK_BOT_TOKEN" in str(err.value) and "xoxb-" in str(err.value)


def test_cli_without_tokens_exits_with_a_message_not_a_traceback(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "DATABASE_URL": f"sqlite:///{tmp_path}/x.db"}
    proc = subprocess.run(
        [sys.executable, "-m", "bot", "run"], capture_output=True, text=True, env=env, cwd=ROOT, timeout=60
    )
    assert proc.returncode == 2
    assert "SLACK_BOT_TOKEN" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_cli_migrate_then_tick_runs(tmp_path: Path, emulator: Any) -> None:
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path}/x.db",
        "SLACK_BOT_TOKEN": "xoxb-emulator",
        "SLACK_API_URL": emulator.api_url,
        "MAL_LOCALE": "en",
    }
    migrate_proc = subprocess.run(
        [sys.executable, "-m", "bot", "migrate"], capture_output=True, text=True, env=env, cwd=ROOT, timeout=60
    )
    assert migrate_proc.returncode == 0, migrate_proc.stderr
    tick_proc = subprocess.run(
        [sys.executable, "-m", "bot", "tick", "--now", "2026-12-01T09:00:00+01:00"],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=60,
    )
    assert tick_proc.returncode == 0, tick_proc.stderr
    assert "Planned 0 messages" in tick_proc.stdout


def test_the_index_migration_goes_up_and_down_and_matches_the_models(database_url: str) -> None:
    """Runs on SQLite, and on PostgreSQL when the suite is pointed at one."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from storage.db import include_name, metadata

    engine = make_engine(database_url)

    def action_indexes() -> set[str]:
        return {str(i["name"]) for i in sa.inspect(engine).get_indexes("action")}

    try:
        composite = {"ix_action_employee_status_due", "ix_action_owner_status_due", "ix_action_status_due"}
        assert composite <= action_indexes() and "ix_action_status" not in action_indexes()
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"include_name": include_name})
            assert compare_metadata(context, metadata()) == []
        downgrade(engine, "0002")
        assert not composite & action_indexes() and "ix_action_status" in action_indexes()
        migrate(engine)
        assert composite <= action_indexes()
        assert "ix_pairing_ended_nudge" in {str(i["name"]) for i in sa.inspect(engine).get_indexes("pairing")}
    finally:
        engine.dispose()


def test_a_running_bot_loads_the_pdf_stack_only_when_a_plan_is_filed() -> None:
    """fpdf2 with fontTools and Pillow holds some 20 MiB; every process would carry it for a document written
    a few times a year per person."""
    probe = (
        "import sys, bot.cli, bot.app, bot.server, bot.jobs, bot.delivery, bot.render, bot.archive; "
        "print(sorted(m for m in ('fpdf', 'fontTools', 'PIL') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120)
    assert out.stdout.strip() == "[]"

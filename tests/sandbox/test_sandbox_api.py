"""The sandbox without a browser: its JSON API over HTTP, the clock, and keeping state between runs."""

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.cli import build_parser
from bot.sandbox.runtime import Sandbox, next_monday_morning
from flows.i18n import translator
from tests.sandbox.conftest import START, Api

OSLO = ZoneInfo("Europe/Oslo")
nb = translator("nb")


def bot_messages(api: Api, user: str) -> list[dict[str, Any]]:
    return [m for m in api.get(f"/api/users/{user}/dm") if m["kind"] == "bot"]


def action_ids(message: dict[str, Any]) -> list[str]:
    return [e.get("action_id") for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]]


def local_time(ts: str) -> datetime:
    return datetime.fromtimestamp(float(ts), OSLO)


def nudge_for(api: Api, employee: str) -> dict[str, Any]:
    return next(m for m in bot_messages(api, "UINGRID") if f"<@{employee}>" in m["blocks"][0]["text"]["text"])


def open_modal(api: Api, user: str, message: dict[str, Any], action_id: str) -> dict[str, Any]:
    block = next(b for b in message["blocks"] if action_id in action_ids({"blocks": [b]}))
    api.post(
        f"/api/users/{user}/action",
        {"surface": "message", "ts": message["ts"], "block_id": block["block_id"], "action_id": action_id},
    )
    sandbox_wait(api, lambda: api.get(f"/api/users/{user}/modals"))
    modals: list[dict[str, Any]] = api.get(f"/api/users/{user}/modals")
    return modals[-1]


def sandbox_wait(api: Api, probe: Any, timeout: float = 5.0) -> Any:
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = probe()
        if found:
            return found
        time.sleep(0.02)
    raise AssertionError("nothing arrived")


def test_the_demo_organisation_and_the_clock_bring_the_first_nudges(api: Api) -> None:
    people = {p["id"]: p for p in api.get("/api/people")}
    assert set(people) == {"UINGRID", "UKARI", "USVEN", "UEMMA", "UOLA"}
    assert people["UINGRID"]["reports"] == 4
    assert {p["manager"] for pid, p in people.items() if pid != "UINGRID"} == {"UINGRID"}
    assert people["USVEN"]["tz"] == "Europe/Stockholm"
    assert people["UEMMA"]["locale"] == "en-US"

    clock = api.get("/api/clock")
    assert datetime.fromisoformat(clock["now"]) == START
    assert bot_messages(api, "UINGRID") == []
    assert datetime.fromisoformat(clock["next"]) == START + timedelta(hours=1)

    moved = api.post("/api/clock/next")
    assert datetime.fromisoformat(moved["now"]) == START + timedelta(hours=1)
    nudges = bot_messages(api, "UINGRID")
    assert len(nudges) == 4
    assert all("meeting_invite_open" in action_ids(m) for m in nudges)
    assert {local_time(m["ts"]).strftime("%a %H:%M") for m in nudges} == {"Mon 09:00"}
    assert bot_messages(api, "UKARI") == []


def test_a_week_ahead_delivers_each_message_at_its_own_time(api: Api) -> None:
    api.post("/api/clock/next")
    modal = open_modal(api, "UINGRID", nudge_for(api, "UKARI"), "meeting_invite_open")
    answer = api.post(
        "/api/users/UINGRID/submit",
        {"view_id": modal["id"], "values": {"date": "2026-11-26", "time": "10:00", "place": "Fjord"}},
    )
    assert answer["ok"] and answer["errors"] == {}
    # The calendar file comes first, then the invitation with its buttons.
    delivered = sandbox_wait(api, lambda: [m for m in bot_messages(api, "UKARI") if m.get("blocks")])
    assert "prep_start" in action_ids(delivered[0])

    api.post("/api/clock/week")
    kari = bot_messages(api, "UKARI")
    ingrid = bot_messages(api, "UINGRID")
    reminder = next(m for m in kari if "prep_reminder" in str(m.get("blocks")))
    brief = next(m for m in ingrid if m.get("blocks") and m["blocks"][0]["type"] == "header")
    followup = next(m for m in ingrid if "agree_open" in action_ids(m))
    # Each arrived when it was due, not when the week had passed.
    assert local_time(reminder["ts"]).strftime("%a %d %H:%M") == "Tue 24 09:00"
    assert local_time(brief["ts"]).strftime("%a %d %H:%M") == "Wed 25 09:00"
    assert local_time(followup["ts"]).strftime("%a %d") == "Thu 26"
    assert datetime.fromisoformat(api.get("/api/clock")["now"]) == START + timedelta(hours=1, weeks=1)


def test_commands_and_messages_arrive_as_slack_would_send_them(api: Api, sandbox: Sandbox) -> None:
    api.post("/api/users/UINGRID/command", {"command": "/mal", "text": "@kari"})
    listing = [m for m in api.get("/api/users/UINGRID/dm") if m["kind"] == "ephemeral"][-1]
    assert listing["blocks"][0]["text"]["text"] == nb._(
        "Open actions from your conversations with {name}", name="Kari Nordmann"
    )
    assert sandbox.emulator.calls  # the bot looked people up in the emulator, not somewhere else

    status, answer = api.call("/api/users/UINGRID/command", {"command": "/giphy", "text": "cats"})
    assert status == 400 and "not a valid command" in answer["error"]

    api.post("/api/users/UKARI/message", {"text": "Hei <b>&"})
    mine = [m for m in api.get("/api/users/UKARI/dm") if m["kind"] == "user"]
    assert mine[-1]["text"] == "Hei &lt;b&gt;&amp;"
    sandbox_wait(api, lambda: bot_messages(api, "UKARI"))

    status, _ = api.call("/api/users/UNOBODY/dm")
    assert status == 404


def test_the_bot_s_field_errors_reach_the_modal(api: Api) -> None:
    api.post("/api/clock/next")
    modal = open_modal(api, "UINGRID", nudge_for(api, "USVEN"), "meeting_invite_open")
    answer = api.post(
        "/api/users/UINGRID/submit", {"view_id": modal["id"], "values": {"date": "2026-11-20", "time": "10:00"}}
    )
    assert set(answer["errors"]) == {"date"}
    still_open = api.get("/api/users/UINGRID/modals")
    assert [v["id"] for v in still_open] == [modal["id"]]
    assert still_open[0]["errors"] == answer["errors"]

    # A required field left empty never reaches the bot, as in Slack's client.
    status, refused = api.call("/api/users/UINGRID/submit", {"view_id": modal["id"], "values": {"date": None}})
    assert status == 400 and "required" in refused["error"]

    api.post("/api/users/UINGRID/close", {"view_id": modal["id"]})
    assert api.get("/api/users/UINGRID/modals") == []


def test_home_tab_is_published_when_opened(api: Api) -> None:
    assert api.get("/api/users/UINGRID/home") is None
    api.post("/api/users/UINGRID/home")
    home = sandbox_wait(api, lambda: api.get("/api/users/UINGRID/home"))
    assert home["type"] == "home"
    assert nb._("Your team") in str(home["blocks"])


def test_state_is_kept_between_runs_and_reset_starts_over(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    with Sandbox(folder, start_at=START) as first:
        first.jump()
        moved_to = first.clock.now()
        assert len(first.emulator.messages("UINGRID")) == 4
    assert {p.name for p in folder.iterdir()} >= {"mal.db", "clock.json", "slack.json"}

    with Sandbox(folder, start_at=START) as again:
        assert again.clock.now() == moved_to
        assert len(again.emulator.messages("UINGRID")) == 4
        assert again.import_report is None  # the organisation was not imported twice
        again.tick()
        assert len(again.emulator.messages("UINGRID")) == 4  # nothing sent twice after the restart

    with Sandbox(folder, reset=True, start_at=START) as fresh:
        assert fresh.clock.now() == START
        assert fresh.emulator.messages("UINGRID") == []


def test_reset_leaves_other_files_in_the_data_folder_alone(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    with Sandbox(tmp_path, start_at=START):
        pass
    Sandbox(tmp_path, reset=True).wipe()
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


def test_a_new_sandbox_starts_on_the_next_monday_morning() -> None:
    monday = next_monday_morning(datetime(2026, 11, 25).date(), "Europe/Oslo")
    assert monday == datetime(2026, 11, 30, 8, 0, tzinfo=OSLO)
    assert next_monday_morning(datetime(2026, 11, 30).date(), "Europe/Oslo").day == 7


def test_the_command_line() -> None:
    args = build_parser().parse_args(["sandbox"])
    assert (args.port, args.reset, args.data) == (3000, False, "sandbox-data")
    args = build_parser().parse_args(["sandbox", "--port", "3100", "--reset", "--data", "elsewhere"])
    assert (args.port, args.reset, args.data) == (3100, True, "elsewhere")

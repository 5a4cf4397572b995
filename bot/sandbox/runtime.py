"""The sandbox's moving parts: emulator, bot, store and clock, started together and kept between runs.

The clock is the bot's injected ``ManualClock``; moving it runs the same scheduler tick production runs,
at every moment something falls due on the way, so skipping a week skips nothing. The emulator keeps
Slack's side in memory only; a snapshot of the conversations and Home tabs is written beside the
database, so a sandbox restarted without ``--reset`` shows the DMs that led to the state in the store.
"""

import json
import logging
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import col, select

from bot.app import create_app, listener_client
from bot.emulator.driver import SlackDriver
from bot.emulator.server import JSONDict, SlackEmulator
from bot.gateway import SlackGateway, bulk_client
from bot.jobs import TickReport, tick
from bot.sandbox import demo
from bot.server import BackgroundServer
from bot.services import Services
from bot.settings import Settings, SettingsError, load_settings
from flows.clock import Clock, ManualClock
from flows.org import ImportReport
from storage.db import make_engine, migrate
from storage.models import Action, Meeting, Outbox, Pairing
from storage.repo import Repo

log = logging.getLogger(__name__)

DB_FILE = "mal.db"
CLOCK_FILE = "clock.json"
SLACK_FILE = "slack.json"
CSV_FILE = "people.csv"
OWN_FILES = (
    DB_FILE,
    f"{DB_FILE}-wal",
    f"{DB_FILE}-shm",
    CLOCK_FILE,
    SLACK_FILE,
    CSV_FILE,
    f"{CLOCK_FILE}.tmp",
    f"{SLACK_FILE}.tmp",
)
START_HOUR = time(8, 0)
# Due reminders are planned when the due date comes within this many days (see flows.planner).
REMINDER_HORIZON_DAYS = 14
MAX_STEPS = 5000


def next_monday_morning(today: date, tz: str) -> datetime:
    """Where a new sandbox starts: a Monday just before working hours, so the first nudges come at once."""
    days = 7 - today.weekday()
    return datetime.combine(today + timedelta(days=days), START_HOUR, tzinfo=ZoneInfo(tz))


class SandboxEmulator(SlackEmulator):
    """The emulator with message timestamps from the sandbox clock and a snapshot of what people see.

    Slack's ``ts`` is when a message was posted; taking it from the injected clock lets the page show
    a nudge at Monday 09:00 of the sandbox's month rather than at the real second it was produced.
    """

    def __init__(self, clock: Clock) -> None:
        self._sandbox_clock = clock
        self.version = 0
        super().__init__(team_name="Mal Sandbox")

    def next_ts(self) -> str:
        with self._lock:
            micros = max(int(self._sandbox_clock.now().timestamp() * 1_000_000), self._last_ts + 1)
            self._last_ts = micros
            return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"

    def _changed(self) -> None:
        self.version += 1
        super()._changed()

    def snapshot(self) -> JSONDict:
        """DMs and Home tabs; open modals, ephemeral answers and response URLs end with the process, as a
        Slack client reload would end them."""
        with self._lock:
            homes = {user: self._views[vid] for user, vid in self._home_by_user.items() if vid in self._views}
            copied: JSONDict = json.loads(
                json.dumps({"messages": self._messages, "homes": homes, "last_ts": self._last_ts})
            )
            return copied

    def restore(self, data: JSONDict) -> None:
        with self._lock:
            messages = data.get("messages") or {}
            if isinstance(messages, dict):
                self._messages = {str(ch): list(msgs) for ch, msgs in messages.items() if isinstance(msgs, list)}
            homes = data.get("homes") or {}
            if isinstance(homes, dict):
                for user, view in homes.items():
                    if isinstance(view, dict) and view.get("id"):
                        self._views[str(view["id"])] = view
                        self._view_owner[str(view["id"])] = str(user)
                        self._home_by_user[str(user)] = str(view["id"])
            self._last_ts = max(self._last_ts, int(data.get("last_ts") or 0))
            self._changed()


class Sandbox:
    """Everything ``mal-bot sandbox`` runs, for the command and for tests (``start`` / ``stop``)."""

    def __init__(self, folder: Path, *, reset: bool = False, start_at: datetime | None = None) -> None:
        self.folder = folder
        self.reset = reset
        self.start_at = start_at
        self.clock = ManualClock(start_at or datetime.now(UTC))
        self.emulator = SandboxEmulator(self.clock)
        self.signing_secret = secrets.token_hex(16)
        self.import_report: ImportReport | None = None
        self._tick_lock = threading.RLock()
        self._saved: tuple[int, datetime] | None = None
        self._save_lock = threading.Lock()
        self._svc: Services | None = None
        self._gateway: SlackGateway | None = None
        self._server: BackgroundServer | None = None
        self._driver: SlackDriver | None = None

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> "Sandbox":
        if self.reset:
            self.wipe()
        self.folder.mkdir(parents=True, exist_ok=True)
        db_path = self.folder / DB_FILE
        fresh = not db_path.exists()
        self.emulator.start()
        demo.add_to_workspace(self.emulator)
        settings = load_settings(
            require_slack=False,
            slack_bot_token=self.emulator.bot_token,
            slack_signing_secret=self.signing_secret,
            slack_api_url=self.emulator.api_url,
            database_url=f"sqlite:///{db_path.resolve()}",
        )
        self.clock.set(self._initial_time(fresh, settings))
        if not fresh:
            self._restore_slack()
        engine = make_engine(settings.database_url)
        migrate(engine)
        svc = Services(settings=settings, engine=engine, clock=self.clock)
        svc.kick = self._kick
        self._svc = svc
        self._gateway = SlackGateway(bulk_client(settings.bot_token, settings.slack_api_url))
        self._server = BackgroundServer(create_app(svc), svc.settings.signing_secret).start()
        self._driver = SlackDriver(self._server.url + "/slack/events", self.signing_secret, self.emulator)
        if fresh:
            client = listener_client(settings.bot_token, settings.slack_api_url)
            self.import_report = demo.import_demo(settings, engine, client, self.folder, self.clock.now())
            if not self.import_report.ok:
                raise SettingsError("\n".join(p.message for p in self.import_report.problems))
        self.tick()
        self.save()
        return self

    def stop(self) -> None:
        if self._svc is not None:
            with self._tick_lock:
                self.save()
        if self._server is not None:
            self._server.stop()
            self._server = None
        self.emulator.stop()
        if self._svc is not None:
            self._svc.engine.dispose()
            self._svc = None

    def __enter__(self) -> "Sandbox":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def wipe(self) -> None:
        """Delete only the sandbox's own files: ``--data`` may name a folder that holds other things too."""
        for name in OWN_FILES:
            (self.folder / name).unlink(missing_ok=True)
        if self.folder.is_dir() and not any(self.folder.iterdir()):
            self.folder.rmdir()

    def _initial_time(self, fresh: bool, settings: Settings) -> datetime:
        if not fresh:
            try:
                saved = json.loads((self.folder / CLOCK_FILE).read_text(encoding="utf-8"))
                moment = datetime.fromisoformat(str(saved["now"]))
                if moment.tzinfo is not None:
                    return moment
            except (OSError, ValueError, KeyError, TypeError):
                log.warning("no readable sandbox clock in %s; starting from a new Monday", self.folder)
        if self.start_at is not None:
            return self.start_at
        return next_monday_morning(datetime.now(UTC).date(), settings.mal_timezone)

    def _restore_slack(self) -> None:
        try:
            data = json.loads((self.folder / SLACK_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return
        if isinstance(data, dict):
            self.emulator.restore(data)

    def save(self) -> None:
        """Write the clock and the conversations when they changed; cheap enough to call on every poll."""
        with self._save_lock:
            state = (self.emulator.version, self.clock.now())
            if state == self._saved:
                return
            self._write(CLOCK_FILE, {"now": state[1].isoformat()})
            self._write(SLACK_FILE, self.emulator.snapshot())
            self._saved = state

    def _write(self, name: str, data: Any) -> None:
        target = self.folder / name
        partial = target.with_suffix(target.suffix + ".tmp")
        partial.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        partial.replace(target)

    # ------------------------------------------------------------------ parts

    @property
    def svc(self) -> Services:
        if self._svc is None:
            raise RuntimeError("sandbox not started")
        return self._svc

    @property
    def driver(self) -> SlackDriver:
        if self._driver is None:
            raise RuntimeError("sandbox not started")
        return self._driver

    @property
    def tz(self) -> str:
        return self.svc.settings.mal_timezone

    @contextmanager
    def repo(self) -> Iterator[Repo]:
        with self.svc.unit() as repo:
            yield repo

    # ------------------------------------------------------------------ time

    def tick(self) -> TickReport:
        assert self._gateway is not None
        with self._tick_lock:
            report = tick(self.svc, self._gateway)
            self.emulator.notify()
            return report

    def _kick(self) -> None:
        """The bot asks for a tick right after planning something (an invitation); run it off the listener."""

        def run() -> None:
            try:
                self.tick()
            except Exception:
                log.exception("sandbox tick failed")

        threading.Thread(target=run, name="sandbox-kick", daemon=True).start()

    def next_due(self) -> datetime | None:
        """The next moment at which the bot has something to do, from what is stored."""
        found = self._moments()
        return min(found["delivery"] + found["planning"], default=None)

    def next_delivery(self) -> datetime | None:
        """When the next message is known to go out: what the page offers to jump to."""
        return min(self._moments()["delivery"], default=None)

    def _moments(self) -> dict[str, list[datetime]]:
        """Future moments that matter to the tick, by kind.

        Messages wait in the outbox with their send time and nudges in each pair's ``nudge_at``
        (deliveries). Due reminders and overdue digests are planned by the tick only when a date passes,
        so those midnights count as well (planning): a tick there may put a message in the outbox.
        """
        now = self.clock.now()
        zone = ZoneInfo(self.tz)
        today = now.astimezone(zone).date()
        delivery: list[datetime] = []
        planning: list[datetime] = []

        def midnight(day: date) -> datetime:
            return datetime.combine(day, time(0, 0), tzinfo=zone)

        with self.repo() as repo:
            s = repo.session
            row = s.exec(
                select(Outbox.not_before)
                .where(col(Outbox.status) == "pending", col(Outbox.not_before) > now)
                .order_by(col(Outbox.not_before))
                .limit(1)
            ).first()
            if row is not None:
                delivery.append(row)
            lease = s.exec(
                select(Outbox.lease_until)
                .where(col(Outbox.status) == "claimed", col(Outbox.lease_until) > now)
                .order_by(col(Outbox.lease_until))
                .limit(1)
            ).first()
            if lease is not None:
                delivery.append(lease)
            nudge = s.exec(
                select(Pairing.nudge_at)
                .where(col(Pairing.ended_at).is_(None), col(Pairing.nudge_at) > now)
                .order_by(col(Pairing.nudge_at))
                .limit(1)
            ).first()
            if nudge is not None:
                delivery.append(nudge)
            closing = s.exec(
                select(Meeting.window_end)
                .where(col(Meeting.status) == "planned", col(Meeting.window_end) > now)
                .order_by(col(Meeting.window_end))
                .limit(1)
            ).first()
            if closing is not None:  # a window closing with nothing held: the lapse is planned then
                planning.append(closing)
            overdue = False
            for action in s.exec(select(Action).where(col(Action.status) == "open")).all():
                planning.append(midnight(action.due + timedelta(days=1)))
                if action.reminder_for_due != action.due:
                    planning.append(midnight(action.due - timedelta(days=REMINDER_HORIZON_DAYS)))
                overdue = overdue or action.due < today
            if overdue:
                planning.append(midnight(today + timedelta(days=7 - today.weekday())))

        def future(moments: list[datetime]) -> list[datetime]:
            aware = [m if m.tzinfo is not None else m.replace(tzinfo=UTC) for m in moments]
            return [m for m in aware if m > now]

        return {"delivery": future(delivery), "planning": future(planning)}

    def advance_to(self, target: datetime) -> datetime:
        """Move the clock to ``target``, ticking at every due moment on the way, then at ``target``."""
        with self._tick_lock:
            for _ in range(MAX_STEPS):
                step = self.next_due()
                if step is None or step >= target:
                    break
                self.clock.set(step)
                self.tick()
            if target > self.clock.now():
                self.clock.set(target)
            self.tick()
            self.emulator.notify()
            self.save()
            return self.clock.now()

    def advance(self, delta: timedelta) -> datetime:
        return self.advance_to(self.clock.now() + delta)

    def jump(self) -> datetime | None:
        """Go to the next moment a message goes out, ticking on the way; None when nothing is planned.

        A tick at a planning moment (a due date drawing near) may send nothing itself, so the jump goes
        on until something is delivered: one press, one visible event.
        """
        with self._tick_lock:
            moved = False
            for _ in range(MAX_STEPS):
                step = self.next_due()
                if step is None:
                    break
                self.clock.set(step)
                moved = True
                if self.tick().drain.sent:
                    break
            self.emulator.notify()
            self.save()
            return self.clock.now() if moved else None

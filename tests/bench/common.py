"""What every figure needs: sizes, databases, a timed emulator, signed load, bot processes, tables."""

from __future__ import annotations

import contextlib
import http.client
import itertools
import math
import os
import platform
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from slack_sdk.signature import SignatureVerifier

from bot.emulator.driver import DriverResult, SlackDriver
from bot.emulator.server import JSONDict, SlackEmulator
from tests.harness import BOT_TOKEN, PG_ENV, SIGNING_SECRET, fresh_database

ROOT = Path(__file__).resolve().parents[2]


# ---------------------------------------------------------------------------------------------- sizes


@dataclass(frozen=True)
class Size:
    """The scale of one run; ``full`` is the issue's, ``small`` keeps the shape at a fraction of the cost."""

    name: str
    reports: int
    actions_per_report: int
    open_per_report: int
    meetings_per_pair: int
    concurrency: tuple[int, ...]
    requests: int
    warmup: int
    fanout: int
    fanout_limited_seconds: float
    growth_pairings: tuple[int, ...]
    growth_due: int
    growth_teams: tuple[int, int]
    growth_requests: int
    footprint_people: int
    footprint_actions: int
    footprint_requests: int

    @property
    def clones(self) -> int:
        """Identical managers, one per concurrent worker, so each completion belongs to one request."""
        return max(self.concurrency)


SIZES = {
    "small": Size(
        name="small",
        reports=50,
        actions_per_report=100,
        open_per_report=10,
        meetings_per_pair=12,
        concurrency=(1, 8, 32),
        requests=40,
        warmup=8,
        fanout=1_000,
        fanout_limited_seconds=15,
        growth_pairings=(1_000, 10_000),
        growth_due=100,
        growth_teams=(5, 200),
        growth_requests=40,
        footprint_people=2_000,
        footprint_actions=20_000,
        footprint_requests=100,
    ),
    "full": Size(
        name="full",
        reports=50,
        actions_per_report=100,
        open_per_report=10,
        meetings_per_pair=12,
        concurrency=(1, 8, 32),
        requests=200,
        warmup=32,
        fanout=10_000,
        fanout_limited_seconds=90,
        growth_pairings=(1_000, 10_000, 100_000),
        growth_due=100,
        growth_teams=(5, 200),
        growth_requests=150,
        footprint_people=10_000,
        footprint_actions=100_000,
        footprint_requests=400,
    ),
}

# A Tuesday in November, 10:00 in Oslo: inside working hours, no public holiday in Norway.
START = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
TEAM = "T0MAL"


# ---------------------------------------------------------------------------------------------- output


@dataclass
class Section:
    title: str
    headers: list[str]
    rows: list[list[str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def markdown(self) -> str:
        out = [f"### {self.title}", ""]
        out.append("| " + " | ".join(self.headers) + " |")
        out.append("|" + "|".join("---" if i == 0 else "---:" for i in range(len(self.headers))) + "|")
        out.extend("| " + " | ".join(row) + " |" for row in self.rows)
        if self.notes:
            out.append("")
            out.extend(f"- {n}" for n in self.notes)
        return "\n".join(out) + "\n"


@dataclass
class Outcome:
    """What a figure found: its tables, and any correctness failure (the only reason to exit non-zero)."""

    sections: list[Section] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def check(self, ok: bool, message: str) -> None:
        if not ok:
            self.failures.append(message)
            progress(f"CHECK FAILED: {message}")


def progress(message: str) -> None:
    """Progress goes to stderr so that stdout stays a clean Markdown report."""
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def ms(seconds: float) -> str:
    value = seconds * 1000
    return f"{value:.1f}" if value < 100 else f"{value:.0f}"


def ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}×" if b > 0 else "–"


def rate(n: float, seconds: float) -> str:
    return f"{n / seconds:.0f}" if seconds > 0 else "–"


def cpu_ms(result: LoadResult) -> str:
    """CPU milliseconds per request, to a tenth (the kernel counts CPU time in ticks of 10 ms)."""
    value = result.cpu_per_request * 1000
    return "–" if math.isnan(value) else f"{value:.1f}"


def percentiles(values: list[float]) -> tuple[float, float, float]:
    """p50, p95, p99; with few samples the inclusive method interpolates instead of inventing extremes."""
    if not values:
        return (math.nan, math.nan, math.nan)
    if len(values) == 1:
        return (values[0], values[0], values[0])
    q = statistics.quantiles(values, n=100, method="inclusive")
    return (q[49], q[94], q[98])


def machine() -> str:
    mem_kb = 0
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC · {os.cpu_count()} cores ({model}) · "
        f"{mem_kb / 1024 / 1024:.1f} GiB RAM · Python {platform.python_version()}"
    )


# ---------------------------------------------------------------------------------------------- databases


NewDatabase = Callable[[], AbstractContextManager[str]]


@contextmanager
def database(kind: str, pg_url: str | None) -> Iterator[str]:
    """A fresh, empty database of the asked kind, dropped afterwards (the harness's own helper)."""
    saved = os.environ.pop(PG_ENV, None)
    if kind == "postgres":
        assert pg_url, "PostgreSQL needs --postgres-url or MAL_TEST_POSTGRES_URL"
        os.environ[PG_ENV] = pg_url
    try:
        with tempfile.TemporaryDirectory(prefix="mal-bench-") as tmp, fresh_database(tmp) as url:
            os.environ.pop(PG_ENV, None)
            if saved is not None:
                os.environ[PG_ENV] = saved
            yield url
    finally:
        os.environ.pop(PG_ENV, None)
        if saved is not None:
            os.environ[PG_ENV] = saved


def server_version(url: str) -> str:
    if url.startswith("sqlite"):
        return f"SQLite {sqlite3.sqlite_version}"
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return "PostgreSQL " + str(conn.execute(sa.text("SHOW server_version")).scalar())
    finally:
        engine.dispose()


# ---------------------------------------------------------------------------------------------- emulator


@dataclass
class Pending:
    """A request whose visible effect (a reply through response_url, a published Home) is awaited."""

    event: threading.Event = field(default_factory=threading.Event)
    at: float = 0.0


class BenchEmulator(SlackEmulator):
    """The project's emulator, told to note when an effect becomes visible and to speak Slack's time.

    Two things differ from the stock emulator, both so the figures describe mal and not the stand-in:
    the DM owner of a channel is found through an index (the stock emulator scans every user on each
    post, which caps it near a few hundred posts a second with 10,000 users); and with limits scaled in
    time, ``Retry-After`` is given in the scaled seconds the bot's clock runs in, as Slack would give it.
    """

    def __init__(self) -> None:
        self._dm_index: dict[str, str] = {}
        self._pending: dict[str, Pending] = {}
        self.time_scale = 1.0
        super().__init__()

    def _add_user_locked(self, user_id: str, name: str, **kwargs: Any) -> JSONDict:
        user = super()._add_user_locked(user_id, name, **kwargs)
        if user_id != self.bot_user_id:
            self._dm_index[self.dm_channel_id(user_id)] = user_id
        return user

    def _dm_owner(self, channel_id: str) -> str | None:
        return self._dm_index.get(channel_id)

    def add_users_quietly(self, user_ids: list[str], tz: str = "Europe/Oslo") -> None:
        with self._lock:
            for uid in user_ids:
                self._add_user_locked(
                    uid, uid.lower(), email=None, tz=tz, locale="nb-NO", real_name=uid, is_admin=False, is_bot=False
                )

    def expect(self, key: str) -> Pending:
        pending = Pending()
        with self._lock:
            self._pending[key] = pending
        return pending

    def _complete(self, key: str) -> None:
        pending = self._pending.pop(key, None)
        if pending is not None:
            pending.at = time.perf_counter()
            pending.event.set()

    def _views_publish(self, params: JSONDict) -> JSONDict:
        result = super()._views_publish(params)
        self._complete("home:" + str(params.get("user_id")))
        return result

    def _handle_response_url(self, url: str, body: bytes) -> tuple[int, dict[str, str], bytes]:
        status, headers, payload = super()._handle_response_url(url, body)
        if status == 200:
            with self._lock:
                self._complete("url:" + url)
        return status, headers, payload

    def _dispatch(self, method: str, token: object, params: JSONDict) -> tuple[int, dict[str, str], JSONDict]:
        status, headers, payload = super()._dispatch(method, token, params)
        if status == 429 and self.time_scale != 1.0:
            wait = int(headers.get("X-Emulator-Retry-After-Ms", "1000")) / 1000.0
            headers = {**headers, "Retry-After": str(max(1, math.ceil(wait * self.time_scale)))}
        return status, headers, payload

    def bot_message_counts(self) -> Counter[str]:
        """Messages the bot posted, per DM channel: the ground truth for lost and duplicated."""
        with self._lock:
            return Counter({ch: sum(1 for m in msgs if m.get("bot_id")) for ch, msgs in self._messages.items() if msgs})

    def forget_messages(self) -> None:
        with self._lock:
            self._messages.clear()
            self._ephemerals.clear()
            self._calls.clear()
            self._response_posts.clear()
            self._response_urls.clear()
            self._triggers.clear()


@contextmanager
def running_emulator() -> Iterator[BenchEmulator]:
    emu = BenchEmulator()
    emu.start()
    try:
        yield emu
    finally:
        emu.stop()


class PayloadDriver(SlackDriver):
    """The project's driver, used only to build payloads; the load generator sends and times them."""

    def __init__(self, emulator: SlackEmulator) -> None:
        super().__init__("http://unused/slack/events", SIGNING_SECRET, emulator)
        self.captured: tuple[str, str, dict[str, str]] = ("", "", {})
        self.lock = threading.Lock()

    def send(
        self,
        body: str,
        content_type: str,
        *,
        headers: Any = None,
        sign_with: str | None = None,
        timestamp_offset: int = 0,
        sent: JSONDict | None = None,
    ) -> DriverResult:
        self.captured = (body, content_type, dict(headers or {}))
        return DriverResult(0, {}, "", None, sent or {})


# ---------------------------------------------------------------------------------------------- load


ACK_DEADLINE = 2.9  # Bolt waits 3 s for ack(), then answers 404 and Slack shows "operation_timeout"


@dataclass
class Request:
    body: str
    content_type: str
    headers: dict[str, str] = field(default_factory=dict)
    pending: Pending | None = None
    check: Callable[[int, bytes], str | None] | None = None


class SignedClient:
    """One keep-alive connection per worker; each body signed as Slack signs it, at send time."""

    def __init__(self, base_url: str, secret: str = SIGNING_SECRET) -> None:
        host, port = base_url.removeprefix("http://").split(":")
        self.host, self.port = host, int(port)
        self.verifier = SignatureVerifier(secret)
        self.conn: http.client.HTTPConnection | None = None

    def post(self, body: str, content_type: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        timestamp = str(int(time.time()))
        all_headers = {
            "Content-Type": content_type,
            "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
            "X-Slack-Request-Timestamp": timestamp,
            "X-Slack-Signature": str(self.verifier.generate_signature(timestamp=timestamp, body=body)),
            **(headers or {}),
        }
        data = body.encode("utf-8")
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
            try:
                self.conn.request("POST", "/slack/events", body=data, headers=all_headers)
                resp = self.conn.getresponse()
                return resp.status, resp.read()
            except (ConnectionError, http.client.HTTPException, OSError):
                self.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


@dataclass
class LoadResult:
    answered: list[float] = field(default_factory=list)
    visible: list[float] = field(default_factory=list)
    wall: float = 0.0
    errors: list[str] = field(default_factory=list)
    timeouts: int = 0
    cpu: float = math.nan  # the server process's CPU seconds over the load, when it was measured

    @property
    def count(self) -> int:
        return len(self.answered)

    @property
    def cpu_per_request(self) -> float:
        return self.cpu / self.count if self.count else math.nan


# Work a listener does after its acknowledgement (the audit row, a publish) may outlast the last answer a little.
SETTLE_SECONDS = 0.3


def cpu_load(server: ServerProcess, concurrency: int, total: int, prepare: Callable[[int], Request]) -> LoadResult:
    """``run_load`` against ``server``, with the CPU time its process spent on the load (all its threads,
    including what listeners do after acknowledging), less what it spends idle over the same settling time."""
    time.sleep(SETTLE_SECONDS)
    before = server.cpu_seconds()
    time.sleep(SETTLE_SECONDS)
    idle = server.cpu_seconds() - before
    before = server.cpu_seconds()
    result = run_load(server.url, concurrency, total, prepare)
    time.sleep(SETTLE_SECONDS)
    result.cpu = max(0.0, server.cpu_seconds() - before - idle)
    return result


def run_load(
    base_url: str, concurrency: int, total: int, prepare: Callable[[int], Request], visible_timeout: float = 15.0
) -> LoadResult:
    """Closed loop: each of ``concurrency`` workers sends its next request once the last one is done.

    Done means answered for a command, and visible (reply posted, Home published) when the request
    carries a ``pending`` effect, since that is when the person sees the result.
    """
    result = LoadResult()
    counter = itertools.count()
    lock = threading.Lock()

    def worker(w: int) -> None:
        client = SignedClient(base_url)
        try:
            while next(counter) < total:
                req = prepare(w)
                t0 = time.perf_counter()
                try:
                    status, body = client.post(req.body, req.content_type, req.headers)
                except OSError as exc:
                    with lock:
                        result.errors.append(f"transport: {exc!r}")
                    continue
                t1 = time.perf_counter()
                if status == 404 and t1 - t0 >= ACK_DEADLINE:
                    # Bolt gives up waiting for the acknowledgement: Slack shows the person a timeout.
                    with lock:
                        result.timeouts += 1
                        result.answered.append(t1 - t0)
                        result.visible.append(t1 - t0)
                    continue
                problem = f"HTTP {status}: {body[:200]!r}" if status != 200 else None
                if problem is None and req.check is not None:
                    problem = req.check(status, body)
                t2 = t1
                if problem is None and req.pending is not None:
                    if req.pending.event.wait(visible_timeout):
                        t2 = req.pending.at
                    else:
                        problem = f"no visible effect within {visible_timeout:.0f} s"
                with lock:
                    if problem is not None:
                        result.errors.append(problem)
                    else:
                        result.answered.append(t1 - t0)
                        result.visible.append(t2 - t0)
        finally:
            client.close()

    threads = [threading.Thread(target=worker, args=(w,), daemon=True) for w in range(concurrency)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    result.wall = time.perf_counter() - start
    return result


# ---------------------------------------------------------------------------------------------- processes


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def bot_env(emulator: SlackEmulator, database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "MAL_", "DATABASE_URL"))}
    env.update(
        {
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": emulator.api_url,
            "DATABASE_URL": database_url,
            "MAL_TIMEZONE": "Europe/Oslo",
            "MAL_LOCALE": "nb",
            "NO_PROXY": "127.0.0.1,localhost",
            "no_proxy": "127.0.0.1,localhost",
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")

MAL_COMMAND = ["bot", "run", "--http", "--no-scheduler", "--host", "127.0.0.1"]
FLOOR_COMMAND = ["tests.bench.floor", "--host", "127.0.0.1"]


@dataclass
class ServerProcess:
    proc: subprocess.Popen[bytes]
    port: int
    started: float
    log: Path
    pid: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def cpu_seconds(self) -> float:
        """User and system CPU time the server process has used so far (all its threads), from /proc."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS

    def rss_kib(self, key: str = "VmRSS") -> int:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
        return 0


def _healthy(port: int) -> bool:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(f"http://127.0.0.1:{port}/healthz", timeout=1) as resp:
            return int(resp.status) == 200
    except (urllib.error.URLError, OSError):
        return False


# ``--profile DIR``: py-spy samples mal's server processes into DIR/<figure>.txt (collapsed stacks, see
# ``tests.bench.profile``). Figures taken meanwhile describe the profiled process, not the production one.
PROFILE_DIR: Path | None = None
PROFILE_RATE = 250


def _child_pid(parent: int, timeout: float = 10.0) -> int:
    """The process py-spy started, once it exists: the server whose CPU and memory are measured."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        children = Path(f"/proc/{parent}/task/{parent}/children").read_text().split()
        if children:
            return int(children[0])
        time.sleep(0.01)
    raise RuntimeError("py-spy started no server")


@contextmanager
def server_process(
    module_args: list[str], env: dict[str, str], *, wait: bool = True, profile: str | None = None
) -> Iterator[ServerProcess]:
    """A server under test in its own process, as in production: its own interpreter and its own GIL.

    With ``profile`` (a name) and ``--profile DIR``, py-spy starts it and samples it into DIR/<profile>.txt."""
    port = free_port()
    log = Path(tempfile.mkstemp(prefix="mal-bench-server-", suffix=".log")[1])
    command = [sys.executable, "-m", *module_args, "--port", str(port)]
    profiled = PROFILE_DIR is not None and profile is not None
    if profiled:
        assert PROFILE_DIR is not None
        output = PROFILE_DIR / f"{profile}.txt"
        spy = str(Path(sys.executable).parent / "py-spy")
        command = [spy, "record", "--gil", "--format", "raw", "--rate", str(PROFILE_RATE), "--output", str(output)]
        command += ["--"]
        command += [sys.executable, "-m", *module_args, "--port", str(port)]
        progress(f"profiling {module_args[0]} into {output}")
    with log.open("wb") as out:
        started = time.perf_counter()
        proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=out)
    server = ServerProcess(proc, port, started, log, _child_pid(proc.pid) if profiled else proc.pid)
    try:
        if wait:
            deadline = time.monotonic() + 60
            while not _healthy(port):
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"server {module_args[0]} did not start:\n{log.read_text()[-3000:]}")
                time.sleep(0.02)
        yield server
    finally:
        if profiled:  # the server stops, then py-spy writes what it sampled and exits
            with contextlib.suppress(ProcessLookupError):
                os.kill(server.pid, signal.SIGTERM)
        else:
            proc.terminate()
        try:
            proc.wait(timeout=30 if profiled else 10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.unlink(missing_ok=True)

"""Several workspaces install mal over OAuth: an admin opens /slack/install, approves at Slack, and from
then on that workspace's people are answered and nudged with that workspace's own token. A forged or
stale install is refused, one workspace never sees another's data, and a revoked workspace goes quiet
while the others carry on — until it installs again.

Everything happens over real HTTP: the browser's redirects between the bot and the emulator's consent
page, the code exchange (oauth.v2.access), signed slash commands and events, and the tick's posts.
"""

import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import sqlalchemy as sa
from sqlmodel import select

from bot import people
from bot.app import listener_client
from bot.emulator.driver import SlackDriver
from bot.emulator.server import SlackEmulator
from bot.gateway import build_gateway
from bot.oauth import installation_store
from flows import pairings
from flows.clock import ManualClock
from storage.models import Person, Workspace
from tests.harness import SIGNING_SECRET, Harness

CLIENT_ID = "1234567890.0987654321"
CLIENT_SECRET = "oauth-client-secret"
MONDAY = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
NORD, SVEA = "T0NORD", "T0SVEA"


@dataclass
class Browser:
    """Follows nothing by itself, so the test sees each hop; keeps the state cookie as a browser would."""

    cookies: dict[str, str]

    def get(self, url: str) -> tuple[int, dict[str, str], str]:
        req = urllib.request.Request(url)
        if self.cookies:
            req.add_header("Cookie", "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect())
        try:
            with opener.open(req, timeout=10) as resp:
                status, headers, body = resp.status, resp.headers, resp.read().decode()
        except urllib.error.HTTPError as err:
            status, headers, body = err.code, err.headers, err.read().decode()
        for raw in headers.get_all("Set-Cookie") or []:
            name, _, rest = raw.partition("=")
            self.cookies[name.strip()] = rest.split(";")[0]
        return status, {k.lower(): v for k, v in headers.items()}, body


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


@pytest.fixture
def bot(emulator: SlackEmulator, database_url: str, clock: ManualClock) -> Iterator[Harness]:
    emulator.add_workspace(NORD, "Nordlys AS")
    emulator.add_workspace(SVEA, "Svea AB")
    for team, prefix in ((NORD, "UN"), (SVEA, "US")):
        emulator.add_user(f"{prefix}ADMIN", f"{prefix.lower()}admin", is_admin=True, team_id=team)
        emulator.add_user(f"{prefix}BOSS", f"{prefix.lower()}boss", real_name=f"Boss {team}", team_id=team)
        emulator.add_user(f"{prefix}EMP", f"{prefix.lower()}emp", real_name=f"Employee {team}", team_id=team)
    overrides = {
        "slack_bot_token": None,
        "slack_client_id": CLIENT_ID,
        "slack_client_secret": CLIENT_SECRET,
        "slack_authorize_url": emulator.authorize_url,
    }
    clock.set(MONDAY)
    h = Harness(emulator, clock, database_url, overrides=overrides).start()
    assert h.server is not None and h.svc is not None
    emulator.register_app(CLIENT_ID, CLIENT_SECRET, h.server.url + "/slack/oauth_redirect")
    h.gateway = build_gateway(h.svc)  # what `mal-bot run --http` builds in OAuth mode
    try:
        yield h
    finally:
        h.stop()


def install(bot: Harness, team: str) -> tuple[int, str]:
    """The workspace's admin installs mal: bot → Slack's consent page → back to the bot with a code."""
    assert bot.server is not None
    browser = Browser({})
    status, headers, _ = browser.get(f"{bot.server.url}/slack/install?team={team}")
    assert status == 302
    authorize = headers["location"]
    assert authorize.startswith(bot.emulator.authorize_url)
    query = parse_qs(urlsplit(authorize).query)
    assert query["client_id"] == [CLIENT_ID] and "chat:write" in query["scope"][0].split(",")
    status, headers, _ = browser.get(authorize)  # the admin clicks "Allow"
    assert status == 302
    back = headers["location"]
    assert back.startswith(f"{bot.server.url}/slack/oauth_redirect?")
    assert parse_qs(urlsplit(back).query)["state"] == query["state"]
    status, _, body = browser.get(back)
    return status, body


def driver(bot: Harness, team: str) -> SlackDriver:
    assert bot.server is not None
    return SlackDriver(bot.server.url + "/slack/events", SIGNING_SECRET, bot.emulator, team_id=team)


def token_of(bot: Harness, team: str) -> str:
    return bot.emulator.workspace_tokens(team)[-1]


def pair_in(bot: Harness, team: str, manager: str, employee: str) -> None:
    """Who reports to whom in one workspace, looked up with that workspace's token."""
    assert bot.svc is not None
    web = listener_client(token_of(bot, team), bot.emulator.api_url)
    with bot.repo() as repo:
        m: Person = people.ensure(repo, web, team, manager, bot.clock.now())
        e: Person = people.ensure(repo, web, team, employee, bot.clock.now())
        pairings.pair(repo, m, e, now=bot.clock.now(), tz="Europe/Oslo", lead=10, cadence_name="monthly")


def shown(result: object) -> str:
    from tests.story import text_of

    return text_of({"blocks": result.json["blocks"]})  # type: ignore[attr-defined]


def eventually(condition: Callable[[], bool], timeout: float = 5.0) -> bool:
    """For work Bolt does after acknowledging an event: poll the store until it shows the result."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


def workspace(bot: Harness, team: str) -> Workspace | None:
    with bot.repo() as repo:
        return repo.workspace(team)


def test_a_new_workspace_installs_and_is_answered_and_nudged_with_its_own_token(bot: Harness) -> None:
    status, page = install(bot, NORD)
    assert status == 200
    assert "mal er installert" in page and "Nordlys AS" in page  # the organisation's language (nb)
    token = token_of(bot, NORD)
    assert bot.svc is not None
    stored = installation_store(bot.svc).find_bot(enterprise_id=None, team_id=NORD)
    assert stored is not None and stored.bot_token == token
    ws = workspace(bot, NORD)
    assert ws is not None and ws.active and ws.name == "Nordlys AS"

    answer = driver(bot, NORD).slash_command("UNBOSS", "help")
    assert answer.status == 200 and "/mal add" in shown(answer)
    assert set(bot.emulator.tokens_used("users.info")) == {token}  # the command's lookup used Nordlys' token

    pair_in(bot, NORD, "UNBOSS", "UNEMP")
    report = bot.tick()
    assert report.drain.sent == 1
    assert bot.emulator.tokens_used("chat.postMessage", "UNBOSS") == [token]
    assert "Employee T0NORD" in bot.emulator.messages("UNBOSS")[0]["text"]


def test_a_forged_or_stale_state_is_refused_and_stores_nothing(bot: Harness) -> None:
    assert bot.server is not None and bot.svc is not None
    browser = Browser({})
    _, headers, _ = browser.get(f"{bot.server.url}/slack/install?team={NORD}")
    _, back, _ = browser.get(headers["location"])
    code = parse_qs(urlsplit(back["location"]).query)["code"][0]

    forged = Browser({"slack-app-oauth-state": "forged-state"})
    status, _, page = forged.get(f"{bot.server.url}/slack/oauth_redirect?code={code}&state=forged-state")
    assert status == 401  # a state mal never issued
    assert "Installasjonen ble ikke fullført" in page and "Ingenting ble lagret" in page
    status, _, _ = Browser({}).get(back["location"])  # the right state, but from another browser
    assert status == 400

    with bot.svc.engine.begin() as conn:  # the admin left the consent page open for eleven minutes
        conn.execute(sa.text("UPDATE slack_oauth_states SET expire_at = :past"), {"past": datetime(2000, 1, 1)})
    status, _, _ = browser.get(back["location"])
    assert status == 401

    assert installation_store(bot.svc).find_bot(enterprise_id=None, team_id=NORD) is None
    assert workspace(bot, NORD) is None
    assert bot.emulator.count_calls("oauth.v2.access") == 0
    stranger = driver(bot, NORD)
    assert stranger.slash_command("UNBOSS", "help").body == ""  # not installed: no answer from mal…
    (notice,) = stranger.wait_response_url_posts(1)
    assert "mal er ikke installert i dette arbeidsområdet" in str(notice.get("text"))  # …only a request to install


@pytest.mark.parametrize(
    "team",
    [
        "T0NORD&scope=admin,chat:write&redirect_uri=https://evil.example/steal",
        "T0NORD#",
        "t0nord",
        "T0NORD\r\nLocation: https://evil.example",
    ],
)
def test_an_install_link_with_a_forged_team_is_refused_before_anyone_is_sent_to_slack(bot: Harness, team: str) -> None:
    assert bot.server is not None
    status, headers, page = Browser({}).get(f"{bot.server.url}/slack/install?{urlencode({'team': team})}")

    assert status == 400 and "location" not in headers
    assert "Installasjonslenken er ikke riktig" in page and "T024BE7LD" in page
    assert "evil.example" not in page


def test_the_consent_link_carries_each_parameter_once_and_encoded(bot: Harness) -> None:
    assert bot.server is not None
    url = f"{bot.server.url}/slack/install?team={NORD}&scope=admin&redirect_uri=https://evil.example"
    status, headers, _ = Browser({}).get(url)

    assert status == 302
    query = parse_qs(urlsplit(headers["location"]).query, keep_blank_values=True)
    assert sorted(query) == ["client_id", "scope", "state", "team", "user_scope"]
    assert all(len(values) == 1 for values in query.values())
    assert query["team"] == [NORD] and "admin" not in query["scope"][0].split(",")
    assert "evil.example" not in headers["location"]


def test_two_workspaces_each_get_their_own_token_and_never_see_each_other(bot: Harness) -> None:
    install(bot, NORD)
    install(bot, SVEA)
    nord, svea = token_of(bot, NORD), token_of(bot, SVEA)
    assert nord != svea
    pair_in(bot, NORD, "UNBOSS", "UNEMP")
    pair_in(bot, SVEA, "USBOSS", "USEMP")
    assert bot.tick().drain.sent == 2
    assert bot.emulator.tokens_used("chat.postMessage", "UNBOSS") == [nord]
    assert bot.emulator.tokens_used("chat.postMessage", "USBOSS") == [svea]

    added = driver(bot, NORD).slash_command("UNBOSS", "add <@UNEMP|unemp> Fullføre kurset 15.12.2026")
    assert added.status == 200
    peek = driver(bot, SVEA).slash_command("USBOSS", "<@UNEMP|unemp>")
    assert peek.status == 200 and "Fullføre kurset" not in shown(peek)
    meddle = driver(bot, SVEA).slash_command("USBOSS", "add <@UNEMP|unemp> Noe annet 15.12.2026")
    assert "egne medarbeidere" in shown(meddle)
    with bot.repo() as repo:
        svea_people = repo.session.exec(select(Person).where(Person.team_id == SVEA)).all()
    assert {p.slack_user_id for p in svea_people} <= {"USBOSS", "USEMP", "UNEMP"}
    assert all(p.name != "Employee T0NORD" for p in svea_people)  # Nordlys' profile never read with Svea's token


def next_month(bot: Harness) -> None:
    """Tick each working morning until the next monthly nudges have gone out (or a month has passed)."""
    before = len(bot.emulator.calls)
    for _ in range(45):
        bot.clock.advance(timedelta(days=1))
        bot.tick()
        if any(m == "chat.postMessage" for m, _ in bot.emulator.calls[before:]):
            bot.clock.advance(timedelta(hours=1))
            bot.tick()
            return


def test_after_tokens_revoked_one_workspace_goes_quiet_and_the_other_carries_on(bot: Harness) -> None:
    install(bot, NORD)
    install(bot, SVEA)
    pair_in(bot, NORD, "UNBOSS", "UNEMP")
    pair_in(bot, SVEA, "USBOSS", "USEMP")
    assert bot.tick().drain.sent == 2
    assert bot.svc is not None
    revoked, svea = token_of(bot, NORD), token_of(bot, SVEA)

    bot.emulator.revoke_token(revoked)  # Nordlys removes the app
    assert driver(bot, NORD).event({"type": "tokens_revoked", "tokens": {"bot": ["UBOT"]}}).status == 200
    store = installation_store(bot.svc)
    assert eventually(lambda: store.find_bot(enterprise_id=None, team_id=NORD) is None)
    assert eventually(lambda: not (workspace(bot, NORD) or Workspace(team_id="x")).active)

    next_month(bot)
    assert bot.emulator.tokens_used("chat.postMessage", "UNBOSS") == [revoked]  # only November's
    assert bot.emulator.tokens_used("chat.postMessage", "USBOSS") == [svea, svea]
    assert bot.emulator.failed_calls("chat.postMessage") == []  # stopped before asking Slack

    install(bot, NORD)  # they change their mind: a new install resumes sending
    ws = workspace(bot, NORD)
    assert ws is not None and ws.active and ws.revoked_at is None
    fresh = token_of(bot, NORD)
    assert fresh != revoked
    next_month(bot)
    assert bot.emulator.tokens_used("chat.postMessage", "UNBOSS") == [revoked, fresh]
    # the sender still held the old token: Slack refused it once, the store had the new one
    assert bot.emulator.failed_calls("chat.postMessage") == [("chat.postMessage", "token_revoked")]
    assert bot.emulator.tokens_used("chat.postMessage", "USBOSS") == [svea, svea, svea]


def test_uninstalling_deletes_the_installation_and_stops_the_workspace(bot: Harness) -> None:
    install(bot, NORD)
    assert bot.svc is not None
    assert driver(bot, NORD).event({"type": "app_uninstalled"}).status == 200
    store = installation_store(bot.svc)
    assert eventually(lambda: store.find_bot(enterprise_id=None, team_id=NORD) is None)
    assert eventually(lambda: not (workspace(bot, NORD) or Workspace(team_id="x")).active)


def test_slack_rate_limiting_one_workspace_does_not_hold_up_another(bot: Harness) -> None:
    install(bot, NORD)
    install(bot, SVEA)
    for team, prefix in ((NORD, "UN"), (SVEA, "US")):
        for i in range(3):
            bot.emulator.add_user(f"{prefix}M{i}", f"{prefix.lower()}m{i}", team_id=team)
            bot.emulator.add_user(f"{prefix}E{i}", f"{prefix.lower()}e{i}", team_id=team)
            pair_in(bot, team, f"{prefix}M{i}", f"{prefix}E{i}")
    bot.emulator.set_rate_limit("chat.postMessage", 1, per_seconds=60)  # Slack's limits are per workspace
    report = bot.tick()
    assert report.drain.sent == 2  # one in each workspace; each 429 deferred only its own workspace's rows
    assert bot.emulator.rate_limited_count("chat.postMessage") == 2

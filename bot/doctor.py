"""`mal-bot doctor`: is this installation able to work, and if not, what exactly to change.

An operator meets a missing scope as a ``missing_scope`` error in a log weeks later, when the first
report answers a question; a signing secret pasted from the wrong field as 401s nobody explains. The
doctor asks Slack and the database now, in the organisation's language, and says for each thing that is
wrong where to fix it. It changes nothing.
"""

import re
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_datetime
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackRequestError
from sqlalchemy.engine import Engine

from bot.settings import Settings
from flows.cadence import holiday_calendar
from flows.i18n import Translator

# Slack's signing secrets are 32 hexadecimal characters (the app's Basic Information page).
SIGNING_SECRET = re.compile(r"[0-9a-f]{32}")
APPS_PAGE = "https://api.slack.com/apps"
MAX_ADMINS_TRIED = 5


@dataclass(frozen=True)
class Finding:
    ok: bool
    what: str
    fix: str = ""


def examine(
    settings: Settings,
    engine: Engine,
    client: WebClient | None,
    t: Translator,
    now: datetime,
) -> list[Finding]:
    """Every check, in the order an operator would fix them; ``client`` is None when there is no token."""
    findings = token_findings(settings, client, t)
    findings.append(signing_secret_finding(settings, t))
    findings.append(database_finding(engine, t))
    findings.extend(calendar_findings(settings, t, now))
    findings.extend(admin_dm_findings(settings, client, t))
    return findings


def report(findings: list[Finding], t: Translator) -> str:
    lines = []
    for f in findings:
        lines.append(("✓ " if f.ok else "✗ ") + f.what)
        if not f.ok and f.fix:
            lines.append("  → " + f.fix)
    failed = sum(not f.ok for f in findings)
    lines.append("")
    lines.append(
        t._("All {n} checks passed.", n=len(findings))
        if not failed
        else t.ngettext("{n} check of {total} failed.", "{n} checks of {total} failed.", failed, total=len(findings))
    )
    return "\n".join(lines)


# --- the token and its scopes -----------------------------------------------------------------------------


def _header(headers: object, name: str) -> str | None:
    if not isinstance(headers, dict):
        return None
    for key, value in headers.items():
        if str(key).lower() == name:
            return str(value[0] if isinstance(value, list) and value else value)
    return None


def token_findings(settings: Settings, client: WebClient | None, t: Translator) -> list[Finding]:
    if client is None:
        return [
            Finding(
                False,
                t._("There is no bot token to check."),
                t._(
                    "Set SLACK_BOT_TOKEN to the app's Bot User OAuth Token (xoxb-…, on its OAuth & Permissions page "
                    "at {page}); when installed over OAuth, run `mal-bot doctor --team T…` for one workspace.",
                    page=APPS_PAGE,
                ),
            )
        ]
    try:
        answer = client.auth_test()
    except SlackApiError as exc:
        return [
            Finding(
                False,
                t._("Slack refused the bot token: {error}.", error=str(exc.response.get("error", "?"))),
                t._(
                    "Copy the Bot User OAuth Token again from the app's OAuth & Permissions page ({page}); if the "
                    "app was removed from the workspace, install it again.",
                    page=APPS_PAGE,
                ),
            )
        ]
    except (SlackRequestError, OSError) as exc:
        return [
            Finding(
                False,
                t._("Slack could not be reached at {url}: {reason}.", url=client.base_url, reason=type(exc).__name__),
                t._("Check the network, a proxy in between, and SLACK_API_URL if it is set."),
            )
        ]
    works = Finding(
        True,
        t._(
            "The bot token works: {bot} in the workspace {team} ({team_id}).",
            bot=str(answer.get("user", "")),
            team=str(answer.get("team", "")),
            team_id=str(answer.get("team_id", "")),
        ),
    )
    granted = _header(answer.headers, "x-oauth-scopes")
    if granted is None:
        return [works, Finding(False, t._("Slack did not say which scopes the token has."), "")]
    have = {s.strip() for s in granted.split(",") if s.strip()}
    missing = [s for s in settings.scopes if s not in have]
    if not missing:
        return [
            works,
            Finding(
                True,
                t.ngettext(
                    "The token has the {n} scope mal asks for.",
                    "The token has all {n} scopes mal asks for.",
                    len(settings.scopes),
                ),
            ),
        ]
    scopes = ", ".join(missing)
    return [
        works,
        Finding(
            False,
            t.ngettext(
                "The token lacks the scope {scopes}, which mal needs.",
                "The token lacks the scopes {scopes}, which mal needs.",
                len(missing),
                scopes=scopes,
            ),
            t._(
                "Add {scopes} under oauth_config.scopes.bot in app.yaml (or on the app's OAuth & Permissions page "
                "at {page}), reinstall the app to the workspace, and use the new Bot User OAuth Token.",
                scopes=scopes,
                page=APPS_PAGE,
            ),
        ),
    ]


# --- the signing secret --------------------------------------------------------------------------------------


def signing_secret_finding(settings: Settings, t: Translator) -> Finding:
    where = t._(
        "Copy it from the app's Basic Information page, under App Credentials: the Signing Secret, not the "
        "client secret or a token."
    )
    secret = settings.signing_secret
    if not secret:
        if settings.app_token:
            return Finding(True, t._("No signing secret: Socket Mode does not need one (SLACK_APP_TOKEN is set)."))
        return Finding(
            False, t._("No signing secret: HTTP mode (mal-bot run --http) needs SLACK_SIGNING_SECRET."), where
        )
    if SIGNING_SECRET.fullmatch(secret):
        return Finding(True, t._("The signing secret has the shape of one (32 characters, 0–9 and a–f)."))
    return Finding(
        False,
        t._("SLACK_SIGNING_SECRET does not look like a signing secret: Slack's are 32 characters, 0–9 and a–f."),
        where,
    )


# --- the database --------------------------------------------------------------------------------------------


def database_finding(engine: Engine, t: Translator) -> Finding:
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    from storage.db import alembic_config

    head = ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
    try:
        with engine.connect() as conn:
            current = MigrationContext.configure(conn).get_current_revision()
    except Exception as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0][:200]
        return Finding(
            False,
            t._("The database cannot be reached: {reason}", reason=reason),
            t._("Check DATABASE_URL; for PostgreSQL install its driver with `uv sync --extra postgres`."),
        )
    if current != head:
        schema = current or t._("no schema yet")
        return Finding(
            False,
            t._(
                "The database is reachable but not at the newest schema ({current}; the newest is {head}).",
                current=schema,
                head=head,
            ),
            t._("Run `mal-bot migrate`."),
        )
    return Finding(True, t._("The database is reachable and at the newest schema ({head}).", head=head))


# --- time zone and public holidays --------------------------------------------------------------------------


def calendar_findings(settings: Settings, t: Translator, now: datetime) -> list[Finding]:
    tz = settings.mal_timezone
    local = now.astimezone(ZoneInfo(tz))
    pattern = t._("EEEE d MMMM y HH:mm")
    zone = Finding(
        True,
        t._("Time zone {tz}: it is {time} there now.", tz=tz, time=format_datetime(local, pattern, locale=t.language)),
    )
    country = settings.mal_holidays_country
    calendar = holiday_calendar(country)
    coming = sorted(d for d in calendar[local.date() : local.date().replace(year=local.year + 1)])
    name = Locale.parse(t.language).territories.get(country, country)
    if not coming:
        return [
            zone,
            Finding(
                False,
                t._("No public holidays are known for {country} in the coming year.", country=name),
                t._("Set MAL_HOLIDAYS_COUNTRY to NO or SE, and update the holidays package."),
            ),
        ]
    day = format_date(coming[0], t._("EEEE d MMMM y"), locale=t.language)
    holidays = Finding(
        True, t._("Public holidays of {country}: nobody is messaged on them; the next is {day}.", country=name, day=day)
    )
    return [zone, holidays]


# --- a DM with an admin --------------------------------------------------------------------------------------


def admin_dm_findings(settings: Settings, client: WebClient | None, t: Translator) -> list[Finding]:
    admins = sorted(settings.admin_ids)[:MAX_ADMINS_TRIED]
    if not admins:
        return [
            Finding(
                False,
                t._("MAL_ADMINS is empty, so no admin's DM could be tried and nobody can open the annual season."),
                t._("Set MAL_ADMINS to the Slack user IDs or e-mail addresses of mal's admins, comma-separated."),
            )
        ]
    if client is None:
        return []
    return [_admin_dm(client, admin, t) for admin in admins]


def _admin_dm(client: WebClient, admin: str, t: Translator) -> Finding:
    try:
        user_id = admin
        if "@" in admin:
            user_id = str(client.users_lookupByEmail(email=admin)["user"]["id"])
        client.conversations_open(users=user_id)
    except SlackApiError as exc:
        error = str(exc.response.get("error", "?"))
        fix = {
            "missing_scope": t._(
                "The token lacks the scope {scope}: add it in app.yaml and reinstall the app.",
                scope=str(exc.response.get("needed", "")),
            ),
            "users_not_found": t._("Check the address in MAL_ADMINS: Slack knows nobody by it."),
            "user_not_found": t._("Check the ID in MAL_ADMINS: Slack knows nobody by it in this workspace."),
            "user_disabled": t._("This person is deactivated in Slack: choose another admin in MAL_ADMINS."),
        }.get(error, t._("Check MAL_ADMINS and the app's scopes (im:write)."))
        return Finding(
            False,
            t._("mal cannot open a DM with the admin {admin}: Slack answered {error}.", admin=admin, error=error),
            fix,
        )
    return Finding(True, t._("mal can open a DM with the admin {admin}.", admin=admin))

"""`mal-bot`: run the bot, migrate the store, import the organisation, run one tick."""

import argparse
import sys
from datetime import datetime
from pathlib import Path

from bot import logs
from bot.services import Services
from bot.settings import Settings, SettingsError, load_settings
from flows.clock import Clock, ManualClock, ShiftedClock, SystemClock
from flows.i18n import translator


def _templates(settings: Settings) -> None:
    """Read the organisation's templates before anything starts: a broken file stops the start with
    ``file:line: reason`` instead of failing in the middle of somebody's conversation weeks later."""
    from flows.templates import TemplateError, configure

    try:
        configure(settings.mal_templates_dir)
    except TemplateError as exc:
        raise SettingsError(f"MAL_TEMPLATES_DIR: {exc}") from None


def _services(settings: Settings, clock: Clock | None = None) -> Services:
    from storage.db import make_engine

    _templates(settings)
    if clock is None and settings.mal_clock_start is not None:
        clock = ShiftedClock(settings.mal_clock_start)

    return Services(settings=settings, engine=make_engine(settings.database_url), clock=clock or SystemClock())


def _require_schema(svc: Services) -> None:
    from storage.db import schema_revisions

    current, head = schema_revisions(svc.engine)
    if current != head:
        raise SettingsError(
            f"The database is not at the newest schema ({current or 'empty'} ≠ {head}). Run `mal-bot migrate` first."
        )


def cmd_run(args: argparse.Namespace) -> int:
    socket_mode = not args.http
    settings = load_settings(require_slack=True, socket_mode=socket_mode)
    if socket_mode and not settings.app_token:
        raise SettingsError(
            "Missing environment variables:\n  SLACK_APP_TOKEN (xapp-..., for Socket Mode)\n"
            "Or start in HTTP mode: mal-bot run --http --port 3000"
        )
    from bot.app import create_app
    from bot.gateway import build_gateway
    from bot.scheduler import start_scheduler

    svc = _services(settings)
    _require_schema(svc)
    app = create_app(svc, socket_mode=socket_mode)
    scheduler = None
    if not args.no_scheduler:
        scheduler = start_scheduler(svc, build_gateway(svc), every_seconds=settings.mal_tick_seconds)
    try:
        if socket_mode:
            from slack_bolt.adapter.socket_mode import SocketModeHandler

            if args.metrics_port:
                from bot.ops_http import ops_app
                from bot.server import ThreadedServer

                ThreadedServer(ops_app(svc), args.host, args.metrics_port, log_level="info").start()

            SocketModeHandler(app, settings.app_token).start()  # type: ignore[no-untyped-call]
        else:
            from bot.server import serve

            serve(app, settings.signing_secret, args.host, args.port, svc)
    finally:
        if scheduler is not None:
            scheduler.shutdown(wait=False)
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    from storage.db import make_engine, migrate

    settings = load_settings(require_slack=False)
    migrate(make_engine(settings.database_url))
    print(translator(settings.mal_locale)._("The database is at the newest schema."))
    return 0


def cmd_tick(args: argparse.Namespace) -> int:
    from bot.gateway import build_gateway
    from bot.jobs import tick

    settings = load_settings(require_slack=False)
    if not settings.bot_token and not settings.oauth_mode:
        raise SettingsError(
            "Missing environment variables:\n  SLACK_BOT_TOKEN (xoxb-...), or SLACK_CLIENT_ID and SLACK_CLIENT_SECRET"
        )
    clock: Clock = SystemClock()
    if args.now:
        try:
            moment = datetime.fromisoformat(args.now)
        except ValueError:
            raise SettingsError(f"--now: not an ISO 8601 time: {args.now!r}") from None
        if moment.tzinfo is None:
            raise SettingsError("--now needs a time zone, e.g. 2026-12-01T09:00:00+01:00")
        clock = ManualClock(moment)
    svc = _services(settings, clock)
    _require_schema(svc)
    report = tick(svc, build_gateway(svc))
    t = translator(settings.mal_locale)
    print(
        t._(
            "Planned {planned} messages; sent {sent}, deferred {deferred}, dropped {dropped}.",
            planned=report.plan.planned,
            sent=report.drain.sent,
            deferred=report.drain.deferred,
            dropped=report.drain.cancelled + report.drain.dead,
        )
    )
    for reason, n in sorted(report.drain.dropped.items()):
        print(t._("  not sent ({reason}): {n}", reason=reason, n=n))
    for kind, n in sorted(report.plan.failed.items()):
        print(t._("  could not be planned ({kind}): {n}; see the log", kind=kind, n=n))
    return 0


def cmd_import_org(args: argparse.Namespace) -> int:
    from bot.app import listener_client
    from bot.org_import import format_report, import_org

    settings = load_settings(require_slack=False)
    svc = _services(settings)
    token = settings.bot_token
    if settings.oauth_mode and args.team:
        from bot.oauth import installation_store

        _require_schema(svc)
        bot = installation_store(svc).find_bot(enterprise_id=None, team_id=args.team)
        if bot is None:
            raise SettingsError(f"mal is not installed in workspace {args.team} (open /slack/install there first).")
        token = bot.bot_token or ""
    if not token:
        raise SettingsError(
            "Missing environment variables:\n  SLACK_BOT_TOKEN (xoxb-..., to look people up)"
            "\n  or, with SLACK_CLIENT_ID and SLACK_CLIENT_SECRET: mal-bot import-org --team T… FILE.csv"
        )
    _require_schema(svc)
    t = translator(settings.mal_locale)
    print(t._("Importing {file} …", file=args.file), flush=True)
    client = listener_client(token, settings.slack_api_url)
    report = import_org(settings, svc.engine, client, Path(args.file), svc.clock.now(), language=settings.mal_locale)
    print(format_report(report, t))
    return 0 if report.ok else 1


def cmd_sandbox(args: argparse.Namespace) -> int:
    from bot.sandbox.app import run

    settings = load_settings(require_slack=False)
    _templates(settings)
    return run(Path(args.data), args.port, reset=args.reset, language=settings.mal_locale)


def cmd_forget(args: argparse.Namespace) -> int:
    """An admin erases a person's content on request (their answers, actions' texts, evaluations)."""
    from sqlmodel import col, select

    from flows.privacy import erase
    from storage.models import Person

    settings = load_settings(require_slack=False)
    svc = _services(settings)
    _require_schema(svc)
    t = translator(settings.mal_locale)
    who = args.person.strip()
    with svc.unit() as repo:
        query = select(Person).where((col(Person.slack_user_id) == who.upper()) | (col(Person.email) == who.lower()))
        found = repo.session.exec(query).first()
        if found is None:
            print(t._("No person {who} is known to mal.", who=who), file=sys.stderr)
            return 1
        result = erase(repo, found)
    print(
        t._(
            "Erased {answers} answers, {actions} action texts, {evaluations} evaluations and {notes} private notes. "
            "Counts are kept.",
            answers=result.answers,
            notes=result.notes,
            actions=result.actions,
            evaluations=result.evaluations,
        )
    )
    return 0


def cmd_archive(args: argparse.Namespace) -> int:
    """Send again every confirmed plan the archive has not confirmed: after an outage, a refused request
    (a 4xx that gave the outbox row up) or a route set only now."""
    from bot import archive
    from flows.archive import undelivered

    settings = load_settings(require_slack=False)
    if not settings.mal_archive_dir and not settings.mal_archive_url:
        raise SettingsError("No archive route: set MAL_ARCHIVE_DIR (a folder) or MAL_ARCHIVE_URL (an HTTP endpoint).")
    svc = _services(settings)
    _require_schema(svc)
    t = translator(settings.mal_locale)
    with svc.unit() as repo:
        waiting = [(d.id, d.filename) for d in undelivered(repo) if d.id is not None]
    failed = 0
    for document_id, filename in waiting:
        result = archive.deliver_document(svc, document_id)
        if result.outcome != "sent":
            failed += 1
            print(t._("{file}: not confirmed by the archive ({error})", file=filename, error=result.error))
    print(
        t._(
            "Sent {sent} of {total} plans to the archive; {failed} not confirmed.",
            sent=len(waiting) - failed,
            total=len(waiting),
            failed=failed,
        )
    )
    return 0 if failed == 0 else 1


def cmd_doctor(args: argparse.Namespace) -> int:
    """Check the installation against Slack and the database, and say what to change; 0 only if all holds."""
    from bot.app import listener_client
    from bot.doctor import examine, report

    settings = load_settings(require_slack=False)
    svc = _services(settings)
    t = translator(settings.mal_locale)
    token = settings.bot_token
    if settings.oauth_mode and args.team:
        from bot.oauth import installation_store

        try:
            bot = installation_store(svc).find_bot(enterprise_id=None, team_id=args.team)
        except Exception:  # the database's own finding below says why
            bot = None
        token = (bot.bot_token or "") if bot is not None else ""
    client = listener_client(token, settings.slack_api_url) if token else None
    findings = examine(settings, svc.engine, client, t, svc.clock.now())
    print(report(findings, t))
    return 0 if all(f.ok for f in findings) else 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mal-bot", description="mal: monthly 1:1s, preparation and follow-up in Slack"
    )
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run the bot (Socket Mode with SLACK_APP_TOKEN, or --http)")
    run.add_argument(
        "--http",
        action="store_true",
        help="serve POST /slack/events and GET /healthz over HTTP (and /slack/install with SLACK_CLIENT_ID)",
    )
    run.add_argument("--port", type=int, default=3000)
    run.add_argument("--host", default="0.0.0.0")
    run.add_argument("--no-scheduler", action="store_true", help="do not run the periodic tick in this process")
    run.add_argument(
        "--metrics-port",
        type=int,
        help="Socket Mode: serve /metrics, /healthz and /readyz on this port (HTTP mode serves them anyway)",
    )
    run.set_defaults(func=cmd_run)
    sub.add_parser("migrate", help="bring the database to the newest schema").set_defaults(func=cmd_migrate)
    imp = sub.add_parser("import-org", help="import who reports to whom from a CSV file")
    imp.add_argument("file")
    imp.add_argument("--team", help="workspace ID (T…) to import into, when mal is installed in several over OAuth")
    imp.set_defaults(func=cmd_import_org)
    tick = sub.add_parser("tick", help="plan due messages and send them once")
    tick.add_argument("--now", help="run as if it were this time (ISO 8601 with zone)")
    tick.set_defaults(func=cmd_tick)
    doctor = sub.add_parser("doctor", help="check the token's scopes, secrets, database, calendar and admin DMs")
    doctor.add_argument("--team", help="workspace ID (T…) to check, when mal is installed in several over OAuth")
    doctor.set_defaults(func=cmd_doctor)
    forget = sub.add_parser("forget", help="erase a person's content on request (keeps counts)")
    forget.add_argument("person", help="Slack user ID or e-mail address")
    forget.set_defaults(func=cmd_forget)
    sub.add_parser(
        "archive", help="send again the confirmed plans the archive has not confirmed (MAL_ARCHIVE_DIR or _URL)"
    ).set_defaults(func=cmd_archive)
    sandbox = sub.add_parser("sandbox", help="try the whole bot in a browser, with no Slack workspace")
    sandbox.add_argument("--port", type=int, default=3000, help="port of the web page (default 3000)")
    sandbox.add_argument("--reset", action="store_true", help="start over with a fresh demo organisation")
    sandbox.add_argument("--data", default="sandbox-data", help="folder for the sandbox's state (default sandbox-data)")
    sandbox.set_defaults(func=cmd_sandbox)
    return parser


def main(argv: list[str] | None = None) -> int:
    logs.configure()
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except SettingsError as exc:
        print(str(exc), file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())

"""``mal-bot import-org FILE.csv``: read, resolve in Slack, check, and write in one transaction.

Bad input never raises: every problem ends up in the report, and a report with problems means nothing
was written, so an admin can fix the file and run the same command again.
"""

from datetime import datetime
from pathlib import Path

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.engine import Engine

from bot.directory import Directory
from bot.services import working_hours
from bot.settings import Settings
from flows import org, pairings, season
from flows.i18n import Translator, translator
from flows.org import ImportReport, Problem, ProblemKind
from flows.outbox import enqueue
from storage.db import session_scope
from storage.repo import Repo


class _Refused(Exception):
    """Leaves the transaction by the rollback path, so a refused file cannot leave anything behind."""

    def __init__(self, report: ImportReport) -> None:
        super().__init__("import refused")
        self.report = report


def import_org(
    settings: Settings,
    engine: Engine,
    client: WebClient,
    path: str | Path,
    now: datetime,
    *,
    language: str,
) -> ImportReport:
    t = translator(language)
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        return _refused(
            ProblemKind.UNREADABLE, t._("Cannot read {path}: {reason}", path=str(path), reason=exc.strerror or str(exc))
        )
    text, problems = org.decode(data, t)
    if text is None:
        return ImportReport(problems=problems)
    parsed = org.parse(text, t)
    if not parsed.rows:
        # Nothing to look up or write; a header-only file is a valid (empty) import.
        return ImportReport(problems=sorted(parsed.problems, key=lambda p: p.line or 0))
    try:
        team_id = str(client.auth_test()["team_id"])
        profiles = Directory(client).resolve_all(parsed.identities)
    except SlackApiError as exc:
        return _refused(
            ProblemKind.SLACK_ERROR,
            t._(
                "Slack refused the lookup ({error}); nothing was imported",
                error=str(exc.response.get("error") or exc.response.status_code),
            ),
        )
    try:
        with session_scope(engine) as session:
            repo = Repo(session)
            repo.ensure_workspace(team_id)
            report = org.apply_import(
                repo,
                parsed.rows,
                profiles,
                now,
                settings.mal_timezone,
                settings.mal_invite_lead_days,
                team_id=team_id,
                t=t,
                problems=parsed.problems,
            )
            if not report.ok:
                raise _Refused(report)
            report.season_joined = season.join_open_season(
                repo, team_id, now, working_hours(settings), settings.mal_timezone
            )
            hours = working_hours(settings)
            enqueue(repo, pairings.handover_messages(repo, report.handovers, now, hours), now)
            enqueue(repo, pairings.ended_messages(repo, report.ended_pairs, now, hours), now)
    except _Refused as refused:
        return refused.report
    return report


def _refused(kind: ProblemKind, message: str) -> ImportReport:
    return ImportReport(problems=[Problem(kind, message)])


def format_report(report: ImportReport, t: Translator) -> str:
    """The CLI's output: one summary line, then the problems numbered so an admin can tick them off."""
    if report.ok:
        summary = t.ngettext(
            "{n} row imported. Pairings: {created} new, {moved} moved, {updated} updated, "
            "{unchanged} unchanged, {ended} ended. People: {people} new.",
            "{n} rows imported. Pairings: {created} new, {moved} moved, {updated} updated, "
            "{unchanged} unchanged, {ended} ended. People: {people} new.",
            report.rows,
            created=report.created,
            moved=report.moved,
            updated=report.updated,
            unchanged=report.unchanged,
            ended=report.ended,
            people=report.people_created,
        )
        if report.season_joined:
            summary += "\n" + t.ngettext(
                "{n} pair joined the annual season that is open.",
                "{n} pairs joined the annual season that is open.",
                report.season_joined,
            )
        return summary
    lines = [
        t.ngettext(
            "Nothing was imported: {n} problem found.",
            "Nothing was imported: {n} problems found.",
            len(report.problems),
        )
    ]
    lines += [t._("{number}. {problem}", number=i, problem=p.message) for i, p in enumerate(report.problems, 1)]
    return "\n".join(lines)

"""The annual conversation season: an admin opens it, managers are nudged through the weeks before the
deadline, share the team's focus, and the admin follows participation as counts.

The KS guide (002) wants the conversation held every year by the end of April, with the invitation
sent 7–10 days ahead and 1–1½ hours set aside; 000 and 001 want each manager to share the unit's focus
areas, goals and challenges first, so that employees prepare "med utgangspunkt i avdelingens behov".
"""

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger

from flows import cadence
from flows.guard import RETRY_FAILED_AFTER, Guard
from flows.outbox import Planned, enqueue, plan_for
from flows.templates import Template, season_template, template, templates
from storage import seasons
from storage.models import Meeting, Pairing, Person, Season, SeasonPairing, TeamFocus
from storage.repo import Repo

DEFAULT_DUE = "04-30"
MIN_AHEAD_DAYS = 7  # the invitation goes at least a week ahead (001: 7–10 days)
SUGGESTED_AHEAD_DAYS = 10
# The last nudge leaves two weeks: a week to invite ahead, and a week to find a time before the deadline.
NUDGE_MARGIN_DAYS = 14
MIN_SEASON_DAYS = 21
MAX_FOCUS = 3000
NO_UNIT = "—"
NUDGE_BATCH = 100
SEASON_NUDGE_LATER = timedelta(minutes=90)


@dataclass(frozen=True)
class Refused:
    reason: str


@dataclass(frozen=True)
class Selector:
    """Who takes part: everyone, or the pairs whose employee is in one of the units or whose manager is named."""

    everyone: bool = True
    units: tuple[str, ...] = ()
    managers: tuple[str, ...] = ()

    def to_json(self) -> str:
        return json.dumps({"all": self.everyone, "units": list(self.units), "managers": list(self.managers)})

    @classmethod
    def from_json(cls, text: str) -> "Selector":
        data = json.loads(text or "{}")
        return cls(bool(data.get("all", True)), tuple(data.get("units") or ()), tuple(data.get("managers") or ()))

    def takes_part(self, manager: Person, employee: Person) -> bool:
        if self.everyone:
            return True
        return (employee.unit or NO_UNIT) in self.units or manager.slack_user_id in self.managers


def is_admin(person: Person, admin_ids: Iterable[str]) -> bool:
    """An admin is marked in the store or named (Slack ID or e-mail) in MAL_ADMINS."""
    named = {a.lower() for a in admin_ids}
    return person.is_admin or person.slack_user_id.lower() in named or (person.email or "").lower() in named


def annual_templates() -> list[Template]:
    """The templates a season can use: the yearly conversations that are not offered by age only."""
    return [t for t in templates().values() if t.cadence == "yearly" and t.offer is None]


def default_deadline(today: date, due_by: str = DEFAULT_DUE) -> date:
    """The end of April of this season's year: this year while there is still time for it, else next."""
    month, day = (int(x) for x in (due_by or DEFAULT_DUE).split("-"))
    this = date(today.year, month, day)
    return this if this - timedelta(days=MIN_SEASON_DAYS) >= today else date(today.year + 1, month, day)


def _local_today(now: datetime, tz: str) -> date:
    return now.astimezone(ZoneInfo(tz)).date()


# --- spreading the nudges ------------------------------------------------------------------------------


def working_mornings(
    after: datetime, last_day: date, tz: str, hours: cadence.WorkingHours, later: timedelta = timedelta()
) -> list[datetime]:
    """Every working morning from ``after`` to ``last_day``: the cron trigger gives the weekdays at the
    start of working hours (DST included), ``later`` than that, and the holiday calendar removes the public
    holidays."""
    zone = ZoneInfo(tz)
    end = datetime.combine(last_day, hours.end, tzinfo=zone)
    at = (datetime.combine(date(2000, 1, 3), hours.start) + later).time()
    trigger = CronTrigger(day_of_week="mon-fri", hour=at.hour, minute=at.minute, timezone=zone, end_date=end)
    country = cadence.country_for(tz, hours.country)
    found: list[datetime] = []
    fire = trigger.get_next_fire_time(None, after)
    while fire is not None:
        if not cadence.is_holiday(fire.date(), country):
            found.append(fire)
        fire = trigger.get_next_fire_time(fire, fire + timedelta(minutes=1))
    return found


def spread(count: int, mornings: Sequence[datetime], offset: int = 0) -> list[datetime]:
    """``count`` nudges spaced evenly over the weeks the mornings fall in, one week apart where the weeks
    allow; ``offset`` (the manager's place in the list) shifts managers against each other, so that
    neither one manager nor the whole organisation gets every nudge in the same week."""
    if not mornings:
        return []
    weeks: dict[tuple[int, int], list[datetime]] = {}
    for m in mornings:
        iso = m.isocalendar()
        weeks.setdefault((iso[0], iso[1]), []).append(m)
    ordered = [weeks[k] for k in sorted(weeks)]
    n_weeks = len(ordered)
    gap = max(1, n_weeks // max(1, count))
    result = []
    for i in range(count):
        week = ordered[(i * n_weeks // count + offset % gap) % n_weeks]
        result.append(week[(i + offset) % len(week)])
    return result


# --- opening and closing ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Opened:
    season: Season
    created: bool
    members: int
    planned: tuple[Planned, ...] = ()


def open_season(
    repo: Repo,
    admin: Person,
    *,
    admin_ids: Iterable[str],
    template_key: str,
    deadline: date,
    selector: Selector,
    now: datetime,
    hours: cadence.WorkingHours,
    tz: str,
) -> Opened | Refused:
    """Open (or reopen) the season and plan a nudge date for every pair taking part.

    Keyed by team and deadline, and each pair once per season: submitting the same modal twice, or
    opening again after the organisation changed, adds only what is missing.
    """
    if not is_admin(admin, admin_ids):
        return Refused("not_admin")
    if template_key not in {t.key for t in annual_templates()}:
        return Refused("unknown_template")
    today = _local_today(now, tz)
    if deadline < today + timedelta(days=MIN_SEASON_DAYS):
        return Refused("deadline_too_soon")
    current = seasons.open_season(repo, admin.team_id)
    if current is not None and current.deadline != deadline:
        return Refused("season_already_open")
    assert admin.id is not None
    season, created = seasons.ensure_season(
        repo,
        admin.team_id,
        deadline,
        template=template_key,
        opened_by=admin.id,
        opened_at=now,
        status="open",
        participants=selector.to_json(),
    )
    if season.status != "open":  # reopened after closing: it counts as opened now
        created = True
        season.status, season.closed_at, season.opened_at = "open", None, now
        season.template, season.participants = template_key, selector.to_json()
        repo.add(season)
    added, planned = _add_members(repo, season, now, hours, tz)
    enqueue(repo, planned, now)
    return Opened(season, created, added, tuple(planned))


def _add_members(
    repo: Repo, season: Season, now: datetime, hours: cadence.WorkingHours, tz: str
) -> tuple[int, list[Planned]]:
    """Every active pair the season's selection covers and that is not yet a member, each with a nudge
    date spread over the weeks left; pairs already members keep theirs (the insert ignores them)."""
    assert season.id is not None
    chosen = Selector.from_json(season.participants)
    by_manager: dict[int, list[Pairing]] = {}
    pairings = [p for p in repo.active_pairings(season.team_id) if p.id is not None]
    people = repo.people([p.manager_id for p in pairings] + [p.employee_id for p in pairings])
    for p in pairings:
        manager, employee = people[p.manager_id], people[p.employee_id]
        if manager.active and employee.active and chosen.takes_part(manager, employee):
            by_manager.setdefault(p.manager_id, []).append(p)
    last_day = season.deadline - timedelta(days=NUDGE_MARGIN_DAYS)
    added = 0
    planned: list[Planned] = []
    for index, (manager_id, pairs) in enumerate(sorted(by_manager.items())):
        manager = people[manager_id]
        # From the next day: the request to share the team's focus comes first, on its own (000); and an hour
        # and a half into the working day, not in the minute the regular nudges of the morning go out.
        zone = ZoneInfo(manager.tz or tz)
        next_day = datetime.combine(now.astimezone(zone).date() + timedelta(days=1), datetime.min.time(), tzinfo=zone)
        mornings = working_mornings(next_day, last_day, manager.tz or tz, hours, later=SEASON_NUDGE_LATER)
        dates = spread(len(pairs), mornings, offset=index) or [now] * len(pairs)
        for pairing, at in zip(sorted(pairs, key=lambda p: p.id or 0), dates, strict=True):
            assert pairing.id is not None
            added += seasons.add_member(repo, season.id, pairing.id, manager_id, pairing.employee_id, at)
        planned.append(
            plan_for(
                manager, f"season-open:{season.id}:{manager_id}", "season_open", {"season_id": season.id}, now, hours
            )
        )
    return added, planned


def join_open_season(repo: Repo, team_id: str, now: datetime, hours: cadence.WorkingHours, tz: str) -> int:
    """Pairs that appear while a season is open (a new hire, a moved report) take part like the others,
    without the admin opening the season again. Returns how many joined."""
    season = seasons.open_season(repo, team_id)
    if season is None:
        return 0
    added, planned = _add_members(repo, season, now, hours, tz)
    enqueue(repo, planned, now)
    return added


def current(repo: Repo, team_id: str) -> Season | None:
    return seasons.open_season(repo, team_id)


def close_season(repo: Repo, admin: Person, *, admin_ids: Iterable[str], now: datetime) -> Season | Refused:
    if not is_admin(admin, admin_ids):
        return Refused("not_admin")
    season = seasons.open_season(repo, admin.team_id)
    if season is None:
        return Refused("no_season")
    season.status, season.closed_at = "closed", now
    repo.add(season)
    return season


# --- the tick: nudging managers when their date comes ------------------------------------------------------


def plan_nudges(repo: Repo, now: datetime, hours: cadence.WorkingHours, guard: Guard) -> tuple[int, int]:
    """Nudge managers whose planned date has come: the meeting of the season is created then, and the
    nudge is keyed by season and pair, so a repeated tick plans nothing twice. Returns (new, examined).

    ``guard`` runs each pair in isolation (the planner's): a pair that fails is put off, not retried on
    every tick, and does not hold up the others."""
    due = seasons.due_members(repo, now, NUDGE_BATCH)
    count = 0
    for member in due:

        def work(member: SeasonPairing = member) -> int:
            return _plan_nudge(repo, member, now, hours)

        def put_off(member: SeasonPairing = member) -> None:
            member.nudge_at = now + RETRY_FAILED_AFTER
            repo.add(member)

        count += guard("season_nudge", f"season-pairing:{member.id}", work, put_off)
    return count, len(due)


def _plan_nudge(repo: Repo, member: SeasonPairing, now: datetime, hours: cadence.WorkingHours) -> int:
    member.nudged_at = now
    repo.add(member)
    pairing = repo.pairing(member.pairing_id)
    season = seasons.season(repo, member.season_id)
    if pairing is None or pairing.id is None or pairing.ended_at is not None or season is None:
        return 0
    people = repo.people([pairing.manager_id, pairing.employee_id])
    manager, employee = people[pairing.manager_id], people[pairing.employee_id]
    if not (manager.active and employee.active):
        return 0
    meeting = repo.ensure_meeting(
        pairing.id,
        f"season-{season.id}",
        template=season_template(
            season.template,
            employee.birth_year,
            season.deadline.year,
            is_manager=employee.id is not None and bool(repo.report_ids(employee.id)),
        ),
        window_start=member.nudge_at or now,
        created_at=now,
        status="planned",
        season_id=season.id,
    )
    member.meeting_id = meeting.id
    repo.add(member)
    planned = plan_for(
        manager,
        f"season-nudge:{season.id}:{pairing.id}",
        "season_nudge",
        {"meeting_id": meeting.id, "season_id": season.id},
        now,
        hours,
    )
    return enqueue(repo, [planned], now)


def plan_overdue(repo: Repo, now: datetime, hours: cadence.WorkingHours, tz: str) -> int:
    """Once a season's deadline has passed: each manager with conversations not held hears once which, and the
    admin who opened the season hears once how it ended. The admin's message is always planned, so the season
    is looked at once after its deadline, not on every tick."""
    today = _local_today(now, tz)
    count = 0
    for row in seasons.open_seasons_past(repo, today):
        assert row.id is not None
        if repo.outbox_row(f"season-overdue:{row.id}:admin") is not None:
            continue
        late = overdue_by_manager(repo, row, now, tz)
        people = repo.people([*late, row.opened_by])
        payload = {"season_id": row.id}
        planned = [
            plan_for(people[m], f"season-overdue:{row.id}:{m}", "season_overdue", payload, now, hours)
            for m in late
            if people[m].active
        ]
        planned.append(
            plan_for(people[row.opened_by], f"season-overdue:{row.id}:admin", "season_ended", payload, now, hours)
        )
        count += enqueue(repo, planned, now)
    return count


def overdue_by_manager(repo: Repo, season: Season, now: datetime, tz: str) -> dict[int, list[SeasonPairing]]:
    """The season's pairs not held by the deadline, by manager."""
    assert season.id is not None
    rows = seasons.members(repo, season.id)
    meetings = seasons.meetings(repo, [r.meeting_id for r in rows if r.meeting_id is not None])
    today = _local_today(now, tz)
    late: dict[int, list[SeasonPairing]] = {}
    for r in rows:
        if state_of(meetings.get(r.meeting_id or 0), season.deadline, now, today) == "overdue":
            late.setdefault(r.manager_id, []).append(r)
    return late


# --- the invitation: at least a week ahead, not after the deadline ---------------------------------------


@dataclass(frozen=True)
class InviteWindow:
    earliest: date
    suggested: date
    deadline: date
    # The deadline has passed (or is closer than a week): a late date is better than none, so any is allowed.
    late: bool = False


def invite_window(repo: Repo, meeting: Meeting, today: date) -> InviteWindow | None:
    """For a season's meeting, the dates the invitation may choose; None for any other meeting."""
    if meeting.season_id is None:
        return None
    season = seasons.season(repo, meeting.season_id)
    if season is None:
        return None
    earliest = today + timedelta(days=MIN_AHEAD_DAYS)
    if earliest > season.deadline:
        return InviteWindow(earliest, earliest, season.deadline, late=True)
    suggested = max(earliest, min(today + timedelta(days=SUGGESTED_AHEAD_DAYS), season.deadline))
    return InviteWindow(earliest, suggested, season.deadline)


def is_closed(repo: Repo, meeting: Meeting) -> bool:
    """A season conversation not yet invited whose season an admin has closed: its buttons say so."""
    if meeting.season_id is None or meeting.status != "planned":
        return False
    season = seasons.season(repo, meeting.season_id)
    return season is None or season.status != "open"


def check_invite(repo: Repo, meeting: Meeting, when: datetime, now: datetime, tz: str) -> str | None:
    """Why a season meeting cannot be at ``when`` (too soon to prepare, or after the deadline), or None."""
    if is_closed(repo, meeting):
        return "season_closed"
    window = invite_window(repo, meeting, _local_today(now, tz))
    if window is None:
        return None
    day = when.astimezone(ZoneInfo(tz)).date()
    if day > window.deadline and not window.late:
        return "season_after_deadline"
    if day < window.earliest:
        return "season_too_soon"
    return None


# --- the team's focus ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class FocusText:
    focus_areas: str = ""
    goals: str = ""
    challenges: str = ""

    @property
    def empty(self) -> bool:
        return not (self.focus_areas or self.goals or self.challenges)

    @property
    def digest(self) -> str:
        raw = json.dumps([self.focus_areas, self.goals, self.challenges], ensure_ascii=False)
        return hashlib.sha256(raw.encode()).hexdigest()[:16]

    @classmethod
    def of(cls, row: TeamFocus) -> "FocusText":
        return cls(row.focus_areas, row.goals, row.challenges)


@dataclass(frozen=True)
class Shared:
    focus: TeamFocus
    changed: bool
    planned: tuple[Planned, ...] = field(default=())


def season_of_manager(repo: Repo, manager: Person) -> Season | None:
    """The open season in which ``manager`` holds conversations."""
    season = seasons.open_season(repo, manager.team_id)
    if season is None or season.id is None or manager.id is None:
        return None
    return season if seasons.members_of_manager(repo, season.id, manager.id) else None


def _focus_row(repo: Repo, manager: Person) -> TeamFocus | None:
    """The focus a manager edits now: the open season's, or the standing one the rest of the year."""
    assert manager.id is not None
    season = season_of_manager(repo, manager)
    if season is not None and season.id is not None:
        return seasons.focus(repo, season.id, manager.id) or seasons.standing_focus(repo, manager.id)
    return seasons.standing_focus(repo, manager.id)


def current_focus(repo: Repo, manager: Person) -> FocusText | Refused:
    """What the focus form starts from. Any manager, any time (000: the team prepares together before the
    conversations); in a season the season's, which starts from the standing focus."""
    if manager.id is None or not repo.report_ids(manager.id):
        return Refused("no_reports")
    row = _focus_row(repo, manager)
    return FocusText.of(row) if row else FocusText()


def share_focus(
    repo: Repo, manager: Person, text: FocusText, *, now: datetime, hours: cadence.WorkingHours
) -> Shared | Refused:
    """Store the team's focus and post it to every current report, once per wording: the key carries a
    digest of the text, so submitting the same text again posts nothing and an edit posts the new one."""
    if manager.id is None or not repo.report_ids(manager.id):
        return Refused("no_reports")
    season = season_of_manager(repo, manager)
    clean = FocusText(text.focus_areas.strip(), text.goals.strip(), text.challenges.strip())
    if clean.empty:
        return Refused("empty")
    if max(len(clean.focus_areas), len(clean.goals), len(clean.challenges)) > MAX_FOCUS:
        return Refused("too_long")
    row = (
        seasons.ensure_focus(repo, manager.team_id, season.id, manager.id)
        if season is not None and season.id is not None
        else seasons.ensure_standing_focus(repo, manager.team_id, manager.id)
    )
    changed = FocusText.of(row) != clean
    if changed:
        row.focus_areas, row.goals, row.challenges = clean.focus_areas, clean.goals, clean.challenges
        row.updated_at = now
    row.shared_at = row.shared_at or now
    repo.add(row)
    assert row.id is not None
    reports = repo.reports_of(manager.id)
    people = repo.people([p.employee_id for p in reports])
    planned = [
        plan_for(
            people[p.employee_id],
            f"focus:{row.id}:{p.employee_id}:{clean.digest}",
            "team_focus",
            {"focus_id": row.id, "digest": clean.digest},
            now,
            hours,
        )
        for p in reports
        if people[p.employee_id].active
    ]
    return Shared(row, changed, tuple(planned))


def focus_for_meeting(repo: Repo, meeting: Meeting) -> FocusText | None:
    """The manager's shared focus for an invitation, as it reads now: the season's for a season conversation,
    else (or when none was shared for the season) the standing focus the manager keeps the rest of the year."""
    pairing = repo.pairing(meeting.pairing_id)
    if pairing is None:
        return None
    rows = [seasons.focus(repo, meeting.season_id, pairing.manager_id)] if meeting.season_id is not None else []
    rows.append(seasons.standing_focus(repo, pairing.manager_id))
    for row in rows:
        if row is not None and row.shared_at is not None and not (text := FocusText.of(row)).empty:
            return text
    return None


def focus_to_post(repo: Repo, focus_id: int, digest: str, recipient: Person) -> tuple[FocusText, Person] | None:
    """What a team-focus message says when it goes out; None if an edit has overtaken it, the season is
    closed, or the recipient no longer reports to the manager."""
    row = seasons.focus_by_id(repo, focus_id)
    if row is None or recipient.id is None:
        return None
    season = seasons.season(repo, row.season_id) if row.season_id is not None else None
    pairing = repo.active_pairing_of(recipient.id)
    text = FocusText.of(row)
    if row.season_id is not None and (season is None or season.status != "open"):
        return None
    if pairing is None or pairing.manager_id != row.manager_id:
        return None
    if text.digest != digest:
        return None
    manager = repo.person(row.manager_id)
    return (text, manager) if manager else None


# --- participation, as counts ----------------------------------------------------------------------------


@dataclass
class Counts:
    held: int = 0
    planned: int = 0
    not_started: int = 0
    overdue: int = 0

    @property
    def total(self) -> int:
        return self.held + self.planned + self.not_started + self.overdue


@dataclass(frozen=True)
class Participation:
    season: Season
    title: str
    total: Counts
    by_unit: tuple[tuple[str, Counts], ...]
    by_manager: tuple[tuple[Person, Counts], ...]


def state_of(meeting: Meeting | None, deadline: date, now: datetime, today: date) -> str:
    """held (marked held, or its agreed actions or evaluation recorded: a date passing is not enough),
    overdue (the deadline passed and not held), planned (invited) or not_started."""
    if meeting is not None and meeting.held_at is not None:
        return "held"
    if today > deadline:
        return "overdue"
    if meeting is not None and meeting.status in ("invited", "held"):  # held: its date passed, nobody said so
        return "planned"
    return "not_started"


def participation(
    repo: Repo, viewer: Person, *, admin_ids: Iterable[str], now: datetime, tz: str
) -> Participation | Refused:
    """Per unit and per manager, how many conversations are held, planned, not started or overdue.

    Only the meetings' status and date are read: never an answer, a note or an action.
    """
    if not is_admin(viewer, admin_ids):
        return Refused("not_admin")
    season = seasons.open_season(repo, viewer.team_id)
    if season is None or season.id is None:
        return Refused("no_season")
    rows: list[SeasonPairing] = seasons.members(repo, season.id)
    meetings = seasons.meetings(repo, [r.meeting_id for r in rows if r.meeting_id is not None])
    people = repo.people([r.manager_id for r in rows] + [r.employee_id for r in rows])
    today = _local_today(now, tz)
    total, units, managers = Counts(), dict[str, Counts](), dict[int, Counts]()
    for r in rows:
        state = state_of(meetings.get(r.meeting_id or 0), season.deadline, now, today)
        unit = people[r.employee_id].unit or NO_UNIT
        for counts in (total, units.setdefault(unit, Counts()), managers.setdefault(r.manager_id, Counts())):
            setattr(counts, state, getattr(counts, state) + 1)
    by_unit = tuple(sorted(units.items(), key=lambda u: (u[0] == NO_UNIT, u[0].lower())))
    by_manager = tuple(sorted(((people[m], c) for m, c in managers.items()), key=lambda mc: mc[0].name.lower()))
    return Participation(season, template(season.template).title, total, by_unit, by_manager)

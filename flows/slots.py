"""When to meet: the suggested date and time of an invitation, and the one check of any proposed time.

A suggestion is never in the past, at least ``LEAD`` days ahead when the window leaves room, on a day both
people work (weekends, each one's public holidays and absences stepped over), inside both people's working
hours in their own time zones, and not on a time the manager already gave another report; reports of one
manager are spread over the window's days and times instead of all landing on its first morning.

``check`` is the single judge of a proposed time, for the invitation form and for moving a meeting alike:
a past time is refused; a weekend, holiday, absence, out-of-hours time or a clash only warns, because the
manager may know better (an agreed Saturday, a call from home).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from apscheduler.triggers.calendarinterval import CalendarIntervalTrigger

from flows import cadence
from storage.models import Meeting, Person
from storage.repo import Repo

LEAD = timedelta(days=7)  # time to prepare (001: invite 7–10 days ahead)
STEP = timedelta(minutes=30)
PREFERRED = time(10, 0)  # the first time tried on a day, in the manager's zone
BEYOND_WINDOW = timedelta(days=45)  # how far past the window a suggestion may go when the window is full
DEFAULT_TZ = "Europe/Oslo"


@dataclass(frozen=True)
class Party:
    """One of the two people, as far as time is concerned."""

    role: str  # "manager" or "employee"
    tz: str
    country: str
    away_until: date | None = None

    @classmethod
    def of(cls, role: str, person: Person, hours: cadence.WorkingHours) -> "Party":
        zone = person.tz or DEFAULT_TZ
        return cls(role, zone, cadence.country_for(zone, hours.country), person.away_until)

    def local(self, moment: datetime) -> datetime:
        return moment.astimezone(ZoneInfo(self.tz))


@dataclass(frozen=True)
class Warning:
    """Why a time is unusual: ``kind`` is weekend, holiday, away, out_of_hours or clash; ``role`` whose it is.

    ``detail``: for a holiday 'COUNTRY:YYYY-MM-DD' (named in the reader's language by the view), for
    out_of_hours the local time ('04:00'), for away the last day away."""

    kind: str
    role: str
    detail: str = ""


@dataclass(frozen=True)
class SlotCheck:
    """The verdict on a proposed time: ``refused`` ('past') blocks it; ``warnings`` only ask for a second look."""

    refused: str | None = None
    warnings: tuple[Warning, ...] = ()

    @property
    def clean(self) -> bool:
        return self.refused is None and not self.warnings


@lru_cache(maxsize=4096)
def first_working_day(day: date, tz: str, default_country: str = "NO") -> date:
    """``day`` itself when it is a working day in the zone's country, else the next one. Home's team overview
    asks this for every report on every opening, and the answer for a day never changes: it is kept."""
    calendar = cadence.holiday_calendar(cadence.country_for(tz, default_country))
    if calendar.is_working_day(day):
        return day
    result: date = calendar.get_nth_working_day(day, 1)
    return result


def window_end(cadence_name: str, start: datetime, tz: str) -> datetime:
    """Where a window that opened at ``start`` ends: the next window of the same cadence (APScheduler's
    calendar arithmetic, so month lengths and DST are not counted by hand)."""
    spec = cadence.CADENCES.get(cadence_name, cadence.CADENCES[cadence.DEFAULT_CADENCE])
    zone = ZoneInfo(tz)
    local = start.astimezone(zone)
    trigger = CalendarIntervalTrigger(
        **spec, hour=local.hour, minute=local.minute, start_date=local.date(), timezone=zone
    )
    nxt: datetime | None = trigger.get_next_fire_time(local, local)
    assert nxt is not None
    return nxt


def _day_problems(party: Party, day: date) -> list[Warning]:
    calendar = cadence.holiday_calendar(party.country)
    found: list[Warning] = []
    if day.weekday() >= 5:
        found.append(Warning("weekend", party.role))
    if day in calendar:
        found.append(Warning("holiday", party.role, f"{party.country}:{day.isoformat()}"))
    if party.away_until is not None and day <= party.away_until:
        found.append(Warning("away", party.role, party.away_until.isoformat()))
    return found


def _within_hours(party: Party, start: datetime, duration: timedelta, hours: cadence.WorkingHours) -> bool:
    local = party.local(start)
    end = party.local(start + duration)
    return local.date() == end.date() and hours.start <= local.time() and end.time() <= hours.end


def _clashes(start: datetime, duration: timedelta, taken: Sequence[datetime]) -> bool:
    return any(start < other + duration and other < start + duration for other in taken)


def check(
    when: datetime,
    *,
    manager: Person,
    employee: Person,
    duration: timedelta,
    now: datetime,
    hours: cadence.WorkingHours,
    taken: Sequence[datetime] = (),
) -> SlotCheck:
    """Judge a proposed meeting time (aware datetime) for a manager and a report.

    ``duration`` is the conversation's length (its template's), ``taken`` the start times the manager has
    already given other meetings (``taken_by``). Returns ``refused='past'`` for a time not after ``now``;
    otherwise the warnings, each naming whose day or hours it concerns.
    """
    if when <= now:
        return SlotCheck(refused="past")
    warnings: list[Warning] = []
    for party in (Party.of("manager", manager, hours), Party.of("employee", employee, hours)):
        warnings += _day_problems(party, party.local(when).date())
        if not _within_hours(party, when, duration, hours):
            warnings.append(Warning("out_of_hours", party.role, party.local(when).strftime("%H:%M")))
    if _clashes(when, duration, taken):
        warnings.append(Warning("clash", "manager"))
    return SlotCheck(warnings=tuple(warnings))


def _candidates(
    day: date, parties: tuple[Party, Party], duration: timedelta, hours: cadence.WorkingHours
) -> list[datetime]:
    """Start times on ``day`` (the manager's date) inside both people's hours and working days, best first."""
    manager = parties[0]
    zone = ZoneInfo(manager.tz)
    first = datetime.combine(day, hours.start, tzinfo=zone)
    last = datetime.combine(day, hours.end, tzinfo=zone) - duration
    found = []
    moment = first
    while moment <= last:
        utc = moment.astimezone(ZoneInfo("UTC"))
        fine = all(
            not _day_problems(p, p.local(utc).date()) and _within_hours(p, utc, duration, hours) for p in parties
        )
        if fine:
            found.append(moment)
        moment = (moment.astimezone(ZoneInfo("UTC")) + STEP).astimezone(zone)
    preferred = datetime.combine(day, PREFERRED, tzinfo=zone)
    # Ten o'clock first, then the times after it, then the earlier ones: a meeting not first thing.
    return sorted(found, key=lambda m: (m < preferred, abs((m - preferred).total_seconds())))


def suggest(
    *,
    manager: Person,
    employee: Person,
    window_start: datetime,
    window_end: datetime,
    duration: timedelta,
    now: datetime,
    hours: cadence.WorkingHours,
    taken: Sequence[datetime] = (),
    spread: int = 0,
) -> datetime:
    """The suggested start of a conversation, as described in the module's docstring.

    ``spread`` is the report's place among the manager's reports: the n-th report's suggestion goes to the
    n-th free day of the window (wrapping to later times of the same days), so suggestions differ.
    """
    parties = (Party.of("manager", manager, hours), Party.of("employee", employee, hours))
    zone = ZoneInfo(parties[0].tz)
    earliest = max(window_start, now + LEAD)
    if earliest >= window_end:  # a late click: the window leaves no week, so the first free day from tomorrow
        earliest = max(window_start, now + timedelta(days=1))
    start_day = earliest.astimezone(zone).date()
    for horizon in (window_end, window_end + BEYOND_WINDOW):
        days: list[list[datetime]] = []
        day = start_day
        while datetime.combine(day, time(0), tzinfo=zone) < horizon:
            free = [m for m in _candidates(day, parties, duration, hours) if m >= earliest]
            free = [m for m in free if not _clashes(m, duration, taken)]
            if free:
                days.append(free)
            day += timedelta(days=1)
        if days:
            chosen_day = days[spread % len(days)]
            return chosen_day[(spread // len(days)) % len(chosen_day)].astimezone(ZoneInfo("UTC"))
    return _least_bad(start_day, parties, duration, hours, earliest)


def _least_bad(
    start_day: date, parties: tuple[Party, Party], duration: timedelta, hours: cadence.WorkingHours, earliest: datetime
) -> datetime:
    """No time suits both (hours that never overlap, a long conversation): the manager's first working-day
    morning slot that overlaps the employee's hours most. The form warns about it."""
    manager, employee = parties
    zone = ZoneInfo(manager.tz)
    day = start_day
    for _ in range(60):
        if not _day_problems(manager, day) and not _day_problems(employee, day):
            best: tuple[float, datetime] | None = None
            moment = datetime.combine(day, hours.start, tzinfo=zone)
            while moment + duration <= datetime.combine(day, hours.end, tzinfo=zone):
                if moment >= earliest:
                    local = employee.local(moment)
                    start_e = datetime.combine(local.date(), hours.start, tzinfo=ZoneInfo(employee.tz))
                    end_e = datetime.combine(local.date(), hours.end, tzinfo=ZoneInfo(employee.tz))
                    overlap = (min(moment + duration, end_e) - max(moment, start_e)).total_seconds()
                    if best is None or overlap > best[0]:
                        best = (overlap, moment)
                moment += STEP
            if best is not None:
                return best[1].astimezone(ZoneInfo("UTC"))
        day += timedelta(days=1)
    return earliest


# --- reading what the store knows ------------------------------------------------------------------------


def taken_by(repo: Repo, manager: Person, *, except_meeting: int | None = None, after: datetime) -> list[datetime]:
    """Start times of the manager's invited conversations still ahead, other than the one being planned."""
    assert manager.id is not None
    pairing_ids = [p.id for p in repo.reports_of(manager.id) if p.id is not None]
    return [
        m.scheduled_at
        for m in repo.invited_after(pairing_ids, after)
        if m.scheduled_at is not None and m.id != except_meeting
    ]


def duration_of(meeting: Meeting) -> timedelta:
    from flows.templates import template

    return timedelta(minutes=template(meeting.template).duration_minutes)


def review(
    repo: Repo,
    meeting: Meeting,
    manager: Person,
    employee: Person,
    when: datetime,
    now: datetime,
    hours: cadence.WorkingHours,
) -> SlotCheck:
    """``check`` for a stored meeting: its own duration, the manager's other meetings as ``taken``.

    This is what a form that sets or moves a meeting's time calls.
    """
    taken = taken_by(repo, manager, except_meeting=meeting.id, after=now)
    return check(
        when, manager=manager, employee=employee, duration=duration_of(meeting), now=now, hours=hours, taken=taken
    )


def suggestion_for(
    repo: Repo,
    meeting: Meeting,
    manager: Person,
    employee: Person,
    cadence_name: str,
    now: datetime,
    hours: cadence.WorkingHours,
) -> datetime:
    """The suggested time for a stored meeting: its window, the manager's other meetings, the report's place."""
    assert meeting.window_start is not None and manager.id is not None
    tz = manager.tz or DEFAULT_TZ
    reports = [p.employee_id for p in repo.reports_of(manager.id)]
    spread = reports.index(employee.id) if employee.id in reports else 0
    return suggest(
        manager=manager,
        employee=employee,
        window_start=meeting.window_start,
        window_end=window_end(cadence_name, meeting.window_start, tz),
        duration=duration_of(meeting),
        now=now,
        hours=hours,
        taken=taken_by(repo, manager, except_meeting=meeting.id, after=now),
        spread=spread,
    )

"""When things happen: conversation windows and the working-hour slots messages may be sent in.

APScheduler's triggers do the calendar work (month lengths, time zones, DST gaps and folds); the
``holidays`` package knows the public holidays. Nothing here adds days or hours by hand.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

import holidays
from apscheduler.triggers.calendarinterval import CalendarIntervalTrigger
from apscheduler.triggers.cron import CronTrigger

CADENCES: dict[str, dict[str, int]] = {
    "weekly": {"weeks": 1},
    "biweekly": {"weeks": 2},
    "monthly": {"months": 1},
    "quarterly": {"months": 3},
    "yearly": {"years": 1},
}
DEFAULT_CADENCE = "monthly"
# The nudge goes out ahead of the window, but never so early that it lands before the previous window.
LEAD_CAP_DAYS = {"weekly": 3, "biweekly": 7, "monthly": 10, "quarterly": 10, "yearly": 10}
WINDOW_HOUR = 9
ZONE_COUNTRY = {
    "Europe/Oslo": "NO",
    "Arctic/Longyearbyen": "NO",
    "Europe/Stockholm": "SE",
    "Europe/Copenhagen": "DK",
    "Europe/Helsinki": "FI",
    "Europe/London": "GB",
    "America/New_York": "US",
    "America/Chicago": "US",
    "America/Denver": "US",
    "America/Los_Angeles": "US",
}


@dataclass(frozen=True)
class WorkingHours:
    """When a person may be messaged: weekdays between start and end, not on holidays, not while away."""

    start: time = time(9, 0)
    end: time = time(16, 0)
    country: str = "NO"


@cache
def holiday_calendar(country: str) -> Any:
    """Public holidays of a country. Sweden counts Sundays as holidays unless told otherwise."""
    if country == "SE":
        return holidays.SE(  # type: ignore[attr-defined]
            include_sundays=False, categories=(holidays.PUBLIC, holidays.DE_FACTO), language="en_US"
        )
    return holidays.country_holidays(country, language="en_US")


HOLIDAY_LANGUAGE = {"nb": "no", "nn": "no", "sv": "sv", "en": "en_US"}


@cache
def _named_holidays(country: str, language: str) -> Any:
    supported = holidays.country_holidays(country).supported_languages
    code = HOLIDAY_LANGUAGE.get(language, "en_US")
    return holidays.country_holidays(country, language=code if code in supported else "en_US")


def holiday_name(day: date, country: str, language: str) -> str:
    """A public holiday's name in the reader's language where the package has it (else in English)."""
    return str(_named_holidays(country, language).get(day) or "")


def country_for(tz: str | None, default: str) -> str:
    return ZONE_COUNTRY.get(tz or "", default)


def is_holiday(day: date, country: str) -> bool:
    return day in holiday_calendar(country)


def working_days_before(day: date, n: int, country: str) -> date:
    """The n-th working day before ``day`` (weekends and public holidays skipped)."""
    result: date = holiday_calendar(country).get_nth_working_day(day, -n)
    return result


def lead_days(cadence: str, configured: int) -> int:
    return min(configured, LEAD_CAP_DAYS.get(cadence, configured))


def window_trigger(cadence: str, anchor: date, tz: str) -> CalendarIntervalTrigger:
    if cadence not in CADENCES:
        raise ValueError(f"unknown cadence {cadence!r}")
    return CalendarIntervalTrigger(**CADENCES[cadence], hour=WINDOW_HOUR, start_date=anchor, timezone=ZoneInfo(tz))


def default_anchor(now: datetime, tz: str, lead: int) -> date:
    """The first window of a new pair: ``lead`` days out, so the first nudge can go at once.

    Days 29–31 do not exist in every month and the trigger would skip those months, so such an anchor
    moves to the 1st of the next month.
    """
    local = now.astimezone(ZoneInfo(tz)).date() + timedelta(days=lead)
    if local.day > 28:
        local = (local.replace(day=1) + timedelta(days=32)).replace(day=1)
    return local


@dataclass(frozen=True)
class Window:
    start: datetime
    nudge_at: datetime

    @property
    def period(self) -> str:
        return self.start.date().isoformat()


def first_window(cadence: str, anchor: date, tz: str, lead: int, now: datetime) -> Window:
    """The earliest window whose nudge time has not passed (or the anchor window itself)."""
    trigger = window_trigger(cadence, anchor, tz)
    fire = trigger.get_next_fire_time(None, now)
    while fire is not None and fire - timedelta(days=lead) < now - timedelta(days=1):
        fire = trigger.get_next_fire_time(fire, now)
    assert fire is not None
    return Window(start=fire, nudge_at=fire - timedelta(days=lead))


def following_window(cadence: str, anchor: date, tz: str, lead: int, previous: datetime) -> Window:
    trigger = window_trigger(cadence, anchor, tz)
    fire = trigger.get_next_fire_time(previous.astimezone(ZoneInfo(tz)), previous)
    assert fire is not None
    return Window(start=fire, nudge_at=fire - timedelta(days=lead))


def _slot_trigger(hours: WorkingHours, tz: str) -> CronTrigger:
    last_hour = hours.end.hour - 1 if hours.end.minute == 0 else hours.end.hour
    return CronTrigger(
        day_of_week="mon-fri",
        hour=f"{hours.start.hour}-{max(hours.start.hour, last_hour)}",
        minute="*",
        timezone=ZoneInfo(tz),
    )


def next_slot(after: datetime, tz: str | None, hours: WorkingHours, away_until: date | None = None) -> datetime:
    """The first moment at or after ``after`` when a person may be messaged.

    The cron trigger yields the next weekday minute inside working hours in the person's zone (DST
    included); days that are holidays are stepped over to the next morning, and an absence is jumped over
    whole, however long it is.
    """
    zone = tz or "Europe/Oslo"
    country = country_for(zone, hours.country)
    trigger = _slot_trigger(hours, zone)
    local_zone = ZoneInfo(zone)
    # The trigger fires on whole minutes: start from the minute ``after`` falls in, so a moment that is
    # itself inside working hours is returned as it is rather than pushed to the next minute.
    start = after.astimezone(local_zone).replace(second=0, microsecond=0)
    if away_until is not None and start.date() <= away_until:
        start = datetime.combine(away_until + timedelta(days=1), time(0, 0), tzinfo=local_zone)
    candidate: datetime | None = trigger.get_next_fire_time(None, start)
    for _ in range(400):
        assert candidate is not None
        day = candidate.astimezone(local_zone).date()
        blocked = is_holiday(day, country) or (away_until is not None and day <= away_until)
        if not blocked:
            return max(candidate, after)
        next_midnight = datetime.combine(day + timedelta(days=1), time(0, 0), tzinfo=local_zone)
        candidate = trigger.get_next_fire_time(None, next_midnight)
    raise RuntimeError("no working slot within 400 days")


def iso_week(moment: datetime, tz: str) -> str:
    y, w, _ = moment.astimezone(ZoneInfo(tz)).isocalendar()
    return f"{y}-W{w:02d}"

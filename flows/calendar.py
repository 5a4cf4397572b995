"""The 1:1 in people's calendars: an iCalendar event (RFC 5545) with the invitation and with every change,
and a person's own feed of their 1:1s.

The event is written by the ``icalendar`` library: one UID per meeting for its whole life, SEQUENCE raised
with every change, the start in the organiser's (the manager's) zone with that zone's VTIMEZONE, never a
date without a time and never a time without a zone. Only what a calendar needs goes in: title, time,
place, the two people. Answers, notes and actions stay in Slack.
"""

import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, Timezone, vCalAddress
from icalendar.enums import STATUS, TRANSP

from flows import cadence
from flows.i18n import Translator, negotiate, translator
from flows.outbox import Planned, plan_for
from flows.templates import template
from storage import calendars
from storage.models import Meeting, Person
from storage.repo import Repo

if TYPE_CHECKING:  # the check-in flow plans calendar files, so it imports this module, not the other way
    from flows.checkin import MeetingContext

PRODID = "-//mal//1:1 conversations//EN"
REQUEST = "REQUEST"
CANCEL = "CANCEL"
# A feed shows the 1:1s ahead and those of the last weeks, so a meeting just held does not vanish at once.
FEED_PAST = timedelta(days=30)
FEED_LIMIT = 1000
FEED_REFRESH = timedelta(hours=1)


@dataclass(frozen=True)
class Party:
    name: str
    email: str | None


@dataclass(frozen=True)
class CalendarEvent:
    """One meeting as a calendar sees it. ``start`` is an aware moment; ``tz`` the zone it is written in."""

    uid: str
    sequence: int
    start: datetime
    duration: timedelta
    tz: str
    summary: str
    location: str | None = None
    description: str | None = None
    organizer: Party | None = None
    attendee: Party | None = None
    cancelled: bool = False
    stamp: datetime | None = None  # when the event was last revised; the file's time when unknown


@dataclass(frozen=True)
class CalendarFile:
    filename: str
    content: bytes
    title: str


def uid_of(meeting: Meeting, team_id: str) -> str:
    """Stable for the meeting's whole life, whatever moves: a calendar updates the event it already has."""
    return _uid(meeting.id or 0, team_id)


def _uid(meeting_id: int, team_id: str) -> str:
    return f"meeting-{meeting_id}.{team_id.lower()}@mal"


def _address(party: Party, **params: object) -> vCalAddress:
    assert party.email is not None
    return vCalAddress.new(party.email, cn=party.name or None, **params)  # type: ignore[arg-type]


def _event(ev: CalendarEvent, stamp: datetime) -> Event:
    if ev.start.tzinfo is None:
        raise ValueError("a meeting time without a zone would float in every calendar")
    zone = ZoneInfo(ev.tz)
    start = ev.start.astimezone(zone)
    end = (ev.start + ev.duration).astimezone(zone)  # added as elapsed time, then shown in the zone
    component = Event.new(
        uid=ev.uid,
        sequence=ev.sequence,
        start=start,
        end=end,
        stamp=ev.stamp or stamp,
        summary=ev.summary,
        location=ev.location or None,
        description=ev.description or None,
        status=STATUS.CANCELLED if ev.cancelled else STATUS.CONFIRMED,
        transparency=TRANSP.OPAQUE,
    )
    if ev.organizer is not None and ev.organizer.email:
        component.add("organizer", _address(ev.organizer))
    if ev.attendee is not None and ev.attendee.email:
        component.add(
            "attendee",
            _address(ev.attendee, role="REQ-PARTICIPANT", partstat="NEEDS-ACTION", rsvp=False, cutype="INDIVIDUAL"),
        )
    return component


def to_ics(
    events: list[CalendarEvent], stamp: datetime, *, uid: str, method: str | None = None, name: str | None = None
) -> bytes:
    """A calendar file; with ``method`` an iTIP message (RFC 5546), without one a feed to subscribe to.

    Each zone in use gets its VTIMEZONE with the transitions from a year before the first event to two years
    after the last, so every client (Outlook reads only the file) places the start right across DST.
    """
    feed = name is not None
    cal = Calendar.new(
        prodid=PRODID, uid=uid, method=method, name=name, refresh_interval=FEED_REFRESH if feed else None
    )
    if feed:  # the names Outlook and Google read for a subscribed calendar and how often to fetch it
        cal.add("x-wr-calname", name)
        cal.add("x-published-ttl", FEED_REFRESH)
    days = [ev.start.date() for ev in events] or [stamp.date()]
    first, last = min(days), max(days)
    # The zones are known here, so their VTIMEZONEs are added directly instead of found by walking the events.
    for tz in sorted({ev.tz for ev in events}):
        zone = Timezone.from_tzinfo(
            ZoneInfo(tz), tzid=tz, first_date=date(first.year - 1, 1, 1), last_date=date(last.year + 2, 12, 31)
        )
        cal.add_component(zone)
    for ev in events:
        cal.add_component(_event(ev, stamp))
    data: bytes = cal.to_ical()
    return data


# --- the event of one meeting ---------------------------------------------------------------------------------


def _party(person: Person) -> Party:
    return Party(person.name or person.slack_user_id, person.email)


def summary(meeting: Meeting, other: Person, t: Translator) -> str:
    """The conversation by its template's own title, with the other person's name."""
    return t._("{title} with {name}", title=t._(template(meeting.template).title), name=other.name)


def meeting_event(
    ctx: "MeetingContext", viewer: Person, t: Translator, default_tz: str, *, cancelled: bool = False
) -> CalendarEvent:
    """The event as ``viewer`` (one of the two) gets it: in their language, the start in the manager's zone."""
    meeting = ctx.meeting
    assert meeting.scheduled_at is not None
    other = ctx.manager if viewer.id == ctx.employee.id else ctx.employee
    organizer = _party(ctx.manager)
    return CalendarEvent(
        uid=uid_of(meeting, ctx.pairing.team_id),
        sequence=meeting.calendar_sequence,
        start=meeting.scheduled_at,
        duration=timedelta(minutes=template(meeting.template).duration_minutes),
        tz=ctx.manager.tz or default_tz,
        summary=summary(meeting, other, t),
        location=meeting.place,
        description=t._(
            "The preparation is in Slack, in your direct messages with mal. Nothing written there is put in "
            "the calendar."
        ),
        organizer=organizer,
        attendee=_party(ctx.employee),
        cancelled=cancelled,
    )


def meeting_file(
    ctx: "MeetingContext", viewer: Person, t: Translator, now: datetime, default_tz: str, method: str
) -> CalendarFile:
    """The file sent in the DM. Without the manager's e-mail there is no organiser, and iTIP (RFC 5546) wants
    one for a request or a cancellation: the event is then published instead, cancelled by its STATUS."""
    event = meeting_event(ctx, viewer, t, default_tz, cancelled=method == CANCEL)
    itip = method if event.organizer is not None and event.organizer.email else "PUBLISH"
    assert ctx.meeting.scheduled_at is not None
    day = ctx.meeting.scheduled_at.astimezone(ZoneInfo(viewer.tz or default_tz)).date().isoformat()
    content = to_ics([event], now, uid=f"invitation-{event.uid}", method=itip)
    return CalendarFile(f"1-1-{day}.ics", content, event.summary)


def plan(ctx: "MeetingContext", method: str, now: datetime, hours: cadence.WorkingHours) -> list[Planned]:
    """The event (or its cancellation) for both of the pair, once per change: the key holds the SEQUENCE.

    A file overtaken by a later change before it went is dropped as stale (``flows.outbox.relevance``).
    """
    meeting = ctx.meeting
    assert meeting.id is not None
    payload = {"meeting_id": meeting.id, "sequence": meeting.calendar_sequence, "method": method}
    return [
        plan_for(
            person, f"calendar:{meeting.id}:{meeting.calendar_sequence}:{person.id}", "calendar", payload, now, hours
        )
        for person in (ctx.employee, ctx.manager)
    ]


# --- a person's feed ---------------------------------------------------------------------------------------


def new_token() -> str:
    """256 random bits, URL-safe: nobody guesses it, and it is the whole of the feed's protection."""
    return secrets.token_urlsafe(32)


def token_of(repo: Repo, person: Person, now: datetime) -> str:
    """The person's feed address token, made the first time it is asked for."""
    assert person.id is not None
    row = calendars.feed_of(repo, person.id)
    if row is None:
        row = calendars.set_feed(repo, person.team_id, person.id, new_token(), now)
    return row.token


def reset_token(repo: Repo, person: Person, now: datetime) -> str:
    """A new address; the old one answers 404 from the moment this commits."""
    assert person.id is not None
    return calendars.set_feed(repo, person.team_id, person.id, new_token(), now).token


@dataclass(frozen=True)
class Feed:
    """A person's feed as data: the same data gives the same file, so the file is built once per change."""

    uid: str
    name: str
    events: tuple[CalendarEvent, ...]
    built: datetime


def feed_of_token(repo: Repo, token: str, now: datetime, default_tz: str, default_language: str) -> Feed | None:
    """The feed behind ``token``: the owner's 1:1s with title, time, place and the other person, nothing
    else. None for a token nobody has (never issued, or replaced by a reset)."""
    row = calendars.feed_by_token(repo, token)
    if row is None:
        return None
    owner = repo.person(row.person_id)
    if owner is None or not owner.active or owner.team_id != row.team_id:
        return None
    assert owner.id is not None
    t = translator(negotiate(owner.language, owner.slack_locale, default=default_language))
    found = calendars.meetings_of_person(repo, owner.id, now - FEED_PAST, ("invited", "held"), FEED_LIMIT)
    others = repo.people([_other_id(r, owner.id) for r in found])
    tz = owner.tz or default_tz
    titles: dict[tuple[str, int], str] = {}  # the same few titles a thousand times: translated once each
    events = []
    for r in found:
        other = others.get(_other_id(r, owner.id))
        if other is None:
            continue
        key = (r.template, other.id or 0)
        if key not in titles:
            titles[key] = t._("{title} with {name}", title=t._(template(r.template).title), name=other.name)
        events.append(
            CalendarEvent(
                uid=_uid(r.meeting_id, r.team_id),
                sequence=r.sequence,
                start=r.scheduled_at,
                duration=timedelta(minutes=template(r.template).duration_minutes),
                tz=tz,
                summary=titles[key],
                location=r.place,
                stamp=r.created_at,
            )
        )
    return Feed(f"feed-{owner.id}.{owner.team_id.lower()}@mal", t._("1:1s in mal"), tuple(events), now)


@lru_cache(maxsize=256)
def _feed_file(uid: str, name: str, events: tuple[CalendarEvent, ...], day: date) -> bytes:
    return to_ics(list(events), datetime.combine(day, datetime.min.time(), tzinfo=UTC), uid=uid, name=name)


def feed_file(feed: Feed) -> bytes:
    """The file of a feed. Calendar clients poll the same unchanged feed again and again, and writing 1,000
    events takes the library most of a second, so a file is kept for as long as its events stay the same
    (within the day: the window of past meetings moves daily)."""
    return _feed_file(feed.uid, feed.name, feed.events, feed.built.date())


def feed(repo: Repo, token: str, now: datetime, default_tz: str, default_language: str) -> bytes | None:
    found = feed_of_token(repo, token, now, default_tz, default_language)
    return feed_file(found) if found is not None else None


def _other_id(row: calendars.FeedRow, person_id: int) -> int:
    return row.manager_id if row.employee_id == person_id else row.employee_id

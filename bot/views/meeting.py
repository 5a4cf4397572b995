"""How a conversation is named wherever it is mentioned: its kind, the other person, and its date.

With several reports every message, form, reminder and Home line must say which meeting it is about;
they all name it through ``label`` so the wording (and the conversation's title) lives in one place.
"""

from datetime import date, datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from flows import slots
from flows.checkin import MeetingContext
from flows.i18n import Translator
from flows.templates import conversation_title
from storage.models import Person

DEFAULT_TZ = "Europe/Oslo"


class Named(Protocol):
    """Whoever a label names: a stored person, or the part of one an action list reads."""

    @property
    def slack_user_id(self) -> str: ...


class Dated(Protocol):
    """A meeting as a label names it: a stored meeting, or the part of one an action list reads."""

    @property
    def template(self) -> str: ...

    @property
    def scheduled_at(self) -> datetime | None: ...

    @property
    def window_start(self) -> datetime | None: ...


def title(meeting: Dated | None, t: Translator) -> str:
    """The conversation's name in the reader's language, from its template's own title (an annual conversation
    is not a "1:1"), in lower case to stand inside a sentence; the monthly check-in is a 1:1."""
    if meeting is None or meeting.template in ("", "monthly"):
        return t._("1:1")
    name = conversation_title(meeting.template, t._)
    return name[:1].lower() + name[1:]


def when(meeting: Dated, t: Translator, tz: str | None, *, short: bool = False) -> str:
    """Its time when fixed ('Thursday 3 December at 10:00'), else the week it is due in."""
    zone = tz or DEFAULT_TZ
    if meeting.scheduled_at is not None:
        if short:
            return t.short_day(meeting.scheduled_at.astimezone(ZoneInfo(zone)).date())
        return t.when(meeting.scheduled_at, zone)
    if meeting.window_start is not None:
        return t._("the week of {day}", day=t.day(week_of(meeting, zone)))
    return ""


def week_of(meeting: Dated, tz: str) -> date:
    """The first working day of the meeting's window, in the reader's zone."""
    assert meeting.window_start is not None
    start = meeting.window_start.astimezone(ZoneInfo(tz)).date()
    return slots.first_working_day(start, tz)


def label(meeting: Dated | None, other: Named, t: Translator, tz: str | None, *, short: bool = False) -> str:
    """'1:1 with @Kari, Thursday 3 December at 10:00' — the line that tells one meeting from another."""
    name = t._("{title} with <@{user}>", title=title(meeting, t), user=other.slack_user_id)
    moment = when(meeting, t, tz, short=short) if meeting is not None else ""
    return t._("{meeting}, {when}", meeting=name, when=moment) if moment else name


def capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def for_reader(ctx: MeetingContext, reader: Person, t: Translator, *, short: bool = False) -> str:
    """The meeting as one of its two people names it: with the other one, and its date in the reader's zone."""
    other = ctx.employee if reader.id == ctx.manager.id else ctx.manager
    return capital(label(ctx.meeting, other, t, reader.tz, short=short))

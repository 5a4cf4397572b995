"""Dates as people type them, in their language or ISO: '2026-12-15', '15.12.2026', '15. desember',
'fredag', 'neste fredag', 'i morgen', 'om to uker', 'in two weeks'.

Exact dates are read with Babel's month names; weekday names and relative phrases go to dateparser, but
only text that is such a phrase (a weekday, 'om/in N days/weeks', today/tomorrow), so the last words of an
action ('… Sette opp møte 3') are never mistaken for a date. A date that cannot exist ('31.02.2027') is
refused as such, not as a missing date.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cache
from typing import Any

import dateparser
from babel.dates import get_day_names, get_month_names

from flows.i18n import LANGUAGES

_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_NUMERIC = re.compile(r"^(\d{1,2})[./](\d{1,2})(?:[./](\d{2}|\d{4}))?\.?$")
_WORDS = re.compile(r"^(\d{1,2})\.?\s+([^\W\d_]+)\.?(?:\s+(\d{4}))?$")
_EN_WORDS = re.compile(r"^([^\W\d_]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?(?:\s+(\d{4}))?$")
RELATIVE = {
    0: ("today", "i dag", "idag"),
    1: ("tomorrow", "i morgen", "imorgen", "i morgon", "imorgon"),
}


MAX_YEARS_AHEAD = 5


def latest(today: date) -> date:
    """The furthest date mal takes for anything (a due date, a meeting, a deadline): five years on. Beyond it a
    date is a typing error (year 9999), not a plan, and would only clutter lists and reminders for ever."""
    try:
        return today.replace(year=today.year + MAX_YEARS_AHEAD)
    except ValueError:  # 29 February
        return today.replace(year=today.year + MAX_YEARS_AHEAD, day=28)


class DateError(ValueError):
    """Why a typed date was refused: 'unparseable', 'no_such_day' (31.02), 'past' or 'too_far'."""

    def __init__(self, reason: str, text: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.text = text


def _names(getter: Callable[..., Any]) -> dict[str, int]:
    """Every wide and short name Babel knows in the four languages, lower case, to its number."""
    names: dict[str, int] = {}
    for lang in LANGUAGES:
        for width in ("wide", "abbreviated"):
            for ctx in ("format", "stand-alone"):
                for num, name in getter(width, context=ctx, locale=lang).items():
                    names[name.lower().rstrip(".")] = num
    return names


@cache
def _month_lookup() -> dict[str, int]:
    return _names(get_month_names)


def _build(year: int, month: int, day: int, text: str) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise DateError("no_such_day", text) from None


NEXT_WORDS = ("neste", "nästa", "next", "kommende", "kommande", "komande")
_UNITS = (
    "dag|dagar|dager|dagen|day|days|uke|uker|uka|veke|veker|vekor|vecka|veckor|week|weeks|"
    "måned|måneder|månad|månader|månadar|month|months"
)
_NUMBER_WORDS = "en|ei|ett|eitt|ein|one|a|to|två|two|tre|three|fire|fyra|four|fem|five|seks|sex|six"
_RELATIVE = re.compile(rf"^(om|in)\s+(\d{{1,2}}|{_NUMBER_WORDS})\s+({_UNITS})$")
# dateparser's Nynorsk lacks some words its Bokmål has; these are read as their Bokmål twins.
_NYNORSK = {"veke": "uke", "veker": "uker", "vekor": "uker", "månadar": "måneder", "ei": "en", "eitt": "ett"}


@cache
def _weekday_lookup() -> dict[str, int]:
    return _names(get_day_names)


def _relative(raw: str, today: date) -> date | None:
    """A weekday ('fredag', 'neste fredag' — the coming one, never today) or 'om to uker' / 'in 2 weeks'."""
    words = raw.split()
    if words and words[0] in NEXT_WORDS and len(words) == 2:
        words = words[1:]
    if len(words) == 1 and words[0] in _weekday_lookup():
        ahead = (_weekday_lookup()[words[0]] - today.weekday()) % 7
        return today + timedelta(days=ahead or 7)
    if _RELATIVE.match(raw):
        text = " ".join(_NYNORSK.get(w, w) for w in words)
        base = datetime.combine(today, time(12, 0))
        found = dateparser.parse(
            text,
            languages=["nb", "sv", "en"],
            settings={"RELATIVE_BASE": base, "PREFER_DATES_FROM": "future", "RETURN_AS_TIMEZONE_AWARE": False},
        )
        return found.date() if found is not None else None
    return None


def _with_year(month: int, day: int, year: str | None, today: date, text: str) -> date:
    if year:
        y = int(year)
        return _build(y + 2000 if y < 100 else y, month, day, text)
    candidate = _build(today.year, month, day, text)
    return candidate if candidate >= today else _build(today.year + 1, month, day, text)


def parse_date(text: str, today: date, *, allow_past: bool = False) -> date:
    """Parse a date; a day without a year means its next occurrence. Raises DateError."""
    raw = text.strip().lower().rstrip(",")
    for offset, words in RELATIVE.items():
        if raw in words:
            return today + timedelta(days=offset)
    result: date | None = _relative(raw, today)
    if result is not None:
        pass
    elif m := _ISO.match(raw):
        result = _build(int(m[1]), int(m[2]), int(m[3]), text)
    elif m := _NUMERIC.match(raw):
        result = _with_year(int(m[2]), int(m[1]), m[3], today, text)
    elif (m := _WORDS.match(raw)) and m[2].rstrip(".") in _month_lookup():
        result = _with_year(_month_lookup()[m[2].rstrip(".")], int(m[1]), m[3], today, text)
    elif (m := _EN_WORDS.match(raw)) and m[1].rstrip(".") in _month_lookup():
        result = _with_year(_month_lookup()[m[1].rstrip(".")], int(m[2]), m[3], today, text)
    if result is None:
        raise DateError("unparseable", text)
    if result < today and not allow_past:
        raise DateError("past", text)
    if result > latest(today):
        raise DateError("too_far", text)
    return result


@dataclass(frozen=True)
class TrailingDate:
    rest: str
    due: date


BY_WORDS = ("by", "before", "until", "innen", "til", "før", "senast", "till", "innan", "due")


def split_trailing_date(text: str, today: date) -> TrailingDate:
    """Split 'Finish the course by 15. desember' into the task and its date (the last words that parse).

    Raises DateError('missing') when no trailing words form a date, 'no_such_day' for a date that does not
    exist ('31.02.2027'), or 'past' for a date gone by.
    """
    words = text.split()
    refused: DateError | None = None
    for n in (3, 2, 1):
        if len(words) <= n:
            continue
        tail = " ".join(words[-n:])
        try:
            due = parse_date(tail, today)
        except DateError as exc:
            if exc.reason in ("past", "no_such_day", "too_far"):
                refused = refused or exc
            continue
        rest = words[:-n]
        if rest and rest[-1].lower() in BY_WORDS:
            rest = rest[:-1]
        return TrailingDate(" ".join(rest), due)
    if refused is not None:
        raise refused
    raise DateError("missing", text)

"""Dates as people type them, in their language or ISO: '2026-12-15', '15.12.2026', '15. desember'."""

import re
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache

from babel.dates import get_month_names

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
    """Why a typed date was refused: 'unparseable', 'past' or 'too_far'."""

    def __init__(self, reason: str, text: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.text = text


@cache
def _month_lookup() -> dict[str, int]:
    names: dict[str, int] = {}
    for lang in LANGUAGES:
        for width in ("wide", "abbreviated"):
            for ctx in ("format", "stand-alone"):
                for num, name in get_month_names(width, context=ctx, locale=lang).items():
                    names[name.lower().rstrip(".")] = num
    return names


def _build(year: int, month: int, day: int, text: str) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise DateError("unparseable", text) from None


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
    result: date | None = None
    if m := _ISO.match(raw):
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

    Raises DateError('missing') when no trailing words form a date, or 'past' for a date gone by.
    """
    words = text.split()
    past: DateError | None = None
    for n in (3, 2, 1):
        if len(words) <= n:
            continue
        tail = " ".join(words[-n:])
        try:
            due = parse_date(tail, today)
        except DateError as exc:
            if exc.reason in ("past", "too_far"):
                past = exc
            continue
        rest = words[:-n]
        if rest and rest[-1].lower() in BY_WORDS:
            rest = rest[:-1]
        return TrailingDate(" ".join(rest), due)
    if past is not None:
        raise past
    raise DateError("missing", text)

"""Languages: Babel catalogs (nb default, nn, sv, en), locale negotiation and date formatting.

Catalogs are read from the ``.po`` files at start and compiled in memory, so there is no compiled
artefact to forget: a catalog that is missing raises instead of silently giving untranslated text.
"""

import io
from datetime import date, datetime
from functools import cache, lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale, negotiate_locale
from babel.dates import format_date, format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

LANGUAGES = ("nb", "nn", "sv", "en")
DEFAULT_LANGUAGE = "nb"
LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "messages"
DATE_LOCALES = {"en": "en_GB"}


def N_(message: str) -> str:
    """Marks a string for extraction where it is defined; it is translated where it is shown."""
    return message


class Translator:
    """The text of one language; ``_`` and ``ngettext`` are the only ways text reaches a user."""

    def __init__(self, language: str, translations: Translations) -> None:
        self.language = language
        self._t = translations
        # Dates follow one locale's conventions: British English fits a Nordic organisation (15 December 2026),
        # as its spelling does (prioritisation), rather than American dates.
        self.date_locale = DATE_LOCALES.get(language, language)

    def _(self, message: str, **params: object) -> str:
        text: str = self._t.gettext(message)
        return text.format(**params) if params else text

    def ngettext(self, singular: str, plural: str, n: int, **params: object) -> str:
        text: str = self._t.ngettext(singular, plural, n)
        return text.format(n=n, **params)

    def when(self, moment: datetime, tz: str) -> str:
        """A meeting time in the reader's language and zone: 'tirsdag 3. desember kl. 10:00'."""
        day, clock = _moment(moment, tz, self._("EEEE d MMMM"), self.date_locale)
        return self._("{day} at {time}", day=day, time=clock)

    def day(self, d: date) -> str:
        """A due date: 'tirsdag 15. desember 2026'."""
        return _day(d, self._("EEEE d MMMM y"), self.date_locale)

    def short_day(self, d: date) -> str:
        return _day(d, self._("d MMM y"), self.date_locale)


# A list names the same few dates over and over (due dates, meeting days): Babel's formatting of one costs more
# than the rest of a line, and a date's text in one language never changes, so each is formatted once.
FORMATTED_DATES = 4096


@cache
def _locale(name: str) -> Locale:
    """One parsed locale per language: a Locale made anew loads and wraps its CLDR data again on first use."""
    return Locale.parse(name)


@lru_cache(maxsize=FORMATTED_DATES)
def _day(d: date, pattern: str, locale: str) -> str:
    return str(format_date(d, pattern, locale=_locale(locale)))


@lru_cache(maxsize=FORMATTED_DATES)
def _moment(moment: datetime, tz: str, pattern: str, locale: str) -> tuple[str, str]:
    local = moment.astimezone(ZoneInfo(tz))
    loc = _locale(locale)
    return str(format_datetime(local, pattern, locale=loc)), str(format_datetime(local, "HH:mm", locale=loc))


@cache
def translator(language: str) -> Translator:
    if language not in LANGUAGES:
        raise ValueError(f"unsupported language {language!r}")
    po = LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    with po.open("rb") as fh:
        catalog = read_po(fh, locale=language)
    buf = io.BytesIO()
    write_mo(buf, catalog)
    buf.seek(0)
    return Translator(language, Translations(buf, domain=DOMAIN))


def negotiate(*preferences: str | None, default: str = DEFAULT_LANGUAGE) -> str:
    """The first supported language among a person's choice, their Slack locale and the org default.

    Slack sends IETF tags ('nb-NO', 'sv-SE', 'en-US'); plain 'no' means Bokmål.
    """
    for pref in preferences:
        if not pref:
            continue
        found = negotiate_locale([pref], list(LANGUAGES), sep="-", aliases={"no": "nb", "nb": "nb"})
        if found is None and "_" in pref:
            found = negotiate_locale([pref], list(LANGUAGES), sep="_", aliases={"no": "nb"})
        if found:
            return str(found)
    return default

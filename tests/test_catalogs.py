"""The catalogs: every message is translated in nb, nn, sv and en, they are in step with the code, the
placeholders survive translation, and the run-time translator reads them (dates included)."""

import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import read_po

from flows import catalogs
from flows.i18n import LANGUAGES, LOCALE_DIR, translator

PLACEHOLDER = re.compile(r"\{[^{}]*\}")
MsgId = str | tuple[str, ...]


def po_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / "messages.po"


def load(path: Path, language: str | None = None) -> Catalog:
    with path.open("rb") as fh:
        return read_po(fh, locale=language)


def messages(catalog: Catalog) -> list[Message]:
    return [m for m in catalog if m.id]


def ids(catalog: Catalog) -> set[MsgId]:
    return {m.id if isinstance(m.id, str) else tuple(m.id) for m in messages(catalog)}


def forms(message: Message) -> list[tuple[str, str]]:
    """(source, translation) pairs: the singular for the first plural form, the plural for the others."""
    if isinstance(message.id, str):
        return [(message.id, message.string if isinstance(message.string, str) else "")]
    strings = message.string if isinstance(message.string, tuple | list) else (message.string,)
    return [(message.id[0] if n == 0 else message.id[1], s or "") for n, s in enumerate(strings)]


def placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text))


@pytest.fixture(scope="module")
def extracted(tmp_path_factory: pytest.TempPathFactory) -> set[MsgId]:
    pot = tmp_path_factory.mktemp("catalogs") / "x.pot"
    catalogs.extract(pot)
    return ids(load(pot))


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_is_translated_in_every_plural_form_and_none_is_fuzzy(language: str) -> None:
    catalog = load(po_path(language), language)
    assert messages(catalog), f"the {language} catalog is empty"
    untranslated = [m.id for m in messages(catalog) if not all(t for _, t in forms(m))]
    wrong_count = [m.id for m in messages(catalog) if m.pluralizable and len(forms(m)) != catalog.num_plurals]
    fuzzy = [m.id for m in messages(catalog) if m.fuzzy]
    assert not untranslated, f"untranslated in {language}: {untranslated}"
    assert not wrong_count, f"wrong number of plural forms in {language} (needs {catalog.num_plurals}): {wrong_count}"
    assert not fuzzy, f"fuzzy in {language}: {fuzzy}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalog_holds_exactly_the_messages_the_code_uses(language: str, extracted: set[MsgId]) -> None:
    assert extracted, "extraction found no messages at all: check the mappings used by flows.catalogs.extract"
    in_catalog = ids(load(po_path(language), language))
    missing = sorted(map(str, extracted - in_catalog))
    stale = sorted(map(str, in_catalog - extracted))
    assert not missing and not stale, (
        f"{language} is out of step with the code; run `python -m flows.catalogs` and translate.\n"
        f"missing: {missing}\nstale: {stale}"
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_translations_keep_the_placeholders_of_their_message(language: str) -> None:
    broken = [
        (source, translation)
        for m in messages(load(po_path(language), language))
        for source, translation in forms(m)
        if translation and placeholders(translation) != placeholders(source)
    ]
    assert not broken, f"placeholders changed in {language}: {broken}"


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("nb", "Ingen åpne tiltak. :white_check_mark:"),
        ("nn", "Ingen opne tiltak. :white_check_mark:"),
        ("sv", "Inga öppna aktiviteter. :white_check_mark:"),
        ("en", "No open actions. :white_check_mark:"),
    ],
)
def test_translator_loads_each_language_and_translates_a_known_message(language: str, expected: str) -> None:
    assert translator(language)._("No open actions. :white_check_mark:") == expected


@pytest.mark.parametrize(
    ("language", "one", "many"),
    [
        ("nb", "1 åpent tiltak", "3 åpne tiltak"),
        ("nn", "1 ope tiltak", "3 opne tiltak"),
        ("sv", "1 öppen aktivitet", "3 öppna aktiviteter"),
        ("en", "1 open action", "3 open actions"),
    ],
)
def test_plural_messages_choose_the_form_by_count(language: str, one: str, many: str) -> None:
    t = translator(language)
    assert t.ngettext("{n} open action", "{n} open actions", 1) == one
    assert t.ngettext("{n} open action", "{n} open actions", 3) == many


@pytest.mark.parametrize(
    ("language", "when", "day", "short"),
    [
        ("nb", "tirsdag 1. desember kl. 10:00", "tirsdag 15. desember 2026", "15. des. 2026"),
        ("nn", "tysdag 1. desember kl. 10:00", "tysdag 15. desember 2026", "15. des. 2026"),
        ("sv", "tisdag 1 december kl. 10:00", "tisdag 15 december 2026", "15 dec. 2026"),
        ("en", "Tuesday 1 December at 10:00", "Tuesday 15 December 2026", "15 Dec 2026"),
    ],
)
def test_meeting_times_and_due_dates_read_naturally_in_each_language(
    language: str, when: str, day: str, short: str
) -> None:
    t = translator(language)
    assert t.when(datetime(2026, 12, 1, 9, 0, tzinfo=UTC), "Europe/Oslo") == when
    assert t.day(date(2026, 12, 15)) == day
    assert t.short_day(date(2026, 12, 15)) == short

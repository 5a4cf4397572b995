"""The `/mal` command line: subcommands in English, Norwegian and Swedish, mentions in Slack's form.

Slack escapes mentions in command text as ``<@U123|name>`` (or ``<@U123>``); a mention that Slack did
not resolve stays as plain ``@name`` text and is reported as an unknown user.
"""

import re
from dataclasses import dataclass

MENTION = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$")
WORDS: dict[str, tuple[str, ...]] = {
    "help": ("help", "hjelp", "hjälp", "?"),
    "add": ("add", "ny", "legg", "leggtil", "lägg", "ny-oppgave"),
    "team": ("team", "lag"),
    "cadence": ("cadence", "hyppighet", "hyppigheit", "frekvens", "intervall"),
    "away": ("away", "borte", "fravær", "fråvær", "frånvaro", "ferie", "semester"),
    "back": ("back", "tilbake", "tillbaka"),
    "list": ("list", "liste", "lista", "actions", "tiltak", "åtgärder"),
    "export": ("export", "eksport", "eksporter", "exportera", "mydata", "mine-data"),
    "note": ("note", "notes", "notat", "notater", "notata", "anteckning", "anteckningar"),
    "season": ("season", "sesong", "säsong", "medarbeidersamtale", "medarbeidarsamtale", "utvecklingssamtal"),
    "focus": ("focus", "fokus"),
    "template": ("template", "samtale", "samtal", "samtaletype", "samtalstyp", "conversation"),
    "birthyear": ("birthyear", "birth-year", "fødselsår", "fødselsar", "födelseår"),
    "calendar": ("calendar", "kalender", "ical", "ics"),
}
RESET_WORDS = ("reset", "new", "ny", "nytt", "nullstill", "tilbakestill", "återställ", "aterstall")
SEASON_WORDS: dict[str, tuple[str, ...]] = {
    "open": ("open", "åpne", "opne", "öppna", "start"),
    "close": ("close", "lukk", "steng", "stäng", "avslutt", "avsluta"),
    "status": ("status", "tal", "antall", "antal", "deltakelse", "deltaking", "deltagande"),
}
CADENCE_WORDS: dict[str, tuple[str, ...]] = {
    "weekly": ("weekly", "ukentlig", "vekentleg", "varje-vecka", "veckovis", "week"),
    "biweekly": ("biweekly", "annenhver-uke", "kvar-andre-veke", "varannan-vecka", "fortnightly"),
    "monthly": ("monthly", "månedlig", "månadleg", "månadsvis", "månatlig", "month"),
    "quarterly": ("quarterly", "kvartalsvis", "kvartal", "quarter"),
    "yearly": ("yearly", "annually", "årlig", "årleg", "årligen", "årsvis", "year"),
}


@dataclass(frozen=True)
class Command:
    """What the caller asked for. ``error`` is set (with ``arg``) when the text cannot be understood."""

    name: str
    user: str | None = None
    text: str = ""
    cadence: str | None = None
    error: str | None = None
    arg: str = ""


def mention(token: str) -> str | None:
    m = MENTION.match(token)
    return m[1] if m else None


def _word(token: str) -> str | None:
    low = token.lower()
    return next((name for name, words in WORDS.items() if low in words), None)


def _cadence(token: str) -> str | None:
    low = token.lower()
    return next((name for name, words in CADENCE_WORDS.items() if low in words), None)


def parse(text: str) -> Command:
    tokens = text.split()
    if not tokens:
        return Command("list")
    head, rest = tokens[0], tokens[1:]
    if (user := mention(head)) is not None:
        if rest:
            return Command("error", error="trailing", arg=" ".join(rest))
        return Command("list", user=user)
    if head.startswith("@"):
        return Command("error", error="unknown_user", arg=head)
    name = _word(head)
    if name is None:
        return Command("error", error="unknown_command", arg=head)
    if name == "list":
        return parse(" ".join(rest))
    if name in ("help", "team", "back", "export", "focus"):
        return Command(name) if not rest or name != "focus" else Command("error", error="trailing", arg=" ".join(rest))
    if name == "season":
        return _season(rest)
    if name == "calendar":
        if not rest:
            return Command("calendar")
        if len(rest) == 1 and rest[0].lower() in RESET_WORDS:
            return Command("calendar", text="reset")
        return Command("error", error="calendar_usage", arg=" ".join(rest))
    if name == "add":
        if not rest:
            return Command("error", error="add_usage")
        user = mention(rest[0])
        if user is None:
            return Command("error", error="unknown_user" if rest[0].startswith("@") else "add_usage", arg=rest[0])
        body = " ".join(rest[1:]).strip()
        if not body:
            return Command("error", error="add_usage")
        return Command("add", user=user, text=body)
    if name == "note":
        user = mention(rest[0]) if rest else None
        if len(rest) > (1 if user else 0):
            return Command("error", error="trailing", arg=" ".join(rest[1 if user else 0 :]))
        return Command("note", user=user)
    if name == "birthyear":
        user = mention(rest[0]) if rest else None
        year = rest[1] if len(rest) == 2 else ""
        if user is None or len(rest) > 2 or (year and not (year.isdigit() or year == "-")):
            return Command("error", error="birthyear_usage", arg=" ".join(rest))
        return Command("birthyear", user=user, text=year)
    if name == "template":
        user = mention(rest[0]) if rest else None
        if user is None or len(rest) > 2:
            return Command("error", error="template_usage", arg=" ".join(rest))
        return Command("template", user=user, text=rest[1].lower() if len(rest) == 2 else "")
    if name == "cadence":
        user = mention(rest[0]) if rest else None
        args = rest[1:] if user else rest
        if len(args) != 1 or _cadence(args[0]) is None:
            return Command("error", error="cadence_usage", arg=" ".join(args))
        return Command("cadence", user=user, cadence=_cadence(args[0]))
    # away
    if not rest:
        return Command("error", error="away_usage")
    if rest[0].lower() in ("until", "til", "till", "to"):
        rest = rest[1:]
    return Command("away", text=" ".join(rest))


def _season(rest: list[str]) -> Command:
    """`season` alone shows the status; `season open|close` (in any of the languages) acts on it."""
    if not rest:
        return Command("season", text="status")
    low = rest[0].lower()
    sub = next((name for name, words in SEASON_WORDS.items() if low in words), None)
    if sub is None or len(rest) > 1:
        return Command("error", error="season_usage", arg=" ".join(rest))
    return Command("season", text=sub)

"""App Home: the next 1:1s, one's own open actions, and for managers an overview of the team (counts)."""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.views import meeting as meeting_views
from bot.views.actions import action_list, counts
from bot.views.blocks import Block, actions, button, context, divider, escape, header, option, section, static_select
from bot.views.season import season_help
from flows import slots
from flows.actions import ActionList
from flows.i18n import N_, Translator
from storage.models import Meeting, Pairing, Person

LANGUAGE_NAMES = {"nb": "Norsk bokmål", "nn": "Norsk nynorsk", "sv": "Svenska", "en": "English"}
CADENCE_LABELS = {
    "weekly": N_("Every week"),
    "biweekly": N_("Every two weeks"),
    "monthly": N_("Every month"),
    "quarterly": N_("Every quarter"),
    "yearly": N_("Every year"),
}


@dataclass(frozen=True)
class TeamRow:
    """One report in the manager's overview: when they last met, what is next, counts only.

    ``never`` flags a pair that has had a whole window without ever holding a 1:1; ``missed`` counts windows
    that closed with no meeting held."""

    pairing: Pairing
    employee: Person
    last: datetime | None
    next: datetime | None
    open: int
    overdue: int
    missed: int = 0
    never: bool = False
    now: datetime | None = None
    next_invited: bool = False


@dataclass(frozen=True)
class HomeData:
    viewer: Person
    upcoming: list[tuple[Person, Meeting]]
    actions: ActionList | None
    team: list[TeamRow]
    language: str
    admin: list[Block] = field(default_factory=list)  # participation counts, for admins only


def cadence_label(cadence: str, t: Translator) -> str:
    return t._(CADENCE_LABELS.get(cadence, cadence))


def cadence_options(t: Translator) -> list[dict[str, Any]]:
    return [option(t._(label), key) for key, label in CADENCE_LABELS.items()]


def home(data: HomeData, t: Translator, lead: list[Block] | None = None) -> dict[str, Any]:
    """``lead``: a confirmation shown above the actions (a Done, with its Undo)."""
    tz = data.viewer.tz or "Europe/Oslo"
    blocks: list[Block] = [
        header(t._("Your 1:1s")),
        section(
            t._("Language"),
            accessory=static_select(
                "home_language", t._("Language"), [option(n, k) for k, n in LANGUAGE_NAMES.items()], data.language
            ),
        ),
    ]
    if data.upcoming:
        lines = ["• " + meeting_views.capital(meeting_views.label(m, p, t, tz)) for p, m in data.upcoming]
        blocks.append(section(t._("*Next conversations*") + "\n" + "\n".join(lines[:10])))
    else:
        blocks.append(context(t._("No 1:1 is scheduled yet.")))
    blocks.append(divider())
    if data.actions is not None:
        blocks += action_list(data.actions, t, data.viewer, lead)[:40]
    if data.team:
        blocks += [divider(), header(t._("Your team"))]
        for row in data.team[:20]:
            nxt = next_text(row, t, tz)
            blocks.append(
                section(
                    t._(
                        "*<@{user}>* · {last} · next: {next}\n{counts} · {cadence}",
                        user=row.employee.slack_user_id,
                        last=last_met(row, t, tz),
                        next=nxt,
                        counts=counts(row.open, row.overdue, t),
                        cadence=cadence_label(row.pairing.cadence, t),
                    )
                )
            )
    if data.admin:
        blocks += [divider(), *data.admin]
    return {"type": "home", "blocks": blocks[:100]}


def next_text(row: TeamRow, t: Translator, tz: str) -> str:
    """The invited meeting's time, or the week the next window opens in (from its first working day)."""
    if row.next is None:
        return t._("not planned")
    if row.next_invited:
        return t.when(row.next, tz)
    local = row.next.astimezone(ZoneInfo(tz)).date()
    return t._("the week of {day}", day=t.day(slots.first_working_day(local, tz)))


def last_met(row: TeamRow, t: Translator, tz: str) -> str:
    """'last 1:1 12 days ago', or a flag for a pair that has never met and for windows that lapsed."""
    if row.last is not None and row.now is not None:
        days = max(0, (row.now - row.last).days)
        text = t.ngettext("last 1:1 {n} day ago", "last 1:1 {n} days ago", days)
    elif row.never:
        text = t._(":warning: no 1:1 yet")
    else:
        text = t._("no 1:1 yet")
    if row.missed:
        text += " · " + t.ngettext(":warning: {n} missed", ":warning: {n} missed", row.missed)
    return text


def team(rows: list[TeamRow], t: Translator) -> list[Block]:
    """`/mal team`: each report with the pair's cadence (changeable) and a pause switch."""
    if not rows:
        return [section(t._("You have no direct reports in mal. An admin imports who reports to whom."))]
    blocks: list[Block] = [header(t._("Your team"))]
    for row in rows[:20]:
        state = t._("paused") if row.pairing.paused else cadence_label(row.pairing.cadence, t)
        blocks.append(
            section(
                t._(
                    "*<@{user}>* · {state} · {last}\n{counts}",
                    user=row.employee.slack_user_id,
                    state=state,
                    last=last_met(row, t, row.employee.tz or "Europe/Oslo"),
                    counts=counts(row.open, row.overdue, t),
                ),
                accessory=static_select(
                    "team_cadence",
                    t._("Cadence"),
                    [option(t._(lbl), f"{row.pairing.id}:{key}") for key, lbl in CADENCE_LABELS.items()],
                    f"{row.pairing.id}:{row.pairing.cadence}",
                ),
                block_id=f"team:{row.pairing.id}",
            )
        )
        blocks.append(
            actions(
                [button(t._("Resume") if row.pairing.paused else t._("Pause"), "team_pause", str(row.pairing.id))],
                block_id=f"team_pause:{row.pairing.id}",
            )
        )
    return blocks[:50]


def help_blocks(t: Translator) -> list[Block]:
    return [
        header(t._("How to use /mal")),
        section(
            "\n".join(
                [
                    t._("`/mal` — open actions: your team's if you are a manager, otherwise your own"),
                    t._("`/mal @person` — open actions from your conversations with one report"),
                    t._("`/mal add @person Finish the course by 15.12.2026` — record an agreed action"),
                    t._("`/mal team` — your reports, their cadence, pause or resume"),
                    t._("`/mal cadence [@person] monthly` — weekly, biweekly, monthly, quarterly or yearly"),
                    t._("`/mal away 2026-12-24` — no messages until that date; `/mal back` to end it"),
                    t._("`/mal note [@person]` — your private notes for the next conversation, seen only by you"),
                    t._("`/mal export` — a file with everything mal stores about you"),
                    *season_help(t),
                    t._("`/mal help` — this help"),
                ]
            )
        ),
        context(t._("Preparation, notes and actions are seen only by the employee and the nearest manager.")),
    ]


def text(message: str) -> list[Block]:
    return [section(escape(message) if "<" in message and "<@" not in message else message)]


def missed_per_unit(counts: dict[str, int], t: Translator) -> list[Block]:
    """For admins: how many 1:1s lapsed per unit in the last year — numbers only, no names, no content."""
    if not counts:
        return []
    lines = [
        t.ngettext("• {unit}: {n} missed 1:1", "• {unit}: {n} missed 1:1s", n, unit=unit or t._("(no unit)"))
        for unit, n in sorted(counts.items())
    ]
    return [section(t._("*Missed 1:1s in the last 12 months*") + "\n" + "\n".join(lines[:40]))]

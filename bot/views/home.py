"""App Home: the next 1:1s, one's own open actions, and for managers an overview of the team (counts)."""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.views.actions import action_list, counts
from bot.views.blocks import Block, actions, button, context, divider, escape, header, option, section, static_select
from bot.views.calendar import upcoming_row
from bot.views.season import season_help
from flows import slots
from flows.actions import ActionList, Who
from flows.i18n import N_, Translator
from flows.pair_template import Changed, Choice
from flows.templates import conversation_title
from storage.models import Meeting, Pairing, Person

LANGUAGE_NAMES = {"nb": "Norsk bokmål", "nn": "Norsk nynorsk", "sv": "Svenska", "en": "English"}
CADENCE_LABELS = {
    "weekly": N_("Every week"),
    "biweekly": N_("Every two weeks"),
    "monthly": N_("Every month"),
    "quarterly": N_("Every quarter"),
    "yearly": N_("Every year"),
}


# Reports shown in the team overview (Home and `/mal team`): a Home view holds at most 100 blocks, and a
# message 50, two blocks a report in `/mal team`.
TEAM_SHOWN = 20


@dataclass(frozen=True, slots=True)
class PairRef:
    """A pair as the team overview names it and offers to change it."""

    id: int
    cadence: str
    template: str
    paused: bool


@dataclass(frozen=True)
class TeamRow:
    """One report in the manager's overview: when they last met, what is next, counts only.

    ``never`` flags a pair that has had a whole window without ever holding a 1:1; ``missed`` counts windows
    that closed with no meeting held."""

    pairing: PairRef
    employee: Who
    last: datetime | None
    next: datetime | None
    open: int
    overdue: int
    missed: int = 0
    never: bool = False
    now: datetime | None = None
    next_invited: bool = False


@dataclass(frozen=True)
class Upcoming:
    """A coming 1:1 of the viewer: with whom, which meeting, and the viewer's part in it (who may move it how)."""

    other: Person
    meeting: Meeting
    role: str


@dataclass(frozen=True)
class HomeData:
    viewer: Person
    upcoming: list[Upcoming]
    actions: ActionList | None
    team: list[TeamRow]
    language: str
    admin: list[Block] = field(default_factory=list)  # participation and missed counts, for admins only
    own_pair: tuple[Pairing, Person] | None = None  # the viewer's own pair and manager, when they have one
    feed: list[Block] = field(default_factory=list)  # the calendar feed's address, or why there is none


def cadence_label(cadence: str, t: Translator) -> str:
    return t._(CADENCE_LABELS.get(cadence, cadence))


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
    if data.own_pair is not None:
        pairing, manager = data.own_pair
        blocks.append(
            context(
                t._(
                    "Your conversations with <@{user}>: {title} · {cadence}",
                    user=manager.slack_user_id,
                    title=conversation_title(pairing.template, t._),
                    cadence=cadence_label(pairing.cadence, t),
                )
                + (
                    " · " + t._("Year of birth: {year} (for the senior conversation)", year=data.viewer.birth_year)
                    if data.viewer.birth_year
                    else ""
                )
            )
        )
    if data.upcoming:
        blocks.append(section(t._("*Next conversations*")))
        blocks += [upcoming_row(u.other, u.meeting, u.role, t, tz) for u in data.upcoming[:10]]
    else:
        blocks.append(context(t._("No 1:1 is scheduled yet.")))
    blocks += data.feed
    blocks.append(divider())
    if data.actions is not None:
        blocks += action_list(data.actions, t, data.viewer, lead)[:40]
    if data.team:
        blocks += [divider(), header(t._("Your team"))]
        for row in data.team[:TEAM_SHOWN]:
            nxt = next_text(row, t, tz)
            blocks.append(
                section(
                    t._(
                        "*<@{user}>* · {last} · next: {next}\n{counts} · {cadence}",
                        user=row.employee.slack_user_id,
                        last=last_met(row, t, tz),
                        next=nxt,
                        counts=counts(row.open, row.overdue, t),
                        cadence=cadence_label(row.pairing.cadence, t)
                        + " · "
                        + conversation_title(row.pairing.template, t._),
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
    for row in rows[:TEAM_SHOWN]:
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


def template_choice(choice: Choice, t: Translator) -> list[Block]:
    """`/mal template @person`: the pair's conversation now, and the others by their titles in the reader's
    language, with what each is, so the manager chooses from the seeds' own descriptions."""
    pid = choice.pairing.id
    options = [option(t._(tpl.title), f"{pid}:{tpl.key}") for tpl in choice.options]
    current = next((o for o in options if o["value"] == f"{pid}:{choice.current}"), None)
    lines = [
        f"• *{escape(t._(tpl.title))}*" + (f" — {t._(tpl.description)}" if tpl.description else "")
        for tpl in choice.options
    ]
    return [
        section(
            t._(
                "The conversations with <@{user}>: *{title}*.",
                user=choice.employee.slack_user_id,
                title=conversation_title(choice.current, t._),
            ),
            accessory=static_select(
                "pair_template",
                t._("Choose the conversation"),
                options,
                current["value"] if current else None,
            ),
            block_id=f"pair_template:{pid}",
        ),
        section("\n".join(lines)[:2900]),
        *(
            [context(t._("Year of birth: {year} (for the senior conversation)", year=choice.employee.birth_year))]
            if choice.employee.birth_year
            else []
        ),
        context(
            t._(
                "The next invitation asks the new conversation's questions; one already sent keeps its own. "
                "The annual conversation of a season is chosen when the season opens."
            )
        ),
    ]


def birth_year(person: Person, year: int | None, t: Translator) -> list[Block]:
    """What an admin sees after `/mal birthyear @person`: the year, and who else sees it."""
    text = (
        t._("<@{user}> was born in {year}.", user=person.slack_user_id, year=year)
        if year
        else t._("No year of birth is recorded for <@{user}>.", user=person.slack_user_id)
    )
    return [
        section(text),
        context(
            t._(
                "Used only for the senior conversation (offered the year one turns 60, senior measures from 58). "
                "Seen by the person, their manager and mal's admins; nobody is asked for it."
            )
        ),
    ]


def template_set(changed: Changed, t: Translator) -> list[Block]:
    return [
        section(
            t._(
                "The conversations with <@{user}> are now: *{title}*.",
                user=changed.employee.slack_user_id,
                title=t._(changed.template.title),
            )
        )
    ]


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
                    t._("`/mal template @person` — choose which conversation you hold with a report"),
                    t._("`/mal birthyear @person 1966` — record a year of birth for the senior conversation (admins)"),
                    t._("`/mal away 2026-12-24` — no messages until that date; `/mal back` to end it"),
                    t._("`/mal note [@person]` — your private notes for the next conversation, seen only by you"),
                    t._("`/mal export` — a file with everything mal stores about you"),
                    t._("`/mal calendar` — your 1:1s as a calendar feed; `/mal calendar reset` gives a new address"),
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

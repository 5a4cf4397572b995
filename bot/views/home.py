"""App Home: the next 1:1s, one's own open actions, and for managers an overview of the team (counts)."""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.views.actions import item_blocks
from bot.views.blocks import Block, actions, button, context, divider, escape, header, option, section, static_select
from bot.views.calendar import upcoming_row
from bot.views.season import season_help
from flows.actions import ActionItem
from flows.i18n import N_, Translator
from storage.models import Pairing, Person

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
    pairing: Pairing
    employee: Person
    last: datetime | None
    next: datetime | None
    open: int
    overdue: int


@dataclass(frozen=True)
class Upcoming:
    """A coming 1:1 of the viewer: with whom, when, and the viewer's part in it (who may move it how)."""

    other: Person
    when: datetime
    meeting_id: int
    role: str


@dataclass(frozen=True)
class HomeData:
    viewer: Person
    upcoming: list[Upcoming]
    own: list[ActionItem]
    team: list[TeamRow]
    language: str
    admin: list[Block] = field(default_factory=list)  # the season's participation counts, for admins only
    feed: list[Block] = field(default_factory=list)  # the calendar feed's address, or why there is none


def cadence_label(cadence: str, t: Translator) -> str:
    return t._(CADENCE_LABELS.get(cadence, cadence))


def cadence_options(t: Translator) -> list[dict[str, Any]]:
    return [option(t._(label), key) for key, label in CADENCE_LABELS.items()]


def home(data: HomeData, t: Translator) -> dict[str, Any]:
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
        blocks.append(section(t._("*Next 1:1s*")))
        blocks += [upcoming_row(u.other, u.when, u.meeting_id, u.role, t, tz) for u in data.upcoming[:10]]
    else:
        blocks.append(context(t._("No 1:1 is scheduled yet.")))
    blocks += data.feed
    blocks += [divider(), section(t._("*Your open actions*"))]
    if not data.own:
        blocks.append(context(t._("No open actions. :white_check_mark:")))
    for item in data.own[:15]:
        blocks += item_blocks(item, t, data.viewer, show_employee=True)
    if data.team:
        blocks += [divider(), header(t._("Your team"))]
        for row in data.team[:20]:
            last = t.short_day(row.last.astimezone().date()) if row.last else t._("none yet")
            nxt = t.when(row.next, tz) if row.next else t._("not planned")
            blocks.append(
                section(
                    t._(
                        "*<@{user}>* · last 1:1: {last} · next: {next}\n"
                        "{open} open actions, {overdue} overdue · {cadence}",
                        user=row.employee.slack_user_id,
                        last=last,
                        next=nxt,
                        open=row.open,
                        overdue=row.overdue,
                        cadence=cadence_label(row.pairing.cadence, t),
                    )
                )
            )
    if data.admin:
        blocks += [divider(), *data.admin]
    return {"type": "home", "blocks": blocks[:100]}


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
                    "*<@{user}>* · {state} · {open} open actions, {overdue} overdue",
                    user=row.employee.slack_user_id,
                    state=state,
                    open=row.open,
                    overdue=row.overdue,
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

"""How the annual season looks: the admin's opening modal and participation counts, the manager's
season nudge and team-focus modal, and the focus as the team reads it."""

import json
from datetime import date
from typing import Any

from bot.views.blocks import (
    Block,
    actions,
    button,
    context,
    escape,
    header,
    input_block,
    modal,
    option,
    section,
    text_input,
)
from flows.checkin import MeetingContext
from flows.evaluations import Tally
from flows.i18n import Translator
from flows.season import MAX_FOCUS, NO_UNIT, Counts, FocusText, InviteWindow, Participation
from flows.templates import Template
from storage.models import Person, Season

EVERYONE = "everyone"
CHOSEN = "chosen"


def open_modal(t: Translator, choices: list[Template], deadline: date, units: list[str]) -> dict[str, Any]:
    """Template, deadline and who takes part; units are offered only when the org import has them."""
    template_options = [option(t._(tpl.title), tpl.key) for tpl in choices]
    who = [option(t._("Everyone with a manager"), EVERYONE), option(t._("Only the units and managers below"), CHOSEN)]
    blocks: list[Block] = [
        section(
            t._(
                "Every manager is reminded to hold the annual conversation with each report before the deadline, "
                "spread over the weeks that are left."
            )
        ),
        input_block(
            "template",
            t._("Conversation"),
            {
                "type": "static_select",
                "action_id": "template",
                "options": template_options,
                "initial_option": template_options[0],
            },
        ),
        input_block(
            "deadline",
            t._("Held by"),
            {"type": "datepicker", "action_id": "deadline", "initial_date": deadline.isoformat()},
            hint=t._("The KS guide: by the end of April."),
        ),
        input_block(
            "who",
            t._("Who takes part"),
            {"type": "radio_buttons", "action_id": "who", "options": who, "initial_option": who[0]},
        ),
    ]
    if units:
        blocks.append(
            input_block(
                "units",
                t._("Units"),
                {
                    "type": "multi_static_select",
                    "action_id": "units",
                    "options": [option(u, u) for u in units[:100]],
                    "placeholder": {"type": "plain_text", "text": t._("Choose units")},
                },
                optional=True,
            )
        )
    blocks.append(
        input_block(
            "managers",
            t._("Managers"),
            {
                "type": "multi_users_select",
                "action_id": "managers",
                "placeholder": {"type": "plain_text", "text": t._("Choose managers")},
            },
            optional=True,
        )
    )
    return modal("season_open_submit", t._("Open the season"), blocks, submit=t._("Open"), close=t._("Cancel"))


def _counts(c: Counts, t: Translator) -> str:
    return t._(
        "{held} held · {planned} planned · {not_started} not started · {overdue} overdue",
        held=c.held,
        planned=c.planned,
        not_started=c.not_started,
        overdue=c.overdue,
    )


def participation(p: Participation, t: Translator) -> list[Block]:
    """Counts and managers' names only: what the admin may see of the season."""
    blocks: list[Block] = [
        header(t._("Annual conversations")),
        section(
            t._("*{title}* · held by {deadline}", title=t._(p.title), deadline=t.day(p.season.deadline))
            + "\n"
            + t.ngettext("{n} conversation in all", "{n} conversations in all", p.total.total)
            + ": "
            + _counts(p.total, t)
        ),
    ]
    if p.by_unit:
        no_unit = t._("No unit")
        lines = [f"• *{escape(unit if unit != NO_UNIT else no_unit)}*: {_counts(c, t)}" for unit, c in p.by_unit]
        blocks.append(section(t._("*Per unit*") + "\n" + "\n".join(lines[:40])))
    if p.by_manager:
        lines = [f"• <@{m.slack_user_id}>: {_counts(c, t)}" for m, c in p.by_manager]
        blocks.append(section(t._("*Per manager*") + "\n" + "\n".join(lines[:40])))
    blocks.append(context(t._("Only counts are shown here: the conversations themselves stay between the two.")))
    return blocks


def evaluation_tallies(tallies: list[Tally], t: Translator) -> list[Block]:
    """How the conversations were experienced, as counts over at least five answers; never one person's."""
    if not tallies:
        return [context(t._("Evaluations are shown as counts once at least five answers have come in."))]
    lines = []
    for x in tallies:
        counts = " · ".join(f"{escape(t._(choice))}: {n}" for choice, n in x.counts)
        answers = t.ngettext("{n} answer", "{n} answers", x.total)
        lines.append(f"• _{escape(t._(x.question.text))}_ {counts} ({answers})")
    return [section(t._("*How the conversations were experienced*") + "\n" + "\n".join(lines))]


def opened(created: bool, members: int, season: Season, t: Translator) -> list[Block]:
    head = t._("The season is open.") if created else t._("The season was already open; nothing was added twice.")
    return [
        section(
            head
            + " "
            + t.ngettext(
                "{n} new conversation planned, to be held by {deadline}.",
                "{n} new conversations planned, to be held by {deadline}.",
                members,
                deadline=t.day(season.deadline),
            )
        )
    ]


def no_season(t: Translator, admin: bool) -> list[Block]:
    text = t._("No season is open.")
    if admin:
        text += " " + t._("`/mal season open` opens one.")
    return [section(text)]


def closed(season: Season, t: Translator) -> list[Block]:
    return [
        section(
            t._(
                "The season with the deadline {deadline} is closed. No more reminders are sent.",
                deadline=t.day(season.deadline),
            )
        )
    ]


def season_open_message(season: Season, t: Translator) -> list[Block]:
    """The manager's first message of the season: what is coming, and the team focus to share first (000)."""
    return [
        header(t._("The annual conversations")),
        section(
            t._(
                "The annual conversations are to be held by {deadline}. I will remind you about each of your "
                "reports in turn over the coming weeks.",
                deadline=t.day(season.deadline),
            )
        ),
        section(
            t._(
                "Before the conversations, share your unit's focus areas, chosen goals and priorities, and biggest "
                "challenges and opportunities with your team. Your reports then prepare from the unit's needs."
            )
        ),
        actions(
            [button(t._("Share the team's focus"), "focus_open", str(season.id), style="primary")],
            block_id=f"season_open:{season.id}",
        ),
    ]


def season_nudge(ctx: MeetingContext, season: Season, t: Translator) -> list[Block]:
    assert ctx.meeting.id is not None
    mid = str(ctx.meeting.id)
    return [
        section(
            t._(
                ":calendar: Time to invite <@{user}> to the annual conversation. It is to be held by {deadline}.",
                user=ctx.employee.slack_user_id,
                deadline=t.day(season.deadline),
            )
        ),
        context(t._("Set aside 1–1½ hours, and send the invitation 7–10 days ahead, so there is time to prepare.")),
        actions(
            [button(t._("Send invitation"), "season_invite_open", mid, style="primary")],
            block_id=f"season_nudge:{mid}",
        ),
    ]


def overdue(late: list[tuple[Person, int]], season: Season, t: Translator) -> list[Block]:
    """Once, after the deadline: the manager's conversations not held, each with its invite button; a late
    date can still be booked."""
    blocks: list[Block] = [
        section(
            t.ngettext(
                ":warning: The deadline for the annual conversations, {deadline}, has passed, and {n} of yours has "
                "not been held.",
                ":warning: The deadline for the annual conversations, {deadline}, has passed, and {n} of yours have "
                "not been held.",
                len(late),
                deadline=t.day(season.deadline),
            )
        ),
        context(
            t._(
                "A late date can still be booked. A conversation that was held counts when it is marked held, or "
                "when its agreed actions or its evaluation are recorded."
            )
        ),
    ]
    for person, meeting_id in late[:20]:
        blocks.append(
            section(
                f"<@{person.slack_user_id}>",
                accessory=button(t._("Send invitation"), "season_invite_open", str(meeting_id)),
            )
        )
    return blocks


def ended(p: Participation, t: Translator) -> list[Block]:
    """Once, to the admin who opened the season, after its deadline: how it went, in counts."""
    return [
        section(
            t._(
                ":checkered_flag: The deadline of the annual conversations, {deadline}, has passed.",
                deadline=t.day(p.season.deadline),
            )
        ),
        *participation(p, t),
    ]


def invite_lead(window: InviteWindow, t: Translator) -> list[Block]:
    if window.late:
        return [
            context(
                t._(
                    "The annual conversation: 1–1½ hours. The deadline, {deadline}, is too close or has passed: "
                    "book the first day you can, from {earliest}.",
                    earliest=t.day(window.earliest),
                    deadline=t.day(window.deadline),
                )
            )
        ]
    return [
        context(
            t._(
                "The annual conversation: 1–1½ hours. Choose a day from {earliest} to {deadline}.",
                earliest=t.day(window.earliest),
                deadline=t.day(window.deadline),
            )
        )
    ]


def focus_modal(current: FocusText, t: Translator, season_id: int | None) -> dict[str, Any]:
    """Labels as 000 words the team preparation: focus areas, chosen goals and priorities, challenges."""
    blocks: list[Block] = [
        section(
            t._("Shared with each of your reports, and shown in every invitation to this season's conversations.")
            if season_id is not None
            else t._("Shared with each of your reports, and shown in your next invitations to them.")
        ),
        input_block(
            "focus_areas",
            t._("Our focus areas for the period ahead are:"),
            text_input("value", multiline=True, initial=current.focus_areas, max_length=MAX_FOCUS),
            optional=True,
        ),
        input_block(
            "goals",
            t._("Our chosen goals and priority tasks are:"),
            text_input("value", multiline=True, initial=current.goals, max_length=MAX_FOCUS),
            optional=True,
        ),
        input_block(
            "challenges",
            t._("Our biggest challenges and opportunities are:"),
            text_input("value", multiline=True, initial=current.challenges, max_length=MAX_FOCUS),
            optional=True,
        ),
    ]
    return modal(
        "focus_submit",
        t._("The team's focus"),
        blocks,
        submit=t._("Share"),
        close=t._("Cancel"),
        private_metadata=json.dumps({"season_id": season_id}),
    )


def _focus_sections(text: FocusText, t: Translator) -> list[Block]:
    parts = [
        (t._("Our focus areas for the period ahead are:"), text.focus_areas),
        (t._("Our chosen goals and priority tasks are:"), text.goals),
        (t._("Our biggest challenges and opportunities are:"), text.challenges),
    ]
    return [section(f"*{label}*\n{escape(value)}") for label, value in parts if value]


def focus_post(text: FocusText, manager_slack_id: str, t: Translator) -> list[Block]:
    return [
        header(t._("The team's focus")),
        section(
            t._("<@{user}> shares the unit's focus before this year's annual conversations.", user=manager_slack_id)
        ),
        *_focus_sections(text, t),
        context(t._("Prepare for your conversation from the unit's needs.")),
    ]


def focus_in_invitation(text: FocusText, t: Translator) -> list[Block]:
    return [
        section(t._("*The unit's focus* — prepare from the unit's needs:")),
        *_focus_sections(text, t),
    ]


def focus_shared(n: int, changed: bool, t: Translator) -> list[Block]:
    if not changed:
        return [section(t._("Nothing changed, so nothing was sent again."))]
    return [section(t.ngettext("Shared with {n} report.", "Shared with {n} reports.", n))]


def season_help(t: Translator) -> list[str]:
    return [
        t._("`/mal season` — the annual season: participation counts (admins)"),
        t._("`/mal season open` / `/mal season close` — open or close the annual season (admins)"),
        t._("`/mal focus` — share your unit's focus areas, goals and challenges with your team"),
    ]

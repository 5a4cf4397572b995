"""How the 1:1's time looks in Slack: the calendar file's message, the change and proposal forms, the
manager's question about a proposed time, and the calendar feed on the Home tab."""

import json
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.views import meeting as meeting_views
from bot.views.blocks import Block, actions, button, context, escape, input_block, modal, section, text_input
from flows.checkin import MeetingContext
from flows.i18n import Translator
from storage.models import Meeting, Person


def _tz(person: Person) -> str:
    return person.tz or "Europe/Oslo"


def _other(ctx: MeetingContext, viewer: Person) -> Person:
    return ctx.manager if viewer.id == ctx.employee.id else ctx.employee


def file_comment(ctx: MeetingContext, viewer: Person, t: Translator, method: str, sequence: int) -> str:
    """The message the calendar file comes with: what it is, and what to do with it."""
    assert ctx.meeting.scheduled_at is not None
    user = _other(ctx, viewer).slack_user_id
    when = t.when(ctx.meeting.scheduled_at, _tz(viewer))
    if method == "CANCEL":
        return t._(
            ":calendar: The 1:1 with <@{user}> on {when} is cancelled. Open the file to remove it from your calendar.",
            user=user,
            when=when,
        )
    where = "\n" + t._("*Where:* {place}", place=escape(ctx.meeting.place)) if ctx.meeting.place else ""
    if sequence == 0:
        return (
            t._(":calendar: The 1:1 with <@{user}>, {when}, for your calendar.", user=user, when=when)
            + where
            + "\n"
            + t._("Open the file in Outlook, or import it in Google Calendar.")
        )
    return (
        t._(":calendar: The 1:1 with <@{user}> has changed: it is now {when}.", user=user, when=when)
        + where
        + "\n"
        + t._("Open the file to update your calendar.")
    )


def _date_time_inputs(t: Translator, moment: datetime, tz: str) -> list[Block]:
    local = moment.astimezone(ZoneInfo(tz))
    return [
        input_block(
            "date", t._("Date"), {"type": "datepicker", "action_id": "date", "initial_date": local.date().isoformat()}
        ),
        input_block(
            "time", t._("Time"), {"type": "timepicker", "action_id": "time", "initial_time": local.strftime("%H:%M")}
        ),
    ]


def move_modal(ctx: MeetingContext, t: Translator, origin: dict[str, Any]) -> dict[str, Any]:
    """The manager's change of date, time or place, filled in with what holds now."""
    assert ctx.meeting.scheduled_at is not None
    blocks: list[Block] = [
        section("*" + meeting_views.for_reader(ctx, ctx.manager, t) + "*"),
        *_date_time_inputs(t, ctx.meeting.scheduled_at, _tz(ctx.manager)),
        input_block(
            "place",
            t._("Place or link"),
            text_input("place", max_length=500, initial=ctx.meeting.place or None),
            optional=True,
        ),
        context(t._("Both of you get the updated calendar event. Reminders and the brief follow the new time.")),
    ]
    return modal(
        "meeting_move_submit",
        t._("Change the 1:1"),
        blocks,
        submit=t._("Save"),
        close=t._("Cancel"),
        private_metadata=json.dumps({"meeting_id": ctx.meeting.id, **origin}),
    )


def propose_modal(ctx: MeetingContext, t: Translator) -> dict[str, Any]:
    """The employee's wish for another time; the manager decides."""
    assert ctx.meeting.scheduled_at is not None
    blocks: list[Block] = [
        section(
            t._(
                "The 1:1 with <@{user}> is {when}. Which time suits you better?",
                user=ctx.manager.slack_user_id,
                when=t.when(ctx.meeting.scheduled_at, _tz(ctx.employee)),
            )
        ),
        *_date_time_inputs(t, ctx.meeting.scheduled_at, _tz(ctx.employee)),
        input_block(
            "note", t._("Message to your manager"), text_input("note", multiline=True, max_length=500), optional=True
        ),
    ]
    return modal(
        "meeting_propose_submit",
        t._("Propose another time"),
        blocks,
        submit=t._("Send"),
        close=t._("Cancel"),
        private_metadata=json.dumps({"meeting_id": ctx.meeting.id}),
    )


def manage_buttons(t: Translator, meeting_id: int) -> Block:
    """Under the manager's confirmation of an invitation: change it, or cancel it."""
    mid = str(meeting_id)
    return actions(
        [
            button(t._("Change time or place"), "meeting_move_open", mid),
            button(t._("Cancel the 1:1"), "meeting_skip_open", mid),
        ],
        block_id=f"manage:{mid}",
    )


def invited(text: str, t: Translator, meeting_id: int) -> list[Block]:
    return [section(text), manage_buttons(t, meeting_id)]


def proposal(ctx: MeetingContext, t: Translator) -> list[Block]:
    """To the manager: the employee's proposed time, with the choice to take it or keep the old one."""
    meeting = ctx.meeting
    assert meeting.scheduled_at is not None and meeting.proposed_at is not None and meeting.id is not None
    tz = _tz(ctx.manager)
    blocks: list[Block] = [
        section(
            t._(
                "<@{user}> asks to move your 1:1 from {old} to {new}.",
                user=ctx.employee.slack_user_id,
                old=t.when(meeting.scheduled_at, tz),
                new=t.when(meeting.proposed_at, tz),
            )
        )
    ]
    if meeting.proposal_note:
        blocks.append(context(escape(meeting.proposal_note)))
    mid = str(meeting.id)
    blocks.append(
        actions(
            [
                button(t._("Accept the new time"), "proposal_accept", mid, style="primary"),
                button(t._("Keep the old time"), "proposal_decline", mid),
            ],
            block_id=f"proposal:{mid}",
        )
    )
    return blocks


def proposal_declined(ctx: MeetingContext, t: Translator) -> list[Block]:
    assert ctx.meeting.scheduled_at is not None
    return [
        section(
            t._(
                "<@{user}> keeps the 1:1 at {when}. Talk to your manager if that time does not work for you.",
                user=ctx.manager.slack_user_id,
                when=t.when(ctx.meeting.scheduled_at, _tz(ctx.employee)),
            )
        )
    ]


def upcoming_row(other: Person, meeting: Meeting, role: str, t: Translator, tz: str) -> Block:
    """One coming 1:1 on the Home tab, named as everywhere else, with the way to move it: the manager changes,
    the employee proposes."""
    assert meeting.id is not None
    meeting_id = meeting.id
    text = "• " + meeting_views.capital(meeting_views.label(meeting, other, t, tz))
    block_id = f"upcoming:{meeting_id}"
    if role == "manager":
        return section(text, accessory=button(t._("Change"), "meeting_move_open", str(meeting_id)), block_id=block_id)
    propose = button(t._("Propose another time"), "meeting_propose_open", str(meeting_id))
    return section(text, accessory=propose, block_id=block_id)


def feed_blocks(url: str | None, t: Translator) -> list[Block]:
    """The person's calendar feed on the Home tab, or why there is none."""
    if url is None:
        return [
            context(
                t._(
                    ":calendar: A calendar feed of your 1:1s needs mal to run with a public web address (HTTP mode). "
                    "Here it has none, so add each 1:1 from the calendar file in your messages instead."
                )
            )
        ]
    return [
        section(
            t._("*Subscribe in Outlook / Google Calendar*")
            + "\n"
            + t._("Your 1:1s as a calendar that updates itself. Keep the address to yourself:")
            + f"\n`{url}`"
        ),
        context(t._("Outlook: Add calendar → Subscribe from web. Google Calendar: Other calendars → From URL.")),
        context(t._("If the address has been shared by mistake, `/mal calendar reset` gives you a new one.")),
    ]


def feed_answer(url: str | None, t: Translator, *, reset: bool) -> list[Block]:
    """`/mal calendar` and `/mal calendar reset`: the address, only to the person themselves."""
    if url is None:
        return feed_blocks(None, t)
    lead = (
        t._("Your calendar feed has a new address. The old one no longer works.")
        if reset
        else t._("Your calendar feed:")
    )
    return [section(lead + f"\n`{url}`"), *feed_blocks(url, t)[1:]]

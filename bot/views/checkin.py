"""How the 1:1 looks in Slack: the manager's nudge and invitation modal, the employee's invitation and
preparation in the DM, the manager's brief, and the questions after the meeting."""

import json
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.views.blocks import (
    Block,
    actions,
    button,
    context,
    divider,
    escape,
    header,
    input_block,
    modal,
    option,
    section,
    text_input,
)
from flows.actions import ActionItem
from flows.checkin import MeetingContext, Paused, Prompt, Summary, questions
from flows.i18n import Translator
from flows.templates import Question, question_menu, template


def _q(q: Question, t: Translator) -> str:
    return t._(q.text)


def _tz(tz: str | None) -> str:
    return tz or "Europe/Oslo"


def nudge(ctx: MeetingContext, t: Translator) -> list[Block]:
    assert ctx.meeting.window_start is not None and ctx.meeting.id is not None
    week = ctx.meeting.window_start.astimezone(ZoneInfo(_tz(ctx.manager.tz))).date()
    mid = str(ctx.meeting.id)
    return [
        section(
            t._(
                ":calendar: Time for your 1:1 with <@{user}>. Suggested: the week of {day}.",
                user=ctx.employee.slack_user_id,
                day=t.day(week),
            )
        ),
        context(t._("Invite 7–10 days ahead, so there is time to prepare.")),
        actions(
            [
                button(t._("Send invitation"), "meeting_invite_open", mid, style="primary"),
                button(t._("Skip this time"), "meeting_skip_open", mid),
                button(t._("Remind me in a week"), "meeting_snooze", mid),
            ],
            block_id=f"nudge:{mid}",
        ),
    ]


def invite_modal(
    ctx: MeetingContext,
    t: Translator,
    origin: dict[str, Any],
    *,
    initial_day: date | None = None,
    lead: list[Block] | None = None,
) -> dict[str, Any]:
    """``initial_day`` and ``lead`` let a season's conversation suggest its own date and say what it is."""
    assert ctx.meeting.window_start is not None
    start = initial_day or ctx.meeting.window_start.astimezone(ZoneInfo(_tz(ctx.manager.tz))).date()
    menu = [option(t._(q.text) if not q.core else "★ " + t._(q.text), q.key) for q in question_menu()]
    blocks: list[Block] = [
        section(t._("1:1 with <@{user}>", user=ctx.employee.slack_user_id)),
        *(lead or []),
        input_block(
            "date", t._("Date"), {"type": "datepicker", "action_id": "date", "initial_date": start.isoformat()}
        ),
        input_block("time", t._("Time"), {"type": "timepicker", "action_id": "time", "initial_time": "10:00"}),
        input_block("place", t._("Place or link"), text_input("place", max_length=500), optional=True),
        input_block(
            "extra",
            t._("Extra questions"),
            {
                "type": "multi_static_select",
                "action_id": "extra",
                "options": menu,
                "placeholder": {"type": "plain_text", "text": t._("Choose from the question menu")},
            },
            optional=True,
            hint=t._("★ The core question: what would make them choose to stay."),
        ),
        input_block(
            "topics",
            t._("Topics you want to raise"),
            text_input("topics", multiline=True, max_length=3000),
            optional=True,
        ),
    ]
    return modal(
        "meeting_invite_submit",
        t._("Invite to 1:1"),
        blocks,
        submit=t._("Send"),
        close=t._("Cancel"),
        private_metadata=json.dumps({"meeting_id": ctx.meeting.id, **origin}),
    )


def skip_modal(meeting_id: int, t: Translator, origin: dict[str, Any]) -> dict[str, Any]:
    return modal(
        "meeting_skip_submit",
        t._("Skip this 1:1"),
        [input_block("reason", t._("Why are you skipping it?"), text_input("reason", multiline=True, max_length=1000))],
        submit=t._("Skip"),
        close=t._("Cancel"),
        private_metadata=json.dumps({"meeting_id": meeting_id, **origin}),
    )


def manager_done(text: str) -> list[Block]:
    return [section(text)]


def _when_where(ctx: MeetingContext, t: Translator, tz: str | None) -> str:
    assert ctx.meeting.scheduled_at is not None
    when = t.when(ctx.meeting.scheduled_at, _tz(tz))
    if ctx.meeting.place:
        return t._("*When:* {when}\n*Where:* {place}", when=when, place=escape(ctx.meeting.place))
    return t._("*When:* {when}", when=when)


def _carried(items: list[ActionItem], t: Translator) -> list[Block]:
    if not items:
        return []
    lines = [f"• {escape(i.what)} — {t.short_day(i.due)}" + (" :warning:" if i.overdue else "") for i in items[:15]]
    return [section(t._("*Open actions from earlier conversations*") + "\n" + "\n".join(lines))]


def invitation(
    ctx: MeetingContext, t: Translator, carried: list[ActionItem], focus: list[Block] | None = None
) -> list[Block]:
    """``focus``: the team's focus areas shared by the manager in a season, shown before the questions."""
    assert ctx.meeting.id is not None
    mid = str(ctx.meeting.id)
    qs = "\n".join(f"{n}. {_q(q, t)}" for n, q in enumerate(questions(ctx.meeting), 1))
    blocks: list[Block] = [
        header(t._("Invitation to your 1:1")),
        section(
            t._("<@{user}> invites you to a 1:1.", user=ctx.manager.slack_user_id)
            + "\n"
            + _when_where(ctx, t, ctx.employee.tz)
        ),
        *(focus or []),
        section(t._("*Prepare with these questions*") + "\n" + qs),
    ]
    if ctx.meeting.special_topics:
        blocks.append(
            section(t._("*Your manager also wants to talk about*") + "\n" + escape(ctx.meeting.special_topics))
        )
    blocks += _carried(carried, t)
    blocks += [
        context(t._("Your answers are seen only by you and your manager, and only when you share them.")),
        actions(
            [
                button(t._("Prepare here, one question at a time"), "prep_start", mid, style="primary"),
                button(t._("Answer in a form"), "prep_form_open", mid),
            ],
            block_id=f"prep:{mid}",
        ),
    ]
    return blocks


def prompt(p: Prompt, t: Translator) -> list[Block]:
    blocks: list[Block] = [
        context(t._("Question {n} of {total}", n=p.index + 1, total=p.total)),
        section(f"*{escape(_q(p.question, t))}*"),
    ]
    if p.answer:
        blocks.append(context(t._("Your answer so far: {answer}", answer=escape(p.answer[:500]))))
    blocks.append(context(t._("Write your answer as a message. `skip` moves on, `back` goes back, `stop` pauses.")))
    return blocks


def summary(s: Summary, t: Translator) -> list[Block]:
    blocks: list[Block] = [header(t._("Your preparation"))]
    if not s.items:
        blocks.append(section(t._("You have not answered any questions yet.")))
    for q, answer in s.items[:20]:
        blocks.append(section(f"*{escape(_q(q, t))}*\n{escape(answer)}"))
    mid = str(s.meeting_id)
    if s.shared:
        blocks.append(
            context(t._(":white_check_mark: Shared with your manager. You can still edit until the meeting."))
        )
    buttons = [button(t._("Edit in a form"), "prep_form_open", mid)]
    if s.items:
        buttons.insert(
            0,
            button(
                t._("Share again") if s.shared else t._("Share with my manager"), "prep_share", mid, style="primary"
            ),
        )
    blocks.append(actions(buttons, block_id=f"prep_summary:{mid}"))
    return blocks


def paused(p: Paused, t: Translator) -> list[Block]:
    return [
        section(
            t._(
                "Paused. You have answered {answered} of {total}. Write `start` when you want to go on.",
                answered=p.answered,
                total=p.total,
            )
        ),
        actions([button(t._("Go on"), "prep_start", str(p.meeting_id))], block_id=f"prep_paused:{p.meeting_id}"),
    ]


def prep_form(ctx: MeetingContext, answers: dict[str, str], t: Translator) -> dict[str, Any]:
    blocks: list[Block] = [
        input_block(
            f"q_{q.key}", _q(q, t), text_input("answer", multiline=True, initial=answers.get(q.key)), optional=True
        )
        for q in questions(ctx.meeting)
    ]
    return modal(
        "prep_form_submit",
        t._("Prepare for the 1:1"),
        blocks,
        submit=t._("Save"),
        close=t._("Cancel"),
        private_metadata=json.dumps({"meeting_id": ctx.meeting.id}),
    )


def prep_reminder(ctx: MeetingContext, t: Translator) -> list[Block]:
    assert ctx.meeting.id is not None and ctx.meeting.scheduled_at is not None
    mid = str(ctx.meeting.id)
    return [
        section(
            t._(
                "Your 1:1 with <@{user}> is {when}. A few minutes of preparation makes it yours.",
                user=ctx.manager.slack_user_id,
                when=t.when(ctx.meeting.scheduled_at, _tz(ctx.employee.tz)),
            )
        ),
        actions(
            [
                button(t._("Prepare here, one question at a time"), "prep_start", mid, style="primary"),
                button(t._("Answer in a form"), "prep_form_open", mid),
            ],
            block_id=f"prep_reminder:{mid}",
        ),
    ]


def brief(
    ctx: MeetingContext, t: Translator, answers: list[tuple[Question, str]] | None, carried: list[ActionItem]
) -> list[Block]:
    """The day before: what the employee shared, what is still open, and the manager's own questions."""
    assert ctx.meeting.scheduled_at is not None
    blocks: list[Block] = [
        header(t._("Tomorrow's 1:1")),
        section(t._("With <@{user}>", user=ctx.employee.slack_user_id) + "\n" + _when_where(ctx, t, ctx.manager.tz)),
    ]
    if answers:
        blocks.append(section(t._("*What <@{user}> has prepared*", user=ctx.employee.slack_user_id)))
        blocks += [section(f"*{escape(_q(q, t))}*\n{escape(a)}") for q, a in answers[:15]]
    else:
        blocks.append(context(t._("<@{user}> has not shared any preparation.", user=ctx.employee.slack_user_id)))
    blocks += _carried(carried, t)
    own = "\n".join(f"• {_q(q, t)}" for q in template(ctx.meeting.template).manager_prep)
    if own:
        blocks += [divider(), section(t._("*Questions for your own preparation*") + "\n" + own)]
    return blocks


def followup(ctx: MeetingContext, t: Translator) -> list[Block]:
    assert ctx.meeting.id is not None
    mid = str(ctx.meeting.id)
    return [
        section(t._("*What have we agreed? Who does what, when?*")),
        context(t._("Record what you agreed, so it is followed up. Then tell us how the conversation went.")),
        actions(
            [
                button(t._("Record agreed actions"), "agree_open", mid, style="primary"),
                button(t._("Evaluate the conversation"), "evaluate_open", mid),
            ],
            block_id=f"followup:{mid}",
        ),
    ]


def evaluation_modal(ctx: MeetingContext, t: Translator) -> dict[str, Any]:
    blocks: list[Block] = []
    for q in template(ctx.meeting.template).evaluation:
        if q.kind == "choice":
            element = {
                "type": "radio_buttons",
                "action_id": "answer",
                "options": [option(t._(c), c) for c in q.choices],
            }
            blocks.append(input_block(f"e_{q.key}", _q(q, t), element))
        else:
            blocks.append(
                input_block(
                    f"e_{q.key}", _q(q, t), text_input("answer", multiline=True, max_length=3000), optional=True
                )
            )
    return modal(
        "evaluate_submit",
        t._("Evaluate the 1:1"),
        blocks,
        submit=t._("Send"),
        close=t._("Cancel"),
        private_metadata=json.dumps({"meeting_id": ctx.meeting.id}),
    )


def note(text: str) -> list[Block]:
    return [section(text)]


def local_date(moment: datetime, tz: str | None) -> date:
    return moment.astimezone(ZoneInfo(_tz(tz))).date()

"""How agreed actions look: the `/mal` list, the reminders and digests, the modals to record and move them."""

import json
from datetime import date, timedelta
from typing import Any

from bot.views import meeting as meeting_views
from bot.views.blocks import (
    Block,
    actions,
    button,
    clip,
    context,
    divider,
    escape,
    header,
    input_block,
    modal,
    option,
    section,
    static_select,
    text_input,
)
from flows.actions import PAGE, ActionItem, ActionList
from flows.i18n import Translator
from flows.templates import Plan
from storage.models import Person

# A full page of actions typed at their longest must still fit one message (well under 40,000 characters):
# the list shows the start of a long text; the whole text stays in the store and in its reminders.
LIST_WHAT_MAX = 1500
LIST_GOAL_MAX = 300
AGREE_ROWS = 3


def counts(open_count: int, overdue: int, t: Translator) -> str:
    """'3 open actions · 1 overdue', with each language's plural forms."""
    text = t.ngettext("{n} open action", "{n} open actions", open_count)
    if overdue:
        text += " · " + t.ngettext("{n} overdue", "{n} overdue", overdue)
    return text


def _line(item: ActionItem, t: Translator, viewer: Person, show_employee: bool) -> str:
    """An action as its reader may see it; a third person made responsible sees its text and deadline only."""
    due = t.short_day(item.due)
    when = t._(":warning: *Overdue* since {date}", date=due) if item.overdue else t._("Due {date}", date=due)
    parts = [f"*{clip(escape(item.what), LIST_WHAT_MAX)}*", when]
    if item.restricted:
        return "\n".join(parts)
    if item.counterpart is not None and (item.meeting is not None or item.employee.id != viewer.id):
        tz = viewer.tz
        parts.append(meeting_views.capital(meeting_views.label(item.meeting, item.counterpart, t, tz, short=True)))
    elif show_employee and item.employee.id != viewer.id:
        parts.append(t._("Conversation with <@{user}>", user=item.employee.slack_user_id))
    if item.owner.id != viewer.id:
        parts.append(t._("Responsible: <@{user}>", user=item.owner.slack_user_id))
    if item.goal:
        parts.append(t._("Goal: {goal}", goal=clip(escape(item.goal), LIST_GOAL_MAX)))
    return "\n".join(parts)


def button_value(item_id: int, user: str = "", page: int = 0) -> str:
    """Done and Postpone carry the list they were clicked in (`/mal @person`, its page), so it stays on it."""
    return f"{item_id}|{user}|{page}" if user or page else str(item_id)


def item_blocks(
    item: ActionItem, t: Translator, viewer: Person, show_employee: bool, *, user: str = "", page: int = 0
) -> list[Block]:
    value = button_value(item.id, user, page)
    return [
        section(_line(item, t, viewer, show_employee), block_id=f"action:{item.id}"),
        actions(
            [
                button(t._("Done"), "action_done", value, style="primary"),
                button(t._("Postpone"), "action_postpone", value),
            ],
            block_id=f"action_buttons:{item.id}",
        ),
    ]


def done_note(what: str, action_id: int, t: Translator, value: str) -> list[Block]:
    """The confirmation after Done, with an Undo for the next few minutes."""
    return [
        section(
            t._(":white_check_mark: Marked as done: {what}", what=clip(escape(what), 300)),
            accessory=button(t._("Undo"), "action_undo", value),
            block_id=f"done:{action_id}",
        )
    ]


def action_list(result: ActionList, t: Translator, viewer: Person, lead: list[Block] | None = None) -> list[Block]:
    """The `/mal` answer: one page of at most PAGE actions (two blocks each), so it stays within 50 blocks.

    ``lead`` comes first: the confirmation of a Done with its Undo."""
    if result.filtered_to is not None and result.filtered_to.id != viewer.id:
        title = t._("Open actions from your conversations with {name}", name=result.filtered_to.name)
    elif result.role == "manager":
        title = t._("Open actions of your team")
    else:
        title = t._("Your open actions")
    blocks: list[Block] = [*(lead or []), header(title)]
    if not result.items:
        blocks.append(section(t._("No open actions. :white_check_mark:")))
        return blocks
    blocks.append(context(counts(result.total, result.overdue_count, t)))
    page, pages = result.page, result.pages
    show_employee = result.role == "manager"
    target = result.filtered_to.slack_user_id if result.filtered_to else ""
    for item in result.items[:PAGE]:
        blocks.extend(item_blocks(item, t, viewer, show_employee, user=target, page=page))
    if pages > 1:
        nav = []
        if page > 0:
            nav.append(button(t._("Previous"), "actions_page_prev", json.dumps({"page": page - 1, "user": target})))
        if page < pages - 1:
            nav.append(button(t._("Next"), "actions_page_next", json.dumps({"page": page + 1, "user": target})))
        blocks.append(context(t._("Page {page} of {pages}", page=page + 1, pages=pages)))
        blocks.append(actions(nav, block_id="actions_pages"))
    return blocks


def digest(items: list[ActionItem], t: Translator, viewer: Person) -> list[Block]:
    blocks: list[Block] = [
        header(t._("Overdue actions")),
        section(
            t.ngettext(
                "You have {n} overdue action. Close it if it is done, or agree on a new date.",
                "You have {n} overdue actions. Close them if they are done, or agree on new dates.",
                len(items),
            )
        ),
    ]
    for item in items[:20]:
        blocks.extend(item_blocks(item, t, viewer, show_employee=True))
    if len(items) > 20:
        blocks.append(context(t._("Type /mal to see all of them.")))
    return blocks


def digest_superseded(t: Translator, day: str) -> list[Block]:
    """What an older overview of overdue actions becomes when a newer one arrives: one list to act on."""
    return [section(t._("This overview of overdue actions is replaced by the newer one of {day}.", day=day))]


def due_reminder(item: ActionItem, t: Translator, viewer: Person) -> list[Block]:
    return [
        section(t._(":alarm_clock: Reminder: this action is due {date}.", date=t.day(item.due))),
        *item_blocks(item, t, viewer, show_employee=True),
    ]


def postpone_modal(
    action_id: int, what: str, due: date, today: date, t: Translator, origin: dict[str, Any]
) -> dict[str, Any]:
    initial = max(due, today) + timedelta(days=7)
    return modal(
        "action_postpone_submit",
        t._("New date"),
        [
            section(f"*{escape(what)}*"),
            input_block(
                "due",
                t._("New due date"),
                {"type": "datepicker", "action_id": "due", "initial_date": initial.isoformat()},
            ),
        ],
        submit=t._("Save"),
        close=t._("Cancel"),
        private_metadata=json.dumps({"action_id": action_id, **origin}),
    )


def responsible_element(employee: Person, manager: Person | None, t: Translator, allow_others: bool) -> dict[str, Any]:
    """Who can be responsible: the employee or the manager; anyone in the workspace only where the organisation
    allows a third person (who then sees the action's text and deadline, nothing of the conversation)."""
    if allow_others or manager is None:
        return {"type": "users_select", "action_id": "owner", "initial_user": employee.slack_user_id}
    people = [employee, manager]
    return static_select(
        "owner",
        t._("Responsible"),
        [option(p.name or p.slack_user_id, p.slack_user_id) for p in people],
        employee.slack_user_id,
    )


def agree_modal(
    meeting_id: int,
    employee: Person,
    t: Translator,
    default_due: date,
    plan: Plan | None = None,
    *,
    manager: Person | None = None,
    label: str = "",
    allow_others: bool = False,
) -> dict[str, Any]:
    """'What did you agree? Who does what, when?' — up to three rows of the template's development plan,
    with its columns in its order and its labels (003: commitment, how, done by, how to follow up).
    ``label`` names the meeting on the first line, so actions are recorded on the right one."""
    plan = plan or Plan()
    first = t._("*What have we agreed? Who does what, when?*")
    blocks: list[Block] = [section(f"*{label}*\n{first}" if label else first)]
    if plan.intro:
        blocks.append(context(t._(plan.intro)))
    for n in range(1, AGREE_ROWS + 1):
        blocks.append(divider())
        for col in plan.columns:
            heading = t._(col.label)
            if col.key == "action":
                text = t._("Action {n}", n=n) if col.label == "Action" else f"{n}. {heading}"
                blocks.append(
                    input_block(f"what_{n}", text, text_input("what", multiline=True, max_length=3000), optional=n > 1)
                )
            elif col.key == "responsible":
                user = responsible_element(employee, manager, t, allow_others)
                hint = t._("Someone else sees only the action and its deadline.") if allow_others else None
                blocks.append(input_block(f"owner_{n}", heading, user, optional=n > 1, hint=hint))
            elif col.key == "deadline":
                day = {"type": "datepicker", "action_id": "due", "initial_date": default_due.isoformat()}
                blocks.append(input_block(f"due_{n}", heading, day, optional=n > 1))
            elif col.key == "goal":
                blocks.append(input_block(f"goal_{n}", heading, text_input("goal", max_length=500), optional=True))
            elif col.key == "follow_up":
                blocks.append(input_block(f"follow_{n}", heading, text_input("follow", max_length=500), optional=True))
            elif col.key == "how":
                blocks.append(input_block(f"how_{n}", heading, text_input("how", max_length=1000), optional=True))
    return modal(
        "agree_submit",
        t._("Agreed actions"),
        blocks,
        submit=t._("Save"),
        close=t._("Cancel"),
        private_metadata=json.dumps({"meeting_id": meeting_id}),
    )


def added(count: int, t: Translator, label: str = "") -> list[Block]:
    return [
        *([context(label)] if label else []),
        section(
            t.ngettext(
                ":white_check_mark: {n} action recorded. Type /mal to follow it up.",
                ":white_check_mark: {n} actions recorded. Type /mal to follow them up.",
                count,
            )
        ),
    ]


def recorded(label: str, items: list[ActionItem], t: Translator, viewer: Person) -> list[Block]:
    """To the employee: what was recorded for them after the conversation."""
    blocks: list[Block] = [
        section(t._("*{meeting}*\nThis was recorded as agreed:", meeting=label)),
    ]
    for item in items[:20]:
        blocks.extend(item_blocks(item, t, viewer, show_employee=False))
    return blocks


def due_moved(item: ActionItem, t: Translator, viewer: Person) -> list[Block]:
    """To the employee: someone else moved the deadline of one of their actions."""
    return [
        section(t._(":calendar: The deadline was moved to {date}.", date=t.day(item.due))),
        *item_blocks(item, t, viewer, show_employee=False),
    ]


def week_summary(lines: list[tuple[Person, str, str, date | None]], t: Translator) -> list[Block]:
    """To the manager, once a week: what each report finished or postponed (person, kind, what, new date)."""
    rows = []
    for person, kind, what, new_due in lines[:40]:
        text = clip(escape(what), 300)
        if kind == "done":
            rows.append(t._("• <@{user}> finished: {what}", user=person.slack_user_id, what=text))
        else:
            day = t.short_day(new_due) if new_due else ""
            rows.append(t._("• <@{user}> moved to {date}: {what}", user=person.slack_user_id, date=day, what=text))
    blocks: list[Block] = [header(t._("Your team's actions last week"))]
    chunk: list[str] = []
    for row in rows:
        if sum(len(r) + 1 for r in chunk) + len(row) > 2800:
            blocks.append(section("\n".join(chunk)))
            chunk = []
        chunk.append(row)
    if chunk:
        blocks.append(section("\n".join(chunk)))
    if len(lines) > 40:
        blocks.append(context(t._("Type /mal to see all of them.")))
    return blocks

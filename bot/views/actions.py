"""How agreed actions look: the `/mal` list, the reminders and digests, the modals to record and move them."""

import json
from datetime import date, timedelta
from typing import Any

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
    plain,
    section,
    text_input,
)
from flows.actions import PAGE, ActionItem, ActionList
from flows.i18n import Translator
from storage.models import Person

AGREE_ROWS = 3


def _line(item: ActionItem, t: Translator, viewer: Person, show_employee: bool) -> str:
    due = t.short_day(item.due)
    when = t._(":warning: *Overdue* since {date}", date=due) if item.overdue else t._("Due {date}", date=due)
    parts = [f"*{escape(item.what)}*", when]
    if show_employee and item.employee.id != viewer.id:
        parts.append(t._("Conversation with <@{user}>", user=item.employee.slack_user_id))
    if item.owner.id != viewer.id:
        parts.append(t._("Responsible: <@{user}>", user=item.owner.slack_user_id))
    if item.goal:
        parts.append(t._("Goal: {goal}", goal=escape(item.goal)))
    return "\n".join(parts)


def item_blocks(item: ActionItem, t: Translator, viewer: Person, show_employee: bool) -> list[Block]:
    return [
        section(_line(item, t, viewer, show_employee), block_id=f"action:{item.id}"),
        actions(
            [
                button(t._("Done"), "action_done", str(item.id), style="primary"),
                button(t._("Postpone"), "action_postpone", str(item.id)),
            ],
            block_id=f"action_buttons:{item.id}",
        ),
    ]


def action_list(result: ActionList, t: Translator, viewer: Person) -> list[Block]:
    """The `/mal` answer: one page of at most PAGE actions (two blocks each), so it stays within 50 blocks."""
    if result.filtered_to is not None and result.filtered_to.id != viewer.id:
        title = t._("Open actions from your conversations with {name}", name=result.filtered_to.name)
    elif result.role == "manager":
        title = t._("Open actions of your team")
    else:
        title = t._("Your open actions")
    blocks: list[Block] = [header(title)]
    if not result.items:
        blocks.append(section(t._("No open actions. :white_check_mark:")))
        return blocks
    summary = t.ngettext("{n} open action", "{n} open actions", result.total)
    if result.overdue_count:
        summary += " · " + t.ngettext("{n} overdue", "{n} overdue", result.overdue_count)
    blocks.append(context(summary))
    page, pages = result.page, result.pages
    show_employee = result.role == "manager"
    for item in result.items[:PAGE]:
        blocks.extend(item_blocks(item, t, viewer, show_employee))
    if pages > 1:
        nav = []
        target = result.filtered_to.slack_user_id if result.filtered_to else ""
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


def agree_modal(meeting_id: int, employee: Person, t: Translator, default_due: date) -> dict[str, Any]:
    """'What have we agreed? Who does what, when?' — up to three actions at a time, the plan's columns."""
    blocks: list[Block] = [section(t._("*What have we agreed? Who does what, when?*"))]
    for n in range(1, AGREE_ROWS + 1):
        blocks += [
            divider(),
            input_block(
                f"what_{n}", t._("Action {n}", n=n), text_input("what", multiline=True, max_length=3000), optional=n > 1
            ),
            input_block(
                f"owner_{n}",
                t._("Responsible"),
                {"type": "users_select", "action_id": "owner", "initial_user": employee.slack_user_id},
                optional=n > 1,
            ),
            input_block(
                f"due_{n}",
                t._("Deadline"),
                {"type": "datepicker", "action_id": "due", "initial_date": default_due.isoformat()},
                optional=n > 1,
            ),
            input_block(f"goal_{n}", t._("Goal it serves"), text_input("goal", max_length=500), optional=True),
        ]
    return modal(
        "agree_submit",
        t._("Agreed actions"),
        blocks,
        submit=t._("Save"),
        close=t._("Cancel"),
        private_metadata=json.dumps({"meeting_id": meeting_id}),
    )


def added(count: int, t: Translator) -> list[Block]:
    return [
        section(
            t.ngettext(
                ":white_check_mark: {n} action recorded. Type /mal to follow it up.",
                ":white_check_mark: {n} actions recorded. Type /mal to follow them up.",
                count,
            )
        )
    ]


def plain_text(text: str) -> dict[str, Any]:
    return plain(text)

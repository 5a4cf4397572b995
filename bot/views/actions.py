"""How agreed actions look: the `/mal` list, the reminders and digests, the modals to record and move them."""

import json
from datetime import date, timedelta
from typing import Any

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
    plain,
    section,
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


def _line(item: ActionItem, t: Translator, viewer: Person, show_employee: bool) -> str:
    due = t.short_day(item.due)
    when = t._(":warning: *Overdue* since {date}", date=due) if item.overdue else t._("Due {date}", date=due)
    parts = [f"*{clip(escape(item.what), LIST_WHAT_MAX)}*", when]
    if show_employee and item.employee.id != viewer.id:
        parts.append(t._("Conversation with <@{user}>", user=item.employee.slack_user_id))
    if item.owner.id != viewer.id:
        parts.append(t._("Responsible: <@{user}>", user=item.owner.slack_user_id))
    if item.goal:
        parts.append(t._("Goal: {goal}", goal=clip(escape(item.goal), LIST_GOAL_MAX)))
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


def agree_modal(
    meeting_id: int, employee: Person, t: Translator, default_due: date, plan: Plan | None = None
) -> dict[str, Any]:
    """'What have we agreed? Who does what, when?' — up to three rows of the template's development plan,
    with its columns in its order and its labels (003: commitment, how, done by, how to follow up)."""
    plan = plan or Plan()
    blocks: list[Block] = [section(t._("*What have we agreed? Who does what, when?*"))]
    if plan.intro:
        blocks.append(context(t._(plan.intro)))
    for n in range(1, AGREE_ROWS + 1):
        blocks.append(divider())
        for col in plan.columns:
            label = t._(col.label)
            if col.key == "action":
                text = t._("Action {n}", n=n) if col.label == "Action" else f"{n}. {label}"
                blocks.append(
                    input_block(f"what_{n}", text, text_input("what", multiline=True, max_length=3000), optional=n > 1)
                )
            elif col.key == "responsible":
                user = {"type": "users_select", "action_id": "owner", "initial_user": employee.slack_user_id}
                blocks.append(input_block(f"owner_{n}", label, user, optional=n > 1))
            elif col.key == "deadline":
                day = {"type": "datepicker", "action_id": "due", "initial_date": default_due.isoformat()}
                blocks.append(input_block(f"due_{n}", label, day, optional=n > 1))
            elif col.key == "goal":
                blocks.append(input_block(f"goal_{n}", label, text_input("goal", max_length=500), optional=True))
            elif col.key == "follow_up":
                blocks.append(input_block(f"follow_{n}", label, text_input("follow", max_length=500), optional=True))
            elif col.key == "how":
                blocks.append(input_block(f"how_{n}", label, text_input("how", max_length=1000), optional=True))
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

"""How the agreed plan looks in Slack: the plan with its confirmations, and the button to confirm it."""

from bot.views.blocks import Block, actions, button, context, escape, header, section
from flows.archive import AgreedPlan
from flows.i18n import Translator
from flows.templates import conversation_title, template
from storage.models import Person

MAX_ROWS = 40


def _tz(person: Person) -> str:
    return person.tz or "Europe/Oslo"


def plan_blocks(plan: AgreedPlan, t: Translator, viewer: Person) -> list[Block]:
    """The plan as both of them confirm it: each row in the template's words, then who has confirmed."""
    ctx = plan.ctx
    other = ctx.manager if viewer.id == ctx.employee.id else ctx.employee
    tpl = template(ctx.meeting.template)
    labels = {c.key: t._(c.label) for c in tpl.plan.columns}
    title = conversation_title(ctx.meeting.template, t._)
    intro = t._("{conversation} with <@{user}>", conversation=title, user=other.slack_user_id)
    if ctx.meeting.scheduled_at is not None:
        intro += "\n" + t.when(ctx.meeting.scheduled_at, _tz(viewer))
    blocks: list[Block] = [header(t._("The agreed plan")), section(intro)]
    for a in plan.actions[:MAX_ROWS]:
        owner = plan.owners[a.owner_id]
        lines = [f"*{escape(a.what)}*"]
        if a.goal:
            lines.append(f"{labels.get('goal', t._('Goal'))}: {escape(a.goal)}")
        lines.append(
            f"{labels.get('responsible', t._('Responsible'))}: <@{owner.slack_user_id}> · "
            f"{labels.get('deadline', t._('Deadline'))}: {t.short_day(a.due)}"
        )
        if a.follow_up:
            lines.append(f"{labels.get('follow_up', t._('How to follow up'))}: {escape(a.follow_up)}")
        blocks.append(section("\n".join(lines)))
    return blocks


def status_line(plan: AgreedPlan, t: Translator, viewer: Person) -> str:
    lines = []
    for person in (plan.ctx.employee, plan.ctx.manager):
        at = plan.confirmed_at(person)
        if at is not None:
            lines.append(
                t._(
                    ":white_check_mark: Confirmed by <@{user}> {when}",
                    user=person.slack_user_id,
                    when=t.when(at, _tz(viewer)),
                )
            )
        else:
            lines.append(t._(":hourglass: Not yet confirmed by <@{user}>", user=person.slack_user_id))
    return "\n".join(lines)


def ask_to_confirm(plan: AgreedPlan, t: Translator, viewer: Person) -> list[Block]:
    assert plan.ctx.meeting.id is not None
    blocks = plan_blocks(plan, t, viewer)
    if plan.amends is not None and plan.amends.created_at is not None:
        blocks.insert(
            2,
            section(
                t._(
                    "The plan was changed after it was filed {when}. Confirm it again, and the new version goes to "
                    "the personnel archive too; the earlier one stays there.",
                    when=t.when(plan.amends.created_at, _tz(viewer)),
                )
            ),
        )
    blocks.append(context(status_line(plan, t, viewer)))
    if plan.confirmed_at(viewer) is None:
        blocks.append(
            actions(
                [
                    button(
                        t._("Confirm the plan"), "plan_confirm", f"{plan.ctx.meeting.id}:{plan.digest}", style="primary"
                    )
                ],
                block_id=f"plan:{plan.ctx.meeting.id}",
            )
        )
    blocks.append(
        context(
            t._(
                "Confirming is your signature on the plan. When both of you have confirmed, mal files it as a PDF in "
                "the personnel archive. Only the two of you and the archive see it."
            )
        )
    )
    return blocks[:50]


def confirmed(plan: AgreedPlan, t: Translator, viewer: Person) -> list[Block]:
    """After a confirmation: the plan, who has confirmed, and what happens next."""
    blocks = plan_blocks(plan, t, viewer)
    blocks.append(context(status_line(plan, t, viewer)))
    if plan.confirmed_by_both:
        blocks.append(section(t._("Both of you have confirmed the plan. It goes to the personnel archive as a PDF.")))
    else:
        other = plan.ctx.manager if viewer.id == plan.ctx.employee.id else plan.ctx.employee
        blocks.append(
            section(
                t._(
                    "Thank you. The plan goes to the archive when <@{user}> has confirmed it too.",
                    user=other.slack_user_id,
                )
            )
        )
    return blocks[:50]

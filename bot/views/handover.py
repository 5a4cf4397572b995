"""What each of three people is told when a report gets a new nearest manager: who sees what from now on."""

from bot.views.blocks import Block, context, section
from flows.i18n import Translator


def for_employee(
    new_manager: str, previous_manager: str, open_actions: int, t: Translator, *, after_none: bool = False
) -> list[Block]:
    """The employee hears first who sees their open actions now; nothing of theirs changes hands unannounced.

    ``after_none``: they were told earlier that they had no manager in mal, and that the previous one no longer
    saw their content; now only the new manager is news (who may be the previous one, back again)."""
    lines = [t._("<@{new}> is now your nearest manager in mal.", new=new_manager)]
    if after_none:
        if open_actions:
            lines.append(
                t.ngettext(
                    "Your {n} open action goes with you: <@{new}> sees it from now on.",
                    "Your {n} open actions go with you: <@{new}> sees them from now on.",
                    open_actions,
                    new=new_manager,
                )
            )
        return [section("\n".join(lines))]
    if open_actions:
        lines.append(
            t.ngettext(
                "Your {n} open action goes with you: <@{new}> sees it from now on, and <@{previous}> no longer does.",
                "Your {n} open actions go with you: <@{new}> sees them from now on, and <@{previous}> no longer does.",
                open_actions,
                new=new_manager,
                previous=previous_manager,
            )
        )
    else:
        lines.append(
            t._("<@{previous}> no longer sees your actions or conversations in mal.", previous=previous_manager)
        )
    return [
        section("\n".join(lines)),
        context(
            t._(
                "What you prepared for your earlier conversations stays with them: <@{new}> does not see it.",
                new=new_manager,
            )
        ),
    ]


def for_new_manager(employee: str, open_actions: int, t: Translator) -> list[Block]:
    lines = [
        t._(
            "<@{employee}> now reports to you in mal. mal reminds you of your first 1:1 with them when it is due.",
            employee=employee,
        )
    ]
    if open_actions:
        lines.append(
            t.ngettext(
                "{n} open action from earlier conversations comes along: you see it in `/mal` and on mal's Home tab.",
                "{n} open actions from earlier conversations come along: you see them in `/mal` and on mal's Home tab.",
                open_actions,
            )
        )
    return [section("\n".join(lines)), context(t._("What was prepared for earlier conversations stays private."))]


def for_previous_manager(employee: str, new_manager: str, t: Translator) -> list[Block]:
    return [
        section(
            t._(
                "<@{employee}> no longer reports to you in mal: their nearest manager is now <@{new}>. Their "
                "actions and conversations are no longer shown to you.",
                employee=employee,
                new=new_manager,
            )
        )
    ]


def ended_for_employee(previous_manager: str, t: Translator) -> list[Block]:
    return [
        section(
            t._(
                "You no longer have a nearest manager in mal: <@{previous}> no longer sees your actions or "
                "conversations, and mal no longer reminds anyone of 1:1s with you. Your open actions are still "
                "yours: type `/mal` to see them.",
                previous=previous_manager,
            )
        )
    ]


def ended_for_manager(employee: str, t: Translator) -> list[Block]:
    return [
        section(
            t._(
                "<@{employee}> no longer reports to you in mal. Their actions and conversations are no longer shown "
                "to you, and mal no longer reminds you of 1:1s with them.",
                employee=employee,
            )
        )
    ]

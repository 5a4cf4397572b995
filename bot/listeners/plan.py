"""Confirming the agreed plan: the seeds' signature, given in Slack by each of the two."""

from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from bot.listeners.common import caller, team_of, user_of
from bot.views import plan as views
from bot.views.notices import notice
from flows import archive
from flows.outbox import enqueue


def register(app: App) -> None:
    app.action("plan_confirm")(on_confirm)


def on_confirm(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext, client: WebClient, respond: Respond
) -> None:
    """The button carries the plan it showed (``meeting:digest``): a plan changed since is not confirmed."""
    ack()
    meeting_id, _, digest = str(action.get("value", "")).partition(":")
    with caller(context, client, team_of(body), user_of(body)) as c:
        if not meeting_id.isdigit():
            respond(text=notice("not_found", c.t), response_type="ephemeral", replace_original=False)
            return
        plan = archive.plan_of(c.repo, int(meeting_id))
        language = c.svc.language(plan.ctx.employee) if plan is not None else c.t.language
        now = c.svc.clock.now()
        result = archive.confirm(c.repo, c.person, int(meeting_id), digest, now, c.svc.hours, language)
        if isinstance(result, archive.Refused):
            respond(text=notice(result.reason, c.t), response_type="ephemeral", replace_original=False)
            return
        enqueue(c.repo, result.planned, now)
        blocks = views.confirmed(result.plan, c.t, c.person)
        c.commit()
        respond(replace_original=True, blocks=blocks, text=c.t._("The agreed plan"))
    if result.planned:
        c.svc.kick()

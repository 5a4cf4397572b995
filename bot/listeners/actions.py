"""Buttons on actions (Done, Postpone, paging) wherever they are shown: `/mal`, App Home, reminders."""

import json
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient
from slack_sdk.webhook import WebhookClient

from bot.listeners.commands import answer
from bot.listeners.common import Caller, caller, sealed_origin, team_of, trusted_origin, user_of
from bot.listeners.home import publish_home
from bot.views import actions as views
from bot.views.notices import notice
from flows import actions, commands
from flows.access import can_touch_action
from flows.dates import DateError, parse_date


def register(app: App) -> None:
    app.action("action_done")(on_done)
    app.action("action_postpone")(on_postpone)
    app.action("actions_page_next")(on_page)
    app.action("actions_page_prev")(on_page)
    app.view("action_postpone_submit")(on_postpone_submit)


def _refresh(
    c: Caller, body: dict[str, Any], client: WebClient, respond: Respond, page: int = 0, user: str = ""
) -> None:
    """Show the changed state where the click came from: the Home tab, or the message (replaced)."""
    if (body.get("container") or {}).get("type") == "view" or (body.get("view") or {}).get("type") == "home":
        publish_home(c, client)
        return
    result = answer(c, commands.Command("list", user=user or None), client, page=page)
    text = c.t._("Your open actions")
    c.commit()  # the audit row is saved, and the database free, before waiting on Slack
    respond(blocks=result, replace_original=True, text=text)


def on_done(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext, client: WebClient, respond: Respond
) -> None:
    ack()
    value = action.get("value", "")
    with caller(context, client, team_of(body), user_of(body)) as c:
        result = (
            actions.close(c.repo, c.person, int(value), c.svc.clock.now())
            if value.isdigit()
            else actions.Refused("not_found")
        )
        if isinstance(result, actions.Refused):
            respond(text=notice(result.reason, c.t), response_type="ephemeral", replace_original=False)
            return
    with caller(context, client, team_of(body), user_of(body)) as c:
        _refresh(c, body, client, respond)


def on_page(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext, client: WebClient, respond: Respond
) -> None:
    ack()
    try:
        target = json.loads(action.get("value") or "{}")
        page, user = int(target.get("page", 0)), str(target.get("user", ""))
    except (ValueError, TypeError):
        page, user = 0, ""
    with caller(context, client, team_of(body), user_of(body)) as c:
        _refresh(c, body, client, respond, page=page, user=user)


def on_postpone(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext, client: WebClient, respond: Respond
) -> None:
    ack()
    value = action.get("value", "")
    with caller(context, client, team_of(body), user_of(body)) as c:
        found = c.repo.action(int(value)) if value.isdigit() else None
        if found is None or not can_touch_action(c.repo, c.person, found) or found.id is None:
            respond(text=notice("not_yours", c.t), response_type="ephemeral", replace_original=False)
            return
        origin = sealed_origin(c, {"response_url": body.get("response_url", "")}, f"action:{found.id}")
        client.views_open(
            trigger_id=body["trigger_id"],
            view=views.postpone_modal(found.id, found.what, found.due, c.svc.today(c.person), c.t, origin),
        )


def on_postpone_submit(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext, client: WebClient
) -> None:
    meta = json.loads(view.get("private_metadata") or "{}")
    raw = view["state"]["values"]["due"]["due"].get("selected_date") or ""
    with caller(context, client, team_of(body), user_of(body)) as c:
        today = c.svc.today(c.person)
        try:
            new_due = parse_date(raw, today)
        except DateError as exc:
            ack(response_action="errors", errors={"due": notice(f"date_{exc.reason}", c.t, raw)})
            return
        result = actions.postpone(c.repo, c.person, int(meta.get("action_id", 0)), new_due, c.svc.clock.now(), today)
        if isinstance(result, actions.Refused):
            ack(response_action="errors", errors={"due": notice(result.reason, c.t)})
            return
        ack()
    with caller(context, client, team_of(body), user_of(body)) as c:
        origin = trusted_origin(c, meta, f"action:{meta.get('action_id')}")
        if not origin.get("response_url"):
            publish_home(c, client)
            return
        blocks = answer(c, commands.Command("list"), client)
        WebhookClient(origin["response_url"]).send(
            replace_original=True, blocks=blocks, text=c.t._("Your open actions")
        )

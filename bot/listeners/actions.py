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
from flows import actions, commands, follow
from flows.access import can_touch_action
from flows.dates import DateError, parse_date
from flows.outbox import enqueue


def register(app: App) -> None:
    app.action("action_done")(on_done)
    app.action("action_undo")(on_undo)
    app.action("action_postpone")(on_postpone)
    app.action("actions_page_next")(on_page)
    app.action("actions_page_prev")(on_page)
    app.view("action_postpone_submit")(on_postpone_submit)


def parse_value(value: str) -> tuple[int, str, int]:
    """A Done/Postpone/Undo button's value: the action id, and the list it was shown in (`/mal @person`, page)."""
    parts = (value or "").split("|")
    action_id = int(parts[0]) if parts[0].isdigit() else 0
    user = parts[1] if len(parts) > 1 else ""
    page = int(parts[2]) if len(parts) > 2 and parts[2].isdigit() else 0
    return action_id, user, page


def _refresh(
    c: Caller,
    body: dict[str, Any],
    client: WebClient,
    respond: Respond,
    page: int = 0,
    user: str = "",
    lead: list[dict[str, Any]] | None = None,
) -> None:
    """Show the changed state where the click came from — the Home tab, or the message (replaced) — on the
    same list it was clicked in, with ``lead`` (a confirmation) on top."""
    if (body.get("container") or {}).get("type") == "view" or (body.get("view") or {}).get("type") == "home":
        publish_home(c, client, page, lead=lead)
        return
    result = answer(c, commands.Command("list", user=user or None), client, page=page, lead=lead)
    text = c.t._("Your open actions")
    c.commit()  # the audit row is saved, and the database free, before waiting on Slack
    respond(blocks=result, replace_original=True, text=text)


def on_done(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext, client: WebClient, respond: Respond
) -> None:
    """Done: closed, confirmed on top of the same list, with an Undo for a few minutes."""
    ack()
    value = action.get("value", "")
    action_id, user, page = parse_value(value)
    with caller(context, client, team_of(body), user_of(body)) as c:
        result = (
            actions.close(c.repo, c.person, action_id, c.svc.clock.now()) if action_id else actions.Refused("not_found")
        )
        if isinstance(result, actions.Refused):
            respond(text=notice(result.reason, c.t), response_type="ephemeral", replace_original=False)
            return
        c.commit()  # closed for good before the list is read again (one unit of work, one lookup of the caller)
        lead = views.done_note(result.action.what, action_id, c.t, value)
        _refresh(c, body, client, respond, page=page, user=user, lead=lead)


def on_undo(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext, client: WebClient, respond: Respond
) -> None:
    """Undo a Done clicked a moment ago: the action is open again, on the same list."""
    ack()
    action_id, user, page = parse_value(action.get("value", ""))
    with caller(context, client, team_of(body), user_of(body)) as c:
        result = (
            actions.reopen(c.repo, c.person, action_id, c.svc.clock.now())
            if action_id
            else actions.Refused("not_found")
        )
        if isinstance(result, actions.Refused):
            respond(text=notice(result.reason, c.t), response_type="ephemeral", replace_original=False)
            return
        c.commit()
        _refresh(c, body, client, respond, page=page, user=user)


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
    action_id, user, page = parse_value(action.get("value", ""))
    with caller(context, client, team_of(body), user_of(body)) as c:
        found = c.repo.action(action_id) if action_id else None
        if found is None or not can_touch_action(c.repo, c.person, found) or found.id is None:
            respond(text=notice("not_yours", c.t), response_type="ephemeral", replace_original=False)
            return
        reply_to = {"response_url": body.get("response_url", ""), "user": user, "page": str(page)}
        origin = sealed_origin(c, reply_to, f"action:{found.id}")
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
        if result.changed:
            enqueue(
                c.repo, follow.moved(c.repo, c.person, result.action, c.svc.clock.now(), c.svc.hours), c.svc.clock.now()
            )
        ack()
    with caller(context, client, team_of(body), user_of(body)) as c:
        origin = trusted_origin(c, meta, f"action:{meta.get('action_id')}")
        if not origin.get("response_url"):
            publish_home(c, client)
            return
        user = str(origin.get("user") or "")
        blocks = answer(c, commands.Command("list", user=user or None), client, page=int(origin.get("page") or 0))
        WebhookClient(origin["response_url"]).send(
            replace_original=True, blocks=blocks, text=c.t._("Your open actions")
        )

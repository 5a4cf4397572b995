"""Events: the employee's answers in the DM, and the app leaving a workspace.

Slack retries an event it thinks was not received (``X-Slack-Retry-Num``); the event id is stored the
first time, so a retried answer is saved once and answered once.
"""

from typing import Any

from slack_bolt import App, BoltContext, Say
from slack_sdk import WebClient

from bot.delivery import stop_workspace
from bot.listeners.checkin import render_reply
from bot.listeners.common import caller, services, team_of
from flows import checkin


def register(app: App) -> None:
    app.event({"type": "message", "channel_type": "im"})(on_dm)
    app.event("app_uninstalled")(on_gone)
    app.event("tokens_revoked")(on_gone)


def _dedupe_key(body: dict[str, Any], event: dict[str, Any]) -> str:
    return "event:" + str(event.get("client_msg_id") or body.get("event_id") or event.get("ts"))


def on_dm(event: dict[str, Any], body: dict[str, Any], context: BoltContext, client: WebClient, say: Say) -> None:
    if event.get("subtype") or event.get("bot_id") or not event.get("user"):
        return  # edits, joins, and the bot's own messages are not answers
    svc = services(context)
    with caller(context, client, team_of(body), event["user"]) as c:
        if not c.repo.first_time(_dedupe_key(body, event), svc.clock.now()):
            return
        reply = checkin.on_message(c.repo, c.person, event.get("text") or "", svc.clock.now(), c.t._)
        if reply is None:
            blocks = [
                {
                    "type": "section",
                    "text": {
                        "type": "mrkdwn",
                        "text": c.t._(
                            "Hi! I help you and your manager with your 1:1s. Type `/mal help` to see what I can do."
                        ),
                    },
                }
            ]
            text = c.t._("Type /mal help to see what I can do.")
        else:
            blocks, text = render_reply(reply, c)
    say(blocks=blocks, text=text)


def on_gone(body: dict[str, Any], context: BoltContext) -> None:
    svc = services(context)
    team_id = team_of(body)
    with svc.unit() as repo:
        ws = repo.ensure_workspace(team_id)
        ws.active = False
        ws.revoked_at = svc.clock.now()
        repo.add(ws)
    stop_workspace(svc, team_id, str((body.get("event") or {}).get("type", "revoked")))

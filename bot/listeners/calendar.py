"""Moving a 1:1: the manager's change of time or place, the employee's proposal of another time and the
manager's answer to it; and the person's calendar feed address (`/mal calendar`)."""

import json
from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from bot.listeners.common import Caller, caller, sealed_origin, team_of, trusted_origin, user_of
from bot.views import calendar as views
from bot.views import checkin as checkin_views
from bot.views.checkin import note as note_blocks
from bot.views.notices import notice
from flows import calendar, checkin, reschedule, slots
from flows.access import meeting_role
from flows.outbox import enqueue


def register(app: App) -> None:
    app.action("meeting_move_open")(on_move_open)
    app.action("meeting_propose_open")(on_propose_open)
    app.action("proposal_accept")(on_accept)
    app.action("proposal_decline")(on_decline)
    app.view("meeting_move_submit")(on_move_submit)
    app.view("meeting_propose_submit")(on_propose_submit)


def feed_url(c: Caller, *, reset: bool = False) -> str | None:
    """The person's feed address, or None where mal has no public address (Socket Mode, or none configured)."""
    base = c.svc.settings.mal_public_url
    if c.svc.socket_mode or not base:
        return None
    now = c.svc.clock.now()
    token = calendar.reset_token(c.repo, c.person, now) if reset else calendar.token_of(c.repo, c.person, now)
    return f"{base}/calendar/{token}.ics"


def _meeting_id(action: dict[str, Any]) -> int:
    value = str(action.get("value", ""))
    return int(value) if value.isdigit() else 0


def _refuse(c: Caller, respond: Respond, reason: str) -> None:
    respond(text=notice(reason, c.t), response_type="ephemeral", replace_original=False)


def _open(
    ack: Ack,
    body: dict[str, Any],
    action: dict[str, Any],
    context: BoltContext,
    client: WebClient,
    respond: Respond,
    role: str,
) -> None:
    """Open the form of the meeting a button names, for the one of the pair the button is for."""
    ack()
    with caller(context, client, team_of(body), user_of(body)) as c:
        ctx = checkin.context(c.repo, _meeting_id(action))
        if ctx is None or meeting_role(c.repo, c.person, ctx.meeting) != role:
            _refuse(c, respond, "not_yours")
            return
        if ctx.meeting.status != "invited" or ctx.meeting.scheduled_at is None:
            _refuse(c, respond, "closed" if ctx.meeting.status in ("held", "skipped") else "not_invited")
            return
        container = body.get("container") or {}
        where = {"channel": container.get("channel_id", ""), "ts": container.get("message_ts", "")}
        origin = sealed_origin(c, where, f"meeting:{ctx.meeting.id}")  # a forged view can point nowhere else
        view = views.move_modal(ctx, c.t, origin) if role == "manager" else views.propose_modal(ctx, c.t)
    client.views_open(trigger_id=body["trigger_id"], view=view)


def on_move_open(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext, client: WebClient, respond: Respond
) -> None:
    _open(ack, body, action, context, client, respond, "manager")


def on_propose_open(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext, client: WebClient, respond: Respond
) -> None:
    _open(ack, body, action, context, client, respond, "employee")


def _picked(c: Caller, values: dict[str, Any]) -> datetime | None:
    """The date and time of a form, in the zone of the person who filled it in (as the invitation reads it)."""
    day = (values.get("date", {}).get("date") or {}).get("selected_date")
    clock = (values.get("time", {}).get("time") or {}).get("selected_time")
    if not day or not clock:
        return None
    tz = ZoneInfo(c.person.tz or c.svc.settings.mal_timezone)
    return datetime.combine(datetime.fromisoformat(day).date(), time.fromisoformat(clock), tzinfo=tz)


def on_move_submit(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext, client: WebClient
) -> None:
    meta = json.loads(view.get("private_metadata") or "{}")
    values = view["state"]["values"]
    place = (values.get("place", {}).get("place") or {}).get("value") or ""
    with caller(context, client, team_of(body), user_of(body)) as c:
        when = _picked(c, values)
        if when is None:
            ack(response_action="errors", errors={"date": notice("empty", c.t)})
            return
        now = c.svc.clock.now()
        ctx = checkin.context(c.repo, int(meta.get("meeting_id", 0)))
        if ctx is not None and meeting_role(c.repo, c.person, ctx.meeting) == "manager":
            # The invitation's slot rules: a past time is refused, a weekend, holiday, absence, a time outside
            # either person's hours or a clash is said once, and sending again goes ahead.
            verdict = slots.review(c.repo, ctx.meeting, ctx.manager, ctx.employee, when, now, c.svc.hours)
            if verdict.refused:
                ack(response_action="errors", errors={"date": notice(verdict.refused, c.t)})
                return
            if verdict.warnings and meta.get("confirmed") != when.isoformat():
                lines = checkin_views.slot_warnings(verdict, ctx, c.t)
                local = when.astimezone(ZoneInfo(c.person.tz or c.svc.settings.mal_timezone))
                warned = checkin_views.warned_invite_modal(
                    view, lines, c.t, when.isoformat(), local.date().isoformat(), local.strftime("%H:%M")
                )
                ack(response_action="update", view=warned)
                return
        result = reschedule.move(
            c.repo, c.person, int(meta.get("meeting_id", 0)), when=when, place=place, now=now, hours=c.svc.hours
        )
        if isinstance(result, checkin.Refused):
            ack(response_action="errors", errors={"date": notice(result.reason, c.t)})
            return
        enqueue(c.repo, result.planned, now)
        c.commit()
        ack()
        assert result.ctx.meeting.scheduled_at is not None and result.ctx.meeting.id is not None
        text = c.t._(
            ":white_check_mark: The 1:1 with <@{user}> is {when}.",
            user=result.ctx.employee.slack_user_id,
            when=c.t.when(result.ctx.meeting.scheduled_at, c.person.tz or "Europe/Oslo"),
        )
        blocks = views.invited(text, c.t, result.ctx.meeting.id)
        _refresh_home_or_origin(c, client, body, meta, blocks, text)
    c.svc.kick()


def _refresh_home_or_origin(
    c: Caller, client: WebClient, body: dict[str, Any], meta: dict[str, Any], blocks: list[Any], text: str
) -> None:
    """What the change was made from shows the new state: the Home tab, or the message with the buttons (only
    one mal sealed for this person and meeting)."""
    origin = trusted_origin(c, meta, f"meeting:{meta.get('meeting_id')}")
    if origin.get("channel") and origin.get("ts"):
        client.chat_update(channel=origin["channel"], ts=origin["ts"], text=text, blocks=blocks)
    else:
        from bot.listeners.home import publish_home

        publish_home(c, client)


def on_propose_submit(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext, client: WebClient
) -> None:
    meta = json.loads(view.get("private_metadata") or "{}")
    values = view["state"]["values"]
    note = (values.get("note", {}).get("note") or {}).get("value") or ""
    with caller(context, client, team_of(body), user_of(body)) as c:
        when = _picked(c, values)
        if when is None:
            ack(response_action="errors", errors={"date": notice("empty", c.t)})
            return
        now = c.svc.clock.now()
        result = reschedule.propose(
            c.repo, c.person, int(meta.get("meeting_id", 0)), when=when, note=note, now=now, hours=c.svc.hours
        )
        if isinstance(result, checkin.Refused):
            block = "note" if result.reason == "too_long" else "date"
            ack(response_action="errors", errors={block: notice(result.reason, c.t)})
            return
        enqueue(c.repo, [result], now)
        c.commit()
        ack()
        text = c.t._(
            "Sent to your manager: {when}. You will hear back here.",
            when=c.t.when(when, c.person.tz or "Europe/Oslo"),
        )
    client.chat_postMessage(channel=c.person.slack_user_id, text=text, blocks=note_blocks(text))
    c.svc.kick()


def _answer(
    ack: Ack,
    body: dict[str, Any],
    action: dict[str, Any],
    context: BoltContext,
    client: WebClient,
    respond: Respond,
    accept: bool,
) -> None:
    ack()
    with caller(context, client, team_of(body), user_of(body)) as c:
        now = c.svc.clock.now()
        flow = reschedule.accept if accept else reschedule.decline
        result = flow(c.repo, c.person, _meeting_id(action), now, c.svc.hours)
        if isinstance(result, checkin.Refused):
            _refuse(c, respond, result.reason)
            return
        enqueue(c.repo, result.planned, now)
        c.commit()
        assert result.ctx.meeting.scheduled_at is not None and result.ctx.meeting.id is not None
        when = c.t.when(result.ctx.meeting.scheduled_at, c.person.tz or "Europe/Oslo")
        user = result.ctx.employee.slack_user_id
        text = (
            c.t._(":white_check_mark: The 1:1 with <@{user}> is moved to {when}.", user=user, when=when)
            if accept
            else c.t._("You keep the 1:1 with <@{user}> at {when}. <@{user}> is told.", user=user, when=when)
        )
        respond(replace_original=True, text=text, blocks=views.invited(text, c.t, result.ctx.meeting.id))
    c.svc.kick()


def on_accept(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext, client: WebClient, respond: Respond
) -> None:
    _answer(ack, body, action, context, client, respond, accept=True)


def on_decline(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext, client: WebClient, respond: Respond
) -> None:
    _answer(ack, body, action, context, client, respond, accept=False)

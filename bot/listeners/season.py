"""The annual season: `/mal season [open|close]`, `/mal focus`, the season nudge's invite button, and the
two modals (opening a season, sharing the team's focus)."""

from datetime import date
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from bot.afterwards import answer_in_time
from bot.listeners.common import Caller, caller, services, team_of, user_of
from bot.views import checkin as checkin_views
from bot.views import season as views
from bot.views.blocks import Block, fallback_text, section
from bot.views.notices import notice
from flows import checkin, commands, evaluations, season
from flows.access import meeting_role
from flows.outbox import enqueue
from flows.templates import conversation_title
from storage import seasons


def register(app: App) -> None:
    app.action("focus_open")(on_focus_open)
    app.action("season_invite_open")(on_invite_open)
    app.view("season_open_submit")(on_open_submit)
    app.view("focus_submit")(on_focus_submit)


def _say(text: str) -> list[Block]:
    return [section(text)]


def _admins(c: Caller) -> frozenset[str]:
    return c.svc.settings.admin_ids


def _tz(c: Caller) -> str:
    return c.person.tz or c.svc.settings.mal_timezone


def handle(
    ack: Ack,
    command: dict[str, Any],
    context: BoltContext,
    client: WebClient,
    respond: Respond,
    cmd: commands.Command,
) -> None:
    """`/mal season …` and `/mal focus`. A modal needs the command's trigger, so those acknowledge empty
    and open the modal; closing a season writes, so it answers in time or through ``response_url`` once the
    write is through (never holding the acknowledgement behind the database's write lock); everything else
    answers inside the acknowledgement."""
    if cmd.name == "season" and cmd.text == "close":
        _close(ack, command, context, client, respond)
        return
    modal: dict[str, Any] | None = None
    with caller(context, client, command["team_id"], command["user_id"]) as c:
        if cmd.name == "focus":
            found = season.current_focus(c.repo, c.person)
            current = season.season_of_manager(c.repo, c.person)
            if isinstance(found, season.Refused):
                blocks = _say(notice(found.reason, c.t))
            else:
                modal, blocks = views.focus_modal(found, c.t, current.id if current else None), []
        elif not season.is_admin(c.person, _admins(c)):
            blocks = _say(notice("not_admin", c.t))
        elif cmd.text == "open":
            today = c.svc.today(c.person)
            choices = season.annual_templates()
            deadline = season.default_deadline(today, choices[0].due_by if choices else season.DEFAULT_DUE)
            modal, blocks = views.open_modal(c.t, choices, deadline, seasons.units(c.repo, c.person.team_id)), []
        else:
            blocks = status_blocks(c)
    if modal is not None:
        ack()
        client.views_open(trigger_id=command["trigger_id"], view=modal)
        return
    ack(response_type="ephemeral", blocks=blocks, text=fallback_text(blocks))


def _close(ack: Ack, command: dict[str, Any], context: BoltContext, client: WebClient, respond: Respond) -> None:
    team_id, user_id = command["team_id"], command["user_id"]

    def work() -> list[Block]:
        with caller(context, client, team_id, user_id) as c:
            if not season.is_admin(c.person, _admins(c)):
                return _say(notice("not_admin", c.t))
            closed = season.close_season(c.repo, c.person, admin_ids=_admins(c), now=c.svc.clock.now())
            if isinstance(closed, season.Refused):
                return _say(notice(closed.reason, c.t))
            return views.closed(closed, c.t)

    answer_in_time(services(context), ack, respond, work, team_id=team_id, user_id=user_id, fallback=fallback_text)


def status_blocks(c: Caller) -> list[Block]:
    result = season.participation(c.repo, c.person, admin_ids=_admins(c), now=c.svc.clock.now(), tz=_tz(c))
    if isinstance(result, season.Refused):
        if result.reason == "no_season":
            return views.no_season(c.t, admin=True)
        return _say(notice(result.reason, c.t))
    tallies = evaluations.aggregates(c.repo, c.person.team_id, result.season.template)
    return views.participation(result, c.t) + views.evaluation_tallies(tallies, c.t)


def admin_home_blocks(c: Caller) -> list[Block]:
    """The admin's part of App Home: the season's counts, or nothing for everyone else."""
    if not season.is_admin(c.person, _admins(c)):
        return []
    return status_blocks(c)


def _value(values: dict[str, Any], block: str, key: str) -> Any:
    return (values.get(block, {}).get(block) or {}).get(key)


def on_open_submit(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext, client: WebClient
) -> None:
    values = view["state"]["values"]
    template_key = (_value(values, "template", "selected_option") or {}).get("value", "")
    deadline_raw = _value(values, "deadline", "selected_date")
    who = (_value(values, "who", "selected_option") or {}).get("value", views.EVERYONE)
    units = tuple(o["value"] for o in _value(values, "units", "selected_options") or [])
    managers = tuple(_value(values, "managers", "selected_users") or [])
    with caller(context, client, team_of(body), user_of(body)) as c:
        if not deadline_raw:
            ack(response_action="errors", errors={"deadline": notice("empty", c.t)})
            return
        if who == views.CHOSEN and not (units or managers):
            ack(response_action="errors", errors={"who": notice("season_who", c.t)})
            return
        selector = season.Selector(who != views.CHOSEN, units, managers)
        result = season.open_season(
            c.repo,
            c.person,
            admin_ids=_admins(c),
            template_key=template_key,
            deadline=date.fromisoformat(deadline_raw),
            selector=selector,
            now=c.svc.clock.now(),
            hours=c.svc.hours,
            tz=c.svc.settings.mal_timezone,
        )
        if isinstance(result, season.Refused):
            field = "template" if result.reason == "unknown_template" else "deadline"
            ack(response_action="errors", errors={field: notice(result.reason, c.t)})
            return
        c.commit()
        ack()
        blocks = views.opened(result.created, result.members, result.season, c.t)
        user = c.person.slack_user_id
    client.chat_postMessage(channel=user, blocks=blocks, text=str(blocks[0]["text"]["text"])[:300])
    c.svc.kick()


def on_focus_open(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext, client: WebClient, respond: Respond
) -> None:
    ack()
    with caller(context, client, team_of(body), user_of(body)) as c:
        found = season.current_focus(c.repo, c.person)
        current = season.season_of_manager(c.repo, c.person)
        if isinstance(found, season.Refused):
            respond(text=notice(found.reason, c.t), response_type="ephemeral", replace_original=False)
            return
        modal = views.focus_modal(found, c.t, current.id if current else None)
    client.views_open(trigger_id=body["trigger_id"], view=modal)


def on_focus_submit(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext, client: WebClient
) -> None:
    values = view["state"]["values"]
    text = season.FocusText(
        *((values.get(k, {}).get("value") or {}).get("value") or "" for k in ("focus_areas", "goals", "challenges"))
    )
    with caller(context, client, team_of(body), user_of(body)) as c:
        result = season.share_focus(c.repo, c.person, text, now=c.svc.clock.now(), hours=c.svc.hours)
        if isinstance(result, season.Refused):
            ack(response_action="errors", errors={"focus_areas": notice(result.reason, c.t)})
            return
        new = enqueue(c.repo, result.planned, c.svc.clock.now())
        c.commit()
        ack()
        blocks = views.focus_shared(new, result.changed or new > 0, c.t)
        user = c.person.slack_user_id
    client.chat_postMessage(channel=user, blocks=blocks, text=str(blocks[0]["text"]["text"])[:300])
    c.svc.kick()


def on_invite_open(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext, client: WebClient, respond: Respond
) -> None:
    """The season nudge's button: the usual invitation modal, with a date a week or more ahead and the
    deadline named; the submission goes through the usual invitation, which checks both again."""
    ack()
    value = str(action.get("value", ""))
    container = body.get("container") or {}
    origin = {"channel": container.get("channel_id", ""), "ts": container.get("message_ts", "")}
    with caller(context, client, team_of(body), user_of(body)) as c:
        ctx = checkin.context(c.repo, int(value)) if value.isdigit() else None
        if ctx is None or meeting_role(c.repo, c.person, ctx.meeting) != "manager":
            respond(text=notice("not_yours", c.t), response_type="ephemeral", replace_original=False)
            return
        window = season.invite_window(c.repo, ctx.meeting, c.svc.today(c.person))
        if season.is_closed(c.repo, ctx.meeting):
            respond(text=notice("season_closed", c.t), response_type="ephemeral", replace_original=False)
            return
        if ctx.meeting.status in ("held", "skipped") or window is None:
            respond(text=notice("closed", c.t), response_type="ephemeral", replace_original=False)
            return
        modal = checkin_views.invite_modal(
            ctx,
            c.t,
            origin,
            initial_day=window.suggested,
            lead=views.invite_lead(window, c.t),
            title=conversation_title(ctx.meeting.template, c.t._),
        )
    client.views_open(trigger_id=body["trigger_id"], view=modal)

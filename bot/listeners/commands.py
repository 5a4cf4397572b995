"""`/mal`: parse the text, call a flow, answer with an ephemeral message built by a view.

What needs only reads (the list, help, the team) is answered inside the acknowledgement and records who read
what afterwards, so it never waits for the database's write lock. What writes (add, cadence, away) runs with
``bot.afterwards.answer_in_time``: answered in the acknowledgement when the store is free, else "saving"
at once and the outcome through the command's response_url, never lost to a busy database.
"""

import json
from datetime import timedelta
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from bot.afterwards import answer_in_time, save_later
from bot.listeners import season
from bot.listeners.common import Caller, caller, known_caller, services
from bot.views import actions as action_views
from bot.views import checkin as checkin_views
from bot.views import home as home_views
from bot.views import meeting as meeting_views
from bot.views.blocks import fallback_text, section
from bot.views.notices import notice
from flows import actions, commands, dates, notes, pair_template, privacy, senior
from flows.access import is_nearest_manager
from flows.checkin import Refused
from flows.pairings import schedule
from storage.models import Person

MAX_ABSENCE = timedelta(days=365)


def register(app: App) -> None:
    app.command("/mal")(handle_mal)


# What `/mal` answers from reads alone, for somebody mal knows: answered at once, never behind a write lock.
READS = frozenset({"list", "help", "team", "error"})


def handle_mal(ack: Ack, command: dict[str, Any], context: BoltContext, client: WebClient, respond: Respond) -> None:
    cmd = commands.parse(command.get("text", ""))
    if cmd.name == "export":
        _export(ack, command, context, client)
        return
    if cmd.name == "note":
        _note(ack, cmd, command, context, client)
        return
    if cmd.name in ("season", "focus"):
        season.handle(ack, command, context, client, respond, cmd)
        return
    team_id, user_id, svc = command["team_id"], command["user_id"], services(context)
    if cmd.name in READS:
        with known_caller(context, team_id, user_id) as known:
            blocks = answer(known, cmd, client) if known is not None else None
        if known is not None and blocks is not None:
            ack(response_type="ephemeral", blocks=blocks, text=fallback_text(blocks))
            save_later(svc, known.later)  # the audit rows, once Slack has its answer
            return

    def work() -> list[dict[str, Any]]:
        with caller(context, client, team_id, user_id) as c:
            return answer(c, cmd, client)

    answer_in_time(svc, ack, respond, work, team_id=team_id, user_id=user_id, fallback=fallback_text)


def _export(ack: Ack, command: dict[str, Any], context: BoltContext, client: WebClient) -> None:
    """Acknowledge at once (collecting and uploading can take longer than Slack waits), then send the file."""
    with caller(context, client, command["team_id"], command["user_id"]) as c:
        t = c.t
        ack(response_type="ephemeral", text=t._("Collecting everything mal stores about you …"))
        data = privacy.export(c.repo, c.person)
        user = c.person.slack_user_id
    channel = client.conversations_open(users=user)["channel"]["id"]
    client.files_upload_v2(
        channel=channel,
        filename="mal-export.json",
        title=t._("Everything mal stores about you"),
        content=json.dumps(data, ensure_ascii=False, indent=2),
        initial_comment=t._("Here is everything mal stores about you, as a JSON file."),
    )


def _note(ack: Ack, cmd: commands.Command, command: dict[str, Any], context: BoltContext, client: WebClient) -> None:
    """Open the caller's private notes for their next conversation (or the next one with a named report)."""
    with caller(context, client, command["team_id"], command["user_id"]) as c:
        employee = _target(c, cmd.user, client) if cmd.user else None
        if cmd.user and employee is None:
            ack(response_type="ephemeral", blocks=_say(notice("not_your_report", c.t)))
            return
        meeting_id = notes.next_meeting(c.repo, c.person, employee)
        own = notes.notes(c.repo, c.person, meeting_id) if not isinstance(meeting_id, Refused) else meeting_id
        if isinstance(own, Refused):
            ack(response_type="ephemeral", blocks=_say(notice(own.reason, c.t)))
            return
        ack()
        assert own.ctx.meeting.id is not None
        label = meeting_views.for_reader(own.ctx, c.person, c.t)
        view = checkin_views.notes_modal(own.ctx.meeting.id, own.text, c.t, own.form, own.reflections, label)
    client.views_open(trigger_id=command["trigger_id"], view=view)


def _say(text: str) -> list[dict[str, Any]]:
    return [section(text)]


def _target(c: Caller, user_id: str, client: WebClient) -> Person | None:
    person = c.repo.person_by_slack(c.person.team_id, user_id)
    return person


def answer(
    c: Caller, cmd: commands.Command, client: WebClient, page: int = 0, lead: list[dict[str, Any]] | None = None
) -> list[dict[str, Any]]:
    today = c.svc.today(c.person)
    now = c.svc.clock.now()
    if cmd.name == "error":
        return _say(notice(cmd.error or "unknown_command", c.t, cmd.arg))
    if cmd.name == "help":
        return home_views.help_blocks(c.t)
    if cmd.name == "list":
        employee = None
        if cmd.user:
            employee = _target(c, cmd.user, client)
            if employee is None:
                return _say(notice("not_your_report", c.t))
        result = actions.list_for(c.repo, c.person, today, employee, page=page)
        if isinstance(result, actions.Refused):
            return _say(notice(result.reason, c.t))
        blocks = action_views.action_list(result, c.t, c.person, lead)
        viewer, subjects = c.person, set(result.subjects)
        c.after_answer(lambda repo: privacy.audit(repo, viewer, subjects, "actions", now))
        return blocks
    if cmd.name == "add":
        assert cmd.user is not None
        employee = _target(c, cmd.user, client)
        if employee is None or not (employee.id == c.person.id or is_nearest_manager(c.repo, c.person, employee)):
            return _say(notice("not_your_report", c.t))
        if not employee.active:
            return _say(notice("inactive_user", c.t, f"<@{employee.slack_user_id}>"))
        try:
            split = dates.split_trailing_date(cmd.text, today)
        except dates.DateError as exc:
            return _say(notice(f"date_{exc.reason}", c.t, exc.text))
        owner = employee
        added = actions.add(
            c.repo, c.person, employee, what=split.rest, due=split.due, owner=owner, now=now, today=today
        )
        if isinstance(added, actions.Refused):
            return _say(notice(added.reason, c.t))
        return action_views.added(1, c.t)
    if cmd.name == "team":
        from bot.listeners.home import team_rows

        return home_views.team(team_rows(c), c.t)
    if cmd.name == "cadence":
        return _cadence(c, cmd, client)
    if cmd.name == "template":
        return _template(c, cmd, client)
    if cmd.name == "birthyear":
        assert cmd.user is not None
        person = _target(c, cmd.user, client)
        if person is None:
            return _say(notice("not_admin", c.t))
        born = senior.set_birth_year(c.repo, c.person, person, cmd.text, c.svc.settings.admin_ids)
        if isinstance(born, senior.Refused):
            return _say(notice(born.reason, c.t))
        return home_views.birth_year(born.person, born.year, c.t)
    if cmd.name == "calendar":
        from bot.listeners.calendar import feed_url
        from bot.views.calendar import feed_answer

        reset = cmd.text == "reset"
        return feed_answer(feed_url(c, reset=reset), c.t, reset=reset)
    if cmd.name == "away":
        try:
            until = dates.parse_date(cmd.text, today)
        except dates.DateError as exc:
            return _say(notice(f"date_{exc.reason}", c.t, exc.text))
        if until > today + MAX_ABSENCE:  # a longer one is not an absence; it would also hold up the tick
            return _say(notice("away_too_far", c.t, c.t.day(today + MAX_ABSENCE)))
        c.person.away_until = until
        c.repo.add(c.person)
        return _say(c.t._("Noted: no messages from mal until after {date}.", date=c.t.day(until)))
    if cmd.name == "back":
        c.person.away_until = None
        c.repo.add(c.person)
        return _say(c.t._("Welcome back! Messages from mal are on again."))
    return _say(notice("unknown_command", c.t, cmd.arg))


def _template(c: Caller, cmd: commands.Command, client: WebClient) -> list[dict[str, Any]]:
    """`/mal template @person [key]`: the choices by title, or the change when a template is named."""
    assert cmd.user is not None
    employee = _target(c, cmd.user, client)
    if employee is None:
        return _say(notice("not_your_report", c.t))
    found = pair_template.choice(c.repo, c.person, employee, c.svc.today(c.person).year)
    if isinstance(found, pair_template.Refused):
        return _say(notice(found.reason, c.t))
    if not cmd.text:
        return home_views.template_choice(found, c.t)
    key = next((t.key for t in found.options if cmd.text in (t.key, c.t._(t.title).lower())), cmd.text)
    assert found.pairing.id is not None
    changed = pair_template.set_template(c.repo, c.person, found.pairing.id, key, c.svc.clock.now())
    if isinstance(changed, pair_template.Refused):
        return _say(notice(changed.reason, c.t, cmd.text))
    return home_views.template_set(changed, c.t)


def _cadence(c: Caller, cmd: commands.Command, client: WebClient) -> list[dict[str, Any]]:
    assert cmd.cadence is not None and c.person.id is not None
    if cmd.user:
        employee = _target(c, cmd.user, client)
        if employee is None or not (employee.id == c.person.id or is_nearest_manager(c.repo, c.person, employee)):
            return _say(notice("not_your_report", c.t))
        if not employee.active:
            return _say(notice("inactive_user", c.t, f"<@{employee.slack_user_id}>"))
    else:
        employee = c.person
    assert employee.id is not None
    pairing = c.repo.active_pairing_of(employee.id)
    if pairing is None:
        return _say(notice("no_pairing", c.t))
    if pairing.cadence != cmd.cadence:
        pairing.cadence = cmd.cadence
        pairing.anchor = None
        schedule(
            pairing, c.svc.clock.now(), c.person.tz or c.svc.settings.mal_timezone, c.svc.settings.mal_invite_lead_days
        )
        c.repo.add(pairing)
    other = c.repo.person(pairing.manager_id if employee.id == c.person.id else employee.id)
    label = home_views.cadence_label(cmd.cadence, c.t)
    return _say(
        c.t._("The 1:1s with <@{user}> are now: {cadence}.", user=other.slack_user_id if other else "", cadence=label)
    )

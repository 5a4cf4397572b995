"""App Home and the team view: opening the tab, choosing a language, a pair's cadence and pause."""

from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from bot.listeners.common import Caller, caller, team_of, user_of
from bot.views import calendar as calendar_views
from bot.views import home as views
from bot.views.notices import notice
from flows import actions as action_flows
from flows import lapses, pair_template, season
from flows.cadence import CADENCES
from flows.i18n import LANGUAGES
from flows.pairings import schedule


def register(app: App) -> None:
    app.event("app_home_opened")(on_home_opened)
    app.action("home_language")(on_language)
    app.action("team_cadence")(on_team_cadence)
    app.action("team_pause")(on_team_pause)
    app.action("pair_template")(on_pair_template)


def team_rows(c: Caller) -> list[views.TeamRow]:
    assert c.person.id is not None
    now = c.svc.clock.now()
    pairings = c.repo.reports_of(c.person.id)
    ids = [p.employee_id for p in pairings]
    people = c.repo.people(ids)
    counts = c.repo.action_counts(ids, c.svc.today(c.person))
    pairing_ids = [p.id for p in pairings if p.id is not None]
    marks = c.repo.meeting_marks(pairing_ids)
    missed = c.repo.missed_counts(pairing_ids)
    rows = []
    for p in pairings:
        last_held, next_invited = marks.get(p.id or 0, (None, None))
        nxt = next_invited or p.next_window_at
        rows.append(
            views.TeamRow(
                p,
                people[p.employee_id],
                last_held,
                nxt,
                *counts.get(p.employee_id, (0, 0)),
                missed=missed.get(p.id or 0, 0),
                never=last_held is None and lapses.never_met(p, now),
                now=now,
                next_invited=next_invited is not None,
            )
        )
    return rows


def home_data(c: Caller, page: int = 0) -> views.HomeData:
    assert c.person.id is not None
    today = c.svc.today(c.person)
    upcoming = []
    own_pair = c.repo.active_pairing_of(c.person.id)
    pairs = ([own_pair] if own_pair else []) + c.repo.reports_of(c.person.id)
    now = c.svc.clock.now()
    meetings = c.repo.invited_after([p.id for p in pairs if p.id is not None], now)
    pair_by_id = {p.id: p for p in pairs}
    other_of = {
        m.id: (pair.manager_id if pair.employee_id == c.person.id else pair.employee_id)
        for m in meetings
        for pair in [pair_by_id[m.pairing_id]]
    }
    others = c.repo.people(list(other_of.values()))
    for m in meetings:
        other = others.get(other_of[m.id])
        if other is not None and m.scheduled_at is not None and m.id is not None:
            role = "employee" if pair_by_id[m.pairing_id].employee_id == c.person.id else "manager"
            upcoming.append(views.Upcoming(other, m, role))
    # From the same flow as `/mal`: one's own and those one is responsible for (a manager's team as counts).
    listed = action_flows.list_for(c.repo, c.person, today, page=page, scope="mine")
    from bot.listeners.calendar import feed_url
    from bot.listeners.season import admin_home_blocks

    return views.HomeData(
        c.person,
        sorted(upcoming, key=lambda u: u.meeting.scheduled_at or now),
        listed if isinstance(listed, action_flows.ActionList) else None,
        team_rows(c),
        c.svc.language(c.person),
        admin=[*admin_home_blocks(c), *lapse_admin_blocks(c)],
        own_pair=(own_pair, manager) if own_pair and (manager := c.repo.person(own_pair.manager_id)) else None,
        feed=calendar_views.feed_blocks(feed_url(c), c.t),
    )


def lapse_admin_blocks(c: Caller) -> list[Any]:
    """For mal admins: missed 1:1s per unit over the last year, as counts."""
    if not season.is_admin(c.person, c.svc.settings.admin_ids):
        return []
    counts = lapses.missed_per_unit(c.repo, c.person.team_id, c.svc.clock.now())
    return views.missed_per_unit(counts, c.t)


def publish_home(c: Caller, client: WebClient, page: int = 0, lead: list[Any] | None = None) -> None:
    client.views_publish(user_id=c.person.slack_user_id, view=views.home(home_data(c, page), c.t, lead))


def on_home_opened(event: dict[str, Any], body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
    if event.get("tab", "home") != "home":
        return
    with caller(context, client, team_of(body), event["user"]) as c:
        publish_home(c, client)


def on_language(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext, client: WebClient
) -> None:
    ack()
    chosen = (action.get("selected_option") or {}).get("value")
    with caller(context, client, team_of(body), user_of(body)) as c:
        if chosen in LANGUAGES:
            c.person.language = chosen
            c.repo.add(c.person)
            c.t = c.svc.t(c.person)
            c.commit()
        publish_home(c, client)


def _own_pairing(c: Caller, pairing_id: int) -> Any:
    pairing = c.repo.pairing(pairing_id)
    if pairing is None or pairing.ended_at is not None or pairing.team_id != c.person.team_id:
        return None
    if c.person.id not in (pairing.manager_id, pairing.employee_id):
        return None
    return pairing


def on_team_cadence(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext, client: WebClient, respond: Respond
) -> None:
    ack()
    value = (action.get("selected_option") or {}).get("value", "")
    pid, _, cadence = value.partition(":")
    with caller(context, client, team_of(body), user_of(body)) as c:
        pairing = _own_pairing(c, int(pid)) if pid.isdigit() else None
        if pairing is None or cadence not in CADENCES:
            respond(text=notice("not_yours", c.t), response_type="ephemeral", replace_original=False)
            return
        if pairing.cadence != cadence:
            pairing.cadence = cadence
            pairing.anchor = None
            schedule(
                pairing,
                c.svc.clock.now(),
                c.person.tz or c.svc.settings.mal_timezone,
                c.svc.settings.mal_invite_lead_days,
            )
            c.repo.add(pairing)
            c.commit()
        respond(blocks=views.team(team_rows(c), c.t), replace_original=True)


def on_team_pause(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext, client: WebClient, respond: Respond
) -> None:
    ack()
    value = action.get("value", "")
    with caller(context, client, team_of(body), user_of(body)) as c:
        pairing = _own_pairing(c, int(value)) if value.isdigit() else None
        if pairing is None:
            respond(text=notice("not_yours", c.t), response_type="ephemeral", replace_original=False)
            return
        pairing.paused = not pairing.paused
        c.repo.add(pairing)
        c.commit()
        respond(blocks=views.team(team_rows(c), c.t), replace_original=True)


def on_pair_template(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext, client: WebClient, respond: Respond
) -> None:
    """A template chosen in `/mal template @person`'s list: the pair's conversation from now on."""
    ack()
    value = (action.get("selected_option") or {}).get("value", "")
    pid, _, key = value.partition(":")
    with caller(context, client, team_of(body), user_of(body)) as c:
        changed = (
            pair_template.set_template(c.repo, c.person, int(pid), key, c.svc.clock.now())
            if pid.isdigit()
            else pair_template.Refused("not_your_report")
        )
        if isinstance(changed, pair_template.Refused):
            respond(text=notice(changed.reason, c.t, key), response_type="ephemeral", replace_original=False)
            return
        c.commit()
        respond(blocks=views.template_set(changed, c.t), replace_original=True)

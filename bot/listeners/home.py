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
from flows.actions import Who
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
    """The manager's overview, for the reports it shows (``views.TEAM_SHOWN``, in the order they were paired),
    read in one statement: a team of 200 costs no more than one of 20."""
    assert c.person.id is not None
    now = c.svc.clock.now()
    rows = []
    for m in c.repo.team_members(c.person.id, c.svc.today(c.person), views.TEAM_SHOWN):
        pair = views.PairRef(m.pairing_id, m.cadence, m.template, m.paused)
        rows.append(
            views.TeamRow(
                pair,
                Who(m.employee_id, m.slack_user_id, m.name, m.tz),
                m.last_held,
                m.next_invited or m.next_window_at,
                m.open,
                m.overdue,
                missed=m.missed,
                never=m.last_held is None and lapses.never_met(m.cadence, m.created_at, now),
                now=now,
                next_invited=m.next_invited is not None,
            )
        )
    return rows


# The Home tab lists this many coming 1:1s.
UPCOMING_SHOWN = 10


def home_data(c: Caller, page: int = 0) -> views.HomeData:
    assert c.person.id is not None
    today = c.svc.today(c.person)
    now = c.svc.clock.now()
    own_pair = c.repo.active_pairing_of(c.person.id)
    coming = c.repo.upcoming_meetings(c.person.id, now, UPCOMING_SHOWN)
    others = c.repo.people([other for _, other, _ in coming])
    upcoming = [views.Upcoming(others[other], m, role) for m, other, role in coming if other in others]
    # From the same flow as `/mal`: one's own and those one is responsible for (a manager's team as counts).
    listed = action_flows.list_for(c.repo, c.person, today, page=page, scope="mine")
    from bot.listeners.calendar import feed_url
    from bot.listeners.season import admin_home_blocks

    return views.HomeData(
        c.person,
        upcoming,
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

"""Turns a planned message (kind + ids) into text and blocks at the moment it is sent.

Rendering late means the message shows today's state: the open actions carried into an invitation are
the ones open now, in the recipient's current language.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.services import Services
from bot.views import actions as action_views
from bot.views import checkin as views
from bot.views import season as season_views
from bot.views.blocks import Block, escape, name_of, section
from bot.views.notices import notice
from flows import actions as action_flows
from flows import checkin, notes, privacy, season
from flows.i18n import Translator
from storage import seasons
from storage.models import Person
from storage.repo import Repo


@dataclass(frozen=True)
class Rendered:
    text: str
    blocks: list[Block]


def _carried(repo: Repo, svc: Services, viewer: Person, employee: Person) -> list[action_flows.ActionItem]:
    result = action_flows.list_for(repo, viewer, svc.today(viewer), employee)
    return list(result.items) if isinstance(result, action_flows.ActionList) else []


def render(
    repo: Repo, svc: Services, kind: str, payload: dict[str, Any], person: Person, now: datetime
) -> Rendered | None:
    t = svc.t(person)
    if kind == "notice":  # a failure the person could not be told about at the time (bot.afterwards)
        text = notice(str(payload.get("reason", "")), t)
        return Rendered(text, [section(text)])
    if kind in SEASON_KINDS:
        return _render_season(repo, kind, payload, person, t)
    if "meeting_id" in payload:
        ctx = checkin.context(repo, int(payload["meeting_id"]))
        if ctx is None:
            return None
        if kind == "nudge":
            return Rendered(t._("Time for your 1:1 with {name}", name=name_of(ctx.employee)), views.nudge(ctx, t))
        if kind == "invite":
            title = (
                t._("Invitation to your annual conversation with {name}", name=name_of(ctx.manager))
                if ctx.meeting.season_id is not None
                else t._("Invitation to your 1:1 with {name}", name=name_of(ctx.manager))
            )
            return Rendered(
                title,
                views.invitation(
                    ctx,
                    t,
                    _carried(repo, svc, ctx.employee, ctx.employee),
                    svc.settings.mal_care_text,
                    _focus(repo, ctx, t),
                ),
            )
        if kind == "manager_prep":
            prep = notes.manager_prep(repo, ctx.manager, int(payload["meeting_id"]))
            if isinstance(prep, checkin.Refused):
                return None
            return Rendered(
                t._("Your own preparation for the 1:1 with {name}", name=name_of(ctx.employee)),
                views.manager_prep(prep, t),
            )
        if kind == "prep_reminder":
            return Rendered(
                t._("Prepare for your 1:1 with {name}", name=name_of(ctx.manager)), views.prep_reminder(ctx, t)
            )
        if kind == "brief":
            assert ctx.meeting.id is not None
            shared = checkin.summary(repo, ctx.meeting).items if ctx.meeting.prep_shared_at else ()
            if ctx.employee.id is not None:
                privacy.audit(repo, ctx.manager, {ctx.employee.id}, "brief", now)
            own = notes.manager_prep(repo, ctx.manager, ctx.meeting.id)
            return Rendered(
                t._("Tomorrow's 1:1 with {name}", name=name_of(ctx.employee)),
                views.brief(
                    ctx,
                    t,
                    list(shared),
                    _carried(repo, svc, ctx.manager, ctx.employee),
                    None if isinstance(own, checkin.Refused) else own,
                ),
            )
        if kind == "followup":
            checkin.mark_held(repo, ctx.meeting, now)
            return Rendered(t._("What have we agreed? Who does what, when?"), views.followup(ctx, t))
    if kind == "due_reminder":
        action = repo.action(int(payload["action_id"]))
        if action is None:
            return None
        items = [i for i in _own(repo, svc, person) if i.id == action.id]
        if not items:
            return None
        return Rendered(
            t._("Reminder: {what}", what=escape(action.what[:200])), action_views.due_reminder(items[0], t, person)
        )
    if kind == "digest":
        overdue = [i for i in _own(repo, svc, person) if i.overdue and i.owner.id == person.id]
        if not overdue:
            return None
        return Rendered(
            t.ngettext("{n} overdue action", "{n} overdue actions", len(overdue)),
            action_views.digest(overdue, t, person),
        )
    return None


def _own(repo: Repo, svc: Services, person: Person) -> list[action_flows.ActionItem]:
    return list(action_flows.owned_by(repo, person, svc.today(person)))


# --- the annual season ------------------------------------------------------------------------------------

SEASON_KINDS = ("season_open", "season_nudge", "team_focus")


def _focus(repo: Repo, ctx: checkin.MeetingContext, t: Translator) -> list[Block]:
    text = season.focus_for_meeting(repo, ctx.meeting)
    return season_views.focus_in_invitation(text, t) if text else []


def _render_season(repo: Repo, kind: str, payload: dict[str, Any], person: Person, t: Translator) -> Rendered | None:
    """Season messages say nothing once the season is closed or the conversation is already under way."""
    if kind == "team_focus":
        found = season.focus_to_post(repo, int(payload["focus_id"]), str(payload["digest"]), person)
        if found is None:
            return None
        text, manager = found
        return Rendered(t._("The team's focus"), season_views.focus_post(text, manager.slack_user_id, t))
    row = seasons.season(repo, int(payload["season_id"]))
    if row is None or row.status != "open":
        return None
    if kind == "season_open":
        return Rendered(t._("The annual conversations"), season_views.season_open_message(row, t))
    ctx = checkin.context(repo, int(payload["meeting_id"]))
    if ctx is None or ctx.meeting.status != "planned":
        return None
    return Rendered(
        t._("Time for the annual conversation with {name}", name=name_of(ctx.employee)),
        season_views.season_nudge(ctx, row, t),
    )

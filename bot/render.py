"""Turns a planned message (kind + ids) into text and blocks at the moment it is sent.

Rendering late means the message shows today's state: the open actions carried into an invitation are
the ones open now, in the recipient's current language.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.services import Services
from bot.views import actions as action_views
from bot.views import calendar as calendar_views
from bot.views import checkin as views
from bot.views import handover as handover_views
from bot.views import meeting as meeting_views
from bot.views import plan as plan_views
from bot.views import season as season_views
from bot.views.blocks import Block, escape, name_of, section
from bot.views.notices import notice
from flows import actions as action_flows
from flows import archive, cadence, calendar, checkin, evaluations, follow, lapses, notes, privacy, season
from flows.calendar import CalendarFile
from flows.i18n import Translator
from flows.templates import Question
from storage import seasons
from storage.models import Person
from storage.repo import Repo

# 004's harassment question: a Yes, or a wish to take it in person, puts the duty to follow up in the brief.
DUTY_CHOICES = ("Yes", "I'd rather take it in person")


@dataclass(frozen=True)
class Rendered:
    """A message; with ``file`` it is that file shared in the DM, ``text`` being the message it comes with."""

    text: str
    blocks: list[Block]
    file: CalendarFile | None = None


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
        return _render_season(repo, svc, kind, payload, person, now)
    if "meeting_id" in payload:
        ctx = checkin.context(repo, int(payload["meeting_id"]))
        if ctx is None:
            return None
        if kind == "nudge":
            missed = lapses.missed_before(repo, ctx.meeting)
            name = name_of(ctx.employee)
            return Rendered(t._("Time for your 1:1 with {name}", name=name), views.nudge(ctx, t, missed))
        if kind == "lapse":
            return Rendered(t._("Missed 1:1 with {name}", name=name_of(ctx.employee)), views.lapse(ctx, t))
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
            shared = checkin.shared_items(repo, ctx.meeting)
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
                    duty=_duty(svc, ctx, shared),
                    hr=svc.settings.mal_hr_contact,
                ),
            )
        if kind == "evaluations":
            other = evaluations.other_of(repo, ctx.meeting, person, ctx.manager, ctx.employee)
            if other is None:
                return None
            return Rendered(
                t._("How <@{user}> experienced the conversation", user=other.author.slack_user_id),
                views.evaluation_exchange(other, t),
            )
        if kind in ("plan_confirm", "plan_confirmed"):
            return _render_plan(repo, kind, payload, person, t)
        if kind == "followup":
            checkin.mark_held(repo, ctx.meeting, now)
            carried = _missed_brief(repo, ctx, person, now)
            label = meeting_views.for_reader(ctx, person, t, short=True)
            blocks = views.followup(ctx, t, person, carried)
            return Rendered(t._("{meeting}: what was agreed?", meeting=label), blocks)
        if kind == "calendar" and person.id in (ctx.manager.id, ctx.employee.id):
            method = str(payload.get("method"))
            file = calendar.meeting_file(ctx, person, t, now, svc.settings.mal_timezone, method)
            comment = calendar_views.file_comment(ctx, person, t, method, int(payload.get("sequence") or 0))
            return Rendered(comment, [], file)
        if kind == "proposal" and ctx.meeting.proposed_at is not None:
            return Rendered(
                t._("{name} proposes another time for your 1:1", name=name_of(ctx.employee)),
                calendar_views.proposal(ctx, t),
            )
        if kind == "proposal_declined":
            return Rendered(
                t._("{name} keeps the time of your 1:1", name=name_of(ctx.manager)),
                calendar_views.proposal_declined(ctx, t),
            )
    if kind == "manager_changed":
        return _render_handover(repo, svc, payload, person, t)
    if kind == "pair_ended":
        return _render_pair_ended(repo, payload, person, t)
    if kind == "recorded":
        ctx = checkin.context(repo, int(payload["meeting_id"]))
        if ctx is None:
            return None
        wanted = {int(i) for i in payload.get("action_ids", [])}
        listed = action_flows.list_for(repo, person, svc.today(person), person)
        items = [i for i in listed.items if i.id in wanted] if isinstance(listed, action_flows.ActionList) else []
        if not items:
            return None
        label = meeting_views.for_reader(ctx, person, t)
        return Rendered(t._("Agreed: {meeting}", meeting=label), action_views.recorded(label, items, t, person))
    if kind == "due_moved":
        listed = action_flows.list_for(repo, person, svc.today(person), person)
        found = (
            [i for i in listed.items if i.id == int(payload["action_id"])]
            if isinstance(listed, action_flows.ActionList)
            else []
        )
        if not found:
            return None
        return Rendered(
            t._("New deadline {date}: {what}", date=t.short_day(found[0].due), what=found[0].what[:200]),
            action_views.due_moved(found[0], t, person),
        )
    if kind == "week_summary":
        start, end = datetime.fromisoformat(payload["week_start"]), datetime.fromisoformat(payload["week_end"])
        changed = follow.changes(repo, person, start, end)
        if not changed:
            return None
        lines = [(c.employee, c.kind, c.action.what, c.new_due) for c in changed]
        return Rendered(t._("Your team's actions last week"), action_views.week_summary(lines, t))
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
        before = repo.last_sent(person.team_id, person.slack_user_id, "digest")
        if before is not None and all(i.due < before.date() for i in overdue):
            # Nothing has run over since the digest they already have: the same list again would only stack.
            return None
        return Rendered(
            t.ngettext("{n} overdue action", "{n} overdue actions", len(overdue)),
            action_views.digest(overdue, t, person),
        )
    return None


def _missed_brief(
    repo: Repo, ctx: checkin.MeetingContext, person: Person, now: datetime
) -> list[tuple[Question, checkin.Answer]] | None:
    """For the manager, when the brief of this meeting was planned and never went out (held up past the
    meeting by working hours, an outage or pacing, then dropped as overtaken): what it would have shown."""
    if person.id != ctx.manager.id or ctx.meeting.id is None or not checkin.brief_missed(repo, ctx.meeting):
        return None
    shared = checkin.shared_items(repo, ctx.meeting)
    if shared and ctx.employee.id is not None:
        privacy.audit(repo, ctx.manager, {ctx.employee.id}, "brief", now)
    return list(shared)


def _render_handover(
    repo: Repo, svc: Services, payload: dict[str, Any], person: Person, t: Translator
) -> Rendered | None:
    """A report's new nearest manager, told to the three it concerns; counts only, never an action's text."""
    pairing = repo.pairing(int(payload["pairing_id"]))
    if pairing is None or pairing.ended_at is not None:
        return None
    previous_id = int(payload["previous_manager_id"])
    people = repo.people([pairing.employee_id, pairing.manager_id, previous_id])
    employee, manager, previous = (people.get(i) for i in (pairing.employee_id, pairing.manager_id, previous_id))
    if employee is None or manager is None or previous is None:
        return None
    role = payload.get("role")
    if role == "previous_manager" and person.id == previous.id:
        blocks = handover_views.for_previous_manager(employee.slack_user_id, manager.slack_user_id, t)
        return Rendered(t._("{name} has a new manager in mal", name=name_of(employee)), blocks)
    assert employee.id is not None
    open_actions = repo.action_counts([employee.id], svc.today(person)).get(employee.id, (0, 0))[0]
    if role == "employee" and person.id == employee.id:
        blocks = handover_views.for_employee(
            manager.slack_user_id, previous.slack_user_id, open_actions, t, after_none=bool(payload.get("after_none"))
        )
        return Rendered(t._("{name} is now your manager in mal", name=name_of(manager)), blocks)
    if role == "new_manager" and person.id == manager.id:
        blocks = handover_views.for_new_manager(employee.slack_user_id, open_actions, t)
        return Rendered(t._("{name} now reports to you in mal", name=name_of(employee)), blocks)
    return None


def _render_pair_ended(repo: Repo, payload: dict[str, Any], person: Person, t: Translator) -> Rendered | None:
    ended = repo.pairing(int(payload["ended_pairing_id"]))
    if ended is None:
        return None
    people = repo.people([ended.employee_id, int(payload["manager_id"])])
    employee, manager = people.get(ended.employee_id), people.get(int(payload["manager_id"]))
    if employee is None or manager is None:
        return None
    role = payload.get("role")
    if role == "employee" and person.id == employee.id:
        blocks = handover_views.ended_for_employee(manager.slack_user_id, t)
        return Rendered(t._("You no longer have a manager in mal"), blocks)
    if role == "previous_manager" and person.id == manager.id:
        blocks = handover_views.ended_for_manager(employee.slack_user_id, t)
        return Rendered(t._("{name} no longer reports to you in mal", name=name_of(employee)), blocks)
    return None


def _render_plan(repo: Repo, kind: str, payload: dict[str, Any], person: Person, t: Translator) -> Rendered | None:
    """The plan to confirm, as it stands when the message goes (a newer plan sends its own); or, to the first of
    the two, word that the other has confirmed too."""
    plan = archive.plan_of(repo, int(payload["meeting_id"]))
    if plan is None or person.id not in (plan.ctx.employee.id, plan.ctx.manager.id):
        return None
    if kind == "plan_confirmed":
        return Rendered(t._("The agreed plan is confirmed"), plan_views.confirmed(plan, t, person))
    if plan.digest != payload.get("digest") or plan.filed or plan.confirmed_at(person) is not None:
        return None
    return Rendered(t._("Confirm the agreed plan"), plan_views.ask_to_confirm(plan, t, person))


def _duty(
    svc: Services, ctx: checkin.MeetingContext, shared: tuple[tuple[Question, checkin.Answer], ...]
) -> str | None:
    """The country whose law applies to a shared Yes or "in person" on a sensitive question: the employee's."""
    if not any(q.sensitive and a.choice in DUTY_CHOICES for q, a in shared):
        return None
    return cadence.country_for(ctx.employee.tz, svc.settings.mal_holidays_country)


def _own(repo: Repo, svc: Services, person: Person) -> list[action_flows.ActionItem]:
    return list(action_flows.owned_by(repo, person, svc.today(person)))


# --- the annual season ------------------------------------------------------------------------------------

SEASON_KINDS = ("season_open", "season_nudge", "team_focus", "season_overdue", "season_ended")


def _focus(repo: Repo, ctx: checkin.MeetingContext, t: Translator) -> list[Block]:
    text = season.focus_for_meeting(repo, ctx.meeting)
    return season_views.focus_in_invitation(text, t) if text else []


def _render_season(
    repo: Repo, svc: Services, kind: str, payload: dict[str, Any], person: Person, now: datetime
) -> Rendered | None:
    """Season messages say nothing once the season is closed or the conversation is already under way."""
    t = svc.t(person)
    tz, admins = svc.settings.mal_timezone, svc.settings.admin_ids
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
    if kind == "season_overdue":
        late = season.overdue_by_manager(repo, row, now, tz).get(person.id or 0, [])
        people = repo.people([r.employee_id for r in late])
        rows = [(people[r.employee_id], r.meeting_id) for r in late if r.meeting_id is not None]
        if not rows:
            return None  # held in the meantime
        return Rendered(t._("Annual conversations not held by the deadline"), season_views.overdue(rows, row, t))
    if kind == "season_ended":
        ended = season.participation(repo, person, admin_ids=admins, now=now, tz=tz)
        if isinstance(ended, season.Refused):
            return None
        return Rendered(t._("The deadline of the annual conversations has passed"), season_views.ended(ended, t))
    ctx = checkin.context(repo, int(payload["meeting_id"]))
    if ctx is None or ctx.meeting.status != "planned":
        return None
    return Rendered(
        t._("Time for the annual conversation with {name}", name=name_of(ctx.employee)),
        season_views.season_nudge(ctx, row, t),
    )

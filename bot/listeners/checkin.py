"""The 1:1's buttons and modals: invite, skip, snooze; prepare, share; record actions, evaluate."""

import json
import re
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from bot.listeners.common import Caller, caller, sealed_origin, team_of, trusted_origin, user_of
from bot.views import actions as action_views
from bot.views import calendar as calendar_views
from bot.views import checkin as views
from bot.views import meeting as meeting_views
from bot.views.notices import notice
from flows import actions, archive, checkin, evaluations, follow, notes, reschedule, slots
from flows.access import meeting_role
from flows.outbox import enqueue
from flows.templates import template


def register(app: App) -> None:
    app.action("meeting_invite_open")(on_invite_open)
    app.action("meeting_skip_open")(on_skip_open)
    app.action("meeting_snooze")(on_snooze)
    app.action("prep_start")(on_prep_start)
    app.action("prep_form_open")(on_prep_form_open)
    app.action("prep_share")(on_prep_share)
    app.action("prep_share_sensitive")(on_prep_share_sensitive)
    app.action(re.compile(r"^prep_choose(:\d+)?$"))(on_prep_choose)  # one action_id per button of a row
    app.action("manager_prep_open")(on_manager_prep_open)
    app.action("note_open")(on_note_open)
    app.action("agree_open")(on_agree_open)
    app.action("evaluate_open")(on_evaluate_open)
    app.action("meeting_held")(on_held)
    app.action("answer_open")(on_answer_open)
    app.view("meeting_invite_submit")(on_invite_submit)
    app.view("meeting_skip_submit")(on_skip_submit)
    app.view("prep_form_submit")(on_prep_form_submit)
    app.view("agree_submit")(on_agree_submit)
    app.view("evaluate_submit")(on_evaluate_submit)
    app.view("manager_prep_submit")(on_manager_prep_submit)
    app.view("note_submit")(on_note_submit)


def _meeting_id(action: dict[str, Any]) -> int:
    value = str(action.get("value", ""))
    return int(value) if value.isdigit() else 0


def _origin(body: dict[str, Any]) -> dict[str, Any]:
    container = body.get("container") or {}
    return {"channel": container.get("channel_id", ""), "ts": container.get("message_ts", "")}


def _refuse(c: Caller, respond: Respond, reason: str) -> None:
    respond(text=notice(reason, c.t), response_type="ephemeral", replace_original=False)


def _meeting_or_refuse(
    c: Caller, respond: Respond, meeting_id: int, role: str | None = None, *, open_only: bool = False
) -> checkin.MeetingContext | None:
    """The meeting a button names, when the caller has ``role`` in it (any role when None); else refuse."""
    ctx = checkin.context(c.repo, meeting_id)
    found = meeting_role(c.repo, c.person, ctx.meeting) if ctx is not None else None
    if ctx is None or ctx.meeting.id is None or found is None or (role is not None and found != role):
        _refuse(c, respond, "not_yours")
        return None
    if open_only and ctx.meeting.status in ("held", "skipped"):
        _refuse(c, respond, "closed")
        return None
    return ctx


def _label(c: Caller, ctx: checkin.MeetingContext) -> str:
    return meeting_views.for_reader(ctx, c.person, c.t)


def _employee_of(c: Caller, meeting_id: int) -> str:
    ctx = checkin.context(c.repo, meeting_id)
    return ctx.employee.slack_user_id if ctx is not None else ""


def _dm(client: WebClient, c: Caller, blocks: list[dict[str, Any]], text: str) -> None:
    client.chat_postMessage(channel=c.person.slack_user_id, blocks=blocks, text=text)


# --- manager: nudge buttons ------------------------------------------------------------------------------


def on_invite_open(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext, client: WebClient, respond: Respond
) -> None:
    ack()
    with caller(context, client, team_of(body), user_of(body)) as c:
        ctx = _meeting_or_refuse(c, respond, _meeting_id(action), "manager", open_only=True)
        if ctx is None:
            return
        now = c.svc.clock.now()
        current = ctx.meeting.scheduled_at
        suggested = (
            current
            if current is not None and current > now
            else slots.suggestion_for(
                c.repo, ctx.meeting, ctx.manager, ctx.employee, ctx.pairing.cadence, now, c.svc.hours
            )
        )
        picked = checkin.last_chosen(c.repo, ctx.meeting)
        origin = sealed_origin(c, _origin(body), f"meeting:{ctx.meeting.id}")
        view = views.invite_modal(ctx, c.t, origin, suggested=suggested, picked=picked)
        client.views_open(trigger_id=body["trigger_id"], view=view)


def on_skip_open(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext, client: WebClient, respond: Respond
) -> None:
    ack()
    with caller(context, client, team_of(body), user_of(body)) as c:
        ctx = _meeting_or_refuse(c, respond, _meeting_id(action), "manager")
        if ctx is None or ctx.meeting.id is None:
            return
        origin = sealed_origin(c, _origin(body), f"meeting:{ctx.meeting.id}")
        view = views.skip_modal(ctx.meeting.id, c.t, origin, _label(c, ctx))
        client.views_open(trigger_id=body["trigger_id"], view=view)


def on_snooze(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext, client: WebClient, respond: Respond
) -> None:
    ack()
    with caller(context, client, team_of(body), user_of(body)) as c:
        result = checkin.snooze(c.repo, c.person, _meeting_id(action), c.svc.clock.now(), c.svc.hours)
        if isinstance(result, checkin.Refused):
            _refuse(c, respond, result.reason)
            return
        enqueue(c.repo, [result], c.svc.clock.now())
        c.commit()
        respond(
            replace_original=True,
            blocks=views.manager_done(
                c.t._(
                    ":zzz: I will remind you about the 1:1 with <@{user}> again {when}.",
                    user=_employee_of(c, _meeting_id(action)),
                    when=c.t.when(result.not_before, c.person.tz or "Europe/Oslo"),
                )
            ),
            text=c.t._("Snoozed"),
        )


def _update_origin(
    client: WebClient, origin: dict[str, Any], text: str, blocks: list[dict[str, Any]] | None = None
) -> None:
    """Replace the buttons of the message the modal was opened from, if mal sealed where that was: the nudge
    becomes what was done with it (after an invitation, with the ways to change it)."""
    if origin.get("channel") and origin.get("ts"):
        shown = blocks if blocks is not None else views.manager_done(text)
        client.chat_update(channel=origin["channel"], ts=origin["ts"], text=text, blocks=shown)


def on_invite_submit(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext, client: WebClient
) -> None:
    meta = json.loads(view.get("private_metadata") or "{}")
    values = view["state"]["values"]
    day = values["date"]["date"].get("selected_date")
    clock = values["time"]["time"].get("selected_time")
    place = (values.get("place", {}).get("place") or {}).get("value") or ""
    extra = [o["value"] for o in (values.get("extra", {}).get("extra") or {}).get("selected_options") or []]
    topics = (values.get("topics", {}).get("topics") or {}).get("value") or ""
    chosen = (
        [o["value"] for o in (values["chosen"].get("chosen") or {}).get("selected_options") or []]
        if "chosen" in values
        else None
    )
    with caller(context, client, team_of(body), user_of(body)) as c:
        if not day or not clock:
            ack(response_action="errors", errors={"date": notice("empty", c.t)})
            return
        tz = ZoneInfo(c.person.tz or c.svc.settings.mal_timezone)
        when = datetime.combine(datetime.fromisoformat(day).date(), time.fromisoformat(clock), tzinfo=tz)
        ctx = checkin.context(c.repo, int(meta.get("meeting_id", 0)))
        if ctx is not None and meeting_role(c.repo, c.person, ctx.meeting) == "manager":
            verdict = slots.review(c.repo, ctx.meeting, ctx.manager, ctx.employee, when, c.svc.clock.now(), c.svc.hours)
            if verdict.refused:
                ack(response_action="errors", errors={"date": notice(verdict.refused, c.t)})
                return
            if verdict.warnings and meta.get("confirmed") != when.isoformat():
                lines = views.slot_warnings(verdict, ctx, c.t)
                ack(
                    response_action="update",
                    view=views.warned_invite_modal(view, lines, c.t, when.isoformat(), day, clock),
                )
                return
        result = checkin.invite(
            c.repo,
            c.person,
            int(meta.get("meeting_id", 0)),
            when=when,
            place=place,
            extra_questions=extra,
            special_topics=topics,
            now=c.svc.clock.now(),
            hours=c.svc.hours,
            chosen=chosen,
        )
        if isinstance(result, checkin.Refused):
            field = "chosen" if result.reason == "choose_questions" and "chosen" in values else "date"
            ack(response_action="errors", errors={field: notice(result.reason, c.t)})
            return
        enqueue(c.repo, result.planned, c.svc.clock.now())
        c.commit()
        ack()
        origin = trusted_origin(c, meta, f"meeting:{meta.get('meeting_id')}")
        text = c.t._(
            ":white_check_mark: Invitation sent to <@{user}> for {when}.",
            user=result.ctx.employee.slack_user_id,
            when=c.t.when(when, c.person.tz or "Europe/Oslo"),
        )
        meeting_id = result.ctx.meeting.id
        assert meeting_id is not None
        blocks = calendar_views.invited(text, c.t, meeting_id)
    _update_origin(client, origin, text, blocks)
    c.svc.kick()


def on_skip_submit(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext, client: WebClient
) -> None:
    meta = json.loads(view.get("private_metadata") or "{}")
    reason = (view["state"]["values"]["reason"]["reason"] or {}).get("value") or ""
    with caller(context, client, team_of(body), user_of(body)) as c:
        now = c.svc.clock.now()
        result = reschedule.cancel(c.repo, c.person, int(meta.get("meeting_id", 0)), reason, now, c.svc.hours)
        if isinstance(result, checkin.Refused):
            ack(response_action="errors", errors={"reason": notice(result.reason, c.t)})
            return
        enqueue(c.repo, result.planned, now)
        c.commit()
        ack()
        origin = trusted_origin(c, meta, f"meeting:{meta.get('meeting_id')}")
        user = result.ctx.employee.slack_user_id
        text = (
            c.t._(
                "Cancelled the 1:1 with <@{user}>. Both of you get the cancellation for your calendars. "
                "I will remind you at the next 1:1.",
                user=user,
            )
            if result.moved
            else c.t._("Skipped the 1:1 with <@{user}> this time. I will remind you at the next one.", user=user)
        )
    _update_origin(client, origin, text)
    c.svc.kick()


# --- employee: preparation ---------------------------------------------------------------------------------


def render_reply(reply: checkin.Reply, c: Caller) -> tuple[list[dict[str, Any]], str]:
    ctx = None if isinstance(reply, checkin.Refused) else checkin.context(c.repo, reply.meeting_id)
    label = _label(c, ctx) if ctx is not None else ""
    if isinstance(reply, checkin.Prompt):
        s = c.svc.settings
        prompt = views.prompt(reply, c.t, s.mal_care_text, s.mal_salary_criteria_url, label)
        return prompt, c.t._(reply.question.text)
    if isinstance(reply, checkin.Summary):
        tpl = template(ctx.meeting.template) if ctx is not None else None
        return views.summary(reply, c.t, tpl, label), c.t._("Your preparation")
    if isinstance(reply, checkin.Paused):
        return views.paused(reply, c.t, label), c.t._("Paused")
    text = notice(reply.reason, c.t)
    return views.note(text), text


def on_prep_start(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext, client: WebClient
) -> None:
    ack()
    with caller(context, client, team_of(body), user_of(body)) as c:
        reply = checkin.start(c.repo, c.person, _meeting_id(action), c.svc.clock.now())
        blocks, text = render_reply(reply, c)
    _dm(client, c, blocks, text)


def on_prep_form_open(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext, client: WebClient, respond: Respond
) -> None:
    ack()
    with caller(context, client, team_of(body), user_of(body)) as c:
        ctx = _meeting_or_refuse(c, respond, _meeting_id(action), "employee")
        if ctx is None or ctx.meeting.id is None:
            return
        if ctx.meeting.status != "invited":
            _refuse(c, respond, "closed")
            return
        s = c.svc.settings
        answers = checkin.answers_of(c.repo, ctx.meeting.id)
        form = views.prep_form(ctx, answers, c.t, s.mal_care_text, s.mal_salary_criteria_url)
        client.views_open(trigger_id=body["trigger_id"], view=form)


def on_prep_form_submit(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext, client: WebClient
) -> None:
    meta = json.loads(view.get("private_metadata") or "{}")
    answers, choices = views.form_values(view["state"]["values"])
    with caller(context, client, team_of(body), user_of(body)) as c:
        reply = checkin.save_form(c.repo, c.person, int(meta.get("meeting_id", 0)), answers, c.svc.clock.now(), choices)
        if isinstance(reply, checkin.Refused):
            first = next(iter(view["state"]["values"]), "")
            ack(response_action="errors", errors={first: notice(reply.reason, c.t)})
            return
        ack()
        blocks, text = render_reply(reply, c)
    _dm(client, c, blocks, text)


def on_prep_share(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext, client: WebClient, respond: Respond
) -> None:
    ack()
    with caller(context, client, team_of(body), user_of(body)) as c:
        reply = checkin.share(c.repo, c.person, _meeting_id(action), c.svc.clock.now())
        if isinstance(reply, checkin.Refused):
            _refuse(c, respond, reply.reason)
            return
        blocks, text = render_reply(reply, c)
        c.commit()
        respond(replace_original=True, blocks=blocks, text=text)


def on_prep_share_sensitive(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext, client: WebClient, respond: Respond
) -> None:
    """One sensitive answer shared on its own: only this crosses over, and only when the employee says so."""
    ack()
    meeting_id, _, key = str(action.get("value", "")).partition(":")
    with caller(context, client, team_of(body), user_of(body)) as c:
        reply = (
            checkin.share_sensitive(c.repo, c.person, int(meeting_id), key, c.svc.clock.now())
            if meeting_id.isdigit()
            else checkin.Refused("not_found")
        )
        if isinstance(reply, checkin.Refused):
            _refuse(c, respond, reply.reason)
            return
        blocks, text = render_reply(reply, c)
        c.commit()
        respond(replace_original=True, blocks=blocks, text=text)


# --- after the meeting -----------------------------------------------------------------------------------


def on_agree_open(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext, client: WebClient, respond: Respond
) -> None:
    ack()
    with caller(context, client, team_of(body), user_of(body)) as c:
        ctx = _meeting_or_refuse(c, respond, _meeting_id(action))
        if ctx is None or ctx.meeting.id is None:
            return
        default_due = c.svc.today(c.person) + timedelta(days=30)
        plan = template(ctx.meeting.template).plan
        view = action_views.agree_modal(
            ctx.meeting.id,
            ctx.employee,
            c.t,
            default_due,
            plan,
            manager=ctx.manager,
            label=_label(c, ctx),
            allow_others=c.svc.settings.mal_allow_other_responsible,
        )
        client.views_open(trigger_id=body["trigger_id"], view=view)


def on_agree_submit(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext, client: WebClient
) -> None:
    meta = json.loads(view.get("private_metadata") or "{}")
    values = view["state"]["values"]
    with caller(context, client, team_of(body), user_of(body)) as c:
        ctx = checkin.context(c.repo, int(meta.get("meeting_id", 0)))
        if ctx is None or meeting_role(c.repo, c.person, ctx.meeting) is None:
            ack(response_action="errors", errors={"what_1": notice("not_yours", c.t)})
            return
        errors: dict[str, str] = {}
        rows = []
        today = c.svc.today(c.person)
        for n in range(1, action_views.AGREE_ROWS + 1):
            what = ((values.get(f"what_{n}") or {}).get("what") or {}).get("value") or ""
            if not what.strip():
                continue
            picked = (values.get(f"owner_{n}") or {}).get("owner") or {}
            owner_id = picked.get("selected_user") or (picked.get("selected_option") or {}).get("value")
            due_raw = ((values.get(f"due_{n}") or {}).get("due") or {}).get("selected_date")
            goal = ((values.get(f"goal_{n}") or {}).get("goal") or {}).get("value")
            follow_up = ((values.get(f"follow_{n}") or {}).get("follow") or {}).get("value")
            how = ((values.get(f"how_{n}") or {}).get("how") or {}).get("value")
            if how and how.strip():
                what = f"{what.strip()} — {how.strip()}"
            if not due_raw:
                errors[f"due_{n}"] = notice("date_missing", c.t)
                continue
            due = datetime.fromisoformat(due_raw).date()
            if due < today:
                errors[f"due_{n}"] = notice("past", c.t)
                continue
            rows.append((n, what, owner_id or ctx.employee.slack_user_id, due, goal, follow_up))
        if not rows and not errors:
            errors["what_1"] = notice("empty", c.t)
        if errors:
            ack(response_action="errors", errors=errors)
            return
        from bot import people

        added_ids: list[int] = []
        for n, what, owner_slack, due, goal, follow_up in rows:
            owner = people.ensure(c.repo, client, c.person.team_id, owner_slack, c.svc.clock.now())
            added = actions.add(
                c.repo,
                c.person,
                ctx.employee,
                what=what,
                due=due,
                owner=owner,
                now=c.svc.clock.now(),
                today=today,
                goal=goal,
                meeting_id=ctx.meeting.id,
                follow_up=follow_up,
                allow_others=c.svc.settings.mal_allow_other_responsible,
            )
            if isinstance(added, actions.Refused):
                c.repo.session.rollback()
                field = f"owner_{n}" if added.reason == "owner_not_allowed" else f"what_{n}"
                ack(response_action="errors", errors={field: notice(added.reason, c.t)})
                return
            added_ids.append(added.action.id or 0)
        assert ctx.meeting.id is not None
        # Both are asked to confirm the plan as it now stands: the seeds' signature, before it is archived.
        now = c.svc.clock.now()
        enqueue(c.repo, archive.ask_to_confirm(c.repo, ctx.meeting.id, now, c.svc.hours), now)
        c.commit()
        ack()
        label = _label(c, ctx)
        blocks = action_views.added(len(rows), c.t, label)
        planned = follow.recorded(c.repo, c.person, ctx, added_ids, c.svc.clock.now(), c.svc.hours)
        enqueue(c.repo, planned, c.svc.clock.now())
    _dm(client, c, blocks, c.t._("Agreed actions recorded"))
    c.svc.kick()


def on_held(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext, client: WebClient, respond: Respond
) -> None:
    """One of the two says the conversation was held: it counts as held from now (a season's count)."""
    ack()
    with caller(context, client, team_of(body), user_of(body)) as c:
        result = checkin.held(c.repo, c.person, _meeting_id(action), c.svc.clock.now())
        if isinstance(result, checkin.Refused):
            _refuse(c, respond, result.reason)
            return
        c.commit()
        respond(text=c.t._(":white_check_mark: Marked as held."), response_type="ephemeral", replace_original=False)


def on_evaluate_open(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext, client: WebClient, respond: Respond
) -> None:
    ack()
    with caller(context, client, team_of(body), user_of(body)) as c:
        ctx = _meeting_or_refuse(c, respond, _meeting_id(action))
        if ctx is None or ctx.meeting.id is None:
            return
        if c.person.id is not None and c.repo.evaluation(ctx.meeting.id, c.person.id) is not None:
            _refuse(c, respond, "already_evaluated")
            return
        client.views_open(trigger_id=body["trigger_id"], view=views.evaluation_modal(ctx, c.t, c.person))


def on_evaluate_submit(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext, client: WebClient
) -> None:
    meta = json.loads(view.get("private_metadata") or "{}")
    answers: dict[str, str] = {}
    for block_id, v in view["state"]["values"].items():
        if block_id.startswith("e_"):
            el = v.get("answer") or {}
            answers[block_id[2:]] = (el.get("selected_option") or {}).get("value") or el.get("value") or ""
    with caller(context, client, team_of(body), user_of(body)) as c:
        result = checkin.evaluate(c.repo, c.person, int(meta.get("meeting_id", 0)), answers, c.svc.clock.now())
        if isinstance(result, checkin.Refused):
            first = next(iter(view["state"]["values"]), "")
            ack(response_action="errors", errors={first: notice(result.reason, c.t)})
            return
        ack()
        text = c.t._("Thank you for the evaluation!") if result else notice("already_evaluated", c.t)
        ctx = checkin.context(c.repo, int(meta.get("meeting_id", 0)))
        if result and ctx is not None:
            # The second evaluation in: each of the two is shown the other's, once.
            planned = evaluations.plan_exchange(
                c.repo, ctx.meeting, ctx.manager, ctx.employee, c.svc.clock.now(), c.svc.hours
            )
            enqueue(c.repo, planned, c.svc.clock.now())
            c.commit()
    _dm(client, c, views.note(text), text)
    c.svc.kick()


def on_answer_open(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext, client: WebClient, respond: Respond
) -> None:
    """'Read the whole answer' under a cut answer in the brief or the summary."""
    ack()
    meeting_id, _, key = str(action.get("value", "")).partition(":")
    with caller(context, client, team_of(body), user_of(body)) as c:
        found = (
            checkin.whole_answer(c.repo, c.person, int(meeting_id), key)
            if meeting_id.isdigit()
            else checkin.Refused("not_found")
        )
        if isinstance(found, checkin.Refused):
            _refuse(c, respond, found.reason)
            return
        view = views.whole_answer_modal(found.question, found.answer, _label(c, found.ctx), c.t)
    client.views_open(trigger_id=body["trigger_id"], view=view)


# --- steps and choices clicked in the DM -----------------------------------------------------------------


def on_prep_choose(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext, client: WebClient, respond: Respond
) -> None:
    """A step of a rating or a choice clicked; a second click on the same step answers nothing."""
    ack()
    meeting_id, _, rest = str(action.get("value", "")).partition(":")
    index, _, value = rest.partition(":")
    with caller(context, client, team_of(body), user_of(body)) as c:
        if not meeting_id.isdigit() or not index.isdigit():
            _refuse(c, respond, "not_found")
            return
        reply = checkin.choose(c.repo, c.person, int(meeting_id), int(index), value, c.svc.clock.now())
        if reply is None:
            return
        if isinstance(reply, checkin.Refused):
            _refuse(c, respond, reply.reason)
            return
        blocks, text = render_reply(reply, c)
        c.commit()
    _dm(client, c, blocks, text)


# --- what each party keeps to themselves -----------------------------------------------------------------


def on_manager_prep_open(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext, client: WebClient, respond: Respond
) -> None:
    ack()
    with caller(context, client, team_of(body), user_of(body)) as c:
        prep = notes.manager_prep(c.repo, c.person, _meeting_id(action))
        if isinstance(prep, checkin.Refused):
            _refuse(c, respond, prep.reason)
            return
        url = c.svc.settings.mal_salary_criteria_url
        client.views_open(trigger_id=body["trigger_id"], view=views.manager_prep_modal(prep, c.t, url))


def on_manager_prep_submit(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext, client: WebClient
) -> None:
    meta = json.loads(view.get("private_metadata") or "{}")
    answers, choices = views.form_values(view["state"]["values"])
    with caller(context, client, team_of(body), user_of(body)) as c:
        result = notes.save_manager_prep(
            c.repo, c.person, int(meta.get("meeting_id", 0)), answers, choices, c.svc.clock.now()
        )
        if isinstance(result, checkin.Refused):
            first = next(iter(view["state"]["values"]), "")
            ack(response_action="errors", errors={first: notice(result.reason, c.t)})
            return
        ack()
        text = c.t._("Saved. Only you see your own preparation.")
    _dm(client, c, views.note(text), text)


def on_note_open(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext, client: WebClient, respond: Respond
) -> None:
    ack()
    with caller(context, client, team_of(body), user_of(body)) as c:
        own = notes.notes(c.repo, c.person, _meeting_id(action))
        if isinstance(own, checkin.Refused):
            _refuse(c, respond, own.reason)
            return
        assert own.ctx.meeting.id is not None
        view = views.notes_modal(own.ctx.meeting.id, own.text, c.t, own.form, own.reflections, _label(c, own.ctx))
        client.views_open(trigger_id=body["trigger_id"], view=view)


def on_note_submit(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext, client: WebClient
) -> None:
    meta = json.loads(view.get("private_metadata") or "{}")
    values = view["state"]["values"]
    text = ((values.get("note") or {}).get("note") or {}).get("value") or ""
    reflections = {
        block[len("reflect_") :]: (v.get("reflect") or {}).get("value") or ""
        for block, v in values.items()
        if block.startswith("reflect_")
    }
    with caller(context, client, team_of(body), user_of(body)) as c:
        meeting_id = int(meta.get("meeting_id", 0))
        result = notes.save_notes(c.repo, c.person, meeting_id, text, c.svc.clock.now(), reflections)
        if isinstance(result, checkin.Refused):
            ack(response_action="errors", errors={"note": notice(result.reason, c.t)})
            return
        ack()

"""The 1:1 itself: the manager's invitation, the employee's preparation in the DM, sharing, evaluation.

The preparation is a small state machine kept on the meeting row (``prep_status``, ``prep_cursor``), so
a conversation interrupted by ``stop``, by the night, or by a restart resumes where it left off.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

from flows import cadence, calendar, season, senior
from flows.access import meeting_role
from flows.i18n import LANGUAGES, N_, translator
from flows.outbox import Planned, plan_for
from flows.templates import Question, menu_question, option_keys, parse_answer, template
from storage.models import Meeting, Pairing, Person
from storage.repo import Repo

# The dialogue's command words: each is shown in the reader's language (the catalog translates the English
# word) and accepted in any of the four, with the synonyms below; a command word is never stored as an answer.
COMMAND_WORDS = {"skip": N_("skip"), "back": N_("back"), "stop": N_("stop"), "start": N_("start")}
SYNONYMS = {
    "skip": ("skip", "hopp", "hopp over", "hoppa", "hoppa över", "neste", "nästa", "next"),
    "back": ("back", "tilbake", "tillbaka", "forrige", "førre", "föregående", "previous"),
    "stop": ("stop", "stopp", "pause", "paus", "pausa", "avbryt", "slutt", "pause nå"),
    "start": ("start", "resume", "fortsett", "fortsätt", "hald fram", "begynn", "byrj", "börja"),
}


@cache
def command_words(command: str) -> frozenset[str]:
    """Every way of saying a dialogue command in nb, nn, sv and en."""
    said = {translator(lang)._(COMMAND_WORDS[command]).lower() for lang in LANGUAGES}
    return frozenset(said | set(SYNONYMS[command]))


def command_of(text: str) -> str | None:
    """'skip', 'back', 'stop' or 'start' when the message is one of their words (in any language), else None."""
    word = " ".join(text.strip().lower().rstrip(".!").split())
    return next((name for name in COMMAND_WORDS if word in command_words(name)), None)


MAX_ANSWER = 3000


@dataclass(frozen=True)
class Refused:
    reason: str


@dataclass(frozen=True)
class MeetingContext:
    meeting: Meeting
    pairing: Pairing
    manager: Person
    employee: Person


def context(repo: Repo, meeting_id: int) -> MeetingContext | None:
    meeting = repo.meeting(meeting_id)
    if meeting is None:
        return None
    pairing = repo.pairing(meeting.pairing_id)
    if pairing is None:
        return None
    people = repo.people([pairing.manager_id, pairing.employee_id])
    return MeetingContext(meeting, pairing, people[pairing.manager_id], people[pairing.employee_id])


def questions(meeting: Meeting) -> list[Question]:
    """The employee's preparation questions: the template's (only those the manager chose, when the template
    lets the manager choose), then the manager's additions from the question menu."""
    tpl = template(meeting.template)
    prep = list(tpl.employee_prep)
    if tpl.manager_picks and meeting.chosen_questions is not None:
        chosen = set(json.loads(meeting.chosen_questions))
        pickable = {q.key for q in tpl.pickable}
        prep = [q for q in prep if q.key not in pickable or q.key in chosen]
    extra = [
        q for key in json.loads(meeting.extra_questions or "[]") if (q := menu_question(key) or senior.borrowed(key))
    ]
    return prep + extra


def last_chosen(repo: Repo, meeting: Meeting) -> list[str] | None:
    """The questions chosen for this conversation, or else for the pair's last one: a manager who found a good
    set keeps it without choosing again."""
    if meeting.chosen_questions is not None:
        return list(json.loads(meeting.chosen_questions))
    earlier = [
        m
        for m in repo.meetings_of_pairings([meeting.pairing_id])
        if m.chosen_questions is not None and m.template == meeting.template and m.id != meeting.id
    ]
    return list(json.loads(earlier[-1].chosen_questions or "[]")) if earlier else None


# --- the manager's side -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Invited:
    ctx: MeetingContext
    planned: tuple[Planned, ...]


def check_time(repo: Repo, meeting: Meeting, when: datetime, now: datetime, tz: str) -> str | None:
    """Why ``meeting`` cannot be at ``when``, or None. The one rule for every new time of a meeting: the
    invitation, the manager's change, the employee's proposal and its acceptance all ask here."""
    if when <= now:
        return "past"
    # a season's conversation: at least a week to prepare, and by the deadline
    return season.check_invite(repo, meeting, when, now, tz)


def follow_ups(ctx: MeetingContext, when: datetime, now: datetime, hours: cadence.WorkingHours) -> list[Planned]:
    """What follows from the meeting's time: one gentle reminder two working days before (sent only if the
    employee has not prepared by then), the manager's brief the working day before, and after the meeting the
    question of what was agreed plus the evaluation. Keys carry the meeting time, so moving the meeting plans
    anew and the old rows are dropped as stale when their time comes."""
    meeting = ctx.meeting
    assert meeting.id is not None
    stamp = when.strftime("%Y%m%dT%H%M")
    payload = {"meeting_id": meeting.id, "scheduled_at": when.isoformat()}
    emp, mgr = ctx.employee, ctx.manager
    emp_country = cadence.country_for(emp.tz, hours.country)
    mgr_country = cadence.country_for(mgr.tz, hours.country)
    local_day = when.astimezone(ZoneInfo(emp.tz or "Europe/Oslo")).date()
    remind_day = cadence.working_days_before(local_day, 2, emp_country)
    brief_day = cadence.working_days_before(when.astimezone(ZoneInfo(mgr.tz or "Europe/Oslo")).date(), 1, mgr_country)
    duration = timedelta(minutes=template(meeting.template).duration_minutes)

    def morning(day: object, person: Person) -> datetime:
        return datetime.combine(day, hours.start, tzinfo=ZoneInfo(person.tz or "Europe/Oslo"))  # type: ignore[arg-type]

    return [
        plan_for(
            emp,
            f"prep-reminder:{meeting.id}:{stamp}",
            "prep_reminder",
            payload,
            max(morning(remind_day, emp), now),
            hours,
        ),
        plan_for(mgr, f"brief:{meeting.id}:{stamp}", "brief", payload, max(morning(brief_day, mgr), now), hours),
        plan_for(emp, f"followup:{meeting.id}:{stamp}:{emp.id}", "followup", payload, when + duration, hours),
        plan_for(mgr, f"followup:{meeting.id}:{stamp}:{mgr.id}", "followup", payload, when + duration, hours),
    ]


def invite(
    repo: Repo,
    manager: Person,
    meeting_id: int,
    *,
    when: datetime,
    place: str,
    extra_questions: list[str],
    special_topics: str,
    now: datetime,
    hours: cadence.WorkingHours,
    chosen: list[str] | None = None,
) -> Invited | Refused:
    """Fix time and place, and plan everything that follows from it.

    Planned: the calendar event for both of the pair, the invitation now, the manager's own preparation when
    the template has one, and the ``follow_ups`` of the meeting's time.
    """
    ctx = context(repo, meeting_id)
    if ctx is None:
        return Refused("not_found")
    if meeting_role(repo, manager, ctx.meeting) != "manager":
        return Refused("not_yours")
    if ctx.meeting.status in ("held", "skipped"):
        return Refused("closed")
    if (wrong := check_time(repo, ctx.meeting, when, now, manager.tz or "Europe/Oslo")) is not None:
        return Refused(wrong)
    if any(menu_question(k) is None for k in extra_questions):
        return Refused("unknown_question")
    tpl = template(ctx.meeting.template)
    if tpl.manager_picks:
        # 004: the manager chooses which questions go with this invitation; the employee prepares only those.
        if not chosen:
            return Refused("choose_questions")
        if not set(chosen) <= {q.key for q in tpl.pickable}:
            return Refused("unknown_question")
    meeting = ctx.meeting
    if meeting.status == "invited":
        meeting.calendar_sequence += 1  # invited again: the calendars update the event they have
    meeting.scheduled_at = when
    meeting.place = place.strip()[:500] or None
    # 004: from 58 the senior measures are a topic of the yearly conversation, asked of the employee.
    measures = senior.measure_questions(meeting.template, ctx.employee.birth_year, when.year)
    meeting.extra_questions = json.dumps([*extra_questions, *measures])
    if tpl.manager_picks:
        meeting.chosen_questions = json.dumps(list(dict.fromkeys(chosen or ())))
    meeting.special_topics = special_topics.strip()[:3000] or None
    meeting.status = "invited"
    meeting.proposed_at = meeting.proposal_note = None
    repo.add(meeting)
    assert meeting.id is not None
    stamp = when.strftime("%Y%m%dT%H%M")
    payload = {"meeting_id": meeting.id, "scheduled_at": when.isoformat()}
    emp, mgr = ctx.employee, ctx.manager
    # The calendar file goes first, so the invitation with its buttons is the newest message in the DM.
    planned = [
        *calendar.plan(ctx, calendar.REQUEST, now, hours),
        plan_for(emp, f"invite:{meeting.id}:{stamp}", "invite", payload, now, hours),
        *follow_ups(ctx, when, now, hours),
    ]
    if template(meeting.template).manager_prep:
        # The manager's own preparation goes to the manager alone, once per meeting however often it moves.
        planned.append(plan_for(mgr, f"manager-prep:{meeting.id}", "manager_prep", payload, now, hours))
    if meeting.prep_status == "not_started":
        meeting.prep_status = "invited"
    return Invited(ctx, tuple(planned))


def skip(repo: Repo, manager: Person, meeting_id: int, reason: str) -> MeetingContext | Refused:
    ctx = context(repo, meeting_id)
    if ctx is None:
        return Refused("not_found")
    if meeting_role(repo, manager, ctx.meeting) != "manager":
        return Refused("not_yours")
    if not reason.strip():
        return Refused("empty")
    if ctx.meeting.status == "skipped":
        return ctx
    ctx.meeting.status = "skipped"
    ctx.meeting.skip_reason = reason.strip()[:3000]
    repo.add(ctx.meeting)
    return ctx


def snooze(
    repo: Repo, manager: Person, meeting_id: int, now: datetime, hours: cadence.WorkingHours
) -> Planned | Refused:
    """Ask again in a week; the key holds the new date, so a double click plans one reminder, and a later
    snooze overtakes an earlier one (only the newest ``snoozed_until`` is sent): reminders never stack."""
    ctx = context(repo, meeting_id)
    if ctx is None:
        return Refused("not_found")
    if meeting_role(repo, manager, ctx.meeting) != "manager":
        return Refused("not_yours")
    if ctx.meeting.status != "planned":
        return Refused("closed")
    later = now + timedelta(days=7)
    ctx.meeting.snoozed_until = later
    repo.add(ctx.meeting)
    return plan_for(
        manager,
        f"nudge:{meeting_id}:snooze:{later.date().isoformat()}",
        "nudge",
        {"meeting_id": meeting_id, "snoozed_until": later.isoformat()},
        later,
        hours,
    )


# --- the employee's preparation ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    """What was answered to one question: the text, and for a rated or chosen question the step or choice."""

    text: str = ""
    choice: str | None = None

    def __bool__(self) -> bool:
        return bool(self.text or self.choice)


@dataclass(frozen=True)
class Prompt:
    meeting_id: int
    index: int
    total: int
    question: Question
    answer: Answer | None
    # True once a rated question has its step and waits for the reason.
    asking_reason: bool = False
    # True when a typed answer named none of the steps or choices.
    unclear: bool = False


@dataclass(frozen=True)
class Summary:
    meeting_id: int
    items: tuple[tuple[Question, Answer], ...]
    shared: bool
    sensitive_shared: frozenset[str] = frozenset()  # sensitive answers the employee shared on their own


@dataclass(frozen=True)
class Paused:
    meeting_id: int
    answered: int
    total: int


Reply = Prompt | Summary | Paused | Refused
Translate = Callable[[str], str]


def _employee_meeting(repo: Repo, employee: Person, meeting_id: int) -> Meeting | Refused:
    meeting = repo.meeting(meeting_id)
    if meeting is None:
        return Refused("not_found")
    if meeting_role(repo, employee, meeting) != "employee":
        return Refused("not_yours")
    if meeting.status != "invited":
        return Refused("closed")
    return meeting


def answers_of(repo: Repo, meeting_id: int) -> dict[str, Answer]:
    return {k: Answer(r.text, r.choice) for k, r in repo.answer_rows(meeting_id).items()}


def _prompt(repo: Repo, meeting: Meeting, *, unclear: bool = False) -> Prompt | Summary:
    qs = questions(meeting)
    assert meeting.id is not None
    if meeting.prep_cursor >= len(qs):
        meeting.prep_status = "review"
        repo.add(meeting)
        return summary(repo, meeting)
    q = qs[meeting.prep_cursor]
    return Prompt(
        meeting.id,
        meeting.prep_cursor,
        len(qs),
        q,
        answers_of(repo, meeting.id).get(q.key),
        asking_reason=meeting.prep_status == "reason",
        unclear=unclear,
    )


def summary(repo: Repo, meeting: Meeting) -> Summary:
    assert meeting.id is not None
    rows = repo.answer_rows(meeting.id)
    answers = answers_of(repo, meeting.id)
    items = tuple((q, a) for q in questions(meeting) if (a := answers.get(q.key)))
    apart = frozenset(q.key for q, _ in items if q.sensitive and rows[q.key].shared_at is not None)
    return Summary(meeting.id, items, shared=meeting.prep_shared_at is not None, sensitive_shared=apart)


def shared_items(repo: Repo, meeting: Meeting) -> tuple[tuple[Question, Answer], ...]:
    """What the manager may read: the answers shared together, without a sensitive answer, which crosses
    over only when the employee shares it on its own (004: the harassment question)."""
    s = summary(repo, meeting)
    return tuple(
        (q, a)
        for q, a in s.items
        if (q.sensitive and q.key in s.sensitive_shared) or (not q.sensitive and meeting.prep_shared_at is not None)
    )


def share_sensitive(repo: Repo, employee: Person, meeting_id: int, key: str, now: datetime) -> Summary | Refused:
    """The employee shares one sensitive answer with the manager, on its own."""
    meeting = _employee_meeting(repo, employee, meeting_id)
    if isinstance(meeting, Refused):
        return meeting
    assert meeting.id is not None
    q = next((q for q in questions(meeting) if q.key == key and q.sensitive), None)
    row = repo.answer_rows(meeting.id).get(key)
    if q is None or row is None:
        return Refused("not_found")
    if row.shared_at is None:
        row.shared_at = now
        repo.add(row)
    return summary(repo, meeting)


def start(repo: Repo, employee: Person, meeting_id: int, now: datetime) -> Reply:
    """Begin or resume preparing in the DM, at the first unanswered question."""
    meeting = _employee_meeting(repo, employee, meeting_id)
    if isinstance(meeting, Refused):
        return meeting
    if meeting.scheduled_at is not None and meeting.scheduled_at <= now:
        return Refused("too_late")
    assert meeting.id is not None
    if meeting.prep_status in ("not_started", "invited") or meeting.prep_status in ("review", "shared"):
        meeting.prep_cursor = 0
    meeting.prep_status = "in_progress"
    repo.add(meeting)
    return _prompt(repo, meeting)


def on_message(
    repo: Repo, employee: Person, text: str, now: datetime, translate: Translate | None = None
) -> Reply | None:
    """A DM from the employee: an answer, or skip/back/stop. None when it belongs to no preparation.

    A rated or chosen question takes the step by number, key or label in the reader's language
    ("2", "bra", "mycket bra"), with the reason after it or, when the template wants one, in the next message.
    """
    command = command_of(text)
    meeting = repo.preparing_meeting_of(employee.id or 0)
    if meeting is None:
        if command == "start":
            paused = _resumable(repo, employee)
            if paused is not None and paused.id is not None:
                return start(repo, employee, paused.id, now)
        return None
    assert meeting.id is not None
    if meeting.scheduled_at is not None and meeting.scheduled_at <= now:
        return Refused("too_late")
    if meeting.prep_status == "review":
        if command == "back":
            meeting.prep_status = "in_progress"
            meeting.prep_cursor = max(0, len(questions(meeting)) - 1)
            repo.add(meeting)
            return _prompt(repo, meeting)
        return summary(repo, meeting)
    qs = questions(meeting)
    if command == "stop":
        meeting.prep_status = "paused"
        repo.add(meeting)
        return Paused(meeting.id, len(repo.answers(meeting.id)), len(qs))
    q = qs[min(meeting.prep_cursor, len(qs) - 1)]
    if meeting.prep_status == "reason":
        meeting.prep_status = "in_progress"
        if command == "back":
            pass  # back to the steps of the same question, to choose again
        elif command == "skip":
            meeting.prep_cursor += 1
        elif command == "start":
            meeting.prep_status = "reason"
        elif text.strip():
            if len(text) > MAX_ANSWER:
                return Refused("too_long")
            chosen = answers_of(repo, meeting.id).get(q.key)
            repo.save_answer(meeting.id, q.key, text.strip(), now, choice=chosen.choice if chosen else None)
            meeting.prep_cursor += 1
        repo.add(meeting)
        return _prompt(repo, meeting)
    if command == "back":
        meeting.prep_cursor = max(0, meeting.prep_cursor - 1)
    elif command == "skip":
        meeting.prep_cursor += 1
    elif command == "start":
        pass  # already going: the same question again, and the word is not taken as an answer
    else:
        if len(text) > MAX_ANSWER:
            return Refused("too_long")
        if not text.strip():
            return _prompt(repo, meeting)
        if q.kind in ("rating", "choice"):
            parsed = parse_answer(q, text, translate)
            if parsed is None:
                return _prompt(repo, meeting, unclear=True)
            value, reason = parsed
            repo.save_answer(meeting.id, q.key, reason, now, choice=value)
            if q.with_reason and not reason:
                meeting.prep_status = "reason"
            else:
                meeting.prep_cursor += 1
        else:
            repo.save_answer(meeting.id, q.key, text.strip(), now)
            meeting.prep_cursor += 1
    repo.add(meeting)
    return _prompt(repo, meeting)


def choose(repo: Repo, employee: Person, meeting_id: int, index: int, value: str, now: datetime) -> Reply | None:
    """A step or a choice clicked on a question's buttons. None when it changes nothing (a double click)."""
    meeting = _employee_meeting(repo, employee, meeting_id)
    if isinstance(meeting, Refused):
        return meeting
    if meeting.scheduled_at is not None and meeting.scheduled_at <= now:
        return Refused("too_late")
    assert meeting.id is not None
    qs = questions(meeting)
    if not 0 <= index < len(qs) or value not in option_keys(qs[index]):
        return Refused("not_found")
    q = qs[index]
    before = answers_of(repo, meeting.id).get(q.key)
    current = index == meeting.prep_cursor and meeting.prep_status in ("in_progress", "reason", "paused")
    if before is not None and before.choice == value and not (current and meeting.prep_status != "reason"):
        return None
    reason = before.text if before is not None else ""
    repo.save_answer(meeting.id, q.key, reason, now, choice=value)
    if current:
        if q.with_reason and not reason:
            meeting.prep_status = "reason"
        else:
            meeting.prep_status = "in_progress"
            meeting.prep_cursor += 1
        repo.add(meeting)
    return _prompt(repo, meeting) if meeting.prep_status != "review" else summary(repo, meeting)


def _resumable(repo: Repo, employee: Person) -> Meeting | None:
    pairing = repo.active_pairing_of(employee.id or 0)
    if pairing is None or pairing.id is None:
        return None
    candidates = [
        m
        for m in repo.meetings_of_pairings([pairing.id])
        if m.status == "invited" and m.prep_status in ("paused", "invited", "not_started")
    ]
    return candidates[-1] if candidates else None


def save_form(
    repo: Repo,
    employee: Person,
    meeting_id: int,
    answers: dict[str, str],
    now: datetime,
    choices: dict[str, str] | None = None,
) -> Summary | Refused:
    """The same questions answered in a modal; empty fields clear nothing that was said in the DM.

    ``choices`` holds the step or choice picked for rated and chosen questions; ``answers`` their reasons.
    """
    meeting = _employee_meeting(repo, employee, meeting_id)
    if isinstance(meeting, Refused):
        return meeting
    if meeting.scheduled_at is not None and meeting.scheduled_at <= now:
        return Refused("too_late")
    assert meeting.id is not None
    picked = choices or {}
    before = answers_of(repo, meeting.id)
    for q in questions(meeting):
        text = (answers.get(q.key) or "").strip()
        if len(text) > MAX_ANSWER:
            return Refused("too_long")
        value = picked.get(q.key)
        if value is not None and value not in option_keys(q):
            return Refused("not_found")
        old = before.get(q.key)
        choice = value or (old.choice if old else None)
        if text or value:
            repo.save_answer(meeting.id, q.key, text or (old.text if old else ""), now, choice=choice)
    meeting.prep_status = "review"
    meeting.prep_cursor = len(questions(meeting))
    repo.add(meeting)
    return summary(repo, meeting)


def share(repo: Repo, employee: Person, meeting_id: int, now: datetime) -> Summary | Refused:
    meeting = _employee_meeting(repo, employee, meeting_id)
    if isinstance(meeting, Refused):
        return meeting
    assert meeting.id is not None
    if not repo.answers(meeting.id):
        return Refused("empty")
    if meeting.prep_shared_at is None:
        meeting.prep_shared_at = now
    meeting.prep_status = "shared"
    repo.add(meeting)
    return summary(repo, meeting)


@dataclass(frozen=True)
class WholeAnswer:
    ctx: MeetingContext
    question: Question
    answer: Answer


def whole_answer(repo: Repo, viewer: Person, meeting_id: int, key: str) -> WholeAnswer | Refused:
    """One answer in full: for the employee who wrote it, and for the nearest manager once it is shared."""
    ctx = context(repo, meeting_id)
    role = meeting_role(repo, viewer, ctx.meeting) if ctx is not None else None
    if ctx is None or role is None:
        return Refused("not_yours")
    if role == "manager" and ctx.meeting.prep_shared_at is None:
        return Refused("not_yours")
    question = next((q for q in questions(ctx.meeting) if q.key == key), None)
    answer = answers_of(repo, meeting_id).get(key)
    if question is None or not answer:
        return Refused("not_found")
    return WholeAnswer(ctx, question, answer)


# --- after the meeting ----------------------------------------------------------------------------------


def evaluate(repo: Repo, person: Person, meeting_id: int, answers: dict[str, str], now: datetime) -> bool | Refused:
    """Store one evaluation per person and meeting; False when it was already given."""
    meeting = repo.meeting(meeting_id)
    if meeting is None:
        return Refused("not_found")
    if meeting_role(repo, person, meeting) is None:
        return Refused("not_yours")
    assert person.id is not None
    keys = {q.key for q in template(meeting.template).evaluation}
    clean = {k: v.strip()[:3000] for k, v in answers.items() if k in keys and v and v.strip()}
    if not clean:
        return Refused("empty")
    record_held(repo, meeting, now)  # an evaluated conversation has been held
    return repo.save_evaluation(meeting_id, person.id, clean, now)


def brief_missed(repo: Repo, meeting: Meeting) -> bool:
    """The manager's brief of this meeting was planned but never sent (still waiting, or dropped)."""
    statuses = repo.outbox_statuses(f"brief:{meeting.id}:")
    return bool(statuses) and "sent" not in statuses


def held(repo: Repo, person: Person, meeting_id: int, now: datetime) -> MeetingContext | Refused:
    """One of the two says the conversation was held: from then on it counts as held (a season's count, the
    pause of the regular nudges). Recording what was agreed, evaluating or confirming the plan says it too."""
    ctx = context(repo, meeting_id)
    if ctx is None:
        return Refused("not_found")
    if meeting_role(repo, person, ctx.meeting) is None:
        return Refused("not_yours")
    if ctx.meeting.status == "skipped" or ctx.meeting.scheduled_at is None or ctx.meeting.scheduled_at > now:
        return Refused("not_held_yet")
    record_held(repo, ctx.meeting, now)
    return ctx


def record_held(repo: Repo, meeting: Meeting, now: datetime) -> None:
    if meeting.held_at is None:
        meeting.held_at = now
        repo.add(meeting)


def mark_held(repo: Repo, meeting: Meeting, now: datetime) -> None:
    if meeting.status == "invited" and meeting.scheduled_at is not None and meeting.scheduled_at <= now:
        meeting.status = "held"
        repo.add(meeting)

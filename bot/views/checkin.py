"""How the 1:1 looks in Slack: the manager's nudge and invitation modal, the employee's invitation and
preparation in the DM, the manager's brief, and the questions after the meeting."""

import json
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.views import meeting as meeting_views
from bot.views.blocks import (
    Block,
    actions,
    button,
    clip,
    context,
    divider,
    escape,
    header,
    input_block,
    modal,
    option,
    plain,
    section,
    static_select,
    text_input,
)
from flows import cadence, slots
from flows.actions import ActionItem
from flows.checkin import COMMAND_WORDS, Answer, MeetingContext, Paused, Prompt, Summary, questions
from flows.evaluations import Other
from flows.i18n import N_, Translator
from flows.notes import ManagerPrep, Theme
from flows.templates import (
    Question,
    Template,
    conversation_title,
    option_keys,
    option_label,
    question_menu,
    template,
)
from storage.models import Meeting, Person


def words(t: Translator) -> dict[str, str]:
    """The dialogue's command words in the reader's language, for the hints that name them."""
    return {name: t._(word) for name, word in COMMAND_WORDS.items()}


def _q(q: Question, t: Translator) -> str:
    return t._(q.text)


def button_row(block_id: str, *buttons: dict[str, Any]) -> Block:
    """The row under a message: the first button is the one we hope for, the others are the alternatives."""
    row = list(buttons)
    if row and "style" not in row[0]:
        row[0] = {**row[0], "style": "primary"}
    return actions(row, block_id=block_id)


def care(q: Question, t: Translator, override: str | None = None) -> str:
    """Who sees a sensitive answer and where else to turn; the organisation's own text wins when it has one."""
    if not q.sensitive:
        return ""
    return override.strip() if override and override.strip() else t._(q.care_text)


def criteria(q: Question, t: Translator, url: str | None = None) -> list[str]:
    """A rated criterion's key (003's "kriterienyckel"): what each level can look like, and where the salary
    criteria it is rated by are, when the organisation has said so."""
    lines = [
        f"{n}. *{escape(t._(s.text))}*: {escape(t._(text))}" for n, (s, text) in enumerate(q.level_descriptions(), 1)
    ]
    if q.salary_criteria and url:
        lines.append(t._("Rate with the salary criteria: <{url}|the salary criteria>", url=url))
    return lines


def answer_text(q: Question, a: Answer, t: Translator) -> str:
    """An answer as the reader sees it: the step or choice in their language, then the reason."""
    parts = []
    if a.choice:
        parts.append(f"*{escape(t._(option_label(q, a.choice)))}*")
    if a.text:
        parts.append(escape(a.text))
    return " — ".join(parts)


def _chunks(lines: list[str], limit: int = 2900, sep: str = "\n\n") -> list[str]:
    """Lines packed into as few section texts as fit Slack's 3000 characters, leaving room for a title."""
    out: list[str] = []
    for line in lines:
        line = clip(line, limit)
        if out and len(out[-1]) + len(sep) + len(line) <= limit:
            out[-1] += sep + line
        else:
            out.append(line)
    return out or [""]


ANSWER_SHOWN = 700  # characters of one answer shown in a list; the rest is one click away


def answer_blocks(
    tpl: Template,
    items: list[tuple[Question, Answer]],
    t: Translator,
    *,
    limit: int = 30,
    meeting_id: int | None = None,
) -> list[Block]:
    """Answers grouped under the template's sections (in the template's order), the rest first.

    A long answer is cut with '…' and gets a button that opens the whole of it (``meeting_id`` given)."""
    by_key = {q.key: (q, a) for q, a in items}
    in_sections = {q.key for s in tpl.sections for q in s.questions}
    groups: list[tuple[str, list[tuple[Question, Answer]]]] = [
        ("", [(q, a) for q, a in items if q.key not in in_sections])
    ]
    groups += [(t._(s.title), [by_key[q.key] for q in s.questions if q.key in by_key]) for s in tpl.sections]
    blocks: list[Block] = []
    for title, rows in groups:
        if not rows:
            continue
        pending: list[str] = [f"*{escape(title)}*"] if title else []
        for q, a in rows:
            whole = answer_text(q, a, t)
            line = f"_{escape(_q(q, t))}_\n{clip(whole, ANSWER_SHOWN)}"
            if len(whole) <= ANSWER_SHOWN or meeting_id is None:
                pending.append(line)
                continue
            blocks += [section(c) for c in _chunks(["\n\n".join(pending)])] if pending else []
            pending = []
            more = button(t._("Read the whole answer"), "answer_open", f"{meeting_id}:{q.key}")
            blocks.append(section(line, accessory=more, block_id=f"answer:{meeting_id}:{q.key}"))
        if pending:
            blocks += [section(c) for c in _chunks(pending)]
    return blocks[:limit]


def whole_answer_modal(q: Question, a: Answer, label: str, t: Translator) -> dict[str, Any]:
    """One answer in full, in as many sections as it takes."""
    text = answer_text(q, a, t)
    parts = [text[i : i + 2900] for i in range(0, len(text), 2900)] or [""]
    blocks: list[Block] = [context(label), section(f"*{escape(_q(q, t))}*"), *[section(p) for p in parts]]
    return modal("answer_view", t._("The whole answer"), blocks, submit=None, close=t._("Close"))


def _tz(tz: str | None) -> str:
    return tz or "Europe/Oslo"


def nudge(ctx: MeetingContext, t: Translator, missed: Meeting | None = None) -> list[Block]:
    """``missed``: the pair's previous window, when it closed with no meeting — said once more, here."""
    assert ctx.meeting.window_start is not None and ctx.meeting.id is not None
    week = meeting_views.week_of(ctx.meeting, _tz(ctx.manager.tz))
    mid = str(ctx.meeting.id)
    lapse = []
    if missed is not None and missed.window_start is not None:
        text = (
            N_(":warning: The previous 1:1 with <@{user}> ({when}) did not take place.")
            if missed.status == "missed"
            else N_(":warning: The previous 1:1 with <@{user}> ({when}) has not been held yet.")
        )
        when = meeting_views.when(missed, t, ctx.manager.tz)
        lapse.append(context(t._(text, user=ctx.employee.slack_user_id, when=when)))
    return [
        section(
            t._(
                ":calendar: Time for your 1:1 with <@{user}>. Suggested: the week of {day}.",
                user=ctx.employee.slack_user_id,
                day=t.day(week),
            )
        ),
        *lapse,
        context(t._("Invite 7–10 days ahead, so there is time to prepare.")),
        actions(
            [
                button(t._("Send invitation"), "meeting_invite_open", mid, style="primary"),
                button(t._("Skip this time"), "meeting_skip_open", mid),
                button(t._("Remind me in a week"), "meeting_snooze", mid),
            ],
            block_id=f"nudge:{mid}",
        ),
    ]


def invite_modal(
    ctx: MeetingContext,
    t: Translator,
    origin: dict[str, Any],
    *,
    initial_day: date | None = None,
    lead: list[Block] | None = None,
    picked: list[str] | None = None,
    title: str | None = None,
    suggested: datetime | None = None,
) -> dict[str, Any]:
    """``suggested`` is the slot planner's time (shown in the manager's zone, and in the employee's when it
    differs); ``initial_day`` and ``lead`` let a season's conversation suggest its own date and say what it is;
    ``picked`` are the questions chosen last time, for a template whose manager chooses them."""
    assert ctx.meeting.window_start is not None
    zone = ZoneInfo(_tz(ctx.manager.tz))
    local = suggested.astimezone(zone) if suggested is not None else None
    start = initial_day or (local.date() if local else ctx.meeting.window_start.astimezone(zone).date())
    clock = local.strftime("%H:%M") if local else "10:00"
    menu = [option(t._(q.text) if not q.core else "★ " + t._(q.text), q.key) for q in question_menu()]
    blocks: list[Block] = [
        section(
            t._("{title} with <@{user}>", title=meeting_views.title(ctx.meeting, t), user=ctx.employee.slack_user_id)
        ),
        *(lead or []),
        input_block(
            "date", t._("Date"), {"type": "datepicker", "action_id": "date", "initial_date": start.isoformat()}
        ),
        input_block(
            "time",
            t._("Time"),
            {"type": "timepicker", "action_id": "time", "initial_time": clock},
            hint=zone_hint(ctx, t, suggested),
        ),
        input_block("place", t._("Place or link"), text_input("place", max_length=500), optional=True),
        *question_picker(template(ctx.meeting.template), t, picked),
        input_block(
            "extra",
            t._("Extra questions"),
            {
                "type": "multi_static_select",
                "action_id": "extra",
                "options": menu,
                "placeholder": {"type": "plain_text", "text": t._("Choose from the question menu")},
            },
            optional=True,
            hint=t._("★ The core question: what would make them choose to stay."),
        ),
        input_block(
            "topics",
            t._("Topics you want to raise"),
            text_input("topics", multiline=True, max_length=3000),
            optional=True,
        ),
    ]
    return modal(
        "meeting_invite_submit",
        clip(title, 24) if title else t._("Invite to 1:1"),
        blocks,
        submit=t._("Send"),
        close=t._("Cancel"),
        private_metadata=json.dumps({"meeting_id": ctx.meeting.id, **origin}),
    )


def question_picker(tpl: Template, t: Translator, picked: list[str] | None) -> list[Block]:
    """004's frequent conversation: the manager chooses which questions go with this invitation, grouped by
    the template's sections; the employee then prepares only those."""
    if not tpl.pickable:
        return []
    keys = {q.key for q in tpl.pickable}
    groups: list[dict[str, Any]] = []
    for s in tpl.sections:
        options = [option(_q(q, t), q.key) for q in s.questions if q.key in keys]
        if options:
            groups.append({"label": plain(t._(s.title), 75), "options": options})
    element: dict[str, Any] = {
        "type": "multi_static_select",
        "action_id": "chosen",
        "option_groups": groups,
        "placeholder": plain(t._("Choose the questions"), 150),
    }
    initial = [o for g in groups for o in g["options"] if o["value"] in set(picked or ())]
    if initial:
        element["initial_options"] = initial
    return [
        input_block(
            "chosen",
            t._("Questions for this conversation"),
            element,
            hint=t._("Quality before quantity: choose the questions that matter most for the two of you now."),
        )
    ]


def zone_hint(ctx: MeetingContext, t: Translator, suggested: datetime | None) -> str | None:
    """The time is the manager's; when the employee lives in another zone, say what it is for them."""
    mine, theirs = _tz(ctx.manager.tz), _tz(ctx.employee.tz)
    if mine == theirs:
        return None
    city = theirs.rsplit("/", 1)[-1].replace("_", " ")
    if suggested is None:
        return t._("The time is in your zone. {name} is in {city}.", name=ctx.employee.name or city, city=city)
    return t._(
        "The time is in your zone. For {name}, in {city}, the suggested time is {time}.",
        name=ctx.employee.name or city,
        city=city,
        time=suggested.astimezone(ZoneInfo(theirs)).strftime("%H:%M"),
    )


def slot_warnings(check: slots.SlotCheck, ctx: MeetingContext, t: Translator) -> list[str]:
    """The slot planner's warnings in words, naming whose day or hours each concerns."""
    lines = []
    for w in check.warnings:
        who = ctx.manager if w.role == "manager" else ctx.employee
        user = who.slack_user_id
        if w.kind == "weekend":
            lines.append(t._("It is a weekend day for <@{user}>.", user=user))
        elif w.kind == "holiday":
            country, _, day = w.detail.partition(":")
            name = cadence.holiday_name(date.fromisoformat(day), country, t.language) if day else ""
            lines.append(t._("It is a public holiday for <@{user}> ({name}).", user=user, name=name))
        elif w.kind == "away":
            lines.append(t._("<@{user}> is away then.", user=user))
        elif w.kind == "out_of_hours":
            lines.append(t._("It is outside <@{user}>'s working hours ({time} there).", user=user, time=w.detail))
        elif w.kind == "clash":
            lines.append(t._("You already have another conversation at that time."))
    return list(dict.fromkeys(lines))


def warned_invite_modal(
    view: dict[str, Any], warnings: list[str], t: Translator, confirm: str, day: str, clock: str
) -> dict[str, Any]:
    """The same form again, with what is unusual about the chosen time; sending it once more goes ahead.

    ``confirm`` (the chosen moment) is kept in the metadata: the same moment sent again is the manager's yes."""
    meta = json.loads(view.get("private_metadata") or "{}")
    meta["confirmed"] = confirm
    kept = []
    for block in view.get("blocks") or []:
        if block.get("block_id") == "slot_warning":
            continue
        element = block.get("element") or {}
        if block.get("block_id") == "date":
            block = {**block, "element": {**element, "initial_date": day}}
        elif block.get("block_id") == "time":
            block = {**block, "element": {**element, "initial_time": clock}}
        kept.append(block)
    text = ":warning: " + " ".join(warnings) + "\n" + t._("Press Send again to invite anyway, or choose another time.")
    blocks = [section(text, block_id="slot_warning"), *kept]
    return {
        "type": "modal",
        "callback_id": view.get("callback_id") or "meeting_invite_submit",
        "title": view.get("title"),
        "submit": view.get("submit"),
        "close": view.get("close"),
        "blocks": blocks[:100],
        "private_metadata": json.dumps(meta)[:3000],
    }


def skip_modal(meeting_id: int, t: Translator, origin: dict[str, Any], label: str = "") -> dict[str, Any]:
    lead = [section(f"*{label}*")] if label else []
    return modal(
        "meeting_skip_submit",
        t._("Skip this 1:1"),
        [
            *lead,
            input_block(
                "reason", t._("Why are you skipping it?"), text_input("reason", multiline=True, max_length=1000)
            ),
        ],
        submit=t._("Skip"),
        close=t._("Cancel"),
        private_metadata=json.dumps({"meeting_id": meeting_id, **origin}),
    )


def manager_done(text: str, t: Translator | None = None, meeting_id: int = 0) -> list[Block]:
    """What a nudge becomes once acted on; after an invitation, with a way to change its time."""
    if t is None or not meeting_id:
        return [section(text)]
    change = button(t._("Change the time"), "meeting_invite_open", str(meeting_id))
    return [section(text, accessory=change, block_id=f"invited:{meeting_id}")]


def _when_where(ctx: MeetingContext, t: Translator, tz: str | None) -> str:
    assert ctx.meeting.scheduled_at is not None
    when = t.when(ctx.meeting.scheduled_at, _tz(tz))
    if ctx.meeting.place:
        return t._("*When:* {when}\n*Where:* {place}", when=when, place=escape(ctx.meeting.place))
    return t._("*When:* {when}", when=when)


def _carried(items: list[ActionItem], t: Translator) -> list[Block]:
    if not items:
        return []
    lines = [f"• {escape(i.what)} — {t.short_day(i.due)}" + (" :warning:" if i.overdue else "") for i in items[:15]]
    return [section(t._("*Open actions from earlier conversations*") + "\n" + "\n".join(lines))]


def agenda(tpl: Template, t: Translator) -> list[Block]:
    """The conversation form's parts in their order (002's "samtaleskjema"): the same agenda in the employee's
    invitation and the manager's brief, so both walk through the form the same way."""
    if not tpl.sections:
        return []
    lines = [
        f"{n}. {escape(t._(s.title))}" + (f" — _{escape(t._(s.intro))}_" if s.intro else "")
        for n, s in enumerate(tpl.sections, 1)
    ]
    return [section(t._("*Agenda*") + "\n" + "\n".join(lines))]


def notes_button(t: Translator, meeting_id: int) -> dict[str, Any]:
    return button(t._("My private notes"), "note_open", str(meeting_id))


def invitation(
    ctx: MeetingContext,
    t: Translator,
    carried: list[ActionItem],
    care_override: str | None = None,
    focus: list[Block] | None = None,
) -> list[Block]:
    """``focus``: the team's focus areas shared by the manager in a season, shown before the questions, so the
    employee prepares from the unit's needs."""
    assert ctx.meeting.id is not None
    mid = str(ctx.meeting.id)
    qs = questions(ctx.meeting)
    lines = [f"{n}. {_q(q, t)}" + (" :lock:" if q.sensitive else "") for n, q in enumerate(qs, 1)]
    if ctx.meeting.season_id is not None:  # the season's conversation is the annual one, of 1–1½ hours
        title = conversation_title(ctx.meeting.template, t._)
        opening = [
            header(clip(title, 150)),
            section(
                t._(
                    "<@{user}> invites you to a conversation: *{conversation}*.",
                    user=ctx.manager.slack_user_id,
                    conversation=title,
                )
                + "\n"
                + _when_where(ctx, t, ctx.employee.tz)
            ),
            context(t._("Set aside 1–1½ hours for the conversation.")),
        ]
    else:
        opening = [
            header(t._("Invitation to your 1:1")),
            section(
                t._("<@{user}> invites you to a 1:1.", user=ctx.manager.slack_user_id)
                + "\n"
                + _when_where(ctx, t, ctx.employee.tz)
            ),
        ]
    blocks: list[Block] = [
        *opening,
        *(focus or []),
        *agenda(template(ctx.meeting.template), t),
    ]
    for n, chunk in enumerate(_chunks(lines, 2800, "\n")):
        blocks.append(section((t._("*Prepare with these questions*") + "\n" if n == 0 else "") + chunk))
    cares = dict.fromkeys(text for q in qs if (text := care(q, t, care_override)))
    blocks += [context(":lock: " + escape(text)) for text in cares]
    if ctx.meeting.special_topics:
        blocks.append(
            section(t._("*Your manager also wants to talk about*") + "\n" + escape(ctx.meeting.special_topics))
        )
    blocks += _carried(carried, t)
    blocks += [
        context(t._("Your answers are seen only by you and your manager, and only when you share them.")),
        button_row(
            f"prep:{mid}",
            button(t._("Prepare here, one question at a time"), "prep_start", mid),
            button(t._("Answer in a form"), "prep_form_open", mid),
            notes_button(t, ctx.meeting.id),
            button(t._("Propose another time"), "meeting_propose_open", mid),
        ),
    ]
    return blocks[:50]


def prompt(
    p: Prompt, t: Translator, care_override: str | None = None, criteria_url: str | None = None, label: str = ""
) -> list[Block]:
    q = p.question
    where = f"{label} · " if label else ""
    blocks: list[Block] = [
        context(where + t._("Question {n} of {total}", n=p.index + 1, total=p.total)),
        section(f"*{escape(_q(q, t))}*"),
    ]
    if q.hint:
        blocks.append(context(escape(t._(q.hint))))
    if key := criteria(q, t, criteria_url):
        blocks.append(context("\n".join(key)))
    care_text = care(q, t, care_override)
    if care_text:
        blocks.append(context(":lock: " + escape(care_text)))
    if p.answer:
        blocks.append(context(t._("Your answer so far: {answer}", answer=clip(answer_text(q, p.answer, t), 500))))
    if p.unclear:
        blocks.append(context(t._("I did not recognise that. Choose one of the buttons, or type its number.")))
    if p.asking_reason:
        blocks.append(section(t._("Why? Write your reason as a message.")))
        blocks.append(
            context(
                t._("`{back}` lets you choose again, `{skip}` moves on without a reason, `{stop}` pauses.", **words(t))
            )
        )
        return blocks
    if q.kind in ("rating", "choice"):
        blocks.append(
            actions(
                [
                    button(f"{n}. {t._(option_label(q, key))}", f"prep_choose:{n}", f"{p.meeting_id}:{p.index}:{key}")
                    for n, key in enumerate(option_keys(q), 1)
                ],
                block_id=f"prep_choose:{p.meeting_id}:{p.index}",
            )
        )
        hint = (
            t._("Click a button, or type the number or the word, and your reason after it if you like.")
            if q.with_reason
            else t._("Click a button, or type the number or the word.")
        )
        blocks.append(context(hint + " " + t._("`{skip}` moves on, `{back}` goes back, `{stop}` pauses.", **words(t))))
        return blocks
    blocks.append(
        context(
            t._("Write your answer as a message. `{skip}` moves on, `{back}` goes back, `{stop}` pauses.", **words(t))
        )
    )
    return blocks


def summary(s: Summary, t: Translator, tpl: Template | None = None, label: str = "") -> list[Block]:
    blocks: list[Block] = [header(t._("Your preparation"))]
    if label:
        blocks.append(context(label))
    if not s.items:
        blocks.append(section(t._("You have not answered any questions yet.")))
    elif tpl is not None:
        blocks += answer_blocks(tpl, list(s.items), t, limit=40, meeting_id=s.meeting_id)
    else:
        blocks += [section(f"*{escape(_q(q, t))}*\n{answer_text(q, a, t)}") for q, a in s.items[:40]]
    mid = str(s.meeting_id)
    for q in (q for q, _ in s.items if q.sensitive):
        if q.key in s.sensitive_shared:
            blocks.append(
                context(
                    t._(":lock: Your answer to “{question}” is shared with your manager on its own.", question=_q(q, t))
                )
            )
        else:
            blocks.append(
                section(
                    t._(
                        ":lock: Your answer to “{question}” is not part of what you share. Share it on its own if "
                        "you want your manager to know.",
                        question=_q(q, t),
                    ),
                    accessory=button(t._("Share this answer"), "prep_share_sensitive", f"{mid}:{q.key}"),
                )
            )
    if s.shared:
        blocks.append(
            context(t._(":white_check_mark: Shared with your manager. You can still edit until the meeting."))
        )
    buttons = [button(t._("Edit in a form"), "prep_form_open", mid)]
    if s.items:
        buttons.insert(
            0,
            button(
                t._("Share again") if s.shared else t._("Share with my manager"), "prep_share", mid, style="primary"
            ),
        )
    blocks.append(actions(buttons, block_id=f"prep_summary:{mid}"))
    return blocks[:50]


def paused(p: Paused, t: Translator, label: str = "") -> list[Block]:
    return [
        *([context(label)] if label else []),
        section(
            t._(
                "Paused. You have answered {answered} of {total}. Write `{start}` when you want to go on.",
                answered=p.answered,
                total=p.total,
                **words(t),
            )
        ),
        actions([button(t._("Go on"), "prep_start", str(p.meeting_id))], block_id=f"prep_paused:{p.meeting_id}"),
    ]


def _question_inputs(
    q: Question, before: Answer | None, t: Translator, care_override: str | None = None, criteria_url: str | None = None
) -> list[Block]:
    """One question in a modal: a text field, or the steps (select) or choices (radio) and a reason field."""
    label = _q(q, t)
    hint = care(q, t, care_override) or (t._(q.hint) if q.hint else None)
    if key := criteria(q, t, criteria_url):  # a hint is plain text: the key without its markup, the link as address
        plain_key = "\n".join(line.replace("*", "") for line in key[: len(q.level_descriptions())])
        if q.salary_criteria and criteria_url:
            plain_key += "\n" + t._("The salary criteria: {url}", url=criteria_url)
        hint = "\n".join(h for h in (hint, plain_key) if h)[:2000]
    if q.kind == "text":
        return [
            input_block(
                f"q_{q.key}",
                label,
                text_input("answer", multiline=True, initial=before.text if before else None),
                optional=True,
                hint=hint,
            )
        ]
    options = [option(t._(option_label(q, key)), key) for key in option_keys(q)]
    initial = before.choice if before else None
    if q.kind == "rating" or len(options) > 10:
        element = static_select("choice", t._("Choose"), options, initial)
    else:
        element = {"type": "radio_buttons", "action_id": "choice", "options": options}
        chosen = next((o for o in options if o["value"] == initial), None)
        if chosen is not None:
            element["initial_option"] = chosen
    blocks = [input_block(f"q_{q.key}", label, element, optional=True, hint=hint)]
    if q.with_reason:
        blocks.append(
            input_block(
                f"r_{q.key}",
                t._("Reason"),
                text_input("answer", multiline=True, initial=before.text if before else None),
                optional=True,
            )
        )
    return blocks


def form_values(values: dict[str, Any]) -> tuple[dict[str, str], dict[str, str]]:
    """Texts and picked steps or choices of a submitted question form, by question key."""
    texts: dict[str, str] = {}
    choices: dict[str, str] = {}
    for block_id, v in values.items():
        if block_id.startswith(("q_", "r_")):
            el = v.get("answer") or v.get("choice") or {}
            picked = (el.get("selected_option") or {}).get("value")
            if picked:
                choices[block_id[2:]] = str(picked)
            elif el.get("value"):
                texts[block_id[2:]] = str(el["value"])
    return texts, choices


def prep_form(
    ctx: MeetingContext,
    answers: dict[str, Answer],
    t: Translator,
    care_override: str | None = None,
    criteria_url: str | None = None,
) -> dict[str, Any]:
    blocks: list[Block] = [section(f"*{meeting_views.for_reader(ctx, ctx.employee, t)}*")]
    for q in questions(ctx.meeting):
        blocks += _question_inputs(q, answers.get(q.key), t, care_override, criteria_url)
    return modal(
        "prep_form_submit",
        clip(conversation_title(ctx.meeting.template, t._), 24)
        if ctx.meeting.season_id
        else t._("Prepare for the 1:1"),
        blocks,
        submit=t._("Save"),
        close=t._("Cancel"),
        private_metadata=json.dumps({"meeting_id": ctx.meeting.id}),
    )


def manager_prep(prep: ManagerPrep, t: Translator) -> list[Block]:
    """The manager's own preparation questions, sent to the manager alone with the invitation."""
    assert prep.ctx.meeting.id is not None
    mid = prep.ctx.meeting.id
    employee = prep.ctx.employee.slack_user_id
    lines = [f"• {_q(q, t)}" for q, _ in prep.items]
    chunked = _chunks(lines, 2800, "\n")
    blocks: list[Block] = [
        section(
            "*"
            + t._("Your own preparation")
            + "*\n"
            + t._("Before your conversation with <@{user}>:", user=employee)
            + "\n"
            + _when_where(prep.ctx, t, prep.ctx.manager.tz)
        ),
    ]
    blocks += [section(c) for c in chunked]
    blocks += [
        context(t._("Your answers here are your own notes: <@{user}> never sees them.", user=employee)),
        button_row(
            f"manager_prep:{mid}",
            button(t._("Answer privately"), "manager_prep_open", str(mid)),
            notes_button(t, mid),
        ),
    ]
    return blocks[:50]


def manager_prep_modal(prep: ManagerPrep, t: Translator, criteria_url: str | None = None) -> dict[str, Any]:
    blocks: list[Block] = [
        section(f"*{meeting_views.for_reader(prep.ctx, prep.ctx.manager, t)}*"),
        context(t._("Only you see these answers.")),
    ]
    for q, before in prep.items:
        blocks += _question_inputs(q, before, t, criteria_url=criteria_url)
    return modal(
        "manager_prep_submit",
        t._("Your own preparation"),
        blocks,
        submit=t._("Save"),
        close=t._("Cancel"),
        private_metadata=json.dumps({"meeting_id": prep.ctx.meeting.id}),
    )


def notes_modal(
    meeting_id: int,
    text: str,
    t: Translator,
    form: tuple[Theme, ...] = (),
    reflections: dict[str, str] | None = None,
    label: str = "",
) -> dict[str, Any]:
    """The author's own notes, and 000's note form for their role as optional reflection prompts: a field per
    theme, its questions as the hint."""
    own = reflections or {}
    themes = [
        input_block(
            f"reflect_{theme.key}",
            t._(theme.title),
            text_input("reflect", multiline=True, initial=own.get(theme.key) or None, max_length=3000),
            optional=True,
            hint="\n".join("• " + t._(q) for q in theme.questions)[:2000],
        )
        for theme in form
    ]
    return modal(
        "note_submit",
        t._("My private notes"),
        [
            *([section(f"*{label}*")] if label else []),
            context(t._("Only you see these notes: not the other party, not an administrator.")),
            *([context(t._("Questions to reflect on, if you like. Leave any of them empty."))] if themes else []),
            *themes,
            input_block(
                "note", t._("Notes"), text_input("note", multiline=True, initial=text, max_length=3000), optional=True
            ),
        ],
        submit=t._("Save"),
        close=t._("Cancel"),
        private_metadata=json.dumps({"meeting_id": meeting_id}),
    )


def prep_reminder(ctx: MeetingContext, t: Translator) -> list[Block]:
    assert ctx.meeting.id is not None and ctx.meeting.scheduled_at is not None
    mid = str(ctx.meeting.id)
    return [
        section(
            t._(
                "Your 1:1 with <@{user}> is {when}. A few minutes of preparation makes it yours.",
                user=ctx.manager.slack_user_id,
                when=t.when(ctx.meeting.scheduled_at, _tz(ctx.employee.tz)),
            )
        ),
        button_row(
            f"prep_reminder:{mid}",
            button(t._("Prepare here, one question at a time"), "prep_start", mid),
            button(t._("Answer in a form"), "prep_form_open", mid),
        ),
    ]


def brief(
    ctx: MeetingContext,
    t: Translator,
    answers: list[tuple[Question, Answer]] | None,
    carried: list[ActionItem],
    own: ManagerPrep | None = None,
    *,
    duty: str | None = None,
    hr: str | None = None,
) -> list[Block]:
    """The day before: what the employee shared by section, what is still open, and the manager's own
    preparation with the manager's private answers (this message goes to the manager alone). ``duty`` is the
    country ("NO"/"SE") whose law applies when a sensitive question was answered Yes or "in person"."""
    assert ctx.meeting.scheduled_at is not None and ctx.meeting.id is not None
    tpl = template(ctx.meeting.template)
    blocks: list[Block] = [
        header(t._("Tomorrow's 1:1")),
        section(t._("With <@{user}>", user=ctx.employee.slack_user_id) + "\n" + _when_where(ctx, t, ctx.manager.tz)),
        *agenda(tpl, t),
    ]
    if answers:
        blocks.append(section(t._("*What <@{user}> has prepared*", user=ctx.employee.slack_user_id)))
        blocks += answer_blocks(tpl, answers, t, limit=30, meeting_id=ctx.meeting.id)
    else:
        blocks.append(context(t._("<@{user}> has not shared any preparation.", user=ctx.employee.slack_user_id)))
    if duty is not None:
        blocks.append(section(follow_up_duty(duty, hr, t)))
    blocks += _carried(carried, t)
    if tpl.manager_prep:
        pairs = own.items if own else tuple((q, None) for q in tpl.manager_prep)
        lines = [f"• {_q(q, t)}" + (f"\n{answer_text(q, a, t)}" if a else "") for q, a in pairs]
        chunks = _chunks(lines, 2800, "\n")
        chunks[0] = t._("*Questions for your own preparation*") + "\n" + chunks[0]
        blocks += [divider(), *[section(c) for c in chunks[:6]]]
    buttons = [notes_button(t, ctx.meeting.id)]
    if tpl.manager_prep:
        buttons.insert(0, button(t._("Answer privately"), "manager_prep_open", str(ctx.meeting.id)))
    blocks = blocks[:49]
    blocks.append(actions(buttons, block_id=f"brief:{ctx.meeting.id}"))
    return blocks


def follow_up_duty(country: str, hr: str | None, t: Translator) -> str:
    """What a manager must do after a Yes (or "in person") on the harassment question, with the law that says so."""
    where = escape(hr) if hr else t._("your HR department")
    if country == "SE":
        return t._(
            ":warning: *You must follow this up.* As the employer you must investigate and take measures when an "
            "employee has been subjected to harassment or victimisation (diskrimineringslagen 2 kap. 3 §, AFS "
            "2023:2). Follow the employer's routine against kränkande särbehandling. HR: {hr}",
            hr=where,
        )
    return t._(
        ":warning: *You must follow this up.* As the employer you must look into it and follow it up without "
        "delay (arbeidsmiljøloven § 4-3 (3), and chapter 2 A on reporting censurable conditions). HR: {hr}",
        hr=where,
    )


def followup(
    ctx: MeetingContext, t: Translator, reader: Person, missed_brief: list[tuple[Question, Answer]] | None = None
) -> list[Block]:
    """After the meeting. ``missed_brief`` (to the manager only): the employee's shared preparation, when the
    brief could not reach the manager before the meeting, so what it carried is not lost."""
    assert ctx.meeting.id is not None
    mid = str(ctx.meeting.id)
    blocks = [
        section(f"*{meeting_views.for_reader(ctx, reader, t)}*\n" + t._("*What have we agreed? Who does what, when?*")),
        context(t._("Record what you agreed, so it is followed up. Then tell us how the conversation went.")),
        button_row(
            f"followup:{mid}",
            button(t._("Record agreed actions"), "agree_open", mid),
            button(t._("Evaluate the conversation"), "evaluate_open", mid),
            button(t._("Mark as held"), "meeting_held", mid),
        ),
    ]
    if missed_brief is not None:
        user = ctx.employee.slack_user_id
        blocks.append(divider())
        if missed_brief:
            blocks.append(
                section(t._("*What <@{user}> prepared* (it could not reach you before the meeting)", user=user))
            )
            blocks += answer_blocks(template(ctx.meeting.template), missed_brief, t, limit=30)
        else:
            blocks.append(context(t._("<@{user}> has not shared any preparation.", user=user)))
    return blocks[:50]


def evaluation_modal(ctx: MeetingContext, t: Translator, reader: Person | None = None) -> dict[str, Any]:
    blocks: list[Block] = [section(f"*{meeting_views.for_reader(ctx, reader or ctx.employee, t)}*")]
    for q in template(ctx.meeting.template).evaluation:
        if q.kind == "choice":
            element = {
                "type": "radio_buttons",
                "action_id": "answer",
                "options": [option(t._(c), c) for c in q.choices],
            }
            blocks.append(input_block(f"e_{q.key}", _q(q, t), element))
        else:
            blocks.append(
                input_block(
                    f"e_{q.key}", _q(q, t), text_input("answer", multiline=True, max_length=3000), optional=True
                )
            )
    return modal(
        "evaluate_submit",
        t._("Evaluate the 1:1"),
        blocks,
        submit=t._("Send"),
        close=t._("Cancel"),
        private_metadata=json.dumps({"meeting_id": ctx.meeting.id}),
    )


def evaluation_exchange(other: Other, t: Translator) -> list[Block]:
    """Once both have evaluated: the other's answers, so the two can learn from the conversation together."""
    lines = [f"_{escape(_q(q, t))}_\n{escape(t._(value) if q.kind == 'choice' else value)}" for q, value in other.items]
    return [
        section(
            t._(
                "*Both of you have evaluated the conversation.* This is how <@{user}> experienced it:",
                user=other.author.slack_user_id,
            )
        ),
        *[section(c) for c in _chunks(lines)][:40],
        context(t._("<@{user}> sees your evaluation in the same way.", user=other.author.slack_user_id)),
    ]


def lapse(ctx: MeetingContext, t: Translator) -> list[Block]:
    """Told once to the manager when a window closed with no 1:1 held."""
    return [
        section(
            t._(
                ":warning: The 1:1 with <@{user}> ({when}) did not take place: its period ended without a meeting.",
                user=ctx.employee.slack_user_id,
                when=meeting_views.when(ctx.meeting, t, ctx.manager.tz),
            )
        ),
        context(
            t._(
                "The next nudge for <@{user}> comes as usual. `/mal team` shows when you last met.",
                user=ctx.employee.slack_user_id,
            )
        ),
    ]


def note(text: str) -> list[Block]:
    return [section(text)]

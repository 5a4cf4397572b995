"""Three months of Per's team, lived hour by hour: Kari (Oslo) prepares in the DM, John (New York)
prepares in the form, Sven (Stockholm) never prepares. The clock crosses Easter and both DST changes.

People react to what they receive, as they would; afterwards the outbox and the emulator tell whether
exactly the expected messages arrived, at allowed hours, none twice."""

import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import select

from flows import cadence
from storage.models import Action, Outbox
from tests.harness import Harness
from tests.story import add_people, after, dm, pair

START = datetime(2027, 1, 26, 5, 0, tzinfo=UTC)  # Tuesday; first windows 5 Feb, 5 Mar, 5 Apr
END = datetime(2027, 4, 24, 21, 0, tzinfo=UTC)
TZ = {"UPER": "Europe/Oslo", "UKARI": "Europe/Oslo", "USVEN": "Europe/Stockholm", "UJOHN": "America/New_York"}


def block_ids(message: dict[str, Any]) -> list[str]:
    return [str(b.get("block_id", "")) for b in message.get("blocks") or []]


def kind_of(message: dict[str, Any]) -> str:
    for bid in block_ids(message):
        for prefix in ("nudge:", "prep:", "prep_reminder:", "followup:"):
            if bid.startswith(prefix):
                return prefix.rstrip(":")
    if any(b.get("type") == "header" for b in message.get("blocks") or []) and any(
        bid.startswith("action:") for bid in block_ids(message)
    ):
        return "digest"
    return "other"


class People:
    """What each person does with a message when they read it."""

    def __init__(self, bot: Harness) -> None:
        self.bot = bot
        self.seen: Counter[str] = Counter()
        self.actions_recorded = 0

    def react(self) -> None:
        for user in TZ:
            msgs = dm(self.bot, user)
            for message in msgs[self.seen[user] :]:
                self.seen[user] += 1
                getattr(self, f"on_{kind_of(message)}")(user, message)
            self.seen[user] = len(dm(self.bot, user))

    def on_nudge(self, user: str, message: dict[str, Any]) -> None:
        # Per takes the time the form suggests: a working day for both, inside both people's hours.
        modal = after(self.bot, user, lambda: self.bot.d.click(user, message, "meeting_invite_open"), what="view")
        self.bot.d.view_submission(user, modal, {"place": "Fjord"})
        assert not [v for v in self.bot.emulator.open_views(user) if v.get("callback_id") == "meeting_invite_submit"]

    def on_prep(self, user: str, message: dict[str, Any]) -> None:
        if user == "UKARI":
            after(self.bot, user, lambda: self.bot.d.click(user, message, "prep_start"))
            for n in range(7):
                reply = after(self.bot, user, lambda n=n: self.bot.d.message_im(user, f"Svar {n}"))
            self.bot.d.click(user, reply, "prep_share")
            self.bot.emulator.wait_for(lambda: len(self.bot.emulator.response_url_posts()) > 0)
        elif user == "UJOHN":
            form = after(self.bot, user, lambda: self.bot.d.click(user, message, "prep_form_open"), what="view")
            summary = after(self.bot, user, lambda: self.bot.d.view_submission(user, form, {"q_goals": "On track"}))
            self.bot.d.click(user, summary, "prep_share")
        # Sven does not prepare.

    def on_prep_reminder(self, user: str, message: dict[str, Any]) -> None:
        pass

    def on_followup(self, user: str, message: dict[str, Any]) -> None:
        if user != "UPER":
            return
        meeting_id = int(next(b for b in block_ids(message) if b.startswith("followup:")).split(":")[1])
        with self.bot.repo() as repo:
            ctx_meeting = repo.meeting(meeting_id)
            assert ctx_meeting is not None
            pairing = repo.pairing(ctx_meeting.pairing_id)
            assert pairing is not None
            employee = repo.person(pairing.employee_id)
            assert employee is not None
        due = (self.bot.clock.now() + timedelta(days=14)).date().isoformat()
        modal = after(self.bot, user, lambda: self.bot.d.click(user, message, "agree_open"), what="view")
        after(
            self.bot,
            user,
            lambda: self.bot.d.view_submission(
                user, modal, {"what_1": f"Tiltak {meeting_id}", "owner_1": employee.slack_user_id, "due_1": due}
            ),
        )
        self.actions_recorded += 1

    def on_digest(self, user: str, message: dict[str, Any]) -> None:
        pass

    def on_other(self, user: str, message: dict[str, Any]) -> None:
        pass


def allowed(moment: datetime, user: str) -> bool:
    local = moment.astimezone(ZoneInfo(TZ[user]))
    country = cadence.country_for(TZ[user], "NO")  # John in New York keeps the American holidays
    return local.weekday() < 5 and 9 <= local.hour < 16 and not cadence.is_holiday(local.date(), country)


def test_three_months_of_one_to_ones_across_easter_and_dst(bot: Harness) -> None:
    add_people(bot.emulator)
    bot.clock.set(START)
    for employee in ("UKARI", "USVEN", "UJOHN"):
        pair(bot, "UPER", employee)
    people = People(bot)
    now = START
    while now <= END:
        bot.at(now)
        people.react()
        # Kari closes her actions on time; Sven and John leave theirs open.
        with bot.repo() as repo:
            for action in repo.session.exec(select(Action).where(Action.status == "open")).all():
                owner = repo.person(action.owner_id)
                if owner is not None and owner.slack_user_id == "UKARI":
                    action.status = "done"
                    repo.add(action)
        now += timedelta(hours=1)
        if now.hour == 22:
            now += timedelta(hours=7)

    with bot.repo() as repo:
        sent = list(repo.session.exec(select(Outbox).where(Outbox.status == "sent")).all())
    by_kind = Counter((r.kind, r.recipient) for r in sent)

    # Three windows (5 Feb, 5 Mar, 5 Apr) for each of three reports; the 5 May nudge is after the end.
    assert by_kind[("nudge", "UPER")] == 9
    for employee in ("UKARI", "USVEN", "UJOHN"):
        assert by_kind[("invite", employee)] == 3
        assert by_kind[("followup", employee)] == 3
    assert by_kind[("followup", "UPER")] == 9
    assert by_kind[("brief", "UPER")] == 9
    # Only Sven, who never prepared, is reminded: once per meeting.
    assert by_kind[("prep_reminder", "USVEN")] == 3
    assert by_kind[("prep_reminder", "UKARI")] == 0 and by_kind[("prep_reminder", "UJOHN")] == 0
    # The nudge due on Good Friday (26 March) waited for Tuesday after Easter, 09:00 summer time in Oslo.
    late_march = datetime(2027, 3, 20, tzinfo=UTC)
    easter = [r.sent_at for r in sent if r.kind == "nudge" and r.sent_at and r.sent_at > late_march]
    assert easter and {e.isoformat() for e in easter} == {"2027-03-30T07:00:00+00:00"}, easter

    # Every scheduled message went out at an allowed hour for its recipient, and only once.
    for row in sent:
        assert row.sent_at is not None and allowed(row.sent_at, row.recipient), (row.key, row.sent_at)
    assert len({r.key for r in sent}) == len(sent)
    ts_seen = Counter(r.slack_ts for r in sent)
    assert max(ts_seen.values()) == 1

    # Overdue actions are collected in at most one digest a week per owner.
    digests = [r for r in sent if r.kind == "digest"]
    assert digests, "John and Sven left actions open past their dates"
    weeks = Counter((r.recipient, json.loads(r.payload)["week"]) for r in digests)
    assert max(weeks.values()) == 1
    assert not [r for r in digests if r.recipient == "UKARI"]
    assert people.actions_recorded == 9

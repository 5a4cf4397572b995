"""Pairs of manager and report: creating, moving and rescheduling them."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from flows import cadence
from flows.outbox import Planned, plan_for
from storage.models import Pairing, Person
from storage.repo import Repo

DEFAULT_TEMPLATE = "monthly"


def schedule(pairing: Pairing, now: datetime, tz: str, configured_lead: int) -> None:
    """Set the pair's next window and nudge time from its cadence (after a change, or when created)."""
    lead = cadence.lead_days(pairing.cadence, configured_lead)
    if pairing.anchor is None:
        pairing.anchor = cadence.default_anchor(now, tz, lead)
    window = cadence.first_window(pairing.cadence, pairing.anchor, tz, lead, now)
    pairing.next_window_at = window.start
    pairing.nudge_at = window.nudge_at


def retemplate(repo: Repo, pairing: Pairing, key: str) -> None:
    """The pair holds another conversation from now on. Conversations planned but not yet sent as an
    invitation take it too, so the next invitation asks its questions; one already invited keeps the
    questions the employee may be answering, and a season's conversation keeps the season's."""
    pairing.template = key
    repo.add(pairing)
    assert pairing.id is not None
    for meeting in repo.meetings_of_pairings([pairing.id]):
        if meeting.status == "planned" and meeting.season_id is None and meeting.template != key:
            meeting.template = key
            repo.add(meeting)


def pair(
    repo: Repo,
    manager: Person,
    employee: Person,
    *,
    now: datetime,
    tz: str,
    lead: int,
    cadence_name: str | None = None,
    template_name: str | None = None,
) -> tuple[Pairing, str]:
    """Make ``manager`` the nearest manager of ``employee``.

    Returns the pairing and what happened: ``unchanged``, ``created``, ``moved`` or ``updated``. A new
    manager ends the old pairing rather than rewriting it, so history (meetings, actions) stays where it
    happened and the former manager loses access.
    """
    assert manager.id is not None and employee.id is not None
    current = repo.active_pairing_of(employee.id)
    wanted = cadence_name or (current.cadence if current else cadence.DEFAULT_CADENCE)
    # The pair's conversation: as the file says, else as it was (a new manager keeps the agreed conversation).
    conversation = template_name or (current.template if current else DEFAULT_TEMPLATE)
    if current is not None and current.manager_id == manager.id:
        if current.cadence == wanted and current.template == conversation:
            return current, "unchanged"
        if current.template != conversation:
            retemplate(repo, current, conversation)
        if current.cadence != wanted:
            current.cadence = wanted
            current.anchor = None
            schedule(current, now, tz, lead)
        repo.add(current)
        return current, "updated"
    outcome = "created"
    if current is not None:
        current.ended_at = now
        current.nudge_at = None
        repo.add(current)
        outcome = "moved"
    new = Pairing(
        team_id=employee.team_id,
        manager_id=manager.id,
        employee_id=employee.id,
        cadence=wanted,
        template=conversation,
        created_at=now,
    )
    schedule(new, now, tz, lead)
    repo.add(new)
    return new, outcome


@dataclass(frozen=True)
class Handover:
    """A report who got a new nearest manager: ``previous``'s manager loses what ``pairing``'s manager gains.
    ``after_none``: ``previous`` had ended earlier, leaving the report without a manager until ``pairing``."""

    pairing: Pairing
    previous: Pairing
    after_none: bool = False


HANDOVER_ROLES = ("employee", "new_manager", "previous_manager")


def handover_messages(repo: Repo, moved: list[Handover], now: datetime, hours: cadence.WorkingHours) -> list[Planned]:
    """Who sees what changes when a report moves, so each of the three is told: the employee that their open
    actions are now seen by the new manager and no longer by the previous one, the new manager what came
    along, the previous manager that the report's content is out of their sight. Keyed per new pair and
    person, so importing the same file again tells nobody twice."""
    planned: list[Planned] = []
    for h in moved:
        p = h.pairing
        assert p.id is not None
        previous_manager_id = _last_heard_manager(repo, h.previous)
        # A report who was told they had no manager any more, and their former manager with them, now gets one:
        # the report and the new manager hear of it; the former manager has heard all that concerns them.
        told_ended = h.after_none and bool(repo.outbox_payloads(f"pair-ended:{h.previous.id}:", "sent"))
        if previous_manager_id == p.manager_id and not told_ended:  # back before anyone heard: no news at all
            continue
        roles = dict(zip(HANDOVER_ROLES, (p.employee_id, p.manager_id, previous_manager_id), strict=True))
        if told_ended:
            del roles["previous_manager"]
        payload = {"pairing_id": p.id, "previous_manager_id": previous_manager_id, "after_none": int(told_ended)}
        planned += _tell(repo, roles, f"handover:{p.id}", "manager_changed", payload, now, hours)
    return planned


def _last_heard_manager(repo: Repo, pairing: Pairing) -> int:
    """The manager the people of ``pairing`` last heard of: its own, unless the news of the move that made it is
    still unsent (a corrected file the same evening), which goes stale and leaves the manager before it."""
    unsent = repo.outbox_payloads(f"handover:{pairing.id}:", "pending")
    return int(unsent[0]["previous_manager_id"]) if unsent else pairing.manager_id


def _tell(
    repo: Repo,
    roles: dict[str, int],
    key: str,
    kind: str,
    payload: Mapping[str, int | None],
    now: datetime,
    hours: cadence.WorkingHours,
) -> list[Planned]:
    """One message per role to each active person, keyed per person so a repeated plan adds nothing."""
    people = repo.people(list(roles.values()))
    return [
        plan_for(person, f"{key}:{person_id}", kind, {**payload, "role": role}, now, hours)
        for role, person_id in roles.items()
        if (person := people.get(person_id)) is not None and person.active
    ]


def ended_messages(repo: Repo, ended: list[Pairing], now: datetime, hours: cadence.WorkingHours) -> list[Planned]:
    """A report left without a manager in mal (the file's manager cell emptied): the employee and the manager
    who no longer sees their content are told, once per pair. A pair whose own news had not gone out yet names
    the manager the two last heard of; a report paired again before this goes out hears that news instead."""
    planned: list[Planned] = []
    for p in ended:
        assert p.id is not None
        manager_id = _last_heard_manager(repo, p)
        roles = {"employee": p.employee_id, "previous_manager": manager_id}
        payload = {"ended_pairing_id": p.id, "manager_id": manager_id}
        planned += _tell(repo, roles, f"pair-ended:{p.id}", "pair_ended", payload, now, hours)
    return planned

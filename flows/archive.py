"""The agreed plan confirmed by both and filed in the personnel archive.

The seeds want the agreement signed and archived (002: "arkiveres i «oppfølgingsmappe» i 360"; 003:
"Överenskommelse med underskrift"). In Slack the signature is a confirmation: each of the two confirms the
plan as it stands, and mal keeps who confirmed and when. A plan that changes after one of them confirmed is
confirmed again by both. Once both have confirmed, the PDF is made (once, in the pair's language) and handed to
the outbox, which delivers it to the archive route and retries until the archive confirms it has it.
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import col, select

from flows import cadence, checkin
from flows.access import meeting_role
from flows.i18n import N_, translator
from flows.outbox import Planned, plan_for
from flows.plan_pdf import PlanDocument, PlanLine, Signature, render
from flows.templates import Question, template
from storage.models import Action, ArchiveDocument, Person
from storage.repo import Repo


@dataclass(frozen=True)
class Refused:
    reason: str


@dataclass(frozen=True)
class AgreedPlan:
    ctx: checkin.MeetingContext
    actions: tuple[Action, ...]
    owners: dict[int, Person]
    digest: str
    document: ArchiveDocument | None

    @property
    def confirmed_by_both(self) -> bool:
        m = self.ctx.meeting
        return m.employee_confirmed_at is not None and m.manager_confirmed_at is not None

    @property
    def filed(self) -> bool:
        """The archive holds this plan as it stands (a document made before digests were kept counts as it)."""
        return self.document is not None and self.document.digest in (None, self.digest)

    @property
    def amends(self) -> ArchiveDocument | None:
        """The filed version this plan changes, while the change is not filed yet."""
        return self.document if self.document is not None and not self.filed else None

    def confirmed_at(self, person: Person) -> datetime | None:
        m = self.ctx.meeting
        if person.id == self.ctx.employee.id:
            return m.employee_confirmed_at
        if person.id == self.ctx.manager.id:
            return m.manager_confirmed_at
        return None


def _actions(repo: Repo, meeting_id: int) -> list[Action]:
    return list(repo.session.exec(select(Action).where(Action.meeting_id == meeting_id).order_by(col(Action.id))).all())


def digest_of(actions: list[Action] | tuple[Action, ...]) -> str:
    """What a confirmation is given to: the plan's rows as agreed. A due date moved later is follow-up, not a
    new plan, so it is left out; a row added or reworded is a new plan."""
    raw = json.dumps([(a.id, a.what, a.goal, a.owner_id, a.follow_up) for a in actions], ensure_ascii=False)
    return hashlib.sha256(raw.encode()).hexdigest()[:16]


def document_of(repo: Repo, meeting_id: int) -> ArchiveDocument | None:
    """The latest version filed of a meeting's plan."""
    return repo.session.exec(
        select(ArchiveDocument)
        .where(ArchiveDocument.meeting_id == meeting_id)
        .order_by(col(ArchiveDocument.version).desc())
    ).first()


def plan_of(repo: Repo, meeting_id: int) -> AgreedPlan | None:
    ctx = checkin.context(repo, meeting_id)
    if ctx is None:
        return None
    rows = _actions(repo, meeting_id)
    owners = repo.people([a.owner_id for a in rows])
    return AgreedPlan(ctx, tuple(rows), owners, digest_of(rows), document_of(repo, meeting_id))


def plan_for_viewer(repo: Repo, viewer: Person, meeting_id: int) -> AgreedPlan | Refused:
    """The plan of a meeting, for one of its two people only."""
    plan = plan_of(repo, meeting_id)
    if plan is None or meeting_role(repo, viewer, plan.ctx.meeting) is None:
        return Refused("not_yours")
    return plan


def ask_to_confirm(repo: Repo, meeting_id: int, now: datetime, hours: cadence.WorkingHours) -> list[Planned]:
    """After actions are recorded: both are asked to confirm the plan as it now stands. Keyed by the plan's
    digest, so recording the same plan twice asks once, and a changed plan asks again, also one changed after
    it was filed: what the archive holds must be what the two have signed, so the change is signed and filed as
    the next version."""
    plan = plan_of(repo, meeting_id)
    if plan is None or not plan.actions:
        return []
    meeting = plan.ctx.meeting
    checkin.record_held(repo, meeting, now)  # agreed actions recorded: the conversation has been held
    if plan.filed:
        return []
    if meeting.employee_confirmed_at is not None or meeting.manager_confirmed_at is not None:
        meeting.employee_confirmed_at = meeting.manager_confirmed_at = None  # the plan changed: both confirm anew
        repo.add(meeting)
    payload = {"meeting_id": meeting_id, "digest": plan.digest}
    return [
        plan_for(p, f"plan:{meeting_id}:{plan.digest}:{p.id}", "plan_confirm", payload, now, hours)
        for p in (plan.ctx.employee, plan.ctx.manager)
        if p.active
    ]


@dataclass(frozen=True)
class Confirmed:
    plan: AgreedPlan
    changed: bool  # False for a double click: the confirmation was there already
    planned: tuple[Planned, ...] = ()


def confirm(
    repo: Repo,
    person: Person,
    meeting_id: int,
    digest: str,
    now: datetime,
    hours: cadence.WorkingHours,
    language: str,
) -> Confirmed | Refused:
    """``person`` confirms the plan they were shown (``digest``). When the second confirmation comes in the
    document is made in ``language`` (the pair's) and handed to the archive route through the outbox."""
    plan = plan_for_viewer(repo, person, meeting_id)
    if isinstance(plan, Refused):
        return plan
    if not plan.actions:
        return Refused("empty")
    if plan.digest != digest:
        return Refused("plan_changed")
    meeting = plan.ctx.meeting
    role = meeting_role(repo, person, meeting)
    if plan.confirmed_at(person) is not None:
        return Confirmed(plan, changed=False)
    if role == "employee":
        meeting.employee_confirmed_at = now
    else:
        meeting.manager_confirmed_at = now
    checkin.record_held(repo, meeting, now)  # an agreed and confirmed plan: the conversation has been held
    repo.add(meeting)
    plan = AgreedPlan(plan.ctx, plan.actions, plan.owners, plan.digest, plan.document)
    if not plan.confirmed_by_both or plan.filed:
        return Confirmed(plan, changed=True)
    doc = make_document(repo, plan, now, language)
    other = plan.ctx.manager if role == "employee" else plan.ctx.employee
    planned = [
        Planned(
            f"archive:{doc.id}",
            doc.team_id,
            plan.ctx.employee.slack_user_id,
            "archive",
            now,
            {"document_id": doc.id},
        ),
        plan_for(
            other,
            f"plan-confirmed:{meeting_id}:{plan.digest}:{other.id}",
            "plan_confirmed",
            {"meeting_id": meeting_id},
            now,
            hours,
        ),
    ]
    return Confirmed(AgreedPlan(plan.ctx, plan.actions, plan.owners, plan.digest, doc), True, tuple(planned))


def make_document(repo: Repo, plan: AgreedPlan, now: datetime, language: str) -> ArchiveDocument:
    """The PDF of the plan as the two confirmed it: the first version, or the next one after a filed plan
    changed, which names the version it replaces."""
    ctx = plan.ctx
    meeting = ctx.meeting
    assert meeting.id is not None and ctx.employee.id is not None
    tpl = template(meeting.template)
    t = translator(language)
    answers: tuple[tuple[Question, str, str], ...] = ()
    if tpl.cadence == "yearly":  # the annual conversations: the form's answers the employee shared
        answers = tuple((q, a.choice or "", a.text) for q, a in checkin.shared_items(repo, meeting))
    lines = tuple(
        PlanLine(
            goal=a.goal or "",
            what=a.what,
            responsible=plan.owners[a.owner_id].name or plan.owners[a.owner_id].slack_user_id,
            due=a.due,
            follow_up=a.follow_up or "",
        )
        for a in plan.actions
    )
    assert meeting.employee_confirmed_at is not None and meeting.manager_confirmed_at is not None
    signatures = tuple(
        sorted(
            (
                Signature(
                    ctx.employee.name or ctx.employee.slack_user_id, N_("Employee"), meeting.employee_confirmed_at
                ),
                Signature(ctx.manager.name or ctx.manager.slack_user_id, N_("Manager"), meeting.manager_confirmed_at),
            ),
            key=lambda s: s.at,
        )
    )
    held = meeting.scheduled_at
    content = render(
        PlanDocument(
            title=tpl.title,
            employee=ctx.employee.name or ctx.employee.slack_user_id,
            manager=ctx.manager.name or ctx.manager.slack_user_id,
            held=held,
            tz=ctx.employee.tz or "Europe/Oslo",
            template=tpl,
            lines=lines,
            answers=answers,
            signatures=signatures,
            made_at=now,
            replaces=plan.document.created_at if plan.document is not None else None,
        ),
        t,
    )
    day = (held or now).date().isoformat()
    version = plan.document.version + 1 if plan.document is not None else 1
    suffix = f"-v{version}" if version > 1 else ""
    doc = ArchiveDocument(
        team_id=ctx.pairing.team_id,
        meeting_id=meeting.id,
        employee_id=ctx.employee.id,
        filename=f"{day}-{tpl.key}-{ctx.employee.slack_user_id}-{meeting.id}{suffix}.pdf",
        version=version,
        digest=plan.digest,
        language=language,
        pdf=content,
        created_at=now,
    )
    repo.add(doc)
    return doc


def undelivered(repo: Repo) -> list[ArchiveDocument]:
    """Documents the archive has not confirmed yet: what `mal-bot archive` sends again."""
    return list(
        repo.session.exec(
            select(ArchiveDocument).where(col(ArchiveDocument.delivered_at).is_(None)).order_by(col(ArchiveDocument.id))
        ).all()
    )


def delivered(repo: Repo, document_id: int, now: datetime, reference: str | None) -> None:
    doc = repo.session.get(ArchiveDocument, document_id)
    if doc is not None and doc.delivered_at is None:
        doc.delivered_at = now
        doc.reference = (reference or "")[:500] or None
        repo.add(doc)

"""The confirmed plan as a PDF for the personnel archive (002: "arkiveres i «oppfølgingsmappe»"; 003:
"Överenskommelse med underskrift").

The document says what a paper form would: which conversation, between whom, when; the agreed plan in the
template's own columns; for the annual conversations the answers the employee shared with the manager, by the
form's sections; and who confirmed the plan and when, the seeds' signature. It is written once, in the pair's
language, with a font that has every Nordic letter, so the archive gets exactly what the two confirmed.
"""

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from flows.i18n import Translator
from flows.templates import Question, Template, option_label

FONTS = Path(__file__).parent / "data" / "fonts"
FONT = "DejaVu"


@dataclass(frozen=True)
class PlanLine:
    """One row of the plan: the template's columns by key (goal, action, responsible, deadline, follow_up)."""

    goal: str
    what: str
    responsible: str
    due: date
    follow_up: str


@dataclass(frozen=True)
class Signature:
    name: str
    role: str  # a message id: "Employee" or "Manager"
    at: datetime


@dataclass(frozen=True)
class PlanDocument:
    title: str  # the conversation's template title, a message id
    employee: str
    manager: str
    held: datetime | None
    tz: str
    template: Template
    lines: tuple[PlanLine, ...]
    answers: tuple[tuple[Question, str, str], ...]  # (question, choice, text) the employee shared
    signatures: tuple[Signature, ...]
    made_at: datetime
    replaces: datetime | None = None  # when the version this one replaces was made


def _column_value(line: PlanLine, key: str, t: Translator) -> str:
    return {
        "goal": line.goal,
        "action": line.what,
        "how": line.what,
        "responsible": line.responsible,
        "deadline": t.short_day(line.due),
        "follow_up": line.follow_up,
    }.get(key, "")


def render(doc: PlanDocument, t: Translator) -> bytes:
    """The PDF's bytes. Deterministic for the same document (its dates are the document's, not the clock's).

    fpdf2 (with fontTools and Pillow) is imported here, by the few who file a plan: loaded at start it would
    hold some 20 MiB in every process for a document written a few times a year per person.
    """
    from fpdf import FPDF
    from fpdf.enums import XPos, YPos

    pdf = FPDF(format="A4")
    pdf.set_creation_date(doc.made_at)
    pdf.set_lang(t.language)
    pdf.set_title(t._(doc.title))
    pdf.set_author("mal")
    pdf.set_creator("mal")
    pdf.add_font(FONT, "", str(FONTS / "DejaVuSans.ttf"))
    pdf.add_font(FONT, "B", str(FONTS / "DejaVuSans-Bold.ttf"))
    pdf.set_margins(18, 18, 18)
    pdf.set_auto_page_break(True, margin=18)
    pdf.add_page()

    def para(text: str, size: float = 10, style: str = "", gap: float = 1.5) -> None:
        pdf.set_font(FONT, style, size)
        pdf.multi_cell(0, size * 0.5, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(gap)

    para(t._(doc.title), 16, "B", 3)
    para(t._("The agreed plan"), 12, "B", 2)
    facts = [t._("Employee: {name}", name=doc.employee), t._("Manager: {name}", name=doc.manager)]
    if doc.held is not None:
        facts.append(t._("Conversation: {when}", when=t.when(doc.held, doc.tz)))
    para("\n".join(facts), 10, "", 4)
    if doc.replaces is not None:
        para(
            t._(
                "This version replaces the plan filed {when}: the two changed it afterwards and confirmed it again.",
                when=t.when(doc.replaces, doc.tz),
            ),
            9,
            "B",
            3,
        )

    if doc.template.plan.intro:
        para(t._(doc.template.plan.intro), 9, "", 2)
    columns = doc.template.plan.columns
    pdf.set_font(FONT, "", 9)
    with pdf.table(text_align="LEFT", line_height=4.5, padding=1.5) as table:
        head = table.row()
        for c in columns:
            head.cell(t._(c.label))
        for line in doc.lines:
            row = table.row()
            for c in columns:
                row.cell(_column_value(line, c.key, t))
    pdf.ln(5)

    if doc.answers:
        para(t._("What the employee shared before the conversation"), 12, "B", 2)
        section_of = {q.key: s for s in doc.template.sections for q in s.questions}
        current = None
        for q, choice, text in doc.answers:
            section = section_of.get(q.key)
            if section is not None and section is not current:
                para(t._(section.title), 10.5, "B", 1)
                current = section
            para(t._(q.text), 9, "B", 0.5)
            shown = " — ".join(p for p in (t._(option_label(q, choice)) if choice else "", text) if p)
            para(shown or "–", 9, "", 2)
        pdf.ln(2)

    para(t._("Confirmed"), 12, "B", 2)
    for s in doc.signatures:
        para(
            t._("{role}: {name}, confirmed in Slack {when}", role=t._(s.role), name=s.name, when=t.when(s.at, doc.tz)),
            10,
            "",
            1,
        )
    pdf.ln(3)
    made = doc.made_at.astimezone(ZoneInfo(doc.tz))
    para(
        t._(
            "Made by mal {when}. Seen only by the employee, the nearest manager and the personnel archive.",
            when=t.when(made, doc.tz),
        ),
        8,
        "",
        0,
    )
    return bytes(pdf.output())

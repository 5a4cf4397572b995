"""Who reports to whom, from a CSV file an admin exports from HR.

The file is checked as a whole before anything is written: an admin fixing a 2,000-line export wants
every mistake listed at once with its line, not one per attempt. Identities in the file (e-mails or
Slack IDs) are resolved by the caller; this module only sees the resulting profiles, so it needs no
Slack and no network.
"""

import csv
import io
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlmodel import col, select

from flows import pairings
from flows.cadence import CADENCES
from flows.i18n import LANGUAGES, Translator
from flows.templates import templates
from storage.models import Pairing, Person
from storage.repo import Repo

REQUIRED_COLUMNS = ("employee", "manager")
OUTCOMES = ("created", "moved", "updated", "unchanged", "ended")
CHUNK = 500

# Every column mal reads, with the names HR systems export it under in the local language (normalised as by
# ``_header_key``). The one list of known columns: a header cell matching none of these refuses the file.
COLUMN_ALIASES: dict[str, frozenset[str]] = {
    "employee": frozenset(
        {
            "employee",
            "employee email",
            "employee e mail",
            "employee id",
            "ansatt",
            "arbeidstaker",
            "medarbeider",
            "medarbeidar",
            "tilsett",
            "medarbetare",
            "anställd",
        }
    ),
    "manager": frozenset(
        {
            "manager",
            "manager email",
            "manager e mail",
            "manager id",
            "leder",
            "nærmeste leder",
            "leiar",
            "nærmaste leiar",
            "chef",
            "närmaste chef",
            "närmsta chef",
        }
    ),
    "cadence": frozenset({"cadence", "frequency", "kadens", "frekvens", "hyppighet", "intervall"}),
    "language": frozenset({"language", "lang", "språk", "mål", "målform"}),
    # optional: the employee's unit, for the season's participation per unit
    "unit": frozenset({"unit", "department", "avdeling", "enhet", "eining", "seksjon", "avdelning", "sektion"}),
    # optional: which conversation the pair holds (a template key: monthly, frequent, ...)
    "template": frozenset({"template", "conversation", "samtale", "samtaletype", "samtal", "samtalstyp"}),
    # optional, never asked of anyone: for the senior conversation (004: the year one turns 60, measures from 58)
    "birth_year": frozenset({"birth year", "year of birth", "born", "fødselsår", "fødd", "fodd", "födelseår", "född"}),
}

CADENCE_ALIASES: dict[str, str] = {
    "ukentlig": "weekly",
    "kvar veke": "weekly",
    "vekentleg": "weekly",
    "veckovis": "weekly",
    "varje vecka": "weekly",
    "annenhver uke": "biweekly",
    "annakvar veke": "biweekly",
    "varannan vecka": "biweekly",
    "månedlig": "monthly",
    "månadleg": "monthly",
    "månadsvis": "monthly",
    "varje månad": "monthly",
    "kvartalsvis": "quarterly",
}

LANGUAGE_ALIASES: dict[str, str] = {
    "no": "nb",
    "nob": "nb",
    "bokmål": "nb",
    "norsk": "nb",
    "nno": "nn",
    "nynorsk": "nn",
    "swe": "sv",
    "svenska": "sv",
    "svensk": "sv",
    "eng": "en",
    "english": "en",
    "engelsk": "en",
}

_EMAIL = re.compile(r"^[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+$")
# Slack user IDs: U or W, then upper-case letters and digits. Requiring a digit keeps a plain name such
# as "Ulrik" from passing for one, so it is reported as "not an identity" rather than "unknown ID".
_SLACK_ID = re.compile(r"^[UW](?=[A-Z0-9]*[0-9])[A-Z0-9]{2,}$")


class ProblemKind(StrEnum):
    UNREADABLE = "unreadable"
    ENCODING = "encoding"
    EMPTY_FILE = "empty_file"
    MISSING_COLUMNS = "missing_columns"
    DUPLICATE_COLUMN = "duplicate_column"
    UNKNOWN_COLUMN = "unknown_column"
    EMPTY_EMPLOYEE = "empty_employee"
    NOT_AN_IDENTITY = "not_an_identity"
    UNKNOWN_CADENCE = "unknown_cadence"
    UNKNOWN_LANGUAGE = "unknown_language"
    UNKNOWN_TEMPLATE = "unknown_template"
    BAD_BIRTH_YEAR = "bad_birth_year"
    SELF_MANAGER = "self_manager"
    DUPLICATE_EMPLOYEE = "duplicate_employee"
    CYCLE = "cycle"
    UNKNOWN_USER = "unknown_user"
    DEACTIVATED_USER = "deactivated_user"
    SLACK_ERROR = "slack_error"


@dataclass(frozen=True)
class Problem:
    """One reason the file was refused; ``lines`` are the file lines an admin has to look at."""

    kind: ProblemKind
    message: str
    lines: tuple[int, ...] = ()

    @property
    def line(self) -> int | None:
        return self.lines[0] if self.lines else None


@dataclass(frozen=True)
class OrgRow:
    """One line of the file; identities are normalised (e-mails lower case, Slack IDs upper case)."""

    line: int
    employee: str
    manager: str | None
    cadence: str | None = None
    language: str | None = None
    unit: str | None = None
    template: str | None = None
    birth_year: int | None = None


@dataclass(frozen=True)
class ParsedFile:
    rows: list[OrgRow]
    problems: list[Problem]

    @property
    def identities(self) -> set[str]:
        """Everyone the file names, each once, so the directory is asked about each once."""
        found = {r.employee for r in self.rows}
        found.update(r.manager for r in self.rows if r.manager)
        return found


@dataclass(frozen=True)
class Profile:
    """What the Slack directory says about a person, independent of the Slack client that asked."""

    slack_user_id: str
    team_id: str
    email: str | None
    name: str
    real_name: str
    tz: str | None
    locale: str | None
    deleted: bool = False

    @property
    def display_name(self) -> str:
        return self.real_name or self.name or self.slack_user_id


@dataclass
class ImportReport:
    """What an import did, or why it did nothing; ``rows`` = created + moved + updated + unchanged + ended."""

    rows: int = 0
    created: int = 0
    moved: int = 0
    updated: int = 0
    unchanged: int = 0
    ended: int = 0
    people_created: int = 0
    people_updated: int = 0
    season_joined: int = 0  # pairs that joined an open annual season with this import
    problems: list[Problem] = field(default_factory=list)
    handovers: list[pairings.Handover] = field(default_factory=list)  # reports who got a new manager
    ended_pairs: list[Pairing] = field(default_factory=list)  # reports who have no manager in mal any more

    @property
    def ok(self) -> bool:
        return not self.problems

    def count(self, outcome: str) -> None:
        if outcome not in OUTCOMES:
            raise ValueError(f"unknown pairing outcome {outcome!r}")
        setattr(self, outcome, getattr(self, outcome) + 1)


# --- reading the file -------------------------------------------------------------------------------


def decode(data: bytes, t: Translator) -> tuple[str | None, list[Problem]]:
    """The file's text; anything but UTF-8 is refused, because guessing a legacy code page garbles
    names (and e-mails) silently, and a wrong e-mail is then reported as an unknown user."""
    try:
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        message = t._(
            "Line {line}: the file is not UTF-8 text. Save it as “CSV UTF-8” and import it again; "
            "nothing was imported.",
            line=line,
        )
        return None, [Problem(ProblemKind.ENCODING, message, (line,))]


def normalise_identity(value: str) -> str | None:
    """An e-mail (lower case) or Slack user ID (upper case), or None when the cell is neither."""
    value = value.strip()
    if value.startswith("<@") and value.endswith(">"):
        value = value[2:-1].split("|", 1)[0]
    if _EMAIL.match(value):
        return value.lower()
    if _SLACK_ID.match(value.upper()):
        return value.upper()
    return None


def _header_key(cell: str) -> str:
    cleaned = cell.replace("\ufeff", "").strip().strip('"').lower()
    return " ".join(re.split(r"[\s_\-]+", cleaned)).strip()


def _column_of(cell: str) -> str | None:
    key = _header_key(cell)
    for column, aliases in COLUMN_ALIASES.items():
        if key in aliases:
            return column
    return None


def _delimiter(text: str) -> str:
    """Excel writes ';' where the decimal comma is ',' (Norway, Sweden) and ',' elsewhere; the header
    line tells which, since column names contain neither."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    counts = {d: first.count(d) for d in (";", ",", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _cadence(value: str) -> str | None:
    key = " ".join(value.lower().replace("-", " ").split())
    if key in CADENCES:
        return key
    if key.replace(" ", "") in CADENCES:
        return key.replace(" ", "")
    return CADENCE_ALIASES.get(key)


def _language(value: str) -> str | None:
    key = value.strip().lower().replace("_", "-")
    if key in LANGUAGES:
        return key
    if key in LANGUAGE_ALIASES:
        return LANGUAGE_ALIASES[key]
    base = key.split("-", 1)[0]
    if base in LANGUAGES:
        return base
    return LANGUAGE_ALIASES.get(base)


def parse(text: str, t: Translator) -> ParsedFile:
    """Rows and every problem a file has on its own, before anyone is looked up in Slack."""
    delimiter = _delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    problems: list[Problem] = []
    try:
        header = next((cells for cells in reader if any(c.strip() for c in cells)), None)
    except csv.Error as exc:
        return ParsedFile([], [_csv_problem(reader.line_num, exc, t)])
    if header is None:
        message = t._("The file is empty: it needs a header line with the columns employee and manager.")
        return ParsedFile([], [Problem(ProblemKind.EMPTY_FILE, message)])
    columns = _columns(header, reader.line_num, delimiter, problems, t)
    if columns is None:
        return ParsedFile([], problems)

    nameless = [index for index, cell in enumerate(header) if not cell.strip()]
    rows: list[OrgRow] = []
    while True:
        line = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            problems.append(_csv_problem(line, exc, t))
            break
        if any(c.strip() for c in cells):
            problems.extend(_nameless_values(line, cells, nameless, t))
            row = _row(line, cells, columns, problems, t)
            if row is not None:
                rows.append(row)
    return ParsedFile(rows, problems)


def _columns(
    header: list[str], line: int, delimiter: str, problems: list[Problem], t: Translator
) -> dict[str, int] | None:
    """Column positions by canonical name; None when a required column is missing, since no row can
    then be read the way the admin meant it."""
    columns: dict[str, int] = {}
    for index, cell in enumerate(header):
        column = _column_of(cell)
        if column is None:
            if cell.strip():  # a misspelt column would otherwise be dropped without a word
                problems.append(_unknown_column(line, cell, t))
            continue
        if column not in columns:
            columns[column] = index
            continue
        message = t._(
            "Line {line}: the header has more than one {column} column ({first} and {second})",
            line=line,
            column=column,
            first=header[columns[column]].strip(),
            second=cell.strip(),
        )
        problems.append(Problem(ProblemKind.DUPLICATE_COLUMN, message, (line,)))
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if not missing:
        return columns
    message = t.ngettext(
        "Line {line}: the header ({header}) is missing the column {columns}",
        "Line {line}: the header ({header}) is missing the columns {columns}",
        len(missing),
        line=line,
        header=delimiter.join(c.strip() for c in header),
        columns=", ".join(missing),
    )
    problems.append(Problem(ProblemKind.MISSING_COLUMNS, message, (line,)))
    return None


def _unknown_column(line: int, cell: str, t: Translator) -> Problem:
    """Names the column as written and every column mal reads, all taken from ``COLUMN_ALIASES``."""
    message = t._(
        "Line {line}: unknown column {column} (the columns mal reads are {known})",
        line=line,
        column=cell.strip(),
        known=", ".join(COLUMN_ALIASES),
    )
    return Problem(ProblemKind.UNKNOWN_COLUMN, message, (line,))


def _nameless_values(line: int, cells: list[str], nameless: Sequence[int], t: Translator) -> list[Problem]:
    """A spreadsheet's stray trailing separator is harmless; a value under a column without a name is not read,
    so it is reported rather than dropped."""
    return [
        Problem(
            ProblemKind.UNKNOWN_COLUMN,
            t._(
                "Line {line}: {value} is in column {number}, which has no name in the header",
                line=line,
                value=cells[index].strip(),
                number=index + 1,
            ),
            (line,),
        )
        for index in nameless
        if index < len(cells) and cells[index].strip()
    ]


def _csv_problem(line: int, exc: csv.Error, t: Translator) -> Problem:
    message = t._("Line {line}: the line is not valid CSV ({reason})", line=line, reason=str(exc))
    return Problem(ProblemKind.UNREADABLE, message, (line,))


def _row(
    line: int, cells: list[str], columns: Mapping[str, int], problems: list[Problem], t: Translator
) -> OrgRow | None:
    """The row, or None when there is no usable employee; problems found on the way are collected, so
    a line with three mistakes shows all three."""

    def cell(column: str) -> str:
        index = columns.get(column)
        return cells[index].strip() if index is not None and index < len(cells) else ""

    raw_employee, raw_manager = cell("employee"), cell("manager")
    raw_cadence, raw_language = cell("cadence"), cell("language")
    employee = normalise_identity(raw_employee)
    if not raw_employee:
        message = t._("Line {line}: the employee cell is empty", line=line)
        problems.append(Problem(ProblemKind.EMPTY_EMPLOYEE, message, (line,)))
    elif employee is None:
        problems.append(_not_identity(line, raw_employee, t))
    manager = normalise_identity(raw_manager) if raw_manager else None
    if raw_manager and manager is None:
        problems.append(_not_identity(line, raw_manager, t))
    cadence = _cadence(raw_cadence) if raw_cadence else None
    if raw_cadence and cadence is None:
        message = t._(
            "Line {line}: unknown cadence {value} (use weekly, biweekly, monthly or quarterly)",
            line=line,
            value=raw_cadence,
        )
        problems.append(Problem(ProblemKind.UNKNOWN_CADENCE, message, (line,)))
    language = _language(raw_language) if raw_language else None
    if raw_language and language is None:
        message = t._("Line {line}: unknown language {value} (use nb, nn, sv or en)", line=line, value=raw_language)
        problems.append(Problem(ProblemKind.UNKNOWN_LANGUAGE, message, (line,)))
    raw_template = cell("template")
    template = raw_template.lower() if raw_template else None
    if template is not None and template not in templates():
        message = t._(
            "Line {line}: unknown conversation {value} (use one of: {keys})",
            line=line,
            value=raw_template,
            keys=", ".join(sorted(templates())),
        )
        problems.append(Problem(ProblemKind.UNKNOWN_TEMPLATE, message, (line,)))
        template = None
    raw_birth_year = cell("birth_year")
    birth_year = int(raw_birth_year) if raw_birth_year.isdigit() and 1900 <= int(raw_birth_year) <= 2100 else None
    if raw_birth_year and birth_year is None:
        message = t._(
            "Line {line}: {value} is not a year of birth (write it like 1966)", line=line, value=raw_birth_year
        )
        problems.append(Problem(ProblemKind.BAD_BIRTH_YEAR, message, (line,)))
    if employee is None:
        return None
    unit = cell("unit")[:200] or None
    return OrgRow(
        line=line,
        employee=employee,
        manager=manager,
        cadence=cadence,
        language=language,
        unit=unit,
        template=template,
        birth_year=birth_year,
    )


def _not_identity(line: int, value: str, t: Translator) -> Problem:
    message = t._("Line {line}: {value} is neither an e-mail address nor a Slack user ID", line=line, value=value)
    return Problem(ProblemKind.NOT_AN_IDENTITY, message, (line,))


# --- checking the file against Slack and the current organisation ------------------------------------


def _lines(lines: Sequence[int]) -> str:
    return ", ".join(str(n) for n in lines)


def check(
    rows: Sequence[OrgRow],
    profiles: Mapping[str, Profile | None],
    existing: Mapping[str, str],
    t: Translator,
    existing_labels: Mapping[str, str] | None = None,
) -> list[Problem]:
    """Problems only visible once people are known: unknown or deactivated users, the same person
    twice (perhaps once by e-mail and once by ID), self-management and reporting cycles.

    ``existing`` maps Slack IDs of employees to their current manager's Slack ID; people the file does
    not mention keep that manager, so a cycle may run through them.
    """

    def key(identity: str) -> str:
        profile = profiles.get(identity)
        return profile.slack_user_id if profile is not None else identity

    problems = _unresolved(rows, profiles, t)
    edges, line_of = _edges(rows, key, problems, t)
    graph: dict[str, str] = {e: m for e, m in existing.items() if e not in edges}
    graph.update({e: m for e, m in edges.items() if m is not None})
    labels: dict[str, str] = {}
    for row in rows:
        labels.setdefault(key(row.employee), row.employee)
        if row.manager:
            labels.setdefault(key(row.manager), row.manager)
    for slack_id, label in (existing_labels or {}).items():
        labels.setdefault(slack_id, label)

    for cycle in find_cycles(graph):
        lines = sorted(line_of[p] for p in cycle if p in line_of)
        if not lines:
            continue  # already in the database; not this file's doing
        message = t.ngettext(
            "Line {lines}: reporting cycle {chain} (→ means “reports to”)",
            "Lines {lines}: reporting cycle {chain} (→ means “reports to”)",
            len(lines),
            lines=_lines(lines),
            chain=" → ".join(labels.get(p, p) for p in [*cycle, cycle[0]]),
        )
        problems.append(Problem(ProblemKind.CYCLE, message, tuple(lines)))
    return problems


def _edges(
    rows: Sequence[OrgRow], key: Callable[[str], str], problems: list[Problem], t: Translator
) -> tuple[dict[str, str | None], dict[str, int]]:
    """Each employee's manager as the file says (None: no manager), and the line saying it. A repeated
    employee or a self-manager is reported and left out, so it cannot also show up as a cycle."""
    edges: dict[str, str | None] = {}
    line_of: dict[str, int] = {}
    for row in rows:
        employee = key(row.employee)
        if employee in line_of:
            message = t._(
                "Line {line}: {employee} is already listed on line {first}",
                line=row.line,
                employee=row.employee,
                first=line_of[employee],
            )
            problems.append(Problem(ProblemKind.DUPLICATE_EMPLOYEE, message, (line_of[employee], row.line)))
            continue
        line_of[employee] = row.line
        manager = key(row.manager) if row.manager else None
        if manager == employee:
            message = t._("Line {line}: {employee} cannot be their own manager", line=row.line, employee=row.employee)
            problems.append(Problem(ProblemKind.SELF_MANAGER, message, (row.line,)))
            manager = None
        edges[employee] = manager
    return edges, line_of


def _unresolved(rows: Sequence[OrgRow], profiles: Mapping[str, Profile | None], t: Translator) -> list[Problem]:
    """One problem per unknown or deactivated person, listing every line they are on: a manager with
    40 reports who left is one thing to fix, not 40."""
    lines: dict[str, list[int]] = {}
    for row in rows:
        for identity in (row.employee, row.manager):
            if identity is None:
                continue
            profile = profiles.get(identity)
            if profile is None or profile.deleted:
                seen = lines.setdefault(identity, [])
                if not seen or seen[-1] != row.line:
                    seen.append(row.line)
    problems: list[Problem] = []
    for identity, where in lines.items():
        profile = profiles.get(identity)
        n, shown = len(where), _lines(where)
        if profile is not None:
            message = t.ngettext(
                "Line {lines}: {person} is deactivated in Slack",
                "Lines {lines}: {person} is deactivated in Slack",
                n,
                lines=shown,
                person=identity,
            )
            kind = ProblemKind.DEACTIVATED_USER
        elif "@" in identity:
            message = t.ngettext(
                "Line {lines}: {email} is not a user in this Slack workspace",
                "Lines {lines}: {email} is not a user in this Slack workspace",
                n,
                lines=shown,
                email=identity,
            )
            kind = ProblemKind.UNKNOWN_USER
        else:
            message = t.ngettext(
                "Line {lines}: there is no user with the Slack ID {user_id} in this workspace",
                "Lines {lines}: there is no user with the Slack ID {user_id} in this workspace",
                n,
                lines=shown,
                user_id=identity,
            )
            kind = ProblemKind.UNKNOWN_USER
        problems.append(Problem(kind, message, tuple(where)))
    return problems


def find_cycles(graph: Mapping[str, str]) -> list[list[str]]:
    """Every cycle of a who-reports-to-whom graph (each person has at most one manager), in order.

    Walks each chain once (O(people)), so a 10,000-person file does not cost a search per person.
    """
    done: set[str] = set()
    cycles: list[list[str]] = []
    for start in graph:
        if start in done:
            continue
        path: list[str] = []
        position: dict[str, int] = {}
        node: str | None = start
        while node is not None and node not in done and node not in position:
            position[node] = len(path)
            path.append(node)
            node = graph.get(node)
        if node is not None and node in position:
            cycles.append(path[position[node] :])
        done.update(path)
    return cycles


# --- writing ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CurrentOrg:
    """The team's active pairings and the people in them, loaded once per import in a few queries."""

    pairings: list[Pairing]
    people: dict[int, Person]

    @classmethod
    def load(cls, repo: Repo, team_id: str) -> "CurrentOrg":
        active = repo.active_pairings(team_id)
        ids = sorted({p.employee_id for p in active} | {p.manager_id for p in active})
        people: dict[int, Person] = {}
        for start in range(0, len(ids), CHUNK):  # below SQLite's and PostgreSQL's bound-parameter caps
            people.update(repo.people(ids[start : start + CHUNK]))
        return cls(active, people)

    def graph(self) -> dict[str, str]:
        """Employee Slack ID → manager Slack ID."""
        graph: dict[str, str] = {}
        for pairing in self.pairings:
            employee, manager = self.people.get(pairing.employee_id), self.people.get(pairing.manager_id)
            if employee is not None and manager is not None:
                graph[employee.slack_user_id] = manager.slack_user_id
        return graph

    def labels(self) -> dict[str, str]:
        return {p.slack_user_id: p.email or p.slack_user_id for p in self.people.values()}


class _BatchRepo(Repo):
    """The import's repo: ``pair`` asks for one employee's active pairing and flushes each change, and
    for 10,000 rows those single-row round trips were nearly all of an import's time. Here the team's
    active pairings are known up front and kept current, and changes are flushed once at the end."""

    def __init__(self, repo: Repo, active: Iterable[Pairing]) -> None:
        super().__init__(repo.session)
        self._active = {p.employee_id: p for p in active}

    def active_pairing_of(self, employee_id: int) -> Pairing | None:
        return self._active.get(employee_id)

    def add(self, row: Any) -> Any:
        self.session.add(row)
        if isinstance(row, Pairing):
            if row.ended_at is None:
                self._active[row.employee_id] = row
            elif self._active.get(row.employee_id) is row:
                del self._active[row.employee_id]
        return row


def apply_import(
    repo: Repo,
    rows: Sequence[OrgRow],
    resolved_profiles: Mapping[str, Profile | None],
    now: datetime,
    tz: str,
    lead_days: int,
    *,
    team_id: str,
    t: Translator,
    problems: Iterable[Problem] = (),
) -> ImportReport:
    """Bring the organisation in line with the file, or write nothing when the file has any problem.

    ``problems`` are those found before (while reading the file): they still get the checks here added,
    so the admin sees everything at once, and they stop the writing too. People not in the file keep
    their pairings: a file may cover one department.
    """
    current = CurrentOrg.load(repo, team_id)
    found = [*problems, *check(rows, resolved_profiles, current.graph(), t, current.labels())]
    if found:
        found.sort(key=lambda p: p.line or 0)
        return ImportReport(rows=len(rows), problems=found)

    report = ImportReport(rows=len(rows))
    people = _upsert_people(repo, team_id, rows, resolved_profiles, current.people, now, report)
    between_managers = repo.last_ended_pairings(team_id)
    batch = _BatchRepo(repo, current.pairings)
    for row in rows:
        employee = people[_slack_id(resolved_profiles, row.employee)]
        if row.manager is None:
            ended = _end_pairing(batch, employee, now)
            report.count("ended" if ended is not None else "unchanged")
            if ended is not None:
                report.ended_pairs.append(ended)
            continue
        assert employee.id is not None
        before = batch.active_pairing_of(employee.id)
        pairing, outcome = pairings.pair(
            batch,
            people[_slack_id(resolved_profiles, row.manager)],
            employee,
            now=now,
            tz=tz,
            lead=lead_days,
            cadence_name=row.cadence,
            template_name=row.template,
        )
        report.count(outcome)
        if outcome == "moved" and before is not None:
            report.handovers.append(pairings.Handover(pairing, before))
        elif outcome == "created" and employee.id in between_managers:  # a manager again after none
            report.handovers.append(pairings.Handover(pairing, between_managers[employee.id], after_none=True))
    repo.session.flush()
    return report


def _slack_id(profiles: Mapping[str, Profile | None], identity: str) -> str:
    profile = profiles[identity]
    assert profile is not None, "checked before writing"
    return profile.slack_user_id


def _end_pairing(repo: Repo, employee: Person, now: datetime) -> Pairing | None:
    assert employee.id is not None
    current = repo.active_pairing_of(employee.id)
    if current is None:
        return None
    current.ended_at = now
    current.nudge_at = None
    repo.add(current)
    return current


def _upsert_people(
    repo: Repo,
    team_id: str,
    rows: Sequence[OrgRow],
    profiles: Mapping[str, Profile | None],
    known: Mapping[int, Person],
    now: datetime,
    report: ImportReport,
) -> dict[str, Person]:
    """Everyone the file names as a Person, keyed by Slack ID; new ones are inserted in one flush."""
    languages: dict[str, str] = {}
    units: dict[str, str] = {}
    born: dict[str, int] = {}
    wanted: dict[str, Profile] = {}
    for row in rows:
        for identity in (row.employee, row.manager):
            profile = profiles.get(identity) if identity else None
            if profile is not None:
                wanted.setdefault(profile.slack_user_id, profile)
        employee = profiles.get(row.employee)
        if row.language and employee is not None:
            languages[employee.slack_user_id] = row.language
        if row.unit and employee is not None:
            units[employee.slack_user_id] = row.unit
        if row.birth_year and employee is not None:
            born[employee.slack_user_id] = row.birth_year

    people = {p.slack_user_id: p for p in known.values() if p.team_id == team_id}
    people.update(_people_by_slack(repo, team_id, [s for s in wanted if s not in people]))
    new: list[Person] = []
    for slack_id, profile in wanted.items():
        person = people.get(slack_id)
        if person is None:
            person = Person(team_id=team_id, slack_user_id=slack_id, created_at=now)
            new.append(person)
            _sync_person(person, profile, languages.get(slack_id), units.get(slack_id), born.get(slack_id))
        elif _sync_person(person, profile, languages.get(slack_id), units.get(slack_id), born.get(slack_id)):
            report.people_updated += 1
        people[slack_id] = person
    if new:
        repo.session.add_all(new)
        repo.session.flush()
        report.people_created = len(new)
    return people


def _people_by_slack(repo: Repo, team_id: str, slack_ids: Sequence[str]) -> dict[str, Person]:
    """People by Slack ID in a few IN queries rather than one query each; chunked to stay below the
    bound-parameter limits of SQLite and PostgreSQL."""
    found: dict[str, Person] = {}
    for start in range(0, len(slack_ids), CHUNK):
        chunk = slack_ids[start : start + CHUNK]
        query = select(Person).where(Person.team_id == team_id, col(Person.slack_user_id).in_(chunk))
        found.update((p.slack_user_id, p) for p in repo.session.exec(query).all())
    return found


def _sync_person(
    person: Person, profile: Profile, language: str | None, unit: str | None = None, birth_year: int | None = None
) -> bool:
    """Copy what Slack says onto the person; True when anything changed. Untouched attributes keep an
    unchanged re-import from writing (and from bumping anything) at all."""
    wanted: dict[str, object] = {
        "email": profile.email.lower() if profile.email else person.email,
        "name": profile.display_name,
        "tz": profile.tz or person.tz,
        "slack_locale": profile.locale or person.slack_locale,
        "active": True,
    }
    if language:
        wanted["language"] = language
    if unit:  # a file without units, or an empty cell, leaves the unit as it was
        wanted["unit"] = unit
    if birth_year:  # likewise: an empty cell never erases a birth year an admin has set
        wanted["birth_year"] = birth_year
    changed = False
    for attribute, value in wanted.items():
        if getattr(person, attribute) != value:
            setattr(person, attribute, value)
            changed = True
    return changed

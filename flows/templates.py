"""Conversation templates as data: question sets live in YAML files so an organisation can change them.

Texts in the files are message ids; they are shown through the catalogs in the reader's language.

A file is read as a YAML node tree rather than as plain Python values, so that every complaint can
name the line it is about: an administrator who adds a template should learn at start, from one line
of output, which file and which line to fix, instead of meeting a half-shown conversation weeks later.
"""

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any, NoReturn

import yaml
from yaml.constructor import SafeConstructor

from flows.i18n import N_

DATA = Path(__file__).parent / "data"
KINDS = ("text", "rating", "choice")
PARTIES = ("employee", "manager")
CADENCES = ("weekly", "biweekly", "monthly", "quarterly", "yearly")
PLAN_COLUMNS = ("goal", "action", "responsible", "deadline", "how", "follow_up")
DEFAULT_PLAN = ("goal", "action", "responsible", "deadline")
# Without these two an agreement cannot become an action: it needs a what and a by-when.
REQUIRED_PLAN_COLUMNS = ("action", "deadline")
DEFAULT_COLUMN_LABELS = {
    "goal": N_("Goal"),
    "action": N_("Action"),
    "responsible": N_("Responsible"),
    "deadline": N_("Deadline"),
    "how": N_("How?"),
    "follow_up": N_("How to follow up"),
}
KEY_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")

TEMPLATE_FIELDS = (
    "key",
    "title",
    "description",
    "source",
    "cadence",
    "duration_minutes",
    "due_by",
    "offer",
    "manager_picks",
    "for_managers",
    "scales",
    "employee_prep",
    "manager_prep",
    "sections",
    "plan",
    "evaluation",
)
QUESTION_FIELDS = (
    "key",
    "text",
    "kind",
    "choices",
    "scale",
    "with_reason",
    "sensitive",
    "care_text",
    "hint",
    "label",
    "core",
    "levels",
)
SECTION_FIELDS = ("key", "title", "intro", "hint", "prepared_by", "questions", "salary_criteria")
PLAN_FIELDS = ("columns", "groups", "intro")
OFFER_FIELDS = ("min_age_in_year", "measures_from_age")


class TemplateError(Exception):
    """A template file that cannot be used; the message is ``FILE:LINE: reason``.

    ``file``, ``line`` and ``reason`` are kept apart as well, for a caller that shows them its own way.
    """

    def __init__(self, file: str, line: int, reason: str) -> None:
        super().__init__(f"{file}:{line}: {reason}" if line else f"{file}: {reason}" if file else reason)
        self.file = file
        self.line = line
        self.reason = reason


@dataclass(frozen=True)
class ScaleStep:
    key: str
    text: str
    # 003's "kriterienyckel": what the level looks like ("Delaktig. Positiv. Genomför. …"), an example, not a key.
    description: str = ""


@dataclass(frozen=True)
class Question:
    key: str
    text: str
    kind: str = "text"
    choices: tuple[str, ...] = ()
    core: bool = False
    scale: tuple[ScaleStep, ...] = ()
    with_reason: bool = False
    sensitive: bool = False
    care_text: str = ""
    hint: str = ""
    label: str = ""
    prepared_by: tuple[str, ...] = ()
    # A criterion's own level descriptions by step key (003: the key of "Resursanvändande"); else the scale's.
    levels: tuple[tuple[str, str], ...] = ()
    # The section's ratings are made "med hjälp av lönekriterierna" (003): the organisation's link is shown.
    salary_criteria: bool = False
    line: int = field(default=0, compare=False)

    def level_descriptions(self) -> tuple[tuple[ScaleStep, str], ...]:
        """Each step of a rated question with what the level looks like: the question's own, else the scale's."""
        own = dict(self.levels)
        return tuple((s, own.get(s.key) or s.description) for s in self.scale if own.get(s.key) or s.description)


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    questions: tuple[Question, ...]
    intro: str = ""
    hint: str = ""


@dataclass(frozen=True)
class PlanColumn:
    key: str
    label: str


@dataclass(frozen=True)
class PlanGroup:
    key: str
    title: str


@dataclass(frozen=True)
class Plan:
    columns: tuple[PlanColumn, ...] = tuple(PlanColumn(k, DEFAULT_COLUMN_LABELS[k]) for k in DEFAULT_PLAN)
    groups: tuple[PlanGroup, ...] = ()
    intro: str = ""


@dataclass(frozen=True)
class Offer:
    """When a template is offered by age; ages are reached in the calendar year, as the seeds count them."""

    min_age_in_year: int | None = None
    measures_from_age: int | None = None


@dataclass(frozen=True)
class Template:
    key: str
    title: str
    cadence: str
    duration_minutes: int
    employee_prep: tuple[Question, ...]
    manager_prep: tuple[Question, ...]
    evaluation: tuple[Question, ...]
    plan_columns: tuple[str, ...] = DEFAULT_PLAN
    source: str = ""
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)
    sections: tuple[Section, ...] = ()
    plan: Plan = field(default_factory=Plan)
    offer: Offer | None = None
    description: str = ""
    due_by: str = ""
    # 004: the manager chooses, per invitation, which of the sections' questions go with it.
    manager_picks: bool = False
    # 003 is the manager's booklet ("CHEF"): steering, the employer role, approach to staff. Offered only for a
    # conversation with someone who is a manager themselves.
    for_managers: bool = False
    origin: str = field(default="", compare=False)
    origin_line: int = field(default=0, compare=False)

    @property
    def pickable(self) -> tuple[Question, ...]:
        """The questions a manager chooses among when the template lets them: the employee's questions of the
        sections, in the form's order. The template's own opening questions always go with the invitation."""
        if not self.manager_picks:
            return ()
        return tuple(q for s in self.sections for q in s.questions if "employee" in q.prepared_by)

    def question(self, key: str) -> Question | None:
        """A question of the employee's side by key, wherever it is asked: answers are stored by that key."""
        for q in self.employee_prep:
            if q.key == key:
                return q
        return next((q for s in self.sections for q in s.questions if q.key == key), None)


# --- reading the node tree -----------------------------------------------------------------------------------


class _Reader:
    """Reads one file's nodes, failing with the file and the line of the node at fault."""

    def __init__(self, name: str, scales: dict[str, tuple[ScaleStep, ...]] | None = None) -> None:
        self.name = name
        self.scales = scales or {}
        self._constructor = SafeConstructor()

    def fail(self, node: yaml.Node | None, reason: str) -> NoReturn:
        raise TemplateError(self.name, node.start_mark.line + 1 if node is not None else 0, reason)

    def mapping(self, node: yaml.Node, what: str, allowed: Iterable[str]) -> dict[str, yaml.Node]:
        if not isinstance(node, yaml.MappingNode):
            self.fail(node, f"{what} must be a mapping of keys to values")
        allowed = tuple(allowed)
        out: dict[str, yaml.Node] = {}
        for key_node, value in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                self.fail(key_node, f"{what}: a key must be a plain word")
            name = str(key_node.value)
            if name not in allowed:
                self.fail(key_node, f"unknown key {name!r} in {what} (expected one of: {', '.join(allowed)})")
            if name in out:
                self.fail(key_node, f"key {name!r} given twice in {what}")
            out[name] = value
        return out

    def value(self, node: yaml.Node) -> Any:
        return self._constructor.construct_object(node, deep=True)

    def text(self, node: yaml.Node, what: str) -> str:
        if isinstance(node, yaml.ScalarNode) and node.tag != "tag:yaml.org,2002:str" and node.value.strip():
            # Unquoted yes, no, on, off and numbers are read as booleans and numbers by YAML.
            self.fail(node, f"{what} must be a text; put {node.value!r} in quotes")
        if not isinstance(node, yaml.ScalarNode) or not node.value.strip():
            self.fail(node, f"{what} must be a non-empty text")
        return str(node.value)

    def optional_text(self, fields: dict[str, yaml.Node], name: str, what: str) -> str:
        return self.text(fields[name], f"{what}: {name!r}") if name in fields else ""

    def key(self, node: yaml.Node, what: str) -> str:
        value = self.text(node, f"{what}: 'key'")
        if not KEY_PATTERN.match(value):
            self.fail(node, f"{what}: key {value!r} must be lower-case letters, digits, '_' or '-'")
        return value

    def flag(self, node: yaml.Node, what: str) -> bool:
        value = self.value(node) if isinstance(node, yaml.ScalarNode) else None
        if not isinstance(value, bool):
            self.fail(node, f"{what} must be true or false")
        return value

    def integer(self, node: yaml.Node, what: str, low: int, high: int) -> int:
        value = self.value(node) if isinstance(node, yaml.ScalarNode) else None
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            self.fail(node, f"{what} must be a whole number from {low} to {high}")
        return value

    def sequence(self, node: yaml.Node, what: str) -> list[yaml.Node]:
        if not isinstance(node, yaml.SequenceNode):
            self.fail(node, f"{what} must be a list")
        return list(node.value)

    def parties(self, node: yaml.Node, what: str) -> tuple[str, ...]:
        items = [node] if isinstance(node, yaml.ScalarNode) else self.sequence(node, what)
        out = []
        for item in items:
            party = self.text(item, what)
            if party not in PARTIES:
                self.fail(item, f"{what}: {party!r} is not one of {', '.join(PARTIES)}")
            out.append(party)
        return tuple(dict.fromkeys(out))

    # --- the parts of a template ---

    def scale(self, node: yaml.Node, what: str) -> tuple[ScaleStep, ...]:
        if isinstance(node, yaml.ScalarNode):
            name = self.text(node, what)
            if name not in self.scales:
                known = ", ".join(self.scales) or "none defined under 'scales'"
                self.fail(node, f"{what}: unknown scale {name!r} (known: {known})")
            return self.scales[name]
        steps = []
        seen: set[str] = set()
        for item in self.sequence(node, what):
            fields = self.mapping(item, f"{what} step", ("key", "text", "description"))
            if "key" not in fields or "text" not in fields:
                self.fail(item, f"{what}: a step needs 'key' and 'text'")
            key = self.key(fields["key"], f"{what} step")
            if key in seen:
                self.fail(fields["key"], f"{what}: step {key!r} given twice")
            seen.add(key)
            description = self.optional_text(fields, "description", f"{what} step")
            steps.append(ScaleStep(key, self.text(fields["text"], f"{what} step: 'text'"), description))
        if len(steps) < 2:
            self.fail(node, f"{what} needs at least two steps")
        return tuple(steps)

    def question(self, node: yaml.Node, what: str, allowed: tuple[str, ...], prepared_by: tuple[str, ...]) -> Question:
        fields = self.mapping(node, what, allowed)
        if "key" not in fields or "text" not in fields:
            self.fail(node, f"{what} needs 'key' and 'text'")
        key = self.key(fields["key"], what)
        where = f"question {key!r}"
        text = self.text(fields["text"], f"{where}: 'text'")
        kind = self.text(fields["kind"], f"{where}: 'kind'") if "kind" in fields else "text"
        if kind not in KINDS:
            self.fail(fields["kind"], f"{where}: unknown kind {kind!r} (expected one of: {', '.join(KINDS)})")
        choices: tuple[str, ...] = ()
        if "choices" in fields:
            if kind != "choice":
                self.fail(fields["choices"], f"{where}: 'choices' belong to a question of kind 'choice'")
            items = self.sequence(fields["choices"], f"{where}: 'choices'")
            choices = tuple(self.text(item, f"{where}: a choice") for item in items)
            if len(set(choices)) != len(choices):
                self.fail(fields["choices"], f"{where}: a choice is given twice")
        if kind == "choice" and not choices:
            self.fail(node, f"{where}: a choice question needs 'choices'")
        scale: tuple[ScaleStep, ...] = ()
        if "scale" in fields:
            if kind != "rating":
                self.fail(fields["scale"], f"{where}: 'scale' belongs to a question of kind 'rating'")
            scale = self.scale(fields["scale"], f"{where}: 'scale'")
        if kind == "rating" and not scale:
            self.fail(node, f"{where}: a rating question needs a 'scale'")
        with_reason = self.flag(fields["with_reason"], f"{where}: 'with_reason'") if "with_reason" in fields else False
        if with_reason and kind == "text":
            self.fail(fields["with_reason"], f"{where}: 'with_reason' is for a rating or a choice")
        sensitive = self.flag(fields["sensitive"], f"{where}: 'sensitive'") if "sensitive" in fields else False
        care_text = self.optional_text(fields, "care_text", where)
        if sensitive and not care_text:
            self.fail(node, f"{where}: a sensitive question needs a 'care_text' saying who sees the answer")
        if care_text and not sensitive:
            self.fail(fields["care_text"], f"{where}: 'care_text' belongs to a question marked 'sensitive: true'")
        if "prepared_by" in fields:
            prepared_by = self.parties(fields["prepared_by"], f"{where}: 'prepared_by'")
        levels: list[tuple[str, str]] = []
        if "levels" in fields:
            if kind != "rating":
                self.fail(fields["levels"], f"{where}: 'levels' belong to a question of kind 'rating'")
            steps = {s.key for s in scale}
            for item in self.sequence(fields["levels"], f"{where}: 'levels'"):
                level = self.mapping(item, f"{where}: a level", ("step", "text"))
                if "step" not in level or "text" not in level:
                    self.fail(item, f"{where}: a level needs 'step' and 'text'")
                step = self.text(level["step"], f"{where}: a level's 'step'")
                if step not in steps:
                    self.fail(level["step"], f"{where}: {step!r} is not a step of its scale ({', '.join(steps)})")
                levels.append((step, self.text(level["text"], f"{where}: a level's 'text'")))
        return Question(
            key=key,
            text=text,
            kind=kind,
            choices=choices,
            core=self.flag(fields["core"], f"{where}: 'core'") if "core" in fields else False,
            scale=scale,
            with_reason=with_reason,
            sensitive=sensitive,
            care_text=care_text,
            hint=self.optional_text(fields, "hint", where),
            label=self.optional_text(fields, "label", where),
            prepared_by=prepared_by,
            levels=tuple(levels),
            line=node.start_mark.line + 1,
        )

    def questions(
        self,
        node: yaml.Node | None,
        what: str,
        *,
        allowed: tuple[str, ...] = QUESTION_FIELDS,
        prepared_by: tuple[str, ...] = (),
    ) -> tuple[Question, ...]:
        if node is None or (isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:null"):
            return ()
        out: list[Question] = []
        for i, item in enumerate(self.sequence(node, f"{what}"), 1):
            out.append(self.question(item, f"{what} question {i}", allowed, prepared_by))
        return tuple(out)

    def sections(self, node: yaml.Node) -> tuple[Section, ...]:
        out: list[Section] = []
        seen: dict[str, int] = {}
        for i, item in enumerate(self.sequence(node, "'sections'"), 1):
            fields = self.mapping(item, f"section {i}", SECTION_FIELDS)
            if "key" not in fields or "title" not in fields:
                self.fail(item, f"section {i} needs 'key' and 'title'")
            key = self.key(fields["key"], f"section {i}")
            if key in seen:
                self.fail(fields["key"], f"duplicate section key {key!r} (first at line {seen[key]})")
            seen[key] = item.start_mark.line + 1
            where = f"section {key!r}"
            prepared_by = (
                self.parties(fields["prepared_by"], f"{where}: 'prepared_by'") if "prepared_by" in fields else ()
            )
            if "questions" not in fields:
                self.fail(item, f"{where} needs 'questions'")
            questions = self.questions(
                fields["questions"], where, allowed=(*QUESTION_FIELDS, "prepared_by"), prepared_by=prepared_by
            )
            if "salary_criteria" in fields and self.flag(fields["salary_criteria"], f"{where}: 'salary_criteria'"):
                questions = tuple(replace(q, salary_criteria=True) for q in questions)
            if not questions:
                self.fail(fields["questions"], f"{where} has no questions")
            for q in questions:
                if not q.prepared_by:
                    # A question nobody prepares is never shown to anyone: refuse it at start, not months later.
                    raise TemplateError(
                        self.name,
                        q.line,
                        f"question {q.key!r} of {where} names no party: give the section or the question "
                        f"'prepared_by: [employee, manager]' (or one of them)",
                    )
            out.append(
                Section(
                    key=key,
                    title=self.text(fields["title"], f"{where}: 'title'"),
                    questions=questions,
                    intro=self.optional_text(fields, "intro", where),
                    hint=self.optional_text(fields, "hint", where),
                )
            )
        return tuple(out)

    def plan(self, node: yaml.Node) -> Plan:
        fields = self.mapping(node, "'plan'", PLAN_FIELDS)
        columns: list[PlanColumn] = []
        if "columns" in fields:
            for item in self.sequence(fields["columns"], "plan 'columns'"):
                if isinstance(item, yaml.MappingNode):
                    col = self.mapping(item, "a plan column", ("key", "label"))
                    if "key" not in col:
                        self.fail(item, "a plan column needs a 'key'")
                    key_node = col["key"]
                    label = self.optional_text(col, "label", "plan column")
                else:
                    key_node, label = item, ""
                key = self.text(key_node, "a plan column")
                if key not in PLAN_COLUMNS:
                    self.fail(key_node, f"unknown plan column {key!r} (expected one of: {', '.join(PLAN_COLUMNS)})")
                if any(c.key == key for c in columns):
                    self.fail(key_node, f"plan column {key!r} given twice")
                columns.append(PlanColumn(key, label or DEFAULT_COLUMN_LABELS[key]))
            missing = [c for c in REQUIRED_PLAN_COLUMNS if all(col.key != c for col in columns)]
            if missing:
                self.fail(fields["columns"], f"the plan needs the columns {', '.join(missing)} (what, by when)")
        groups: list[PlanGroup] = []
        for item in self.sequence(fields["groups"], "plan 'groups'") if "groups" in fields else []:
            group = self.mapping(item, "a plan group", ("key", "title"))
            if "key" not in group or "title" not in group:
                self.fail(item, "a plan group needs 'key' and 'title'")
            key = self.key(group["key"], "plan group")
            if any(g.key == key for g in groups):
                self.fail(group["key"], f"plan group {key!r} given twice")
            groups.append(PlanGroup(key, self.text(group["title"], "plan group: 'title'")))
        return Plan(
            columns=tuple(columns) if columns else Plan().columns,
            groups=tuple(groups),
            intro=self.optional_text(fields, "intro", "'plan'"),
        )

    def offer(self, node: yaml.Node) -> Offer:
        fields = self.mapping(node, "'offer'", OFFER_FIELDS)
        if not fields:
            self.fail(node, "'offer' needs min_age_in_year or measures_from_age")
        return Offer(
            min_age_in_year=self.integer(fields["min_age_in_year"], "'min_age_in_year'", 16, 100)
            if "min_age_in_year" in fields
            else None,
            measures_from_age=self.integer(fields["measures_from_age"], "'measures_from_age'", 16, 100)
            if "measures_from_age" in fields
            else None,
        )

    def due_by(self, node: yaml.Node) -> str:
        value = self.text(node, "'due_by'")
        try:
            date.fromisoformat(f"2024-{value}")  # a leap year, so 02-29 is a day
        except ValueError:
            self.fail(node, f"'due_by' must be a day of the year as MM-DD, not {value!r}")
        return value


def _unique(reader: _Reader, questions: Iterable[Question], namespace: str) -> None:
    """Answers are stored by question key, so two questions with one key would overwrite each other."""
    first: dict[str, int] = {}
    for q in questions:
        if q.key in first:
            raise TemplateError(
                reader.name, q.line, f"duplicate question key {q.key!r} in {namespace} (first at line {first[q.key]})"
            )
        first[q.key] = q.line


# libyaml's parser where PyYAML was built with it (its wheels are): the same nodes and line marks, composed in
# C, which takes the start's template check from about a tenth of a second to a hundredth.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _compose(text: str, name: str) -> yaml.Node:
    try:
        root = yaml.compose(text, Loader=_LOADER)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        reason = " ".join(p for p in (exc.context, exc.problem) if p)
        raise TemplateError(name, mark.line + 1 if mark else 0, f"YAML syntax error: {reason}") from None
    except yaml.YAMLError as exc:
        raise TemplateError(name, 0, f"YAML syntax error: {exc}") from None
    if root is None:
        raise TemplateError(name, 1, "the file is empty")
    return root


def parse_template(text: str, name: str) -> Template:
    root = _compose(text, name)
    fields = _Reader(name).mapping(root, "a template", TEMPLATE_FIELDS)
    scales: dict[str, tuple[ScaleStep, ...]] = {}
    if "scales" in fields:
        plain = _Reader(name)
        for key_name, steps in plain.mapping(fields["scales"], "'scales'", _scale_names(fields["scales"])).items():
            scales[key_name] = plain.scale(steps, f"scale {key_name!r}")
    r = _Reader(name, scales)
    for required in ("key", "title"):
        if required not in fields:
            r.fail(root, f"a template needs a {required!r}")
    key = r.key(fields["key"], "the template")
    cadence = r.text(fields["cadence"], "'cadence'") if "cadence" in fields else "monthly"
    if cadence not in CADENCES:
        r.fail(fields["cadence"], f"unknown cadence {cadence!r} (expected one of: {', '.join(CADENCES)})")
    duration = (
        r.integer(fields["duration_minutes"], "'duration_minutes'", 5, 480) if "duration_minutes" in fields else 30
    )
    employee_own = r.questions(fields.get("employee_prep"), "employee_prep", prepared_by=("employee",))
    manager_own = r.questions(fields.get("manager_prep"), "manager_prep", prepared_by=("manager",))
    sections = r.sections(fields["sections"]) if "sections" in fields else ()
    in_sections = [q for s in sections for q in s.questions]
    evaluation = r.questions(fields.get("evaluation"), "evaluation")
    _unique(r, [*employee_own, *in_sections], "the employee's preparation and the sections")
    _unique(r, manager_own, "manager_prep")
    _unique(r, evaluation, "evaluation")
    menu = {q.key for q in question_menu()}
    for q in [*employee_own, *in_sections]:
        if q.key in menu:
            raise TemplateError(name, q.line, f"question key {q.key!r} is taken by the question menu; choose another")
    plan = r.plan(fields["plan"]) if "plan" in fields else Plan()
    return Template(
        key=key,
        title=r.text(fields["title"], "'title'"),
        cadence=cadence,
        duration_minutes=duration,
        employee_prep=(*employee_own, *(q for q in in_sections if "employee" in q.prepared_by)),
        manager_prep=(*manager_own, *(q for q in in_sections if "manager" in q.prepared_by)),
        evaluation=evaluation,
        plan_columns=tuple(c.key for c in plan.columns),
        source=r.optional_text(fields, "source", "the template"),
        sections=sections,
        plan=plan,
        offer=r.offer(fields["offer"]) if "offer" in fields else None,
        description=r.optional_text(fields, "description", "the template"),
        due_by=r.due_by(fields["due_by"]) if "due_by" in fields else "",
        manager_picks=r.flag(fields["manager_picks"], "'manager_picks'") if "manager_picks" in fields else False,
        for_managers=r.flag(fields["for_managers"], "'for_managers'") if "for_managers" in fields else False,
        origin=name,
        origin_line=fields["key"].start_mark.line + 1,
    )


def _scale_names(node: yaml.Node) -> tuple[str, ...]:
    """Scales are named by the file itself, so every name it gives is allowed; only the shape is checked."""
    if not isinstance(node, yaml.MappingNode):
        return ()
    return tuple(str(k.value) for k, _ in node.value if isinstance(k, yaml.ScalarNode))


# --- loading and choosing ----------------------------------------------------------------------------------------


def _read(path: Path, name: str) -> Template:
    try:
        text = path.read_text("utf-8")
    except UnicodeDecodeError:
        raise TemplateError(name, 0, "not UTF-8 text") from None
    except OSError as exc:
        raise TemplateError(name, 0, f"cannot be read: {exc.strerror or exc}") from None
    return parse_template(text, name)


def _load_dir(directory: Path, name: Callable[[Path], str]) -> dict[str, Template]:
    out: dict[str, Template] = {}
    for path in sorted(directory.glob("*.yaml")):
        tpl = _read(path, name(path))
        if tpl.key in out:
            first = out[tpl.key]
            raise TemplateError(
                name(path),
                tpl.origin_line,
                f"template key {tpl.key!r} is also used by {first.origin}:{first.origin_line}",
            )
        out[tpl.key] = tpl
    return out


@cache
def shipped_templates() -> dict[str, Template]:
    return _load_dir(DATA / "templates", lambda p: p.name)


def load_templates(custom_dir: Path | None) -> dict[str, Template]:
    """The shipped templates, then the organisation's: a custom file with a shipped key replaces it."""
    merged = dict(shipped_templates())
    if custom_dir is None:
        return merged
    if not custom_dir.is_dir():
        raise TemplateError(str(custom_dir), 0, "the templates directory does not exist")
    merged.update(_load_dir(custom_dir, str))
    return merged


class _Active:
    """The set in use: the shipped templates until ``configure`` names an organisation's directory."""

    templates: dict[str, Template] | None = None


def configure(custom_dir: Path | str | None) -> dict[str, Template]:
    """Called once at start with ``settings.mal_templates_dir``; raises TemplateError so start can stop."""
    _Active.templates = load_templates(Path(custom_dir)) if custom_dir else None
    return templates()


def templates() -> dict[str, Template]:
    return _Active.templates if _Active.templates is not None else shipped_templates()


def template(key: str) -> Template:
    found = templates().get(key)
    if found is None:
        raise TemplateError("", 0, f"unknown template {key!r}")
    return found


def conversation_title(key: str, translate: Callable[[str], str]) -> str:
    """A meeting's or a conversation's name in the reader's language, from its template's own title: an
    annual conversation is not a "1:1". ``translate`` is the reader's ``Translator._``. A template that is
    gone (a custom file removed) falls back to the monthly one's title rather than failing a message."""
    found = templates().get(key) or templates().get("monthly")
    return translate(found.title) if found is not None else key


def _age_in(birth_year: int, year: int) -> int:
    return year - birth_year


def offered_templates(birth_year: int | None, year: int) -> list[Template]:
    """Templates to offer a person this year. An age rule needs a birth year; without one it never matches,
    because a birth year is optional data that nobody is asked to give."""
    out = []
    for tpl in templates().values():
        rule = tpl.offer.min_age_in_year if tpl.offer else None
        if rule is None or (birth_year is not None and _age_in(birth_year, year) >= rule):
            out.append(tpl)
    return out


def season_template(default: str, birth_year: int | None, year: int, *, is_manager: bool = True) -> str:
    """The template of a person's season conversation: the senior conversation the year they turn 60 (004:
    "det året medarbeideren fyller 60 år"), else the season's own. Without a birth year, always the season's.
    A season of a conversation for managers (003's booklet) gives someone without reports the first yearly
    conversation that is for everyone."""
    for tpl in templates().values():
        rule = tpl.offer.min_age_in_year if tpl.offer else None
        if rule is not None and birth_year is not None and _age_in(birth_year, year) == rule:
            return tpl.key
    chosen = templates().get(default)
    if chosen is not None and chosen.for_managers and not is_manager:
        for_all = sorted(
            k for k, t in templates().items() if t.cadence == "yearly" and not t.for_managers and t.offer is None
        )
        return for_all[0] if for_all else default
    return default


def measures_due(birth_year: int | None, year: int) -> list[Template]:
    """Templates whose measures should already be a topic of the regular conversation this year (004: from 58)."""
    if birth_year is None:
        return []
    return [
        tpl
        for tpl in templates().values()
        if tpl.offer is not None
        and tpl.offer.measures_from_age is not None
        and _age_in(birth_year, year) >= tpl.offer.measures_from_age
    ]


# --- answers to rated and chosen questions ----------------------------------------------------------------------


@dataclass(frozen=True)
class Rating:
    step: ScaleStep
    reason: str = ""

    def stored(self) -> str:
        """How a rating is kept as a preparation answer: ``good: the reason``."""
        return f"{self.step.key}: {self.reason}" if self.reason else self.step.key


_SEPARATORS = " \t\n:;,.-–—"


def _pick(options: list[tuple[str, int]], text: str) -> tuple[int, str] | None:
    """The option a free-text answer starts with, and the rest; the longest name wins, so 'very good' beats 'good'."""
    low = text.strip().lower()
    for name, index in sorted(options, key=lambda o: -len(o[0])):
        if low == name:
            return index, ""
        if low.startswith(name) and low[len(name)] in _SEPARATORS:
            return index, text.strip()[len(name) :].strip(_SEPARATORS).strip()
    return None


def _names(keys_and_texts: list[tuple[str, str]], translate: Callable[[str], str] | None) -> list[tuple[str, int]]:
    out: list[tuple[str, int]] = []
    for i, (key, text) in enumerate(keys_and_texts):
        names = {str(i + 1), key.lower(), key.replace("_", " ").lower(), text.lower()}
        if translate is not None:
            names.add(translate(text).lower())
        out += [(n, i) for n in names if n]
    return out


def parse_rating(question: Question, text: str, translate: Callable[[str], str] | None = None) -> Rating | None:
    """A rating typed in the DM: the step (by number, key, or its text in English or the reader's language),
    then the reason. None when no step is recognised, so the dialogue can ask again."""
    steps = list(question.scale)
    found = _pick(_names([(s.key, s.text) for s in steps], translate), text)
    if found is None:
        return None
    index, rest = found
    return Rating(steps[index], rest)


def parse_answer(
    question: Question, text: str, translate: Callable[[str], str] | None = None
) -> tuple[str, str] | None:
    """A typed answer to a rated or chosen question: the step key or the choice, and the reason after it."""
    if question.kind == "rating":
        rating = parse_rating(question, text, translate)
        return (rating.step.key, rating.reason) if rating else None
    if question.kind == "choice":
        found = _pick(_names([(c, c) for c in question.choices], translate), text)
        return (question.choices[found[0]], found[1]) if found else None
    return None


def option_keys(question: Question) -> tuple[str, ...]:
    """What a button or a select may send for a question: its scale's step keys or its choices."""
    return tuple(s.key for s in question.scale) if question.kind == "rating" else question.choices


def option_label(question: Question, value: str) -> str:
    """The message id shown for a stored step key or choice."""
    if question.kind == "rating":
        return next((s.text for s in question.scale if s.key == value), value)
    return value


# --- the question menu -------------------------------------------------------------------------------------------


@cache
def question_menu() -> tuple[Question, ...]:
    name = "question_menu.yaml"
    root = _compose((DATA / name).read_text("utf-8"), name)
    r = _Reader(name)
    fields = r.mapping(root, "the question menu", ("questions",))
    menu = r.questions(fields.get("questions"), "questions")
    _unique(r, menu, "the question menu")
    return menu


def menu_question(key: str) -> Question | None:
    return next((q for q in question_menu() if q.key == key), None)

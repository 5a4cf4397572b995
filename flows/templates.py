"""Conversation templates as data: question sets live in YAML files so an organisation can change them.

Texts in the files are message ids; they are shown through the catalogs in the reader's language.
"""

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

DATA = Path(__file__).parent / "data"
KINDS = ("text", "rating", "choice")


class TemplateError(Exception):
    """A template file that cannot be used; the message names the file and the reason."""


@dataclass(frozen=True)
class Question:
    key: str
    text: str
    kind: str = "text"
    choices: tuple[str, ...] = ()
    core: bool = False


@dataclass(frozen=True)
class Template:
    key: str
    title: str
    cadence: str
    duration_minutes: int
    employee_prep: tuple[Question, ...]
    manager_prep: tuple[Question, ...]
    evaluation: tuple[Question, ...]
    plan_columns: tuple[str, ...] = ("goal", "action", "responsible", "deadline")
    source: str = ""
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)


def _questions(raw: Any, where: str) -> tuple[Question, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise TemplateError(f"{where}: expected a list of questions")
    out = []
    seen: set[str] = set()
    for i, item in enumerate(raw, 1):
        if not isinstance(item, dict) or not item.get("key") or not item.get("text"):
            raise TemplateError(f"{where}[{i}]: a question needs 'key' and 'text'")
        kind = str(item.get("kind", "text"))
        if kind not in KINDS:
            raise TemplateError(f"{where}[{i}]: kind must be one of {', '.join(KINDS)}")
        if item["key"] in seen:
            raise TemplateError(f"{where}[{i}]: duplicate key {item['key']!r}")
        seen.add(item["key"])
        choices = tuple(str(c) for c in item.get("choices", ()))
        if kind == "choice" and not choices:
            raise TemplateError(f"{where}[{i}]: a choice question needs 'choices'")
        out.append(
            Question(
                key=str(item["key"]),
                text=str(item["text"]),
                kind=kind,
                choices=choices,
                core=bool(item.get("core", False)),
            )
        )
    return tuple(out)


def parse_template(text: str, name: str) -> Template:
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise TemplateError(f"{name}: {exc}") from None
    if not isinstance(raw, dict) or not raw.get("key"):
        raise TemplateError(f"{name}: a template needs a 'key'")
    plan = raw.get("plan") or {}
    return Template(
        key=str(raw["key"]),
        title=str(raw.get("title", raw["key"])),
        cadence=str(raw.get("cadence", "monthly")),
        duration_minutes=int(raw.get("duration_minutes", 30)),
        employee_prep=_questions(raw.get("employee_prep"), f"{name}: employee_prep"),
        manager_prep=_questions(raw.get("manager_prep"), f"{name}: manager_prep"),
        evaluation=_questions(raw.get("evaluation"), f"{name}: evaluation"),
        plan_columns=tuple(plan.get("columns", ("goal", "action", "responsible", "deadline"))),
        source=str(raw.get("source", "")),
    )


@cache
def templates() -> dict[str, Template]:
    out: dict[str, Template] = {}
    for path in sorted((DATA / "templates").glob("*.yaml")):
        tpl = parse_template(path.read_text("utf-8"), path.name)
        out[tpl.key] = tpl
    return out


def template(key: str) -> Template:
    found = templates().get(key)
    if found is None:
        raise TemplateError(f"unknown template {key!r}")
    return found


@cache
def question_menu() -> tuple[Question, ...]:
    raw = yaml.safe_load((DATA / "question_menu.yaml").read_text("utf-8"))
    return _questions(raw.get("questions"), "question_menu.yaml")


def menu_question(key: str) -> Question | None:
    return next((q for q in question_menu() if q.key == key), None)

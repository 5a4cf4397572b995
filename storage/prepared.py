"""Selects read on every request, compiled once per database and run on the driver's own cursor.

SQLAlchemy does per execution what these selects never need again: a cache key walked over the whole
statement, a list of ids expanded into the text, result metadata and a row object per row. For `/mal`'s page
of fifteen actions that cost more than the database took to answer. Here a select is compiled once for each
database and number of ids, with its parameters' and columns' conversions, and each call only fills in the
values and reads plain tuples. Writes never come here: they go through SQLAlchemy and its events (the one
writer at a time of ``storage.db``).
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

Convert = Callable[[Any], Any] | None


@dataclass(frozen=True, slots=True)
class _Part:
    """Where the values of one or more placeholders in a row come from: a parameter, all the ids of an
    expanding one (``index`` None) or one of them, or a constant of the statement itself (a LIMIT 1)."""

    key: str | None
    expanding: bool
    index: int | None
    constant: Any
    convert: Convert

    def add(self, params: Mapping[str, Any], into: list[Any]) -> None:
        if self.key is None:
            raw: list[Any] = [self.constant]
        elif not self.expanding:
            raw = [params[self.key]]
        elif self.index is None:
            raw = list(params[self.key])
        else:
            raw = [params[self.key][self.index]]
        c = self.convert
        into.extend(raw if c is None else [v if v is None else c(v) for v in raw])


@dataclass(frozen=True, slots=True)
class _Plan:
    sql: str
    parts: tuple[_Part, ...]
    names: tuple[str, ...] | None  # for a driver that takes named placeholders; None for positional ones

    def arguments(self, params: Mapping[str, Any]) -> Sequence[Any] | dict[str, Any]:
        values: list[Any] = []
        for part in self.parts:
            part.add(params, values)
        return values if self.names is None else dict(zip(self.names, values, strict=True))


class Prepared:
    """A Core select whose text, placeholders and conversions are worked out once per shape of its
    parameters (the database, and how many ids each expanding parameter holds)."""

    def __init__(self, statement: sa.Select[*tuple[Any, ...]]) -> None:
        self.statement = statement
        self._plans: dict[tuple[str, tuple[int, ...]], _Plan] = {}
        self._results: dict[str, tuple[Convert, ...]] = {}
        expanding = [b.key for b in statement.compile().binds.values() if b.expanding]
        self._expanding = tuple(sorted(set(expanding)))

    def rows(self, conn: sa.Connection, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        dialect = conn.dialect
        key = (dialect.name, tuple(len(params[k]) for k in self._expanding))
        plan = self._plans.get(key)
        if plan is None:
            plan = self._plans[key] = self._plan(dialect, params)
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.execute(plan.sql, plan.arguments(params))
            found = cursor.fetchall()
            converts = self._results.get(dialect.name)
            if converts is None:
                converts = self._results[dialect.name] = self._converters(dialect, cursor.description)
        finally:
            cursor.close()
        if not any(c is not None for c in converts):
            return [tuple(r) for r in found]
        return [tuple(v if c is None or v is None else c(v) for c, v in zip(converts, r, strict=True)) for r in found]

    def _plan(self, dialect: sa.Dialect, params: Mapping[str, Any]) -> _Plan:
        compiled = self.statement.compile(dialect=dialect)
        state = compiled.construct_expanded_state(dict(params))
        expansion = state.parameter_expansion or {}
        origin = {name: (key, i) for key, expanded in expansion.items() for i, name in enumerate(expanded)}
        order: Sequence[str] = state.positiontup if state.positiontup is not None else list(state.parameters)
        parts: list[_Part] = []
        at = 0
        while at < len(order):
            name = order[at]
            found = state.processors.get(name) or compiled._bind_processors.get(name)
            if found is not None and not callable(found):  # a tuple IN: no statement here has one
                raise TypeError(f"tuple parameter {name} cannot be prepared")
            convert: Convert = found
            if name in origin:
                key, index = origin[name]
                run = list(expansion[key])
                if index == 0 and list(order[at : at + len(run)]) == run:  # all its ids, first to last
                    parts.append(_Part(key, True, None, None, convert))
                    at += len(run)
                    continue
                parts.append(_Part(key, True, index, None, convert))
            elif name in params:
                parts.append(_Part(name, False, None, None, convert))
            else:
                parts.append(_Part(None, False, None, state.parameters[name], convert))
            at += 1
        names = None if state.positiontup is not None else tuple(order)
        return _Plan(state.statement, tuple(parts), names)

    def _converters(self, dialect: sa.Dialect, description: Any) -> tuple[Convert, ...]:
        columns = self.statement.selected_columns
        return tuple(
            column.type._cached_result_processor(dialect, desc[1])
            for column, desc in zip(columns, description or [], strict=True)
        )

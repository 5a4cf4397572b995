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
class _Slot:
    """Where one placeholder's value comes from: a parameter (``index`` into it when it is a list of ids),
    or a constant of the statement itself (a LIMIT 1)."""

    name: str
    key: str | None
    index: int | None
    constant: Any
    convert: Convert

    def value(self, params: Mapping[str, Any]) -> Any:
        if self.key is None:
            raw = self.constant
        elif self.index is None:
            raw = params[self.key]
        else:
            raw = params[self.key][self.index]
        return raw if self.convert is None or raw is None else self.convert(raw)


@dataclass(frozen=True, slots=True)
class _Plan:
    sql: str
    slots: tuple[_Slot, ...]
    positional: bool

    def arguments(self, params: Mapping[str, Any]) -> Sequence[Any] | dict[str, Any]:
        if self.positional:
            return tuple(s.value(params) for s in self.slots)
        return {s.name: s.value(params) for s in self.slots}


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
        origin: dict[str, tuple[str, int | None]] = {}
        for key, expanded in (state.parameter_expansion or {}).items():
            for i, name in enumerate(expanded):
                origin[name] = (key, i)
        order: Sequence[str] = state.positiontup if state.positiontup is not None else list(state.parameters)
        slots = []
        for name in order:
            key, index = origin.get(name, (name, None))
            bound = key in params
            slots.append(
                _Slot(
                    name=name,
                    key=key if bound else None,
                    index=index if bound else None,
                    constant=None if bound else state.parameters[name],
                    convert=state.processors.get(name),
                )
            )
        return _Plan(state.statement, tuple(slots), state.positiontup is not None)

    def _converters(self, dialect: sa.Dialect, description: Any) -> tuple[Convert, ...]:
        columns = self.statement.selected_columns
        return tuple(
            column.type._cached_result_processor(dialect, desc[1])
            for column, desc in zip(columns, description or [], strict=True)
        )

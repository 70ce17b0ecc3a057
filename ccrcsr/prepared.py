"""QuerySets compiled to SQL once per process, then run with each request's values.

Building and compiling a scoped, annotated QuerySet (the user's factories and
roles as subqueries combined with `|`, Exists, FilteredRelation) costs Django
several milliseconds of CPU every time; for the roll call's group and roster
that was more than the database took to answer, on every page and every tap.
Their SQL depends only on the query's shape; the user, the day and the ids are
parameters. `PreparedQuery` builds the QuerySet with stand-in values, keeps its
SQL and where each stand-in sits among the parameters, and runs that SQL with
the real values, making model instances as iterating the QuerySet would
(select_related and annotations included; prefetch_related is the caller's).

The QuerySet is still the one definition of the query, scope included: the
stand-ins only take the place of values. Two builds with different stand-ins
must give the same SQL with the stand-ins in the same places, and building may
run no query; otherwise the shape depended on something else and this refuses.
"""

from __future__ import annotations

import datetime
import itertools
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured
from django.db import connections
from django.db.models import QuerySet
from django.db.models.query import ModelIterable, ValuesListIterable, get_related_populators


def _stand_in(kind: str, build: int, index: int):
    """A value no caller passes (ids are positive; no roll call is taken in 1901),
    different for each value of the query and for each of the two builds."""
    if kind == "int":
        return -7_130_000 - 100 * build - index
    return datetime.date(1901 + build, 1, 1) + datetime.timedelta(days=index)


@dataclass(frozen=True)
class _Plan:
    sql: str
    # PostgreSQL's PREPARE of the same SQL, or None where it is not used.
    server_statement: tuple[str, str] | None
    # Per parameter: (None, constant) or (name of a value, its type).
    params: tuple
    converters: dict
    # For a QuerySet of model instances; None for values_list() (plain tuples).
    model: type | None = None
    init_list: list | None = None
    model_span: tuple[int, int] = (0, 0)
    select: list | None = None
    klass_info: dict | None = None
    annotation_col_map: dict | None = None


def _refuse_queries(execute, sql, params, many, context):
    raise ImproperlyConfigured(f"building a prepared query ran a query: {sql}")


class PreparedQuery:
    """`build(**values)` returns the QuerySet; `values` maps each name to "int"
    or "date". `run(shape, **values)` returns its rows: model instances, or
    tuples for a values_list() (a union too). The shape is whatever else the
    QuerySet's form depends on (the user's superuser flag, a lock), handed to
    `build` as `shape`."""

    def __init__(self, build: Callable[..., QuerySet], **values: str):
        self.build = build
        self.values = values
        self._stand_ins = [
            {name: _stand_in(kind, build, i) for i, (name, kind) in enumerate(values.items())}
            for build in (0, 1)
        ]
        self._plans: dict = {}
        self._lock = threading.Lock()

    def run(self, shape, using: str = "default", **values) -> list:
        plan = self._plans.get((using, shape))
        if plan is None:
            with self._lock:
                plan = self._plans.get((using, shape)) or self._plan(shape, using)
                self._plans[(using, shape)] = plan
        connection = connections[using]
        params = []
        for name, kind in plan.params:
            if name is None:
                params.append(kind)
            elif kind == "date-str":  # SQLite takes dates as ISO text
                params.append(values[name].isoformat())
            else:
                params.append(values[name])
        with connection.cursor() as cursor:
            if plan.server_statement and _server_prepared(connection, cursor, plan):
                placeholders = ", ".join(["%s"] * len(params))
                name = plan.server_statement[0]
                cursor.execute(
                    f"EXECUTE {name}({placeholders})" if params else f"EXECUTE {name}", params
                )
            else:
                cursor.execute(plan.sql, params)
            rows = [_converted(plan, row, connection) for row in cursor.fetchall()]
        if plan.model is None:
            return rows
        populators = get_related_populators(plan.klass_info, plan.select, using)
        return [self._instance(plan, row, using, populators) for row in rows]

    def _compile(self, shape, using: str, stand_ins: dict):
        queryset = self.build(shape=shape, **stand_ins)
        if queryset._iterable_class not in (ModelIterable, ValuesListIterable):
            raise ImproperlyConfigured("a prepared query gives model instances or values_list()")
        compiler = queryset.query.get_compiler(using=using)
        sql, params = compiler.as_sql()
        if queryset._iterable_class is ValuesListIterable:
            compiler.klass_info = None  # plain tuples, whatever the compiler set up
        return compiler, sql, params

    def _plan(self, shape, using: str) -> _Plan:
        with connections[using].execute_wrapper(_refuse_queries):
            compiler, sql, params = self._compile(shape, using, self._stand_ins[0])
            _, other_sql, other_params = self._compile(shape, using, self._stand_ins[1])
        if sql != other_sql or len(params) != len(other_params):
            raise ImproperlyConfigured("the query's SQL depends on its values")
        slots = []
        for value, other in zip(params, other_params, strict=True):
            slots.append(self._slot(value, other))
        select, klass_info = compiler.select, compiler.klass_info
        fields = [s[0] for s in select[: compiler.col_count]]
        converters = compiler.get_converters(fields)
        server = _server_statement(connections[using], sql, params)
        if klass_info is None:
            return _Plan(
                sql=sql, server_statement=server, params=tuple(slots), converters=converters
            )
        start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
        return _Plan(
            sql=sql,
            server_statement=server,
            params=tuple(slots),
            converters=converters,
            model=klass_info["model"],
            init_list=[f[0].target.attname for f in select[start:end]],
            model_span=(start, end),
            select=select,
            klass_info=klass_info,
            annotation_col_map=compiler.annotation_col_map,
        )

    def _slot(self, value, other):
        for name, kind in self.values.items():
            first, second = self._stand_ins[0][name], self._stand_ins[1][name]
            if value == first and other == second:
                return (name, kind)
            if kind == "date" and value == first.isoformat() and other == second.isoformat():
                return (name, "date-str")
        stand_ins = [v for build in self._stand_ins for v in build.values()]
        if value != other or any(value == v or value == str(v) for v in stand_ins):
            raise ImproperlyConfigured(f"a parameter of the query moved with its values: {value!r}")
        return (None, value)

    @staticmethod
    def _instance(plan: _Plan, row, using: str, populators: list):
        start, end = plan.model_span
        obj = plan.model.from_db(using, plan.init_list, row[start:end])
        for populator in populators:
            populator.populate(row, obj)
        for name, position in plan.annotation_col_map.items():
            setattr(obj, name, row[position])
        return obj


def _converted(plan: _Plan, row, connection) -> tuple:
    """The row with the database's values turned into Python's, as Django does."""
    if not plan.converters:
        return row
    row = list(row)
    for position, (converters, expression) in plan.converters.items():
        value = row[position]
        for converter in converters:
            value = converter(value, expression, connection)
        row[position] = value
    return tuple(row)


def _pg_type(value) -> str | None:
    # Choices (TextChoices) are str; a datetime is a date too, but not one of ours.
    for kind, name in ((bool, "boolean"), (int, "bigint"), (str, "text")):
        if isinstance(value, kind):
            return name
    if type(value) is datetime.date:
        return "date"
    return None


_statement_numbers = itertools.count(1)


def _server_statement(connection, sql: str, params) -> tuple[str, str] | None:
    """(name, PREPARE statement) for PostgreSQL; None elsewhere, or when a
    parameter is of a type not named here (the SQL is then sent each time)."""
    if connection.vendor != "postgresql":
        return None
    types = [_pg_type(value) for value in params]
    if None in types:
        return None
    numbers = itertools.count(1)
    body = re.sub(r"%([s%])", lambda m: f"${next(numbers)}" if m[1] == "s" else "%", sql)
    name = f"ccrcsr_prepared_{next(_statement_numbers)}"
    argument_types = f"({', '.join(types)})" if types else ""
    return name, f"PREPARE {name}{argument_types} AS {body}"


def _server_prepared(connection, cursor, plan: _Plan) -> bool:
    """PREPARE the plan's statement on this database connection if it is not yet."""
    raw = connection.connection
    key = (id(raw), raw.get_backend_pid())
    known = getattr(connection, "_prepared_statements", None)
    if known is None or known[0] != key:
        known = (key, set())
        connection._prepared_statements = known
    name, prepare = plan.server_statement
    if name not in known[1]:
        cursor.execute(prepare)
        known[1].add(name)
    return True

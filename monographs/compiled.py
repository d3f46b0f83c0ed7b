"""A queryset compiled to SQL once, then run with each request's value.

Django compiles a queryset to SQL on every evaluation. For the monograph page's
query (a drug with its reviewer's name, its ingredients and its schema.org
facts as JSON subqueries) compiling costs several times running it: about
0.3 ms against 0.05 ms on SQLite (docs/PERFORMANCE.md). Between two requests
the query differs only in the slug, so :class:`CompiledLookup` compiles it once
a thread and database, with a placeholder for the slug, and each request runs
that SQL with its own slug. Rows become model instances as Django's own
``ModelIterable`` makes them: the same columns, converters and annotations.

Only for querysets without ``select_related``, ``prefetch_related`` or
``values()``: those are refused when compiled. Fields left out with
``defer()``/``only()`` are deferred on the instances, as Django defers them.
"""

import threading
from collections.abc import Callable

from django.db import connections
from django.db.models import QuerySet

# What the placeholder is filtered by: the compiled SQL carries it as a
# parameter, and its position is where each request's value goes.
_SLOT = "compiled-lookup-slot-7f3a"


class _Compiled:
    def __init__(self, queryset: QuerySet, field: str):
        query = queryset.filter(**{field: _SLOT}).query
        if query.select_related or queryset._prefetch_related_lookups:
            raise ValueError("a compiled lookup reads one table's rows and annotations only")
        if queryset._fields is not None:
            raise ValueError("a compiled lookup reads model rows")
        self.using = queryset.db
        self.compiler = query.get_compiler(using=self.using)
        self.sql, params = self.compiler.as_sql()
        slots = [i for i, param in enumerate(params) if param == _SLOT]
        if len(slots) != 1:
            raise ValueError(f"{field!r} must appear once in the compiled query")
        self.params, self.slot = list(params), slots[0]
        select, info = self.compiler.select, self.compiler.klass_info
        self.model = info["model"]
        fields = info["select_fields"]
        self.start, self.end = fields[0], fields[-1] + 1
        self.names = [column[0].target.attname for column in select[self.start : self.end]]
        self.annotations = list(self.compiler.annotation_col_map.items())
        self.converters = self.compiler.get_converters([column[0] for column in select])

    def rows(self, value) -> list:
        params = list(self.params)
        params[self.slot] = value
        with connections[self.using].cursor() as cursor:
            cursor.execute(self.sql, params)
            rows = cursor.fetchall()
        if self.converters:
            rows = self.compiler.apply_converters(rows, self.converters)
        found = []
        for row in rows:
            instance = self.model.from_db(self.using, self.names, row[self.start : self.end])
            for name, position in self.annotations:
                setattr(instance, name, row[position])
            found.append(instance)
        return found


class CompiledLookup:
    """The rows of ``build()`` whose ``field`` equals a value, compiled once.

    ``build`` makes the queryset (it may be called again: once a thread and
    database). The compiled state belongs to the thread that compiled it,
    with that thread's connection, as a compiler does.
    """

    def __init__(self, build: Callable[[], QuerySet], field: str):
        self.build = build
        self.field = field
        self._local = threading.local()

    def _compiled(self, using: str | None) -> _Compiled:
        kept = self._local.__dict__
        compiled = kept.get(using)
        if compiled is None or compiled.compiler.connection is not connections[compiled.using]:
            queryset = self.build()
            compiled = kept[using] = _Compiled(
                queryset.using(using) if using else queryset, self.field
            )
        return compiled

    def get(self, value, using: str | None = None):
        """The one row whose field is ``value``, or None."""
        compiled = self._compiled(using)
        found = compiled.rows(value)
        if len(found) > 1:
            raise compiled.model.MultipleObjectsReturned(
                f"{len(found)} rows have {self.field} = {value!r}"
            )
        return found[0] if found else None

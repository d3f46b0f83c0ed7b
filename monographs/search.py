"""The full-text index of monographs, on SQLite (FTS5) or PostgreSQL alike.

modelsearch indexes a drug when it is saved, but a drug's sections, side
effects and FAQs are saved after it (by the admin's inlines, the importer's
bulk inserts), so whoever changes them calls :func:`reindex` afterwards.
"""

from contextlib import contextmanager

from django.db import connection
from django.db.models.signals import post_save
from modelsearch.backends import get_search_backend, get_search_backends
from modelsearch.index import insert_or_update_object
from modelsearch.signal_handlers import post_save_signal_handler


def backend_name() -> str:
    """Which index answers: "SQLiteSearchBackend", "PostgresSearchBackend", ..."""
    return type(get_search_backend()).__name__


def reindex(drug) -> None:
    """Index a drug with its parts as they are now."""
    insert_or_update_object(drug)


def reindex_many(model, pks) -> None:
    """Index many objects of ``model`` at once: one read and one write per batch.

    For bulk loads, where indexing drug by drug would cost a few queries each.
    The objects are read with everything their index entry needs prefetched.
    """
    objects = list(model.get_indexed_objects().filter(pk__in=list(pks)).order_by("pk"))
    if not objects:
        return
    for backend in get_search_backends(with_auto_update=True):
        backend.add_bulk(model, objects)


@contextmanager
def saves_not_indexed(model):
    """Saving ``model`` does not index it meanwhile: the caller indexes afterwards.

    For a loader that saves an object, then its parts, then indexes the whole:
    the index entry modelsearch writes on the first save would be rewritten
    straight away. Meant for management commands, which run in one thread.
    """
    post_save.disconnect(post_save_signal_handler, sender=model)
    try:
        yield
    finally:
        post_save.connect(post_save_signal_handler, sender=model)


def update_statistics() -> None:
    """Let the database's planner see the tables as they now are (ANALYZE), after a bulk load.

    Without them SQLite reads a search the wrong way round, trying the whole
    index against each monograph, which costs more the more drugs there are
    (docs/PERFORMANCE.md, "Measured by hand").
    """
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def search(queryset, query: str, *, by_relevance: bool = True):
    """Drugs of ``queryset`` matching every word of ``query``, best first."""
    return queryset.search(query, operator="and", order_by_relevance=by_relevance)


def matches(queryset, query: str):
    """``queryset``'s objects matching every word of ``query``, unranked, as a queryset.

    The index applies ``queryset``'s filters itself, so they may only use its
    FilterFields; otherwise filter by ``pk__in=matches(Model.objects.all(), ...)``.
    """
    found = queryset.search(query, operator="and", order_by_relevance=False)
    return found.get_queryset().order_by()


def autocomplete(queryset, prefix: str):
    """Drugs whose names start with what has been typed so far."""
    return queryset.autocomplete(prefix, operator="and")

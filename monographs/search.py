"""The full-text index of monographs, on SQLite (FTS5) or PostgreSQL alike.

modelsearch indexes a drug when it is saved, but a drug's sections, side
effects and FAQs are saved after it (by the admin's inlines, the importer's
bulk inserts), so whoever changes them calls :func:`reindex` afterwards.
"""

from modelsearch.backends import get_search_backend
from modelsearch.index import insert_or_update_object


def backend_name() -> str:
    """Which index answers: "SQLiteSearchBackend", "PostgresSearchBackend", ..."""
    return type(get_search_backend()).__name__


def reindex(drug) -> None:
    """Index a drug with its parts as they are now."""
    insert_or_update_object(drug)


def search(queryset, query: str, *, by_relevance: bool = True):
    """Drugs of ``queryset`` matching every word of ``query``, best first."""
    return queryset.search(query, operator="and", order_by_relevance=by_relevance)


def autocomplete(queryset, prefix: str):
    """Drugs whose names start with what has been typed so far."""
    return queryset.autocomplete(prefix, operator="and")

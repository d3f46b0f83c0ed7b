"""The side-effect lookup's counts of monographs per term, kept as the listings change.

``SideEffectTermCount`` holds, for each term listed by a published monograph,
how many published monographs list it. It is brought up to date in the same
transaction as the change, so it is never behind what the pages show:

- a monograph saved (its status, say) or announced changed: its terms are counted again;
- a side effect deleted, or renamed to another term: the term it leaves is counted again;
- a change announced without naming monographs (an import, a bulk update): all of it.

On PostgreSQL two transactions counting at once would each leave out the
other's uncommitted change, and the second to write would clash with the
first's rows: one transaction counts at a time (a transaction-scoped advisory
lock, held until it commits), and each counts after the last one committed.
"""

import threading
import zlib
from contextlib import contextmanager

from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.models import Count
from django.db.models.signals import post_delete, pre_save

from .choices import Status
from .models import SideEffect, SideEffectTermCount
from .signals import content_changed

# The advisory lock's key: any number, the same for every process.
LOCK_KEY = zlib.crc32(b"monographs.term_counts")


def _one_at_a_time(using: str) -> None:
    """On PostgreSQL, wait until no other transaction is counting (see above)."""
    connection = connections[using]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])


def _counted(listings):
    return (
        listings.filter(drug__status=Status.PUBLISHED)
        .order_by()
        .values("term")
        .annotate(drugs=Count("drug", distinct=True))
        .values_list("term", "drugs")
    )


def recount(terms, using: str = DEFAULT_DB_ALIAS) -> None:
    """Count these terms' published monographs again."""
    terms = set(terms)
    if not terms:
        return
    with transaction.atomic(using=using):
        _one_at_a_time(using)
        counts = _counted(SideEffect.objects.using(using).filter(term__in=terms))
        rows = [SideEffectTermCount(term=term, drugs=drugs) for term, drugs in counts]
        SideEffectTermCount.objects.using(using).filter(term__in=terms).delete()
        SideEffectTermCount.objects.using(using).bulk_create(rows)


def recount_drugs(drug_ids, using: str = DEFAULT_DB_ALIAS) -> None:
    """Count again every term these monographs list."""
    listings = SideEffect.objects.using(using).filter(drug_id__in=list(drug_ids))
    recount(listings.values_list("term", flat=True).distinct(), using)


def rebuild(using: str = DEFAULT_DB_ALIAS) -> None:
    """Count every term again."""
    with transaction.atomic(using=using):
        _one_at_a_time(using)
        counts = _counted(SideEffect.objects.using(using).all())
        SideEffectTermCount.objects.using(using).all().delete()
        SideEffectTermCount.objects.using(using).bulk_create(
            [SideEffectTermCount(term=term, drugs=drugs) for term, drugs in counts],
            batch_size=2000,
        )


_paused = threading.local()


@contextmanager
def _paused_here():
    """Nothing is counted inside; the caller counts what it changed afterwards."""
    _paused.depth = getattr(_paused, "depth", 0) + 1
    try:
        yield
    finally:
        _paused.depth -= 1


@contextmanager
def counted_once_at_the_end(using: str = DEFAULT_DB_ALIAS):
    """For a bulk change (deleting thousands of listings): count everything once, after it."""
    with _paused_here():
        yield
    rebuild(using)


@contextmanager
def counted_for(drug, using: str = DEFAULT_DB_ALIAS):
    """For writing one monograph's listings anew (an import): the terms it listed
    before and lists after are counted once, at the end, rather than each listing
    as it is deleted and every term for the change announced."""

    def listed() -> set[str]:
        if drug.pk is None:
            return set()
        return set(SideEffect.objects.using(using).filter(drug=drug).values_list("term", flat=True))

    before = listed()
    with _paused_here():
        yield
    recount(before | listed(), using)


def _counting() -> bool:
    return not getattr(_paused, "depth", 0)


def _on_content_changed(sender, using=DEFAULT_DB_ALIAS, drug_ids=None, **kwargs):
    if not _counting():
        return
    if drug_ids is None:
        rebuild(using)
    else:
        recount_drugs(drug_ids, using)


def _on_side_effect_deleted(sender, instance, using=DEFAULT_DB_ALIAS, **kwargs):
    if _counting():
        recount([instance.term], using)


def _on_side_effect_saving(sender, instance, using=DEFAULT_DB_ALIAS, raw=False, **kwargs):
    # The term it had is counted again after the save, with the drug's terms.
    if raw or instance.pk is None or not _counting():
        return
    old = SideEffect.objects.using(using).filter(pk=instance.pk).values_list("term", flat=True)
    instance._term_before_save = old.first()


def _after_side_effect_saved(sender, instance, using=DEFAULT_DB_ALIAS, **kwargs):
    before = getattr(instance, "_term_before_save", None)
    if before and before != instance.term:
        recount([before], using)


def connect_signals() -> None:
    from django.db.models.signals import post_save

    content_changed.connect(_on_content_changed, dispatch_uid="term-counts-content-changed")
    post_delete.connect(_on_side_effect_deleted, sender=SideEffect, dispatch_uid="term-counts")
    pre_save.connect(_on_side_effect_saving, sender=SideEffect, dispatch_uid="term-counts")
    post_save.connect(_after_side_effect_saved, sender=SideEffect, dispatch_uid="term-counts")

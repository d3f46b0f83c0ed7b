"""The readers' key queries read the named indexes, on SQLite and on PostgreSQL.

The tables hold a few thousand monographs, then the planner is asked for its
plan. On PostgreSQL, sequential scans are switched off for the test's
transaction: at this size a scan may well be cheaper, and what is proved is
that the index is *usable* for the query. SQLite is given statistics
(ANALYZE) and its EXPLAIN QUERY PLAN must name the index.
"""

import random
import string
from datetime import date, timedelta

import pytest
from django.db import connection

from monographs import workflow
from monographs.choices import Severity, Status
from monographs.filters import DrugFilter, SideEffectFilter, SideEffectLookupFilter
from monographs.models import Drug, SideEffect


def published():
    return Drug.objects.published()


def some_drug():
    return published().order_by("pk").first()


def lookup(params: dict, term: str):
    filterset = SideEffectLookupFilter(params, queryset=SideEffect.objects.all())
    assert filterset.is_valid()
    return filterset.filter_queryset(
        SideEffect.objects.filter(drug__status=Status.PUBLISHED, term=term)
    )


# name: (the queryset as the page builds it, the index its plan must use)
KEY_QUERIES = {
    "drug list by name": (
        lambda: DrugFilter({"sort": "name"}, queryset=published()).qs.order_by("title")[:50],
        "drug_status_title_idx",
    ),
    "drug list by update": (
        lambda: DrugFilter({"sort": "updated"}, queryset=published()).qs.order_by(
            "-updated", "title"
        )[:50],
        "drug_status_updated_idx",
    ),
    "recently reviewed (home)": (
        lambda: (
            published()
            .filter(workflow.review_holds(date(2025, 6, 1)))
            .order_by("-reviewed_on", "title")[:6]
        ),
        "drug_status_reviewed_idx",
    ),
    "A–Z: a letter": (
        lambda: DrugFilter({"letter": "K"}, queryset=published()).qs.order_by("title")[:50],
        "drug_status_initial_idx",
    ),
    "A–Z: digits": (
        lambda: DrugFilter({"letter": "0-9"}, queryset=published()).qs.order_by("title")[:50],
        # SQLite cannot tell that ten digits are rarer than one letter, and walks
        # the published titles in order instead: an index all the same.
        {"postgresql": "drug_status_initial_idx", "sqlite": "drug_status_title_idx"},
    ),
    "lists a serious side effect": (
        lambda: DrugFilter({"serious": "yes"}, queryset=published()).qs.order_by("title")[:50],
        "sideeffect_drug_severity_idx",
    ),
    "a monograph's side effects by severity": (
        lambda: SideEffectFilter(
            {"severity": ["serious", "emergency"], "frequency": "rare"},
            queryset=SideEffect.objects.filter(drug=some_drug()),
        ).qs.order_by("position", "id"),
        "sideeffect_drug_severity_idx",
    ),
    "side-effect lookup": (
        lambda: (
            lookup({"q": "effect 7", "severity": ["serious"]}, "effect 7")
            .select_related("drug")
            .order_by("-severity", "drug__title", "position")
        ),
        "sideeffect_term_sev_drug_idx",
    ),
}


@pytest.fixture(scope="module")
def tables(django_db_setup, django_db_blocker):
    """Thousands of bare monographs, a third of them published, with side effects.

    Bulk-inserted and never indexed for search: only their shape matters to the
    planner (titles under every letter, some reviewed, mostly mild side effects).
    """
    rng = random.Random(5)
    letters = string.ascii_uppercase
    words = ["Alpha", "Beta", "Gamma", "Delta", "Sigma", "Omega", "Zeta", "Kappa", "Theta"]
    with django_db_blocker.unblock():
        try:
            drugs = Drug.objects.bulk_create(
                Drug(
                    # Few names start with a digit ("5-Fluorouracil"), as in the corpus.
                    title=f"{rng.choice(string.digits if number % 100 == 0 else letters)}"
                    f"{rng.choice(words).lower()} {number}",
                    slug=f"plan-{number}",
                    status=Status.PUBLISHED if number % 3 == 0 else Status.DRAFT,
                    reviewed_on=date(2024, 1, 1) + timedelta(days=number % 700)
                    if number % 10 < 3
                    else None,
                    source_path="plan:",
                )
                for number in range(3000)
            )
            SideEffect.objects.bulk_create(
                SideEffect(
                    drug=drug,
                    name=f"Effect {term}",
                    term=f"effect {term}",
                    severity=Severity.SERIOUS if rng.random() < 0.1 else Severity.MILD,
                    position=position,
                )
                for drug in drugs
                for position, term in enumerate(rng.sample(range(600), 10))
            )
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
            yield drugs
        finally:
            Drug.objects.filter(source_path="plan:").delete()


@pytest.fixture
def planned(db, tables):
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # For this test's transaction only.
            cursor.execute("SET LOCAL enable_seqscan = off")


def plan(queryset) -> str:
    return queryset.explain()


@pytest.mark.parametrize("name", KEY_QUERIES)
def test_a_key_query_reads_its_index(planned, name):
    assert connection.vendor in {"sqlite", "postgresql"}
    queryset, index = KEY_QUERIES[name]
    if isinstance(index, dict):
        index = index[connection.vendor]
    text = plan(queryset())
    assert index in text, f"{name}: the plan does not use {index}:\n{text}"
    # And the query still answers what the page asks.
    assert list(queryset()) is not None


def test_the_letter_filter_keeps_its_meaning(db):
    names = ["Sotalol", "sumatriptan", "5-Fluorouracil", "Aspirin", "(Bracketed)"]
    for name in names:
        Drug.objects.create(title=name, status=Status.PUBLISHED)
    these = published().filter(title__in=names)

    def titles(letter):
        return list(DrugFilter({"letter": letter}, queryset=these).qs.values_list(
            "title", flat=True
        ).order_by("title"))  # fmt: skip

    assert titles("S") == ["Sotalol", "sumatriptan"]
    assert titles("0-9") == ["5-Fluorouracil"]
    assert titles("A") == ["Aspirin"]
    assert all(titles(letter) == [] for letter in string.ascii_uppercase if letter not in "SA")

"""Every page asks the database a fixed number of questions, at 5 drugs as at 500.

The drugs are synthetic monographs of typical size (generate_scale_data):
about 7 sections, 30 side effects and 6 FAQs each. The counts are measured
once at 5 drugs, then the database grows to 500 and each page must use
exactly as many queries, within its budget.
"""

from dataclasses import dataclass, field

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection
from django.db.models import Max
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from reversion.models import Revision

from monographs.choices import Status
from monographs.models import AuditEvent, Drug, Ingredient, Section

from .factories import make_drug, staff_login

LIST = reverse("monographs:drug_list")
LOOKUP = reverse("monographs:side_effects")
COMPARE = reverse("monographs:compare")
CHANGELIST = reverse("admin:monographs_drug_changelist")
SEED = 5  # its first five drugs include a combination

MONOGRAPH = (
    4  # the drug (with severity counts, reviewer, ingredients), sections, side effects, FAQs
)
READING = 5
CHANGES = 3  # the drug, its versions (with their reviewers), the parts of a page of them
FEED = 2  # fifty monographs, and their versions for each entry's link to its change
API = 4  # the read API and FHIR, at any size and any page size
# A staff request also reads the device that passed its second factor (django-otp).
SECOND_FACTOR = 1
ADMIN_LIST = 6 + SECOND_FACTOR
ADMIN_CHANGE = 25 + SECOND_FACTOR

# name: (path, query, budget, signed in as a superuser). "{a}", "{b}", "{c}" are
# monographs' slugs, "{combination}" that of a combination product.
PAGES = {
    "home": ("/", {}, READING, False),
    "list": (LIST, {}, READING, False),
    "list by letter": (LIST, {"letter": "S"}, READING, False),
    "list by digit": (LIST, {"letter": "0-9"}, READING, False),
    "list of single medicines": (LIST, {"kind": "single"}, READING, False),
    "list of combinations": (LIST, {"kind": "combination"}, READING, False),
    "list with serious side effects": (LIST, {"serious": "yes"}, READING, False),
    "list of reviewed": (LIST, {"reviewed": "yes"}, READING, False),
    "list of unreviewed": (LIST, {"reviewed": "no"}, READING, False),
    "list by name": (LIST, {"sort": "name"}, READING, False),
    "list by update": (LIST, {"sort": "updated"}, READING, False),
    "list, all filters": (
        LIST,
        {"letter": "S", "kind": "single", "serious": "yes", "reviewed": "yes", "sort": "updated"},
        READING,
        False,
    ),
    # One monograph's own title: ranked by relevance at any size. (A word in
    # hundreds of monographs is listed A–Z instead: "search by update" costs that.)
    "search": (LIST, {"q": "{a_title}"}, READING, False),
    "search by update": (LIST, {"q": "skin", "sort": "updated"}, READING, False),
    "search, filtered": (
        LIST,
        {"q": "skin", "kind": "single", "serious": "yes", "reviewed": "yes"},
        READING,
        False,
    ),
    "suggestions": (reverse("monographs:suggest"), {"q": "synth"}, READING, False),
    "lookup": (LOOKUP, {}, READING, False),
    "lookup of a term": (LOOKUP, {"q": "nausea"}, READING, False),
    "lookup of a term by severity": (
        LOOKUP,
        {"q": "nausea", "severity": "mild"},
        READING,
        False,
    ),
    "compare": (COMPARE, {"drugs": "{a},{b},{combination}"}, READING, False),
    "monograph": ("/drugs/{a}/", {}, MONOGRAPH, False),
    "monograph, filtered": (
        "/drugs/{a}/",
        {"severity": ["serious", "mild"], "frequency": "common"},
        MONOGRAPH,
        False,
    ),
    "combination monograph": ("/drugs/{combination}/", {}, MONOGRAPH, False),
    "change log": ("/drugs/{a}/changes/", {}, CHANGES, False),
    "feed": ("/feed/", {}, FEED, False),
    "monograph as data": ("/drugs/{a}.json", {}, MONOGRAPH, False),
    "combination as data": ("/drugs/{combination}.json", {}, MONOGRAPH, False),
    "api list": ("/api/drugs/", {}, API, False),
    "api list, 100 a page": ("/api/drugs/", {"page_size": "100"}, API, False),
    "api list, filtered": (
        "/api/drugs/",
        {"letter": "S", "severity": "serious", "updated_since": "2000-01-01", "kind": "single"},
        API,
        False,
    ),
    "api search": ("/api/drugs/", {"q": "{a_title}"}, API, False),
    "api search by update": ("/api/drugs/", {"q": "skin", "sort": "updated"}, API, False),
    "api search, filtered": ("/api/drugs/", {"q": "skin", "severity": "serious"}, API, False),
    "api drug": ("/api/drugs/{a}/", {}, API, False),
    "api combination": ("/api/drugs/{combination}/", {}, API, False),
    "api lookup": ("/api/side-effects/", {"q": "nausea", "page_size": "100"}, API, False),
    "api lookup by severity": (
        "/api/side-effects/",
        {"q": "nausea", "severity": "mild"},
        API,
        False,
    ),
    "fhir bundle": ("/drugs/{a}.fhir.json", {}, API, False),
    "fhir combination bundle": ("/drugs/{combination}.fhir.json", {}, API, False),
    "fhir medication knowledge": ("/fhir/MedicationKnowledge/{a}", {}, API, False),
    "api guide": ("/api/", {}, API, False),
    # + session, user and second factor
    "staff preview": ("/drugs/{a}/", {}, MONOGRAPH + 2 + SECOND_FACTOR, True),
    "admin list": (CHANGELIST, {}, ADMIN_LIST, True),
    "admin list, filtered": (
        CHANGELIST,
        {"status__exact": "published", "side_effects__severity__exact": "2"},
        ADMIN_LIST,
        True,
    ),
    "admin search": (CHANGELIST, {"q": "synthetic"}, ADMIN_LIST, True),
    "admin change page": ("/admin/monographs/drug/{a_pk}/change/", {}, ADMIN_CHANGE, True),
}


@dataclass
class Measured:
    names: dict = field(default_factory=dict)
    at_5: dict = field(default_factory=dict)
    superuser: object = None


def names_of_the_first_drugs() -> dict:
    drugs = list(Drug.objects.filter(source_path__startswith="synthetic:").order_by("title")[:5])
    combination = next(d for d in drugs if d.ingredients.exists())
    return {
        "a": drugs[0].slug,
        "a_pk": drugs[0].pk,
        "a_title": drugs[0].title,
        "b": drugs[1].slug,
        "c": drugs[2].slug,
        "combination": combination.slug,
    }


def get(client, name, names):
    path, query, _budget, _staff = PAGES[name]
    query = {key: value.format(**names) if isinstance(value, str) else value
             for key, value in query.items()}  # fmt: skip
    return client.get(path.format(**names), query)


def count_queries(client, name, names) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = get(client, name, names)
    assert response.status_code == 200, (name, response.status_code)
    return len(captured)


@pytest.fixture(scope="module")
def measured(django_db_setup, django_db_blocker):
    """Queries per page at 5 drugs; the database then holds 500 for the tests."""
    # What the pages cost, not what the page cache saves (module fixtures run
    # before the suite's function-scoped switch turns it off).
    with django_db_blocker.unblock(), override_settings(PAGE_CACHE_ENABLED=False):
        last_revision = Revision.objects.aggregate(last=Max("pk"))["last"] or 0
        try:
            call_command("generate_scale_data", drugs=5, seed=SEED, verbosity=0)
            superuser = get_user_model().objects.create_superuser("budget-admin")
            # A reviewer to show: one more join, never one more query.
            Drug.objects.filter(source_path__startswith="synthetic:").update(reviewed_by=superuser)
            names = names_of_the_first_drugs()
            anonymous, staff = Client(), Client()
            staff_login(staff, superuser)
            # Each page twice: the first visit may make a connection's one-off
            # checks (SQLite probes its JSON support once), which are not the page's.
            at_5 = {}
            for _visit in range(2):
                at_5 = {
                    name: count_queries(staff if signed_in else anonymous, name, names)
                    for name, (*_, signed_in) in PAGES.items()
                }
            call_command("generate_scale_data", drugs=500, seed=SEED, replace=True, verbosity=0)
            Drug.objects.filter(source_path__startswith="synthetic:").update(reviewed_by=superuser)
            names = names_of_the_first_drugs()
            yield Measured(names=names, at_5=at_5, superuser=superuser)
        finally:
            call_command("generate_scale_data", delete=True, verbosity=0)
            get_user_model().objects.filter(username="budget-admin").delete()
            # Its sign-in was recorded outside any test's transaction.
            AuditEvent.objects.filter(username="budget-admin").delete()
            # The history of the monographs deleted above would otherwise stay,
            # listed as deleted monographs to recover in the tests after these.
            Revision.objects.filter(pk__gt=last_revision).delete()


@pytest.mark.parametrize("name", PAGES)
def test_a_page_uses_as_many_queries_at_500_drugs_as_at_5(
    db, client, measured, django_assert_max_num_queries, name
):
    _path, _query, budget, signed_in = PAGES[name]
    if signed_in:
        staff_login(client, measured.superuser)
    assert Drug.objects.filter(status=Status.PUBLISHED).count() >= 500
    # Opened a first time: a monograph made in bulk then gets the first revision
    # of its history (a one-off write, see monographs.history), not a page cost.
    get(client, name, measured.names)
    with django_assert_max_num_queries(budget) as captured:
        response = get(client, name, measured.names)
    assert response.status_code == 200
    # As many as at 5, or fewer: suggestions for a start shared by fewer names
    # than they show add the names holding a word so starting (a few queries
    # more at 5 drugs, where fewer than 8 names start with "synth").
    assert len(captured) <= measured.at_5[name]


def test_the_admin_change_page_costs_as_much_for_100_side_effects_as_for_one(
    db, client, measured, django_assert_max_num_queries
):
    small = make_drug(side_effects=1, faqs=1)
    big = make_drug(side_effects=100, faqs=20)
    Section.objects.bulk_create(
        Section(drug=big, heading=f"Note {i}", body="More.", position=10 + i) for i in range(20)
    )
    Ingredient.objects.bulk_create(
        Ingredient(combination=big, name=name, slug=name.lower(), position=i)
        for i, name in enumerate(["Alpha", "Beta", "Gamma"])
    )
    Drug.objects.filter(pk__in=[small.pk, big.pk]).update(reviewed_by=measured.superuser)
    staff_login(client, measured.superuser)
    counts = []
    for drug in (small, big):
        client.get(reverse("admin:monographs_drug_change", args=[drug.pk]))  # history starts
        with django_assert_max_num_queries(ADMIN_CHANGE) as captured:
            response = client.get(reverse("admin:monographs_drug_change", args=[drug.pk]))
        assert response.status_code == 200
        counts.append(len(captured))
    assert len(response.context["inline_admin_formsets"][2].formset.forms) == 100
    assert counts[0] == counts[1]

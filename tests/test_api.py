"""The read API: the pages' filters and search as JSON, documented by OpenAPI 3.1.

Runs on SQLite and, with DATABASE_URL, on PostgreSQL. Every answer checked
here is also checked against the OpenAPI document's schema for it.
"""

import datetime

import pytest
from django.utils import timezone
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate as validate_spec

from monographs import search
from monographs.choices import Severity, Status
from monographs.models import Drug, Ingredient, SideEffect

from .factories import make_drug

pytestmark = pytest.mark.django_db

DRUGS = "/api/drugs/"
LOOKUP = "/api/side-effects/"


@pytest.fixture
def spec(client) -> dict:
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    return response.json()


def schema_for(spec: dict, path: str, status: int) -> dict:
    operation = spec["paths"][path]["get"]
    content = operation["responses"][str(status)]["content"]
    return next(iter(content.values()))["schema"]


def closed(components: dict) -> dict:
    """The document's schemas, refusing properties they do not declare: an answer
    carrying an undocumented field fails, not only one missing a documented one."""

    def close(node):
        if isinstance(node, dict):
            node = {key: close(value) for key, value in node.items()}
            if node.get("type") == "object" and "properties" in node:
                node.setdefault("additionalProperties", False)
            return node
        if isinstance(node, list):
            return [close(item) for item in node]
        return node

    return close(components)


def check_against_spec(spec: dict, path: str, response) -> dict:
    """The answer's JSON, after checking it against the document's schema for it."""
    data = response.json()
    schema = {
        **schema_for(spec, path, response.status_code),
        "components": closed(spec["components"]),
    }
    errors = sorted(Draft202012Validator(schema).iter_errors(data), key=str)
    assert errors == [], [f"{list(e.absolute_path)}: {e.message}" for e in errors[:5]]
    return data


def add_effect(drug, name, severity=Severity.MILD):
    effect = SideEffect.objects.create(drug=drug, name=name, severity=severity, position=50)
    search.reindex(drug)
    return effect


def slugs(data) -> list[str]:
    return [row["slug"] for row in data["results"]]


# --- The document ---------------------------------------------------------------


def test_the_openapi_document_is_a_valid_openapi_3_1_document(spec):
    assert spec["openapi"].startswith("3.1")
    validate_spec(spec)
    assert {"/api/drugs/", "/api/drugs/{slug}/", "/api/side-effects/"} <= set(spec["paths"])


def test_the_document_offers_the_pages_filters_with_their_choices(spec):
    parameters = {p["name"]: p for p in spec["paths"]["/api/drugs/"]["get"]["parameters"]}
    assert {"q", "letter", "severity", "updated_since", "page", "page_size", "sort"} <= set(
        parameters
    )
    assert "0-9" in parameters["letter"]["schema"]["enum"]
    assert set(parameters["severity"]["schema"]["items"]["enum"]) == {
        "mild",
        "serious",
        "emergency",
    }


# --- The drug list -----------------------------------------------------------------


def test_the_list_pages_published_monographs_a_to_z_with_links(client, spec):
    for title in ["Cmine", "Amine", "Bmine", "Dmine", "Emine"]:
        make_drug(title)
    make_drug("Aadraft", status=Status.DRAFT)
    first = check_against_spec(spec, DRUGS, client.get(DRUGS, {"page_size": 2}))
    assert first["count"] == 5
    assert slugs(first) == ["amine", "bmine"]
    assert first["previous"] is None
    second = check_against_spec(spec, DRUGS, client.get(first["next"]))
    assert slugs(second) == ["cmine", "dmine"]
    assert client.get(second["previous"]).json() == first
    last = client.get(second["next"]).json()
    assert slugs(last) == ["emine"] and last["next"] is None
    row = first["results"][0]
    assert row["url"] == "http://testserver/drugs/amine/"
    assert client.get(row["api_url"]).json()["title"] == "Amine"


def test_the_list_filters_as_the_page_does(client, spec):
    serious = make_drug("Seriamine", side_effects=0)
    add_effect(serious, "Fainting", Severity.SERIOUS)
    mild = make_drug("Mildamine", side_effects=0)
    add_effect(mild, "Yawning")
    combination = make_drug("Seriamine + Mildamine", side_effects=0)
    Ingredient.objects.create(combination=combination, name="Seriamine", position=0)
    Ingredient.objects.create(combination=combination, name="Mildamine", position=1)
    for query, expected in [
        ({"letter": "S"}, ["seriamine", "seriamine-mildamine"]),
        ({"severity": "serious"}, ["seriamine"]),
        ({"severity": ["serious", "mild"]}, ["mildamine", "seriamine"]),
        ({"serious": "yes"}, ["seriamine"]),
        ({"kind": "combination"}, ["seriamine-mildamine"]),
        ({"q": "fainting"}, ["seriamine"]),
        ({"q": "fainting", "severity": "mild"}, []),
    ]:
        api = check_against_spec(spec, DRUGS, client.get(DRUGS, query))
        assert slugs(api) == expected, query
        page = client.get("/drugs/", {k: v for k, v in query.items() if k != "severity"})
        if "severity" not in query:  # the page offers all the others
            assert [d.slug for d in page.context["drug_list"]] == expected, query


def test_updated_since_takes_a_date_or_a_time(client, spec):
    old, new = make_drug("Oldamine"), make_drug("Newamine")
    Drug.objects.filter(pk=old.pk).update(updated=timezone.now() - datetime.timedelta(days=30))
    since = (timezone.now() - datetime.timedelta(days=1)).date().isoformat()
    assert slugs(client.get(DRUGS, {"updated_since": since}).json()) == [new.slug]
    moment = (timezone.now() - datetime.timedelta(days=40)).isoformat()
    data = check_against_spec(spec, DRUGS, client.get(DRUGS, {"updated_since": moment}))
    assert slugs(data) == ["newamine", "oldamine"]


def test_a_search_answers_in_the_pages_order(client, spec):
    exact = make_drug("Nauseamine")
    other = make_drug("Otheramine", side_effects=0)
    add_effect(other, "Nausea")
    add_effect(exact, "Nausea")
    api = check_against_spec(spec, DRUGS, client.get(DRUGS, {"q": "nauseamine nausea"}))
    page = client.get("/drugs/", {"q": "nauseamine nausea"})
    assert slugs(api) == [d.slug for d in page.context["drug_list"]] == ["nauseamine"]
    by_update = client.get(DRUGS, {"q": "nausea", "sort": "updated"}).json()
    assert slugs(by_update) == [d.slug for d in Drug.objects.order_by("-updated", "title")]


def test_a_search_matching_many_is_ranked_counted_and_paged_as_the_page_is(client, spec):
    for title in ["Gammamine", "Alphamine", "Betamine"]:
        add_effect(make_drug(title, side_effects=0), "Nausea")
    add_effect(make_drug("Nausea Relief", side_effects=0), "Dizziness")
    first = check_against_spec(spec, DRUGS, client.get(DRUGS, {"q": "nausea", "page_size": 2}))
    # Named by the word first, then by relevance (equals A–Z); counted.
    assert first["count"] == 4
    assert slugs(first) == ["nausea-relief", "alphamine"]
    second = client.get(first["next"]).json()
    assert slugs(second) == ["betamine", "gammamine"] and second["next"] is None
    page = client.get("/drugs/", {"q": "nausea"})
    assert [d.slug for d in page.context["drug_list"]] == slugs(first) + slugs(second)


def test_a_misspelt_search_answers_with_the_pages_correction(client):
    add_effect(make_drug("Alphamine", side_effects=0), "Nausea")
    make_drug("Betamine", side_effects=0)
    api = client.get(DRUGS, {"q": "nausae"}).json()
    page = client.get("/drugs/", {"q": "nausae"})
    assert page.context["results"].corrected
    assert slugs(api) == [d.slug for d in page.context["drug_list"]] == ["alphamine"]


@pytest.mark.parametrize(
    "query, parameter",
    [
        ({"letter": "ZZ"}, "letter"),
        ({"severity": "bogus"}, "severity"),
        ({"kind": "both"}, "kind"),
        ({"sort": "price"}, "sort"),
        ({"updated_since": "garbage"}, "updated_since"),
        ({"updated_since": "2025-02-30"}, "updated_since"),
        ({"page": "abc"}, "page"),
        ({"page": "0"}, "page"),
        ({"page": "-1"}, "page"),
        ({"page": str(10**20)}, "page"),
        ({"page": "7"}, "page"),  # past the last page
        ({"page_size": "1000"}, "page_size"),
        ({"page_size": "0"}, "page_size"),
        ({"page_size": "ten"}, "page_size"),
        ({"q": "x" * 201}, "q"),
    ],
)
def test_a_bad_parameter_is_a_400_naming_it(client, spec, query, parameter):
    make_drug("Amine")
    response = client.get(DRUGS, query)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    data = check_against_spec(spec, DRUGS, response)
    assert list(data["errors"]) == [parameter]


def test_a_huge_page_of_a_search_is_a_400(client):
    for title in ["Gammamine", "Alphamine", "Betamine"]:
        add_effect(make_drug(title, side_effects=0), "Nausea")
    for page in ["999999", str(2**63)]:
        response = client.get(DRUGS, {"q": "nausea", "page": page})
        assert response.status_code == 400, page


def test_a_page_holds_at_most_100(client):
    for number in range(101):
        Drug.objects.create(title=f"Bulkamine {number:03}", status=Status.PUBLISHED)
    data = client.get(DRUGS, {"page_size": 100}).json()
    assert len(data["results"]) == 100 and data["count"] == 101
    assert len(client.get(DRUGS).json()["results"]) == 50


# --- One monograph -----------------------------------------------------------------


def test_a_monograph_is_the_same_document_as_its_json_page(client, spec):
    drug = make_drug("Docamine")
    data = check_against_spec(spec, "/api/drugs/{slug}/", client.get(f"/api/drugs/{drug.slug}/"))
    assert data == client.get(f"/drugs/{drug.slug}.json").json()
    assert [s["kind"] for s in data["sections"]] == ["usage", "side_effects", "faqs"]
    assert {e["severity"] for e in data["side_effects"]} == {"mild", "serious", "emergency"}
    assert data["fhir_url"] == f"http://testserver/drugs/{drug.slug}.fhir.json"


@pytest.mark.parametrize("status", [Status.DRAFT, Status.IN_REVIEW, Status.ARCHIVED])
def test_drafts_never_appear(client, spec, status):
    drug = make_drug("Hiddamine", status=status, side_effects=0)
    add_effect(drug, "Hiccups")
    response = client.get(f"/api/drugs/{drug.slug}/")
    assert response.status_code == 404
    assert check_against_spec(spec, "/api/drugs/{slug}/", response)["detail"]
    for query in ({}, {"q": "hiddamine"}, {"letter": "H"}, {"updated_since": "2000-01-01"}):
        assert client.get(DRUGS, query).json()["results"] == [], query
    assert client.get(LOOKUP, {"q": "hiccups"}).json()["count"] == 0


def test_the_api_is_read_only(client):
    drug = make_drug("Readamine")
    for method in (client.post, client.put, client.delete):
        assert method(f"/api/drugs/{drug.slug}/").status_code == 405
    assert Drug.objects.filter(pk=drug.pk).exists()


# --- The side-effect lookup -------------------------------------------------------------


def test_the_lookup_lists_what_the_page_lists(client, spec):
    first, second = make_drug("Firstamine", side_effects=0), make_drug("Secamine", side_effects=0)
    add_effect(first, "Headaches")
    add_effect(second, "Headache (mild)", Severity.SERIOUS)
    add_effect(make_drug("Drafamine", status=Status.DRAFT, side_effects=0), "Headache")
    data = check_against_spec(spec, LOOKUP, client.get(LOOKUP, {"q": "headache"}))
    assert data["count"] == 2
    assert [(r["drug"]["slug"], r["severity"]) for r in data["results"]] == [
        ("secamine", "serious"),
        ("firstamine", "mild"),
    ]
    page = client.get("/side-effects/", {"q": "headache"})
    assert [e.drug.slug for e in page.context["matches"]] == ["secamine", "firstamine"]
    serious = client.get(LOOKUP, {"q": "headache", "severity": "serious"}).json()
    assert [r["drug"]["slug"] for r in serious["results"]] == ["secamine"]


@pytest.mark.parametrize(
    "query, parameter",
    [
        ({}, "q"),
        ({"q": "nausea", "severity": "fatal"}, "severity"),
        ({"q": "a", "page": "x"}, "page"),
    ],
)
def test_a_bad_lookup_is_a_400_naming_it(client, spec, query, parameter):
    response = client.get(LOOKUP, query)
    assert response.status_code == 400
    assert list(check_against_spec(spec, LOOKUP, response)["errors"]) == [parameter]


# --- The guide -----------------------------------------------------------------------


def test_the_guide_shows_working_examples_and_the_footer_links_to_it(client):
    drug = make_drug("Guidamine")
    home = client.get("/").content.decode()
    assert 'href="/api/"' in home
    guide = client.get("/api/")
    assert guide.status_code == 200
    examples = [
        line.split("'")[1]
        for line in guide.content.decode().replace("&amp;", "&").splitlines()
        if "curl '" in line
    ]
    assert len(examples) >= 6
    for url in examples:
        response = client.get(url)
        assert response.status_code == 200, url
    assert f"/api/drugs/{drug.slug}/" in " ".join(examples)

"""What readers see: home, list and search, lookup, comparison and machine-readable output."""

import datetime
import json
import re

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from monographs import search
from monographs.choices import Severity, Status
from monographs.models import Drug, Ingredient, SideEffect

from .factories import make_drug

LIST = reverse("monographs:drug_list")
LOOKUP = reverse("monographs:side_effects")
COMPARE = reverse("monographs:compare")


def titles(response) -> list[str]:
    return [drug.title for drug in response.context["drug_list"]]


def add_effect(drug, name, severity=Severity.MILD, position=100):
    SideEffect.objects.create(drug=drug, name=name, severity=severity, position=position)


def test_home_has_search_letters_and_recent_monographs(db, client):
    reviewed = make_drug("Reviewamine")
    reviewed.reviewed_on = timezone.localdate()
    reviewed.save()
    make_drug("Draftamine", status=Status.DRAFT)
    response = client.get("/")
    content = response.content.decode()
    assert 'role="search"' in content
    assert f'href="{LIST}?letter=Q"' in content
    assert response.context["recently_reviewed"][0] == reviewed
    assert "Draftamine" not in content


def test_the_home_page_follows_reviews_and_edits(db, client, monkeypatch):
    """Its lists are kept while the index and the day are unchanged."""
    alpha, beta = make_drug("Alphamine"), make_drug("Betamine")

    def recent(name):
        return [d.title for d in client.get("/").context[name]]

    assert recent("recently_updated") == ["Betamine", "Alphamine"]
    assert recent("recently_reviewed") == []
    alpha.reviewed_on = timezone.localdate()
    alpha.review_due = timezone.localdate()
    alpha.save()
    assert recent("recently_updated") == ["Alphamine", "Betamine"]
    assert recent("recently_reviewed") == ["Alphamine"]
    beta.status = Status.ARCHIVED
    beta.save()
    assert recent("recently_updated") == ["Alphamine"]
    # The next day the review is overdue, with nothing saved since.
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: tomorrow)
    assert recent("recently_reviewed") == []


def test_recently_reviewed_lists_only_reviews_that_still_hold(db, client):
    today = timezone.localdate()
    day = datetime.timedelta(days=1)

    def reviewed(title, on, due, changed=False):
        drug = make_drug(title)
        drug.reviewed_on, drug.review_due, drug.changed_since_review = on, due, changed
        drug.save()
        return drug

    holds = reviewed("Holdamine", today - 10 * day, today + 300 * day)
    reviewed("Dueamine", today - 5 * day, today)  # due today: still holds
    reviewed("Overdamine", today - 2 * day, today - day)  # overdue
    reviewed("Changamine", today - day, today + 300 * day, changed=True)  # edited since
    make_drug("Neveramine")  # never reviewed
    response = client.get("/")
    assert [d.title for d in response.context["recently_reviewed"]] == ["Dueamine", "Holdamine"]
    section = response.content.decode().split('id="reviewed-heading"')[1].split("</section>")[0]
    assert "Holdamine" in section and "Overdamine" not in section
    assert "Changamine" not in section and "Neveramine" not in section
    assert holds.get_absolute_url() in section


def test_list_filters_by_letter_kind_serious_side_effects_and_review(db, client):
    alpha = make_drug("Alphamine", side_effects=1)  # one mild side effect
    beta = make_drug("Betamine + Alphamine", side_effects=2)  # mild and serious
    Ingredient.objects.create(combination=beta, name="Alphamine")
    beta.reviewed_on = timezone.localdate()
    beta.save()
    assert titles(client.get(LIST, {"letter": "B"})) == ["Betamine + Alphamine"]
    assert titles(client.get(LIST, {"kind": "combination"})) == ["Betamine + Alphamine"]
    assert titles(client.get(LIST, {"kind": "single"})) == ["Alphamine"]
    assert titles(client.get(LIST, {"serious": "yes"})) == ["Betamine + Alphamine"]
    assert titles(client.get(LIST, {"reviewed": "no"})) == [alpha.title]
    assert titles(client.get(LIST, {"sort": "updated"})) == ["Betamine + Alphamine", "Alphamine"]


def test_an_invalid_filter_value_is_reported(db, client):
    response = client.get(LIST, {"letter": "AA"})
    assert 'role="alert"' in response.content.decode()


def test_filters_survive_pagination(db, client):
    for number in range(55):
        make_drug(f"Mamine {number:02}", side_effects=0, faqs=0)
    response = client.get(LIST, {"letter": "M", "sort": "name"})
    assert response.context["paginator"].count == 55
    assert "55 monographs, page 1 of 2" in response.content.decode()
    assert 'href="?letter=M&amp;sort=name&amp;page=2"' in response.content.decode()


def test_search_uses_the_real_full_text_index(db, client):
    engines = {"sqlite": "SQLiteEngine", "postgresql": "PostgresEngine"}
    assert search.backend_name() == engines[connection.vendor]
    drug = make_drug("Pancreamine")
    add_effect(drug, "Pancreatitis")
    search.reindex(drug)
    with CaptureQueriesContext(connection) as queries:
        assert titles(client.get(LIST, {"q": "pancreatitis"})) == ["Pancreamine"]
    index = "monographs_searchentry_fts" if connection.vendor == "sqlite" else "@@"
    assert any(index in q["sql"] for q in queries.captured_queries)
    # A substring match would find "Pancreatitis" for "creatit"; the index matches
    # words, and the start of the last one.
    assert titles(client.get(LIST, {"q": "creatit"})) == []
    assert titles(client.get(LIST, {"q": "pancrea"})) == ["Pancreamine"]


def test_search_ranks_the_name_above_a_passing_mention(db, client):
    mention = make_drug("Othermine")
    mention.sections.first().body = "Unlike zolamide, it is taken at night."
    mention.sections.first().save()
    search.reindex(mention)
    make_drug("Zolamide")
    assert titles(client.get(LIST, {"q": "zolamide"}))[0] == "Zolamide"


def test_search_with_no_hits_says_so_and_offers_the_a_to_z(db, client):
    make_drug("Alphamine")
    content = client.get(LIST, {"q": "nonexistentword"}).content.decode()
    assert "No medicine matches “nonexistentword”" in content
    assert 'aria-label="Medicines by first letter"' in content


def test_search_finds_no_draft(db, client):
    make_drug("Draftamine", status=Status.DRAFT)
    assert titles(client.get(LIST, {"q": "draftamine"})) == []
    assert client.get(reverse("monographs:suggest"), {"q": "draft"}).json() == {"results": []}


def test_suggestions_complete_a_name(db, client):
    make_drug("Isotretinoin")
    results = client.get(reverse("monographs:suggest"), {"q": "isotre"}).json()["results"]
    assert results == [{"title": "Isotretinoin", "url": "/drugs/isotretinoin/"}]


def test_monograph_filters_by_frequency_and_counts_each_severity(seed_drug, client):
    response = client.get(seed_drug.get_absolute_url(), {"frequency": "uncommon"})
    listed = response.content.decode().split('id="side-effects-list"')[1]
    assert "Pancreatitis" in listed and "Nosebleeds" not in listed
    assert response.context["severity_counts"] == [
        (Severity.MILD, 8),
        (Severity.SERIOUS, 7),
        (Severity.EMERGENCY, 0),
    ]


def test_monograph_carries_schema_org_data(seed_drug, client, admin_user):
    seed_drug.reviewed_on = timezone.localdate()
    seed_drug.reviewed_by = admin_user
    seed_drug.save()
    content = client.get(seed_drug.get_absolute_url()).content.decode()
    data = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', content)[1])
    assert data["@type"] == "MedicalWebPage"
    assert data["about"]["@type"] == "Drug"
    assert data["lastReviewed"] == seed_drug.reviewed_on.isoformat()
    assert data["reviewedBy"]["name"] == admin_user.username
    assert f"Reviewed by {admin_user.username} on" in content


def test_a_monograph_names_its_reviewer_as_they_are_named_now(seed_drug, client, admin_user):
    seed_drug.reviewed_on = timezone.localdate()
    seed_drug.reviewed_by = admin_user
    seed_drug.save()
    admin_user.first_name, admin_user.last_name = "Ann", "Smith"
    admin_user.save()
    content = client.get(seed_drug.get_absolute_url()).content.decode()
    assert "Reviewed by Ann Smith on" in content
    assert '"reviewedBy": {"@type": "Person", "name": "Ann Smith"}' in content
    assert Drug.objects.get(pk=seed_drug.pk).reviewer_name == "Ann Smith"  # outside the page too
    seed_drug.reviewed_by = None
    seed_drug.save()
    content = client.get(seed_drug.get_absolute_url()).content.decode()
    assert "Reviewed on" in content and "reviewedBy" not in content


def test_a_combination_links_to_its_ingredients(db, client):
    part = make_drug("Codeine")
    combination = make_drug("Paracetamol + Codeine")
    Ingredient.objects.create(combination=combination, name="Paracetamol", position=1)
    Ingredient.objects.create(combination=combination, name="Codeine", position=2)
    content = client.get(combination.get_absolute_url()).content.decode()
    assert f'<a href="{part.get_absolute_url()}">Codeine</a>' in content
    assert "Paracetamol" in content and 'href="/drugs/paracetamol/"' not in content


def test_lookup_matches_a_normalised_term_across_drugs(db, client):
    first, second, draft = make_drug("Alphamine"), make_drug("Betamine"), make_drug("Draftamine")
    add_effect(first, "Pancreatitis (inflammation of the pancreas)", Severity.SERIOUS)
    add_effect(second, "pancreatitis", Severity.MILD)
    add_effect(draft, "Pancreatitis", Severity.SERIOUS)
    draft.status = Status.DRAFT
    draft.save()
    response = client.get(LOOKUP, {"q": "Pancreatitis"})
    assert [(e.drug.title, e.severity) for e in response.context["matches"]] == [
        ("Alphamine", Severity.SERIOUS),
        ("Betamine", Severity.MILD),
    ]
    serious = client.get(LOOKUP, {"q": "pancreatitis", "severity": "serious"})
    assert [e.drug.title for e in serious.context["matches"]] == ["Alphamine"]


@pytest.mark.parametrize(
    "params, count",
    [({}, 3), ({"severity": "serious"}, 1), ({"severity": ["mild", "emergency"]}, 2)],
)
def test_lookup_counts_only_listings_in_published_monographs(db, client, params, count):
    for title, severities in [("Alphamine", ["mild", "serious"]), ("Betamine", ["mild"])]:
        drug = make_drug(title, side_effects=0)
        for severity in severities:
            add_effect(drug, "Pancreatitis", Severity[severity.upper()])
    for status in [Status.DRAFT, Status.IN_REVIEW, Status.ARCHIVED]:
        hidden = make_drug(f"Hidden {status}", status=status, side_effects=0)
        add_effect(hidden, "Pancreatitis", Severity.SERIOUS)
        add_effect(hidden, "Pancreatitis", Severity.MILD)
    response = client.get(LOOKUP, {"q": "pancreatitis", **params})
    assert response.context["page_obj"].paginator.count == count
    assert len(response.context["matches"]) == count
    listings = f"{count} listing{'s' if count > 1 else ''}"
    assert f"{listings} of “pancreatitis”" in response.content.decode()


def test_lookup_treats_plurals_as_one_term(db, client):
    add_effect(make_drug("Alphamine"), "Nosebleeds")
    assert len(client.get(LOOKUP, {"q": "nosebleed"}).context["matches"]) == 1


def test_a_side_effect_listed_by_many_medicines_is_looked_up_a_page_at_a_time(db, client):
    drugs = [make_drug(f"Drug {i:03}", side_effects=0, faqs=0) for i in range(55)]
    for drug in drugs:
        add_effect(drug, "Headache")
    first = client.get(LOOKUP, {"q": "headache"})
    assert [e.drug.title for e in first.context["matches"]] == [f"Drug {i:03}" for i in range(50)]
    content = first.content.decode()
    assert "55 listings of “headache”, page 1 of 2." in content
    assert 'href="?q=headache&amp;page=2"' in content
    second = client.get(LOOKUP, {"q": "headache", "page": 2})
    assert [e.drug.title for e in second.context["matches"]] == [
        f"Drug {i:03}" for i in range(50, 55)
    ]


def test_lookup_lists_the_most_listed_side_effects(db, client):
    for title in ["Alphamine", "Betamine"]:
        add_effect(make_drug(title, side_effects=0), "Headache")
    add_effect(make_drug("Gammamine", side_effects=0), "Rash")
    rows = list(client.get(LOOKUP).context["most_listed"])
    assert rows[0]["term"] == "headache" and rows[0]["drugs"] == 2


def test_compare_puts_sections_and_side_effects_side_by_side(db, client):
    first, second = make_drug("Alphamine", side_effects=0), make_drug("Betamine", side_effects=0)
    add_effect(first, "Headache", Severity.MILD)
    add_effect(second, "Headaches", Severity.SERIOUS)
    response = client.get(COMPARE, {"drugs": "alphamine,betamine"})
    assert response.context["drugs"] == [first, second]
    [row] = response.context["side_effects"]
    assert [[e.severity for e in cell] for cell in row["cells"]] == [
        [Severity.MILD],
        [Severity.SERIOUS],
    ]
    assert [row["kind"].value for row in response.context["rows"]][:2] == ["usage", "side_effects"]


@pytest.mark.parametrize("drugs", ["alphamine", "a,b,c,d,e", "alphamine,nosuchdrug"])
def test_compare_explains_what_it_needs(db, client, drugs):
    make_drug("Alphamine")
    assert 'role="alert"' in client.get(COMPARE, {"drugs": drugs}).content.decode()


def test_json_sitemap_and_feed_carry_published_monographs_only(db, client):
    published = make_drug("Alphamine")
    draft = make_drug("Draftamine", status=Status.DRAFT)
    data = client.get(reverse("monographs:drug_json", args=[published.slug])).json()
    assert data["title"] == "Alphamine" and data["side_effects"][0]["severity"] == "mild"
    assert client.get(reverse("monographs:drug_json", args=[draft.slug])).status_code == 404
    sitemap = client.get("/sitemap-drugs.xml").content.decode()
    feed = client.get(reverse("monographs:feed")).content.decode()
    for document in (sitemap, feed):
        assert "/drugs/alphamine/" in document and "draftamine" not in document
    assert "http://www.w3.org/2005/Atom" in feed


READING_PAGES = [
    ("/", {}),
    (LIST, {}),
    (LIST, {"q": "effect", "kind": "single", "serious": "yes"}),
    (LOOKUP, {}),
    (LOOKUP, {"q": "effect 1"}),
    (COMPARE, {"drugs": "testamine-a,testamine-b"}),
]


def test_reading_pages_use_as_many_queries_for_5_drugs_as_for_200(db, client):
    make_drug("Testamine A")
    make_drug("Testamine B")
    for _ in range(3):
        make_drug()

    def counts():
        result = []
        for url, params in READING_PAGES:
            with CaptureQueriesContext(connection) as captured:
                assert client.get(url, params).status_code == 200
            result.append(len(captured))
        return result

    # The first reading asks SQLite once a connection whether it has JSON
    # functions, and reads the spelling vocabulary once for each change of content.
    counts()
    few = counts()
    for _ in range(195):
        make_drug(side_effects=2, faqs=0)
    counts()
    assert counts() == few
    assert max(few) <= 5


@pytest.mark.parametrize("sort", ["name", "updated"])
def test_search_results_can_be_sorted(db, client, sort):
    make_drug("Zolamide")
    make_drug("Alphamine")
    response = client.get(LIST, {"q": "usage", "sort": sort})
    assert response.status_code == 200
    assert sorted(titles(response)) == ["Alphamine", "Zolamide"]


def test_a_search_matching_many_monographs_is_still_ranked_and_counted(db, client):
    for title in ["Gammamine", "Alphamine", "Betamine", "Deltamine", "Epsilamine"]:
        drug = make_drug(title, side_effects=0)
        add_effect(drug, "Nausea")
        search.reindex(drug)
    named = make_drug("Nausea Relief Zeta", side_effects=0)
    search.reindex(named)
    draft = make_drug("Aadraftamine", status=Status.DRAFT, side_effects=0)
    add_effect(draft, "Nausea")
    search.reindex(draft)
    first = client.get(LIST, {"q": "nausea"})
    # Named by the word first, then by relevance, never A–Z; the draft never.
    assert titles(first)[0] == "Nausea Relief Zeta"
    assert first.context["paginator"].count == 6
    assert "Aadraftamine" not in titles(first)


def test_the_lookup_follows_edits_to_the_listings_it_keeps(db, client):
    """Each lookup page's keys and count are kept while the index is unchanged:
    an edit saved as the admin saves it shows at once."""
    first, second = make_drug("Alphamine", side_effects=0), make_drug("Betamine", side_effects=0)
    SideEffect.objects.create(drug=first, name="Nausea", severity=Severity.MILD, position=1)
    SideEffect.objects.create(drug=second, name="Nausea", severity=Severity.MILD, position=1)
    search.reindex(first)
    search.reindex(second)

    def listed():
        page = client.get(LOOKUP, {"q": "nausea"})
        return page.context["page_obj"].paginator.count, [
            (e.drug.title, e.severity) for e in page.context["matches"]
        ]

    assert listed() == (2, [("Alphamine", Severity.MILD), ("Betamine", Severity.MILD)])
    assert listed() == (2, [("Alphamine", Severity.MILD), ("Betamine", Severity.MILD)])
    # Betamine's nausea becomes serious: it moves first.
    SideEffect.objects.filter(drug=second).update(severity=Severity.SERIOUS)
    search.reindex(second)
    assert listed() == (2, [("Betamine", Severity.SERIOUS), ("Alphamine", Severity.MILD)])
    # Alphamine is withdrawn: it leaves the page and the count.
    first.status = Status.DRAFT
    first.save()
    assert listed() == (1, [("Betamine", Severity.SERIOUS)])
    # A third monograph listing it is published.
    third = make_drug("Gammamine", side_effects=0)
    SideEffect.objects.create(drug=third, name="Nausea", severity=Severity.MILD, position=1)
    search.reindex(third)
    assert listed() == (2, [("Betamine", Severity.SERIOUS), ("Gammamine", Severity.MILD)])


def test_the_list_and_search_follow_edits_to_the_pages_they_keep(db, client):
    """A list or search page is kept while the index is unchanged: a rename, a
    withdrawal and a publication show at once, each filter on its own."""
    alpha, beta = make_drug("Alphamine"), make_drug("Betamine")
    for _ in range(2):
        assert titles(client.get(LIST)) == ["Alphamine", "Betamine"]
        assert titles(client.get(LIST, {"letter": "B"})) == ["Betamine"]
        assert titles(client.get(LIST, {"q": "alphamine"})) == ["Alphamine"]
    alpha.title = "Zetamine"
    alpha.save()
    assert titles(client.get(LIST)) == ["Betamine", "Zetamine"]
    assert titles(client.get(LIST, {"q": "zetamine"})) == ["Zetamine"]
    beta.status = Status.DRAFT
    beta.save()
    assert titles(client.get(LIST)) == ["Zetamine"]
    assert client.get(LIST).context["paginator"].count == 1
    assert titles(client.get(LIST, {"letter": "B"})) == []
    make_drug("Bromamine")
    assert titles(client.get(LIST, {"letter": "B"})) == ["Bromamine"]
    assert titles(client.get(LIST, {"sort": "updated"})) == ["Bromamine", "Zetamine"]
    assert client.get(LIST).context["paginator"].count == 2


def test_kept_pages_follow_changes_announced_without_reindexing(transactional_db, client):
    """A part saved on its own, or a bulk update announced as the app asks, moves
    the search index's state once its transaction commits: nothing kept outlives it."""
    from monographs.signals import announce_content_change

    alpha, beta = make_drug("Alphamine", side_effects=0), make_drug("Betamine", side_effects=0)
    add_effect(alpha, "Nausea")
    assert client.get(LOOKUP, {"q": "nausea"}).context["page_obj"].paginator.count == 1
    add_effect(beta, "Nausea")  # the drug itself is not saved
    assert client.get(LOOKUP, {"q": "nausea"}).context["page_obj"].paginator.count == 2
    assert titles(client.get(LIST)) == ["Alphamine", "Betamine"]
    with transaction.atomic():
        Drug.objects.filter(pk=alpha.pk).update(title="Zetamine")
        announce_content_change(drug_ids=[alpha.pk])
    assert titles(client.get(LIST)) == ["Betamine", "Zetamine"]


def test_filter_forms_share_their_fields_but_never_their_data_or_errors(db, client):
    make_drug("Betamine")
    wrong = client.get(LIST, {"letter": "bogus", "q": "beta"})
    right = client.get(LIST, {"letter": "B"})
    assert wrong.context["filter"].form.errors and not right.context["filter"].form.errors
    assert "bogus is not one of the available choices" in wrong.content.decode()
    assert "not one of the available choices" not in right.content.decode()
    assert right.context["filter"].form["letter"].value() == "B"
    assert wrong.context["filter"].form.fields is not right.context["filter"].form.fields
    assert (
        wrong.context["filter"].form.fields["letter"]
        is right.context["filter"].form.fields["letter"]
    )
    assert titles(right) == ["Betamine"]

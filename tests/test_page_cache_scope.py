"""A change retires only the pages that show what it changed.

Saving one monograph moves on its own page and data, the comparisons that
include it and every page that lists monographs; another monograph's page,
and comparisons without the changed one, stay stored. Run against the
local-memory cache and a real Redis (the ``page_cache`` fixture).
"""

import pytest
from django.contrib.auth import get_user_model

from monographs import views
from monographs.choices import Status
from monographs.models import Ingredient
from monographs.signals import announce_content_change
from portal import cache
from tests.factories import make_drug
from tests.test_page_cache import changes, commit_pending, page, page_cache  # noqa: F401

A = "/drugs/alphamine/"
B = "/drugs/betamine/"
LISTINGS = [
    "/",
    "/drugs/",
    "/drugs/?q=alphamine",
    "/side-effects/",
    "/side-effects/?q=effect+1",
    "/sitemap.xml",
    "/sitemap-drugs.xml",
    "/feed/",
]
UNRELATED = [
    B,
    "/drugs/betamine.json",
    "/drugs/betamine/changes/",
    "/compare/?drugs=betamine,gammamine",
]
RELATED = [
    A,
    "/drugs/alphamine.json",
    "/drugs/alphamine/changes/",
    "/compare/?drugs=alphamine,betamine",
]


@pytest.fixture
def drugs(db):
    return {name: make_drug(name.title()) for name in ("alphamine", "betamine", "gammamine")}


def hit(client, url) -> bool:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get("X-Page-Cache") == "hit"


def store(client, urls):
    commit_pending()  # the fixtures' own changes, as if they had committed before
    for url in urls:
        page(client, url)
        assert hit(client, url), url


def test_saving_one_monograph_leaves_the_others_pages_stored(
    page_cache,  # noqa: F811
    drugs,
    client,
    django_capture_on_commit_callbacks,
):
    store(client, UNRELATED + RELATED + LISTINGS)
    with changes(django_capture_on_commit_callbacks):
        drugs["alphamine"].title = "Alphamine Forte"
        drugs["alphamine"].save()
    for url in UNRELATED:
        assert hit(client, url), f"{url} was retired by a change to another monograph"
    for url in RELATED + LISTINGS:
        assert not hit(client, url), f"{url} still served from before the change"
    for url in RELATED + LISTINGS:
        if "side-effects" not in url and "sitemap" not in url:
            assert "Alphamine Forte" in page(client, url), url


def test_a_side_effect_of_one_monograph_retires_its_page_and_the_lookup_only(
    page_cache,  # noqa: F811
    drugs,
    client,
    django_capture_on_commit_callbacks,
):
    store(client, [A, B, "/side-effects/?q=effect+1"])
    with changes(django_capture_on_commit_callbacks):
        drugs["betamine"].side_effects.filter(name="Effect 1").delete()
    assert hit(client, A)
    assert "Effect 1" not in page(client, B)
    lookup = page(client, "/side-effects/?q=effect+1")
    assert "Betamine" not in lookup and "Alphamine" in lookup


def test_a_change_without_monographs_named_retires_every_page(
    page_cache,  # noqa: F811
    drugs,
    client,
    django_capture_on_commit_callbacks,
):
    store(client, UNRELATED + RELATED)
    with changes(django_capture_on_commit_callbacks):
        announce_content_change()  # a bulk update or an import says no more than this
    for url in UNRELATED + RELATED:
        assert not hit(client, url), url


def test_renaming_a_user_retires_every_page(
    page_cache,  # noqa: F811
    drugs,
    client,
    django_capture_on_commit_callbacks,
):
    store(client, [A, B])
    with changes(django_capture_on_commit_callbacks):
        get_user_model().objects.create_user("someone", first_name="Some")
    assert not hit(client, A) and not hit(client, B)


def test_unpublishing_an_ingredients_monograph_retires_the_combinations_page(
    page_cache,  # noqa: F811
    drugs,
    client,
    django_capture_on_commit_callbacks,
):
    combination = make_drug("Alphamine With Betamine")
    with changes(django_capture_on_commit_callbacks):
        Ingredient.objects.create(
            combination=combination, name="Betamine", slug="betamine", drug=drugs["betamine"]
        )
    url = combination.get_absolute_url()
    store(client, [url, A])
    assert 'href="/drugs/betamine/"' in page(client, url)
    with changes(django_capture_on_commit_callbacks):
        drugs["betamine"].status = Status.DRAFT
        drugs["betamine"].save()
    assert hit(client, A)
    assert 'href="/drugs/betamine/"' not in page(client, url)


def test_a_comparison_naming_an_unpublished_monograph_changes_when_it_is_published(
    page_cache,  # noqa: F811
    drugs,
    client,
    django_capture_on_commit_callbacks,
):
    url = "/compare/?drugs=alphamine,deltamine"
    assert 'href="/drugs/deltamine/"' not in page(client, url)
    with changes(django_capture_on_commit_callbacks):
        make_drug("Deltamine")
    assert 'href="/drugs/deltamine/"' in page(client, url)


def test_a_page_built_while_its_monograph_changes_is_not_kept(
    page_cache,  # noqa: F811
    drugs,
    client,
    monkeypatch,
    django_capture_on_commit_callbacks,
):
    """The change commits after the page read the monograph, before it was stored."""
    read = views.DrugDetailView.get_object

    def read_then_change_commits(view, queryset=None):
        drug = read(view, queryset)
        cache.retire({drug.pk})  # what the editor's commit does on another server
        return drug

    monkeypatch.setattr(views.DrugDetailView, "get_object", read_then_change_commits)
    page(client, A)
    monkeypatch.undo()
    assert not hit(client, A)  # the page built before the change was not stored
    assert hit(client, A)

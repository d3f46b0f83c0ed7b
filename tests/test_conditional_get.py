"""Conditional GET: an ETag on every public page, 304 for a matching If-None-Match,
and Cache-Control that lets a shared cache keep public pages briefly, never
pages built for a signed-in visitor."""

import pytest
from django.contrib.auth import get_user_model

from tests.factories import make_drug
from tests.test_page_cache import PUBLIC_PAGES, changes, commit_pending, page_cache  # noqa: F401


@pytest.fixture
def drugs(db):
    make_drug("Other")
    return make_drug("Cachamine")


def public_cache_control(settings) -> str:
    return f"public, max-age=0, s-maxage={settings.PAGE_SHARED_MAX_AGE}"


@pytest.mark.parametrize("url", PUBLIC_PAGES)
def test_a_public_page_is_answered_304_from_the_stored_page_without_a_query(
    page_cache,  # noqa: F811
    drugs,
    client,
    settings,
    url,
    django_assert_num_queries,
):
    first = client.get(url)
    assert first.status_code == 200
    assert first["Cache-Control"] == public_cache_control(settings)
    etag = first["ETag"]
    assert etag.startswith('"') and etag.endswith('"')
    with django_assert_num_queries(0):
        again = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == etag
    assert again["Cache-Control"] == public_cache_control(settings)
    assert client.get(url, HTTP_IF_NONE_MATCH='"something-else"').status_code == 200


def test_the_first_answer_is_304_too_when_the_browser_holds_the_same_page(
    page_cache,  # noqa: F811
    drugs,
    client,
    settings,
):
    etag = client.get("/drugs/cachamine/")["ETag"]
    # The stored page is gone (evicted), the browser's copy is not.
    page_cache.delete(f"page:{settings.PAGE_CACHE_RELEASE}:http://testserver/drugs/cachamine/")
    again = client.get("/drugs/cachamine/", HTTP_IF_NONE_MATCH=f'W/{etag}, "other"')
    assert again.status_code == 304
    assert again["ETag"] == etag


def test_a_change_gives_the_page_a_new_etag(
    page_cache,  # noqa: F811
    drugs,
    client,
    django_capture_on_commit_callbacks,
):
    commit_pending()
    etag = client.get("/drugs/cachamine/")["ETag"]
    with changes(django_capture_on_commit_callbacks):
        drugs.generic_name = "Cachaminum"
        drugs.save()
    response = client.get("/drugs/cachamine/", HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200
    assert response["ETag"] != etag
    assert "Cachaminum" in response.content.decode()


def test_pages_apart_have_etags_apart(page_cache, drugs, client):  # noqa: F811
    etags = {client.get(url)["ETag"] for url in PUBLIC_PAGES}
    assert len(etags) == len(PUBLIC_PAGES)


@pytest.mark.parametrize("url", ["/drugs/cachamine/", "/drugs/", "/side-effects/?q=effect+1"])
def test_without_the_page_cache_the_etag_comes_from_the_page_itself(drugs, client, settings, url):
    settings.PAGE_CACHE_ENABLED = False
    first = client.get(url)
    assert first["Cache-Control"] == public_cache_control(settings)
    assert client.get(url)["ETag"] == first["ETag"]
    assert client.get(url, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304


@pytest.mark.parametrize("cache_on", [True, False], ids=["cache-on", "cache-off"])
@pytest.mark.parametrize("url", ["/drugs/cachamine/", "/drugs/", "/", "/drugs/cachamine.json"])
def test_signed_in_answers_are_private_and_never_stored_by_anyone(
    page_cache,  # noqa: F811
    drugs,
    client,
    settings,
    url,
    cache_on,
):
    settings.PAGE_CACHE_ENABLED = cache_on
    anonymous = client.get(url)
    staff = get_user_model().objects.create_user("staff", is_staff=True)
    client.force_login(staff)
    response = client.get(url, HTTP_IF_NONE_MATCH=anonymous["ETag"])
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
    assert "ETag" not in response
    assert "X-Page-Cache" not in response


def test_the_admin_keeps_its_own_never_cache_headers(page_cache, drugs, client):  # noqa: F811
    staff = get_user_model().objects.create_superuser("boss")
    client.force_login(staff)
    response = client.get("/admin/")
    assert "no-store" in response["Cache-Control"]
    assert "public" not in response["Cache-Control"]


def test_a_missing_page_is_not_marked_for_shared_caches(page_cache, drugs, client):  # noqa: F811
    response = client.get("/drugs/nothing-here/")
    assert response.status_code == 404
    assert "public" not in response.get("Cache-Control", "")
    assert "ETag" not in response

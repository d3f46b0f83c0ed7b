"""Every XSS vector of the corpus, typed into every field of the admin, runs nowhere."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from monographs.markdown import ALLOWED_URL_SCHEMES, render, sanitise

from .factories import staff_login
from .xss import ADMIN_SCRIPTS, CORPUS, AdminEntry, audit, load_vectors, read_vectors, text_of

VECTORS = load_vectors()


@pytest.fixture
def superuser_client(db):
    client = Client()
    staff_login(client, get_user_model().objects.create_superuser("editor", password=None))
    return client


def test_the_corpus_holds_over_a_hundred_vectors_that_fit_every_field():
    vectors = read_vectors(CORPUS)
    assert len(vectors) >= 100
    assert len({vector.text for vector in vectors}) == len(vectors), "a vector is repeated"
    assert [str(v) for v in vectors if len(v.text) > 100] == []


def test_the_audit_finds_what_it_is_meant_to_find():
    """The checker itself, on markup that would run: a blind checker passes everything."""
    page = (
        "<html><head><script src='/static/admin/js/core.js'></script></head><body>"
        "<script>alert(1)</script><img src=x onerror=alert(1)>"
        "<a href=' jav&#x09;ascript:alert(1)'>x</a><iframe src='data:text/html,x'></iframe>"
        "<svg><a xlink:href='javascript:alert(1)'>x</a></svg><p style='x'>y</p>"
        "<img srcset='a.png 1x, javascript:alert(1) 2x'><meta http-equiv=refresh>"
        "</body></html>"
    )
    findings = audit(page)
    assert len(findings) == 11, findings
    assert audit("<p><a href='https://example.org/'>ok</a> <a href='/drugs/'>ok</a></p>") == []


def test_links_and_images_may_only_use_http_https_and_mailto():
    assert set(ALLOWED_URL_SCHEMES) == {"http", "https", "mailto"}


@pytest.mark.parametrize("vector", VECTORS, ids=lambda vector: vector.source)
def test_the_sanitiser_alone_cleans_a_vector_given_as_raw_html(vector):
    """nh3 must hold even for HTML the Markdown parser would never have let through."""
    assert audit(sanitise(vector.text)) == []
    assert audit(render(vector.text)) == []


@pytest.mark.parametrize("vector", VECTORS, ids=lambda vector: vector.source)
def test_a_vector_in_every_admin_field_runs_nowhere_on_the_pages(superuser_client, vector):
    drug = AdminEntry(superuser_client).add(vector.text, slug="xss")

    reader = Client()
    detail = reader.get(drug.get_absolute_url())
    assert detail.status_code == 200
    html = detail.content.decode()
    assert audit(html) == []
    # Plain-text fields are shown as the text that was typed, escaped rather than dropped.
    assert text_of(html, "h1") == drug.title
    assert drug.faqs.first().question in text_of(html, "details", "faq")
    changes = reader.get(reverse("monographs:drug_changes", args=[drug.slug]))
    assert changes.status_code == 200
    assert audit(changes.content.decode()) == []
    drug_list = reader.get(reverse("monographs:drug_list"))
    assert audit(drug_list.content.decode()) == []
    assert drug.title in text_of(drug_list.content.decode(), "ul", "drug-list")

    for url in [
        reverse("admin:monographs_drug_change", args=[drug.pk]),
        reverse("admin:monographs_drug_changelist"),
    ]:
        page = superuser_client.get(url).content.decode()
        assert audit(page, scripts=ADMIN_SCRIPTS, allow_svg=True) == [], url

    preview = superuser_client.post(reverse("markdownx_markdownify"), {"content": vector.text})
    assert preview.status_code == 200
    assert audit(preview.content.decode()) == []

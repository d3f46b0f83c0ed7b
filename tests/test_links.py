"""Links to the portal's own pages, reversed once rather than once per link."""

import pytest
from django.template import Context, Template
from django.urls import reverse, set_script_prefix

from monographs import links

from .factories import make_drug


@pytest.fixture
def script_prefix():
    yield set_script_prefix
    set_script_prefix("/")


@pytest.mark.parametrize(
    "name", ["monographs:home", "monographs:drug_list", "monographs:side_effects", "admin:index"]
)
def test_a_page_link_is_what_reverse_gives(name, script_prefix):
    assert links.page(name) == reverse(name)
    script_prefix("/portal/")
    assert links.page(name) == reverse(name)
    assert links.page(name).startswith("/portal/")


@pytest.mark.parametrize("slug", ["aspirin", "co-codamol_30-500", "A-1"])
def test_a_monograph_link_is_what_reverse_gives(slug, script_prefix):
    expected = reverse("monographs:drug_detail", kwargs={"slug": slug})
    assert links.monograph(slug) == expected
    script_prefix("/portal/")
    assert links.monograph(slug) == reverse("monographs:drug_detail", kwargs={"slug": slug})


def test_a_slug_reverse_would_refuse_is_refused_alike():
    from django.urls import NoReverseMatch

    for slug in ["", "a/b", "naïve", "a b"]:
        with pytest.raises(NoReverseMatch):
            links.monograph(slug)


def test_the_link_tag_and_the_models_use_them(db):
    drug = make_drug("Linkamine")
    assert drug.get_absolute_url() == reverse("monographs:drug_detail", args=[drug.slug])
    rendered = Template("{% link 'monographs:compare' %}").render(Context())
    assert rendered == reverse("monographs:compare")
    rendered = Template("{% link 'monographs:drug_json' drug.slug %}").render(
        Context({"drug": drug})
    )
    assert rendered == reverse("monographs:drug_json", args=[drug.slug])

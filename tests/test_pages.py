import pytest
from django.urls import reverse

from monographs.choices import Status

from .factories import make_drug, staff_login

DETAIL_QUERIES = 4  # the drug (with its ingredients), then its sections, side effects and FAQs


def test_list_shows_published_drugs_a_to_z(db, client):
    make_drug("Zolamide")
    make_drug("Alphamine")
    make_drug("Draftamine", status=Status.DRAFT)
    response = client.get(reverse("monographs:drug_list"))
    titles = [drug.title for drug in response.context["drug_list"]]
    assert titles == ["Alphamine", "Zolamide"]
    assert b'href="/drugs/alphamine/"' in response.content


def test_reader_cannot_see_a_draft_page(db, client):
    drug = make_drug("Draftamine", status=Status.DRAFT)
    assert client.get(drug.get_absolute_url()).status_code == 404


def test_monograph_page_shows_sections_side_effects_and_faqs(seed_drug, client):
    response = client.get(seed_drug.get_absolute_url())
    content = response.content.decode()
    for text in [
        "Dry skin and mucous membranes",
        "iPLEDGE",
        "Pancreatitis",
        "How long does it take to see results",
        "doctor’s instructions",
    ]:
        assert text in content
    assert "â€™" not in content
    assert (
        content.index('id="usage"')
        < content.index('id="side-effects"')
        < content.index('id="disclaimer"')
    )
    assert 'href="#precautions"' in content  # the contents list


def test_severity_filter_keeps_serious_and_drops_mild(seed_drug, client):
    response = client.get(seed_drug.get_absolute_url(), {"severity": "serious"})
    listed = response.content.decode().split('id="side-effects-list"')[1]
    assert "Pancreatitis" in listed
    assert "Nosebleeds" not in listed


def test_several_severities_can_be_chosen(seed_drug, client):
    response = client.get(seed_drug.get_absolute_url(), {"severity": ["serious", "mild"]})
    listed = response.content.decode().split('id="side-effects-list"')[1]
    assert "Pancreatitis" in listed and "Nosebleeds" in listed


def test_an_invalid_severity_is_reported(seed_drug, client):
    response = client.get(seed_drug.get_absolute_url(), {"severity": "bogus"})
    content = response.content.decode()
    assert 'role="alert"' in content
    assert "bogus is not one of the available choices" in content
    assert "Showing all side effects" in content


@pytest.mark.parametrize("side_effects", [5, 200])
def test_monograph_page_query_count_does_not_grow_with_its_size(
    db, client, django_assert_num_queries, side_effects
):
    drug = make_drug(side_effects=side_effects, faqs=side_effects // 5)
    # The first view also keeps the whole body and the structured data's facts
    # (its three parts read whole, one write); later ones read them.
    with django_assert_num_queries(DETAIL_QUERIES + 4):
        response = client.get(drug.get_absolute_url(), {"severity": "serious"})
    assert response.status_code == 200
    with django_assert_num_queries(DETAIL_QUERIES):
        response = client.get(drug.get_absolute_url(), {"severity": "serious"})
    assert response.status_code == 200


def test_a_plain_page_is_rendered_once_a_version_then_read_in_one_query(
    db, client, django_assert_num_queries
):
    drug = make_drug(side_effects=20)
    with django_assert_num_queries(DETAIL_QUERIES + 1):  # its body rendered, then kept
        first = client.get(drug.get_absolute_url())
    with django_assert_num_queries(1):
        again = client.get(drug.get_absolute_url())
    assert again.content == first.content


def test_unknown_page_answers_404_in_the_site_style(db, client):
    response = client.get("/drugs/no-such-drug/")
    assert response.status_code == 404
    assert b"Page not found" in response.content


def test_staff_preview_a_draft_with_a_banner(db, client, admin_user):
    drug = make_drug("Draftamine", status=Status.DRAFT)
    staff_login(client, admin_user)
    response = client.get(drug.get_absolute_url())
    assert response.status_code == 200
    assert b"Not published" in response.content

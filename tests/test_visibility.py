"""No reader sees a monograph that is not published, on any public URL."""

import pytest
from django.urls import reverse

from monographs.choices import Severity, Status
from monographs.models import SideEffect

from .factories import make_drug

HIDDEN = [Status.DRAFT, Status.IN_REVIEW, Status.ARCHIVED]
PUBLIC_URLS = [
    ("home", "/", {}),
    ("list", "/drugs/", {}),
    ("letter", "/drugs/", {"letter": "H"}),
    ("search", "/drugs/", {"q": "hiddenamine"}),
    ("suggest", "/search/suggest/", {"q": "hiddenam"}),
    ("lookup", "/side-effects/", {"q": "vanishing spots"}),
    ("most listed", "/side-effects/", {}),
    ("compare", "/compare/", {"drugs": "hiddenamine,shownamine"}),
    ("sitemap", "/sitemap-drugs.xml", {}),
    ("feed", "/feed/", {}),
]


@pytest.fixture
def hidden(request, db):
    make_drug("Shownamine")
    drug = make_drug("Hiddenamine", status=request.param)
    SideEffect.objects.create(drug=drug, name="Vanishing spots", severity=Severity.SERIOUS)
    return drug


@pytest.mark.parametrize("hidden", HIDDEN, indirect=True)
@pytest.mark.parametrize(("name", "url", "params"), PUBLIC_URLS, ids=[u[0] for u in PUBLIC_URLS])
def test_an_unpublished_monograph_is_nowhere_for_a_reader(client, hidden, name, url, params):
    # The queries are typed in lower case, so what a page echoes of them is
    # told apart from the drug's own title and side effect.
    content = client.get(url, params).content.decode()
    assert hidden.get_absolute_url() not in content
    assert "Hiddenamine" not in content
    assert "Vanishing spots" not in content


@pytest.mark.parametrize("hidden", HIDDEN, indirect=True)
def test_an_unpublished_monograph_has_no_page_or_data(client, hidden):
    assert client.get(hidden.get_absolute_url()).status_code == 404
    assert client.get(reverse("monographs:drug_json", args=[hidden.slug])).status_code == 404

"""The pages written with Jinja2 (portal/jinja2.py) keep the frame of those written with Django's
templates, and their filter forms say what Django's widgets would."""

import re

import pytest
from django.http import QueryDict

from monographs.filters import DrugFilter, SideEffectLookupFilter
from tests.factories import make_drug

pytestmark = pytest.mark.django_db


def frame(html: str) -> tuple:
    """A page's head up to its title, its style, script and feed, its header and its footer:
    all but what each page says."""
    start = html.split("<title>")[0]
    head = html.split("</head>")[0]
    head = head[head.index('<link rel="stylesheet"') :]  # after each page's own meta
    assets = re.findall(r'<(?:link rel="(?:stylesheet|alternate)"|script)[^>]*>', head)
    header = html.split("<body>")[1].split('<main id="main"')[0]
    return start, assets, header, html.split("</main>")[1].rstrip()


@pytest.mark.parametrize("url", ["/", "/drugs/", "/side-effects/", "/compare/"])
def test_a_jinja2_page_has_the_same_frame_as_a_monograph_page(client, url):
    drug = make_drug("Alphamine")
    monograph = client.get(drug.get_absolute_url()).content.decode()
    page = client.get(url).content.decode()
    assert frame(page) == frame(monograph)


def selects(html: str) -> list[str]:
    return re.findall(r"<select.*?</select>", html, flags=re.S)


def normalised(html: str) -> str:
    return re.sub(r">\s+<", "><", html).strip()


@pytest.mark.parametrize(
    "query", ["", "letter=B&sort=name", "kind=nonsense&reviewed=no", "q=x&serious=yes"]
)
def test_the_list_filters_are_the_selects_django_writes(client, query):
    form = DrugFilter(QueryDict(query) or None).form
    form.is_valid()
    expected = [normalised(str(field)) for field in form if field.name != "q"]
    written = [normalised(s) for s in selects(client.get("/drugs/?" + query).content.decode())]
    assert written == expected


@pytest.mark.parametrize("query", ["q=x", "q=x&severity=serious&severity=mild", "severity=bad"])
def test_the_lookup_checkboxes_are_those_django_writes(client, query):
    form = SideEffectLookupFilter(QueryDict(query)).form
    form.is_valid()
    expected = [str(choice.tag()) for choice in form["severity"]]
    page = client.get("/side-effects/?" + query).content.decode()
    assert re.findall(r'<input type="checkbox"[^>]*>', page) == expected

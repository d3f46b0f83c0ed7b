"""`make run`'s demonstration: the real corpus, and a banner saying what its texts are."""

import pytest

from .factories import make_drug

BANNER = "These monographs were machine-generated and have not been reviewed by a pharmacist."
PUBLIC = ["/", "/drugs/", "/drugs/?q=testamine", "/side-effects/", "/compare/", "/drugs/nothing/"]


@pytest.mark.parametrize("path", PUBLIC)
def test_every_public_page_of_the_demo_says_its_texts_are_unreviewed(db, client, settings, path):
    settings.DEMO_BANNER = True
    make_drug("Testamine")
    assert BANNER in client.get(path).content.decode()


def test_a_monograph_page_of_the_demo_carries_the_banner(db, client, settings):
    settings.DEMO_BANNER = True
    drug = make_drug("Testamine")
    html = client.get(drug.get_absolute_url()).content.decode()
    assert html.index(BANNER) < html.index('id="main"')
    assert 'role="note"' in html


@pytest.mark.parametrize("path", PUBLIC)
def test_without_the_setting_no_page_shows_the_banner(db, client, path):
    make_drug("Testamine")
    assert BANNER not in client.get(path).content.decode()


def test_the_banner_is_off_unless_the_environment_turns_it_on():
    from django.conf import settings

    assert settings.DEMO_BANNER is False


def test_make_run_imports_the_seed_and_the_sample_and_turns_the_banner_on():
    from pathlib import Path

    makefile = (Path(__file__).resolve().parent.parent / "Makefile").read_text()
    assert "CORPUS ?= tests/data/isotretinoin-systemic.md tests/data/corpus" in makefile
    assert "DJANGO_DEMO_BANNER=1 $(PY) manage.py runserver" in makefile

"""The Content Security Policy, and the templates that let it forbid inline code."""

import re
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from .factories import make_drug, staff_login

PROJECT = Path(__file__).resolve().parents[1]
TEMPLATES = sorted((PROJECT / "templates").rglob("*.html"))


@pytest.fixture
def superuser_client(db, client):
    staff_login(client, get_user_model().objects.create_superuser("editor", password=None))
    return client


def policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {
        name: values
        for name, *values in (directive.split() for directive in header.split(";") if directive)
    }


def assert_strict(response):
    directives = policy(response)
    assert directives["default-src"] == ["'self'"]
    assert directives["script-src"] == ["'self'"]
    assert directives["style-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["base-uri"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    assert "unsafe-eval" not in response["Content-Security-Policy"]


def test_public_pages_carry_the_policy(db, client):
    drug = make_drug()
    for url in [reverse("monographs:drug_list"), drug.get_absolute_url(), "/no-such-page/"]:
        assert_strict(client.get(url))


def test_admin_pages_carry_the_policy(superuser_client):
    drug = make_drug()
    for url in [
        reverse("admin:index"),
        reverse("admin:monographs_drug_changelist"),
        reverse("admin:monographs_drug_change", args=[drug.pk]),
    ]:
        response = superuser_client.get(url)
        assert response.status_code == 200
        assert_strict(response)


def test_the_sign_in_page_carries_the_policy(db, client):
    assert_strict(client.get(reverse("admin:login")))


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda path: path.name)
def test_templates_have_no_inline_script_or_style(template):
    text = template.read_text()
    # Files, or JSON data blocks, which browsers never run.
    inline_code = r"<script(?![^>]*\b(src=|type=\"application/(ld\+)?json\"))"
    assert not re.search(inline_code, text), "inline <script>"
    assert not re.search(r"<style\b|\sstyle=", text), "inline style"
    assert not re.search(r"\son[a-z]+=", text), "event handler attribute"


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda path: path.name)
def test_templates_mark_only_sanitised_html_safe(template):
    """Plain-text fields (titles, names) are always escaped; only *_html, which
    monographs.markdown produced and sanitised, may skip escaping."""
    text = template.read_text()
    assert "autoescape off" not in text
    for expression in re.findall(r"\{\{([^}]*)\|\s*safe\b", text):
        assert expression.strip().endswith("_html"), expression

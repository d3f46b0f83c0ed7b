"""Error pages: in the site's style, without a stack trace, and the failure logged."""

import logging

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from .factories import staff_login
from .xss import audit


def assert_site_page(response, heading: str):
    content = response.content.decode()
    assert f"<h1>{heading}</h1>" in content
    assert 'class="site-header"' in content and "css/site.css" in content
    assert "Traceback" not in content
    assert audit(content) == []  # no inline script or style the CSP would block


def test_an_unknown_address_answers_404_in_the_site_style(db, client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert_site_page(response, "Page not found")
    assert "URLconf" not in response.content.decode()


@pytest.mark.urls("tests.urls_with_an_error")
def test_a_failing_view_answers_500_in_the_site_style_and_is_logged(db, caplog):
    client = Client(raise_request_exception=False)
    with caplog.at_level(logging.ERROR, logger="django.request"):
        response = client.get("/fails/")
    assert response.status_code == 500
    assert_site_page(response, "Something went wrong")
    assert "secret detail" not in response.content.decode()
    assert "Content-Security-Policy" in response
    [record] = [r for r in caplog.records if r.name == "django.request"]
    assert record.levelno == logging.ERROR
    assert "Internal Server Error: /fails/" in record.getMessage()
    assert isinstance(record.exc_info[1], RuntimeError)


def test_a_staff_member_without_the_permission_gets_a_styled_403(db, client):
    staff_login(client, get_user_model().objects.create_user("clerk", is_staff=True))
    response = client.get(reverse("admin:monographs_drug_changelist"))
    assert response.status_code == 403
    assert_site_page(response, "Not allowed")


def test_a_form_without_its_csrf_token_is_refused_in_the_site_style(db):
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("admin:login"), {"username": "x", "password": "y"})
    assert response.status_code == 403
    assert_site_page(response, "Form expired")

"""Sign-in throttling: django-axes locks an account from an address after 5 failures,
an address after 20 (whatever the accounts) and an account after 10 (whatever the
addresses); see also tests/test_staff_accounts.py."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import SESSION_KEY, get_user_model
from django.test import Client
from django.urls import reverse

PASSWORD = "a-long-and-correct-password"
LOGIN = reverse("two_factor:login")
LOCKED = "too many failed sign-in attempts"
# The sign-in is a two-step form: a password, then a code (for accounts with a device).
STEP = "staff_login_view-current_step"


@pytest.fixture(autouse=True)
def fast_hashing(settings):
    # Every attempt hashes a password; the production hasher's cost is not under test.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def pharmacist(db):
    return get_user_model().objects.create_user("pharmacist", password=PASSWORD, is_staff=True)


def sign_in(client, username="pharmacist", password=PASSWORD, **headers):
    """The password step; an account without a device is then signed in (to enrol one)."""
    data = {STEP: "auth", "auth-username": username, "auth-password": password}
    return client.post(f"{LOGIN}?next=/admin/", data, **headers)


def fail(client, times, username="pharmacist", **headers):
    return [sign_in(client, username, "wrong", **headers) for _ in range(times)]


def signed_in(client) -> bool:
    return SESSION_KEY in client.session


def test_five_wrong_passwords_lock_the_account_even_against_the_right_one(client, pharmacist):
    failures = fail(client, 5)
    assert [r.status_code for r in failures] == [200, 200, 200, 200, 429]
    response = sign_in(client)
    assert response.status_code == 429
    assert not signed_in(client)
    content = response.content.decode()
    assert LOCKED in content
    assert "in about 15 minutes" in content
    # In the site's own page, not a bare line of text.
    assert "Drug monograph portal" in content and "css/site.css" in content


def test_four_wrong_passwords_still_let_the_right_one_in(client, pharmacist):
    fail(client, 4)
    response = sign_in(client)
    assert response.status_code == 302
    assert signed_in(client)


def test_a_successful_sign_in_starts_the_count_again(client, pharmacist):
    fail(client, 4)
    sign_in(client)
    client.logout()
    assert [r.status_code for r in fail(client, 4)] == [200] * 4
    assert sign_in(client).status_code == 302


def test_the_lock_holds_for_that_account_from_that_address_only(client, pharmacist):
    get_user_model().objects.create_user("reviewer", password=PASSWORD, is_staff=True)
    fail(client, 5)
    assert sign_in(client).status_code == 429
    assert sign_in(Client(), "reviewer").status_code == 302
    assert sign_in(Client(REMOTE_ADDR="192.0.2.44")).status_code == 302


def test_the_lock_lifts_after_15_minutes(client, pharmacist):
    fail(client, 5)
    assert sign_in(client).status_code == 429
    # The attempts are moved back in time in the database; nothing is mocked.
    AccessAttempt.objects.update(
        attempt_time=AccessAttempt.objects.get().attempt_time - timedelta(minutes=16)
    )
    assert sign_in(client).status_code == 302


def test_a_forged_forwarded_for_header_does_not_dodge_the_lock(client, pharmacist):
    for n in range(5):
        sign_in(client, password="wrong", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}")
    response = sign_in(client, HTTP_X_FORWARDED_FOR="198.51.100.99")
    assert response.status_code == 429


def test_behind_a_proxy_the_forwarded_address_is_the_one_locked(client, pharmacist, settings):
    """The README's proxy settings: the proxy at 10.0.0.2 appends the client's address."""
    settings.AXES_IPWARE_META_PRECEDENCE_ORDER = ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"]
    settings.AXES_IPWARE_PROXY_COUNT = 0
    proxy = Client(REMOTE_ADDR="10.0.0.2")
    fail(proxy, 5, HTTP_X_FORWARDED_FOR="203.0.113.5")
    assert sign_in(proxy, HTTP_X_FORWARDED_FOR="203.0.113.5").status_code == 429
    assert AccessAttempt.objects.get().ip_address == "203.0.113.5"
    # Another reader behind the same proxy is not locked out with them.
    assert sign_in(proxy, HTTP_X_FORWARDED_FOR="198.51.100.7").status_code == 302

"""Staff sign-in in Chromium: enrolling an authenticator app, signing in with its code,
and an edit that outlived its session."""

import re
import time
from base64 import b32decode

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.sessions.backends.db import SessionStore
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from monographs.choices import Status
from monographs.models import AuditEvent, Drug

from ..factories import make_drug
from .conftest import csp_violations, wait_for_previews

pytestmark = pytest.mark.browser

PASSWORD = "a-long-and-correct-password"


def authenticator_code(secret: bytes) -> str:
    """What an authenticator app shows now for this secret (RFC 6238)."""
    return f"{totp(secret):06d}"


def next_code(secret: bytes, used: str) -> str:
    """A code is accepted once: after using one, wait for the app's next (30 s at most)."""
    while (code := authenticator_code(secret)) == used:
        time.sleep(1)
    return code


@pytest.fixture
def pharmacist(editorial_roles):
    user = get_user_model().objects.create_user(
        "pat", password=PASSWORD, is_staff=True, first_name="Pat", last_name="Lee"
    )
    user.groups.add(Group.objects.get(name="Pharmacist"))
    return user


def enter_password(page, username="pat"):
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Continue").click()


def test_a_pharmacist_enrols_an_app_and_signs_in_with_its_code(
    watched, live_server, pharmacist, screenshots_dir
):
    page = watched
    page.set_viewport_size({"width": 1000, "height": 900})
    page.goto(live_server.url + "/admin/")
    expect(page).to_have_url(re.compile(r"/account/login/\?next=/admin/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Staff sign-in")
    page.screenshot(path=screenshots_dir / "staff-sign-in.png", full_page=True)
    enter_password(page)

    # A first sign-in goes on to setting up the app.
    expect(page).to_have_url(re.compile(r"/account/two-factor/setup/$"))
    page.get_by_role("button", name="Start").click()
    qr = page.get_by_role("img", name="QR code for your authenticator app")
    expect(qr).to_be_visible()
    # The SVG loaded (from the site itself, as the policy allows).
    page.wait_for_function("() => document.querySelector('img.qr').naturalWidth > 0")
    secret = b32decode(page.locator("code.secret").inner_text())
    page.screenshot(path=screenshots_dir / "staff-enrol.png", full_page=True)
    first_code = authenticator_code(secret)
    page.get_by_label("6-digit code").fill(first_code)
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Authenticator app set up")

    page.get_by_role("link", name="Make backup codes").click()
    page.get_by_role("button", name="Make new backup codes").click()
    expect(page.locator(".backup-codes li")).to_have_count(10)
    page.get_by_role("link", name="Go to the admin").click()
    expect(page.locator("#site-name")).to_contain_text("Drug monograph portal")

    # Signing out and in again asks for the code the app shows.
    page.get_by_role("button", name="Log out").click()
    page.goto(live_server.url + "/admin/")
    enter_password(page)
    expect(page.get_by_label("6-digit code")).to_be_visible()
    page.screenshot(path=screenshots_dir / "staff-sign-in-code.png", full_page=True)
    page.get_by_label("6-digit code").fill(next_code(secret, first_code))
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#site-name")).to_contain_text("Drug monograph portal")
    expect(page.get_by_role("link", name="Drugs")).to_be_visible()

    assert csp_violations(page) == []
    assert list(
        AuditEvent.objects.filter(user=pharmacist).order_by("id").values_list("action", flat=True)
    ) == ["sign_in", "device_enrolled", "sign_out", "sign_in"]


def test_an_edit_sent_after_the_session_ended_is_sent_again_after_signing_in(
    watched, live_server, pharmacist, screenshots_dir
):
    page = watched
    device = TOTPDevice.objects.create(user=pharmacist, name="default", confirmed=True)
    drug = make_drug("Breakamine", status=Status.DRAFT)  # edited in place (not published)
    page.goto(live_server.url + "/admin/")
    enter_password(page)
    first_code = authenticator_code(device.bin_key)
    page.get_by_label("6-digit code").fill(first_code)
    page.get_by_role("button", name="Sign in").click()
    page.goto(live_server.url + reverse("admin:monographs_drug_change", args=[drug.pk]))
    # The editors' first previews are requests of this session too: each one marks
    # it as seen now, so they must be done before the session is made to go idle.
    wait_for_previews(page)
    page.get_by_label("Generic name").fill("Typed before lunch")

    # Lunch: the session goes idle past its limit on the server.
    cookie = next(c for c in page.context.cookies() if c["name"] == settings.SESSION_COOKIE_NAME)
    session = SessionStore(session_key=cookie["value"])
    session["staff_seen_at"] = time.time() - 45 * 60
    session.save()

    page.locator('input[name="_continue"]').click()
    expect(page).to_have_url(re.compile(r"/account/login/"))
    expect(page.get_by_role("status")).to_contain_text("signed out after 30 minutes")
    assert Drug.objects.get(pk=drug.pk).generic_name != "Typed before lunch"

    enter_password(page)
    page.get_by_label("6-digit code").fill(next_code(device.bin_key, first_code))
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Send my changes")).to_be_visible()
    page.screenshot(path=screenshots_dir / "staff-resume.png", full_page=True)
    page.get_by_role("button", name="Send my changes").click()
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")
    assert Drug.objects.get(pk=drug.pk).generic_name == "Typed before lunch"
    assert csp_violations(page) == []

"""Staff accounts: a second factor for everyone who can edit, sessions that end, lockouts
that hold across accounts and addresses, password rules, and the audit log of it all."""

import re
import time
from base64 import b32decode
from datetime import timedelta
from io import StringIO

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import SESSION_KEY, get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from monographs.choices import Status
from monographs.models import AuditEvent, Drug
from portal import staff

from .factories import make_drug, make_user, staff_login
from .htmlforms import form_fields
from .test_admin import form_data

PASSWORD = "a-long-and-correct-password"
LOGIN = reverse("two_factor:login")
SETUP = reverse("two_factor:setup")
LOGIN_STEP = "staff_login_view-current_step"
SETUP_STEP = "staff_setup_view-current_step"
Action = AuditEvent.Action


@pytest.fixture(autouse=True)
def fast_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def pat(db):
    user = make_user("pat", "Pharmacist")
    user.set_password(PASSWORD)
    user.save()
    return user


def code(secret: bytes, *, offset: int = 0) -> str:
    """What an authenticator app shows now for ``secret`` (RFC 6238, 30 s, 6 digits)."""
    return f"{totp(secret, t0=-offset):06d}"


def password_step(client, username="pat", password=PASSWORD, next_url="/admin/", **headers):
    data = {LOGIN_STEP: "auth", "auth-username": username, "auth-password": password}
    return client.post(f"{LOGIN}?next={next_url}", data, **headers)


def code_step(client, token, next_url="/admin/"):
    return client.post(f"{LOGIN}?next={next_url}", {LOGIN_STEP: "token", "token-otp_token": token})


def enrol(client) -> bytes:
    """Set up an authenticator app through the enrolment pages, as a person would:
    read the key off the page, and type in the code the app then shows."""
    page = client.post(SETUP, {SETUP_STEP: "welcome"}).content.decode()
    secret = b32decode(re.search(r'<code class="secret">([A-Z2-7]+)</code>', page)[1])
    response = client.post(SETUP, {SETUP_STEP: "generator", "generator-token": code(secret)})
    assert response.status_code == 302, response.content.decode()
    return secret


def verified(client) -> bool:
    return client.get(reverse("admin:index")).status_code == 200


def actions(**filters) -> list[str]:
    return list(
        AuditEvent.objects.filter(**filters).order_by("id").values_list("action", flat=True)
    )


# --- The second factor -------------------------------------------------------


def test_a_first_sign_in_leads_to_enrolling_an_app_and_then_opens_the_admin(client, pat):
    response = password_step(client)
    assert response.status_code == 302
    assert not verified(client)
    assert client.get(reverse("admin:index"), follow=True).redirect_chain[-1][0] == SETUP
    secret = enrol(client)
    assert TOTPDevice.objects.get(user=pat).confirmed
    assert verified(client)
    assert actions(user=pat) == [Action.SIGN_IN, Action.DEVICE_ENROLLED]
    # Signing in again now takes the code as well.
    client.logout()
    assert password_step(Client(), "pat").status_code == 200  # the code's step, not signed in
    again = Client()
    password_step(again)
    assert SESSION_KEY not in again.session
    code_step(again, code(secret))
    assert verified(again)


def test_the_enrolment_page_shows_a_qr_code_the_policy_allows(client, pat):
    password_step(client)
    page = client.post(SETUP, {SETUP_STEP: "welcome"})
    assert 'src="/account/two-factor/qrcode/"' in page.content.decode()
    assert "unsafe-inline" not in page["Content-Security-Policy"]
    image = client.get(reverse("two_factor:qr"))
    assert image["Content-Type"].startswith("image/svg+xml")
    assert b"<svg" in image.content and b"<script" not in image.content


def code_input(html: str, name: str) -> str:
    return re.search(rf'<input[^>]*name="{name}"[^>]*>', html)[0]


def test_the_code_fields_ask_for_a_6_digit_code_in_words_a_person_uses(client, pat):
    password_step(client)
    html = client.post(SETUP, {SETUP_STEP: "welcome"}).content.decode()
    field = code_input(html, "generator-token")
    assert "6-digit code" in html and ">Token" not in html
    # A text field a phone opens with its number pad and fills from an SMS or app:
    # not a number spinner that drops a code's leading zero from view.
    assert 'type="text"' in field and 'inputmode="numeric"' in field
    assert 'autocomplete="one-time-code"' in field
    # A code with a leading zero is still accepted.
    secret = b32decode(re.search(r'<code class="secret">([A-Z2-7]+)</code>', html)[1])
    typed = code(secret)
    response = client.post(SETUP, {SETUP_STEP: "generator", "generator-token": typed})
    assert response.status_code == 302
    client.logout()
    other = Client()
    html = password_step(other).content.decode()
    field = code_input(html, "token-otp_token")
    assert "6-digit code" in html and ">Token" not in html
    assert 'inputmode="numeric"' in field and 'autocomplete="one-time-code"' in field


def test_a_wrong_or_old_code_is_refused(client, pat):
    device = TOTPDevice.objects.create(user=pat, name="default", confirmed=True)
    password_step(client)
    response = code_step(client, code(device.bin_key, offset=600))
    assert response.status_code == 200
    assert SESSION_KEY not in client.session
    assert not verified(client)
    # Each wrong code makes the next wait longer (django-otp's throttle): even the
    # right one is refused at once after a wrong one ...
    code_step(client, code(device.bin_key))
    assert not verified(client)
    # ... and accepted once the wait has passed (moved back in the database).
    TOTPDevice.objects.filter(pk=device.pk).update(
        throttling_failure_timestamp=timezone.now() - timedelta(minutes=1)
    )
    code_step(client, code(device.bin_key))
    assert verified(client)


def test_a_backup_code_signs_in_once(client, pat):
    TOTPDevice.objects.create(user=pat, name="default", confirmed=True)
    backup = StaticDevice.objects.create(user=pat, name="backup")
    backup.token_set.create(token="abcd2345")
    data = {LOGIN_STEP: "backup", "backup-otp_token": "abcd2345"}
    password_step(client)
    client.post(f"{LOGIN}?next=/admin/", {"wizard_goto_step": "backup"})
    client.post(f"{LOGIN}?next=/admin/", data)
    assert verified(client)
    second = Client()
    password_step(second)
    second.post(f"{LOGIN}?next=/admin/", {"wizard_goto_step": "backup"})
    second.post(f"{LOGIN}?next=/admin/", data)
    assert not verified(second)


def test_a_staff_member_makes_backup_codes_after_signing_in_with_both_factors(pat):
    client = staff_login(Client(), pat)
    response = client.post(reverse("two_factor:backup_tokens"), follow=True)
    tokens = StaticDevice.objects.get(user=pat).token_set.values_list("token", flat=True)
    assert len(tokens) == 10
    assert all(token in response.content.decode() for token in tokens)


def test_a_superuser_resets_a_colleagues_device_and_it_is_audited(pat, admin_user):
    colleague = staff_login(Client(), pat)
    assert verified(colleague)
    superuser = staff_login(Client(), admin_user)
    response = superuser.post(
        reverse("admin:auth_user_changelist"),
        {"action": "reset_second_factor", "_selected_action": [pat.pk]},
        follow=True,
    )
    assert "Second factor reset for pat" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=pat).exists()
    event = AuditEvent.objects.get(action=Action.DEVICE_RESET)
    assert (event.user, event.detail["account"], event.remote_addr) == (
        admin_user,
        "pat",
        "127.0.0.1",
    )
    # The colleague's session no longer counts as verified: they are sent to enrol again.
    assert colleague.get(reverse("admin:index"), follow=True).redirect_chain[-1][0] == SETUP


def test_a_reviewer_cannot_reset_a_device(pat):
    reviewer = staff_login(Client(), make_user("rae", "Reviewer"))
    TOTPDevice.objects.create(user=pat, name="default", confirmed=True)
    response = reviewer.post(
        reverse("admin:auth_user_changelist"),
        {"action": "reset_second_factor", "_selected_action": [pat.pk]},
    )
    assert response.status_code == 403
    assert TOTPDevice.objects.filter(user=pat).exists()
    assert not AuditEvent.objects.filter(action=Action.DEVICE_RESET).exists()


def test_a_superuser_locked_out_of_their_own_device_is_reset_by_command(admin_user):
    TOTPDevice.objects.create(user=admin_user, name="default", confirmed=True)
    call_command("reset_second_factor", "admin", "--reason", "lost phone", stdout=StringIO())
    assert not TOTPDevice.objects.filter(user=admin_user).exists()
    event = AuditEvent.objects.get(action=Action.DEVICE_RESET)
    assert event.detail == {"account": "admin", "devices": 1, "reason": "lost phone"}
    with pytest.raises(CommandError, match="No account named"):
        call_command("reset_second_factor", "nobody")


def test_staff_see_drafts_on_the_site_only_past_the_second_factor(pat):
    draft = make_drug(status="draft")
    password_only = Client()
    password_only.force_login(pat)
    assert password_only.get(draft.get_absolute_url()).status_code == 404
    assert staff_login(Client(), pat).get(draft.get_absolute_url()).status_code == 200


# --- The audit log ---------------------------------------------------------


def test_signing_in_and_out_is_recorded_with_the_address(pat):
    TOTPDevice.objects.create(user=pat, name="default", confirmed=True)
    client = Client(REMOTE_ADDR="192.0.2.10")
    password_step(client)
    assert actions(user=pat) == []  # a password alone is not a sign-in here
    code_step(client, code(TOTPDevice.objects.get(user=pat).bin_key))
    client.post(reverse("admin:logout"))
    events = list(AuditEvent.objects.filter(user=pat).order_by("id"))
    assert [(e.action, e.user, e.remote_addr) for e in events] == [
        (Action.SIGN_IN, pat, "192.0.2.10"),
        (Action.SIGN_OUT, pat, "192.0.2.10"),
    ]
    assert events[0].detail == {"second_factor": "TOTPDevice"}


def test_an_audit_event_keeps_the_monographs_name_once_it_is_deleted(pat):
    from monographs.audit import record

    drug = make_drug("Keptamine")
    event = record(Action.SIGN_IN, user=pat, drug=drug, step="example")
    drug.delete()
    event.refresh_from_db()
    assert (event.drug, event.drug_label, event.username, event.detail) == (
        None,
        "Keptamine",
        "pat",
        {"step": "example"},
    )


def test_the_audit_log_is_read_only_in_the_admin(admin_user):
    drug = make_drug()
    event = AuditEvent.objects.create(
        action=Action.SIGN_IN, user=admin_user, drug=drug, drug_label=drug.title
    )
    client = staff_login(Client(), admin_user)
    page = client.get(reverse("admin:monographs_auditevent_change", args=[event.pk]))
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert client.get(reverse("admin:monographs_auditevent_add")).status_code == 403
    delete = reverse("admin:monographs_auditevent_delete", args=[event.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert AuditEvent.objects.filter(pk=event.pk).exists()
    listing = client.get(reverse("admin:monographs_auditevent_changelist")).content.decode()
    for filter_title in ("By action", "By user", "By monograph"):
        assert filter_title in listing


# --- Sessions --------------------------------------------------------------


def age_session(client, **seconds_ago):
    session = client.session
    for key, ago in seconds_ago.items():
        session[key] = time.time() - ago
    session.save()


def test_a_staff_session_ends_after_30_minutes_idle(pat):
    client = staff_login(Client(), pat)
    age_session(client, staff_seen_at=29 * 60)
    assert verified(client)
    age_session(client, staff_seen_at=31 * 60)
    response = client.get(reverse("admin:index"), follow=True)
    assert SESSION_KEY not in client.session
    assert "signed out after 30 minutes without activity" in response.content.decode()
    assert actions(user=pat) == [Action.SIGN_IN, Action.SESSION_ENDED]
    assert AuditEvent.objects.filter(user=pat).order_by("id").last().detail == {"reason": "idle"}


def test_a_request_keeps_a_staff_session_alive(pat):
    client = staff_login(Client(), pat)
    age_session(client, staff_seen_at=20 * 60)
    assert verified(client)
    age_session(client, staff_seen_at=0)  # not rewritten within a minute
    assert client.session["staff_seen_at"] > time.time() - 60


def test_a_staff_session_ends_after_8_hours_however_busy(pat):
    client = staff_login(Client(), pat)
    age_session(client, staff_signed_in_at=7.9 * 3600)
    assert verified(client)
    age_session(client, staff_signed_in_at=8.1 * 3600)
    assert not verified(client)
    assert SESSION_KEY not in client.session


def test_the_session_limits_come_from_settings(pat, settings):
    settings.STAFF_SESSION_HOURS = 1
    settings.STAFF_SESSION_IDLE_MINUTES = 5
    client = staff_login(Client(), pat)
    age_session(client, staff_seen_at=6 * 60)
    assert not verified(client)
    client = staff_login(Client(), pat)
    age_session(client, staff_signed_in_at=3700)
    assert not verified(client)


def test_the_session_limits_are_read_from_the_environment(tmp_path):
    from .test_production import production_env, python

    env = production_env(
        tmp_path, DJANGO_STAFF_SESSION_HOURS="4", DJANGO_STAFF_SESSION_IDLE_MINUTES="15"
    )
    result = python(
        "from django.conf import settings as s\n"
        "print(s.STAFF_SESSION_HOURS, s.STAFF_SESSION_IDLE_MINUTES, s.SESSION_COOKIE_AGE)",
        env,
    )
    assert result.stdout.split() == ["4.0", "15.0", "14400"], result.stderr


def test_changing_the_password_ends_the_other_sessions(pat):
    elsewhere = staff_login(Client(), pat)
    here = staff_login(Client(), pat)
    new = "another-long-and-correct-password"
    response = here.post(
        reverse("admin:password_change"),
        {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
    )
    assert response.status_code == 302
    assert verified(here)
    assert not verified(elsewhere)
    assert SESSION_KEY not in elsewhere.session


def test_a_form_sent_after_the_session_ended_is_kept_and_sent_again_after_signing_in(pat):
    drug = make_drug("Editamine", status=Status.DRAFT)  # edited in place (not published)
    client = staff_login(Client(), pat)
    url = reverse("admin:monographs_drug_change", args=[drug.pk])
    data = {**form_data(client.get(url)), "generic_name": "Typed before the break"}
    age_session(client, staff_seen_at=45 * 60)
    response = client.post(url, data)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
    assert Drug.objects.get(pk=drug.pk).generic_name != "Typed before the break"
    # Signing in again (both factors) keeps what was sent, and offers it back.
    staff_login(client, pat)
    page = client.get(reverse("staff_resume"))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'value="Typed before the break"' in html
    assert f'action="{url}"' in html
    client.post(url, form_fields(html, "kept-form"))
    assert Drug.objects.get(pk=drug.pk).generic_name == "Typed before the break"
    # Offered once.
    assert client.get(reverse("staff_resume")).status_code == 302


def test_a_forged_post_without_a_valid_token_is_not_kept(pat):
    client = Client(enforce_csrf_checks=True)
    staff_login(client, pat)
    age_session(client, staff_seen_at=45 * 60)
    drug = make_drug()
    url = reverse("admin:monographs_drug_change", args=[drug.pk])
    assert client.post(url, {"generic_name": "Forged"}).status_code == 403
    assert staff.KEPT_FORM not in client.session


# --- Lockouts ----------------------------------------------------------------


def fail(times, *, usernames=None, addresses=None):
    for n in range(times):
        username = usernames(n) if usernames else "pat"
        address = addresses(n) if addresses else "127.0.0.1"
        password_step(Client(REMOTE_ADDR=address), username, "wrong")


def test_one_address_trying_many_accounts_is_locked_out_at_its_threshold(pat):
    fail(19, usernames=lambda n: f"guess{n}")
    assert password_step(Client(), "pat").status_code == 302
    Client().logout()
    fail(1, usernames=lambda n: "guess-last")
    response = password_step(Client(), "pat")
    assert response.status_code == 429
    # Another address is not locked out with it.
    assert password_step(Client(REMOTE_ADDR="198.51.100.3"), "pat").status_code == 302


def test_one_account_tried_from_many_addresses_is_locked_out_at_its_threshold(pat):
    fail(9, addresses=lambda n: f"203.0.113.{n}")
    assert password_step(Client(REMOTE_ADDR="198.51.100.9"), "pat").status_code == 302
    AccessAttempt.objects.all().delete()  # the success reset the pair's count only
    fail(10, addresses=lambda n: f"203.0.113.{n}")
    assert password_step(Client(REMOTE_ADDR="198.51.100.9"), "pat").status_code == 429
    # Other accounts still sign in from anywhere.
    make_user("rae", "Reviewer").set_password(PASSWORD)
    rae = get_user_model().objects.get(username="rae")
    rae.set_password(PASSWORD)
    rae.save()
    assert password_step(Client(REMOTE_ADDR="203.0.113.1"), "rae").status_code == 302


def test_the_thresholds_come_from_settings(pat, settings):
    settings.LOCKOUT_THRESHOLDS = {**settings.LOCKOUT_THRESHOLDS, "ip_address": 3}
    fail(3, usernames=lambda n: f"guess{n}")
    assert password_step(Client(), "pat").status_code == 429


def test_the_locked_out_page_says_when_to_try_again(pat):
    fail(5)
    response = password_step(Client(), "pat")
    assert response.status_code == 429
    lifts = AccessAttempt.objects.get(username="pat").attempt_time + timedelta(minutes=15)
    html = response.content.decode()
    assert f'Try again after <strong><time datetime="{lifts.isoformat()}">' in html
    assert f"{lifts:%H:%M} UTC" in html
    assert "in about 15 minutes" in html


def test_a_lockout_is_recorded_in_the_audit_log(pat):
    fail(5, addresses=lambda n: "192.0.2.77")
    event = AuditEvent.objects.get(action=Action.LOCKED_OUT)
    assert (event.username, event.remote_addr, event.user) == ("pat", "192.0.2.77", None)


def test_a_locked_out_address_still_reads_every_public_page(pat):
    drug = make_drug("Readamine")
    fail(20, usernames=lambda n: f"guess{n}")
    assert password_step(Client(), "pat").status_code == 429
    reader = Client()
    for url in ["/", "/drugs/", drug.get_absolute_url(), "/side-effects/", "/feed/"]:
        assert reader.get(url).status_code == 200, url


def test_no_password_is_stored_or_logged_by_a_failed_sign_in(pat, caplog):
    caplog.set_level("DEBUG")
    password_step(Client(), "pat", "Secret-typed-by-mistake-42")
    stored = [a.post_data for a in AccessAttempt.objects.all()]
    assert stored and not any("Secret-typed" in text for text in stored)
    assert "Secret-typed" not in caplog.text


# --- Passwords -------------------------------------------------------------


@pytest.mark.parametrize(
    "password", ["short-pass1", "password1234", "123456789012", "patpatpatpat"]
)
def test_weak_passwords_are_refused(password):
    user = get_user_model()(username="patpatpatpat")
    with pytest.raises(ValidationError):
        validate_password(password, user)


def test_the_demo_account_gets_a_valid_password_and_a_working_second_factor(tmp_path, db):
    out = tmp_path / "out.txt"
    with out.open("w") as stream:
        call_command("create_demo_staff", stdout=stream)
    text = out.read_text()
    password = re.search(r"password: (\S+)", text)[1]
    secret = re.search(r"secret: ([A-Z2-7]+)", text)[1]
    assert "otpauth://totp/" in text and f"secret={secret}" in text
    user = get_user_model().objects.get(username="demo")
    validate_password(password, user)
    assert user.check_password(password) and user.is_superuser
    client = Client()
    password_step(client, "demo", password)
    code_step(client, code(b32decode(secret)))
    assert verified(client)
    # Shown once: a second run prints neither again.
    again = tmp_path / "again.txt"
    with again.open("w") as stream:
        call_command("create_demo_staff", stdout=stream)
    assert password not in again.read_text() and secret not in again.read_text()


def test_createsuperuser_without_input_refuses_a_weak_password(db, monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "password")
    with pytest.raises(CommandError, match=r"too short|too common"):
        call_command("createsuperuser", "--noinput", "--username", "root", "--email", "r@x.org")
    assert not get_user_model().objects.filter(username="root").exists()
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "a-long-and-unusual-passphrase")
    call_command(
        "createsuperuser", "--noinput", "--username", "root", "--email", "r@x.org",
        stdout=StringIO(),
    )  # fmt: skip
    assert get_user_model().objects.get(username="root").is_superuser


def test_lockout_lifts_when_the_cool_off_has_passed(pat):
    fail(5)
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))
    assert password_step(Client(), "pat").status_code == 302

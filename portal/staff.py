"""Staff accounts: the second factor, sessions that end, and the audit of both.

- ``StaffAdminSite``: the admin refuses a session that has not passed the second
  factor; a staff member signed in with a password only (a first sign-in) is sent
  to enrol an authenticator app.
- ``verified_staff_required``: the same rule for the editing endpoints outside the admin.
- ``StaffSessionMiddleware``: a staff session ends ``STAFF_SESSION_HOURS`` after
  signing in and after ``STAFF_SESSION_IDLE_MINUTES`` without a request. A form
  posted to the admin after that is kept, and offered again once signed in.
- Signing in and out, lockouts, enrolments and resets go to the audit log.
"""

import time
from functools import wraps

from axes.signals import user_locked_out
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.contrib.auth.views import redirect_to_login
from django.dispatch import receiver
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django_otp import devices_for_user
from two_factor.admin import AdminSiteOTPRequired
from two_factor.utils import default_device
from two_factor.views import LoginView, SetupCompleteView, SetupView

from monographs.audit import Action, record

SIGNED_IN_AT = "staff_signed_in_at"
SEEN_AT = "staff_seen_at"
ENDED = "staff_session_ended"
KEPT_FORM = "staff_kept_form"
# The last request's time is written at most this often, not on every request.
SEEN_RESOLUTION = 60


def is_verified_staff(user) -> bool:
    return user.is_active and user.is_staff and user.is_verified()


def has_device(user) -> bool:
    # The device django-two-factor-auth asks a code of at sign-in (named "default").
    return default_device(user) is not None


def verified_staff_required(view):
    """``staff_member_required``, plus the second factor: otherwise to the sign-in."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if is_verified_staff(request.user):
            return view(request, *args, **kwargs)
        return redirect_to_login(request.get_full_path(), reverse("admin:login"))

    return wrapped


class StaffAdminSite(AdminSiteOTPRequired):
    site_header = "Drug monograph portal"
    site_title = "Monograph portal admin"
    index_title = "Monographs"

    def login(self, request, extra_context=None):
        """Every way into the admin starts here: sign in with both factors, or enrol."""
        next_url = request.POST.get("next", request.GET.get("next", ""))
        if not url_has_allowed_host_and_scheme(
            next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            next_url = reverse("admin:index", current_app=self.name)
        user = request.user
        if user.is_active and user.is_staff:
            if user.is_verified():
                return HttpResponseRedirect(next_url)
            if not has_device(user):
                # Signed in with a password only, as the first time: enrol an app now.
                return redirect(reverse("two_factor:setup"))
            # A device, but not this session (it was reset and made again elsewhere).
            logout(request)
        return redirect_to_login(next_url)


# --- Sessions -------------------------------------------------------------


def _session_over(session, now: float) -> str | None:
    signed_in_at = session.get(SIGNED_IN_AT)
    seen_at = session.get(SEEN_AT)
    if signed_in_at is None or seen_at is None:
        return "unknown"
    if now - signed_in_at > settings.STAFF_SESSION_HOURS * 3600:
        return "age"
    if now - seen_at > settings.STAFF_SESSION_IDLE_MINUTES * 60:
        return "idle"
    return None


def _keeps_posts(request) -> bool:
    """A form posted to the admin (not the sign-in or sign-out itself)."""
    if request.method != "POST":  # every reader's request: no URL to reverse
        return False
    return request.path.startswith(reverse("admin:index")) and request.path not in {
        reverse("admin:login"),
        reverse("admin:logout"),
    }


class StaffSessionMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            now = time.time()
            reason = _session_over(request.session, now)
            if reason:
                record(Action.SESSION_ENDED, request=request, reason=reason)
                request.session_ended = True  # not also a sign-out in the audit log
                logout(request)
                request.session[ENDED] = reason
            elif now - request.session[SEEN_AT] >= SEEN_RESOLUTION:
                request.session[SEEN_AT] = now
        return self.get_response(request)

    def process_view(self, request, view, args, kwargs):
        # After CsrfViewMiddleware: only a form with a valid token is kept.
        if not _keeps_posts(request) or is_verified_staff(request.user):
            return None
        request.session[KEPT_FORM] = {
            "action": request.get_full_path(),
            "fields": [
                (name, value)
                for name, values in request.POST.lists()
                if name != "csrfmiddlewaretoken"
                for value in values
            ],
            "files": sorted(request.FILES),
        }
        return redirect_to_login(reverse("staff_resume"), reverse("admin:login"))


@never_cache
@verified_staff_required
def resume(request):
    """The form a staff member was sending when their session ended, to send again."""
    kept = request.session.pop(KEPT_FORM, None)
    if kept is None:
        messages.info(request, "There was no unsent form to resume.")
        return redirect("admin:index")
    from django.contrib import admin

    context = {**admin.site.each_context(request), "kept": kept, "title": "Send your changes"}
    return render(request, "admin/resume.html", context)


# --- The audit log ----------------------------------------------------------


@receiver(user_logged_in)
def _signed_in(sender, request, user, **kwargs):
    if request is None:
        return
    now = time.time()
    request.session[SIGNED_IN_AT] = now
    request.session[SEEN_AT] = now
    request.session.pop(ENDED, None)
    device = getattr(user, "otp_device", None)
    record(
        Action.SIGN_IN,
        user=user,
        request=request,
        second_factor=device.__class__.__name__ if device is not None else None,
    )


@receiver(user_logged_out)
def _signed_out(sender, request, user, **kwargs):
    if request is None or user is None or getattr(request, "session_ended", False):
        return
    record(Action.SIGN_OUT, user=user, request=request)


@receiver(user_locked_out)
def _locked_out(sender, request, username, ip_address, **kwargs):
    record(Action.LOCKED_OUT, request=request, username=username or "")


# The code fields, in the words of the page above them: a text field a phone
# opens with its number pad and fills from the app, not a number spinner.
CODE_FIELDS = {"token": "6-digit code", "otp_token": "6-digit code"}


def worded_code_fields(form):
    for name, label in CODE_FIELDS.items():
        field = form.fields.get(name)
        if field is None or form.prefix == "backup":
            continue
        field.label = label
        field.widget = forms.TextInput(
            attrs={
                "autofocus": True,
                "inputmode": "numeric",
                "autocomplete": "one-time-code",
                "pattern": "[0-9]*",
                "maxlength": 6,
                "size": 8,
            }
        )
    return form


class StaffLoginView(LoginView):
    """django-two-factor-auth's sign-in (password, then a code), saying why a session ended."""

    def get_form(self, step=None, **kwargs):
        return worded_code_fields(super().get_form(step, **kwargs))

    def get_context_data(self, form, **kwargs):
        return super().get_context_data(
            form,
            idle_minutes=f"{settings.STAFF_SESSION_IDLE_MINUTES:g}",
            session_hours=f"{settings.STAFF_SESSION_HOURS:g}",
            **kwargs,
        )


class StaffSetupView(SetupView):
    """django-two-factor-auth's enrolment, recorded in the audit log."""

    def get_form(self, step=None, **kwargs):
        return worded_code_fields(super().get_form(step, **kwargs))

    def done(self, form_list, **kwargs):
        response = super().done(form_list, **kwargs)
        record(Action.DEVICE_ENROLLED, user=self.request.user, request=self.request)
        return response


class StaffSetupCompleteView(SetupCompleteView):
    """Always says the app is set up and offers backup codes, before going on to
    where the sign-in was headed (django-two-factor-auth would skip straight there)."""

    def get(self, request, *args, **kwargs):
        self.next_url = request.session.pop("next", None) or reverse("admin:index")
        return self.render_to_response(self.get_context_data(next_url=self.next_url))


def reset_devices(user, *, by=None, request=None, reason="") -> int:
    """Remove every second factor of ``user`` (app and backup codes): their next
    sign-in enrols a new app. Their sessions lose the second factor at once."""
    removed = 0
    for device in list(devices_for_user(user, confirmed=None)):
        device.delete()
        removed += 1
    record(
        Action.DEVICE_RESET,
        user=by,
        request=request,
        account=user.get_username(),
        devices=removed,
        **({"reason": reason} if reason else {}),
    )
    return removed

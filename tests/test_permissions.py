"""Who may open which admin and editing address: one table, one row per address.

Roles: an anonymous reader; a signed-in account that is not staff; a staff account
with no role; the Pharmacist and Reviewer groups (staff, as editors are); a
superuser. Each staff role has signed in with both factors (a password and a code
from an authenticator app); ``test_a_password_alone_opens_no_admin_or_editing_address``
tries every address again with a session that has passed the password only, as a
superuser, a Reviewer and a Pharmacist. A new admin or editing address (history,
restore, workflow actions) is one more row.

Outcomes:
- OK: served (200, or a redirect after a successful POST), and the POST took effect;
- LOGIN: sent to the sign-in page, nothing changed;
- DENIED: 403, nothing changed;
- IGNORED: answered, but the POST changed nothing (an action the user is not offered).
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from io import BytesIO
from types import SimpleNamespace

import pytest
import reversion
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from PIL import Image
from reversion.models import Version

from monographs import history, workflow
from monographs.choices import Status
from monographs.models import AuditEvent, Drug

from .factories import make_drug, staff_login
from .test_admin import form_data

OK, LOGIN, DENIED, IGNORED = "ok", "login", "denied", "ignored"
ROLES = ["anonymous", "member", "staff", "pharmacist", "reviewer", "superuser"]


@dataclass(frozen=True)
class Endpoint:
    label: str
    method: str
    url: Callable
    data: Callable | None = None
    effect: Callable | None = None  # did the POST do what it asks?

    def __str__(self) -> str:
        return self.label


def get(label, name, *args):
    return Endpoint(label, "get", lambda w: reverse(name, args=[a(w) for a in args]))


def post(label, name, *args, data, effect=None):
    return Endpoint(label, "post", lambda w: reverse(name, args=[a(w) for a in args]), data, effect)


def drug(w):
    return w.drug.pk


def someone(w):
    return w.someone.pk


def role_group(w):
    return w.group.pk


def edited_drug(w):
    data = form_data(w.superuser.get(reverse("admin:monographs_drug_change", args=[w.draft.pk])))
    return {**data, "generic_name": "Edited"}


def edited_live_drug(w):
    # The published monograph's page is read-only: its form has no inputs to
    # read back, so the POST is built from the draft's fields.
    return {"title": w.drug.title, "slug": w.drug.slug, "generic_name": "Edited live"}


def live_drug_edited(w):
    return Drug.objects.get(pk=w.drug.pk).generic_name == "Edited live"


def draft_opened(w):
    return Drug.objects.filter(draft_of=w.drug).exists()


def new_drug(w):
    data = form_data(w.superuser.get(reverse("admin:monographs_drug_add")))
    return {**data, "title": "Newamine", "slug": "newamine", "status": "draft"}


def promoted_user(w):
    url = reverse("admin:auth_user_change", args=[w.someone.pk])
    data = form_data(w.superuser.get(url))
    # The admin splits "date joined" into a date and a time input.
    joined = data.pop("date_joined")
    data.update(date_joined_0=f"{joined:%Y-%m-%d}", date_joined_1=f"{joined:%H:%M:%S}")
    return {**data, "is_staff": "on", "is_superuser": "on"}


def png(w):
    buffer = BytesIO()
    Image.new("RGB", (4, 4), "teal").save(buffer, "PNG")
    return {"image": SimpleUploadedFile("x.png", buffer.getvalue(), "image/png")}


def version_of(drug, index=0):
    return lambda w: history.versions_of(getattr(w, drug).pk)[index].pk


def compare_url(w):
    url = reverse("admin:monographs_drug_compare", args=[w.drug.pk])
    return f"{url}?from={version_of('drug', 1)(w)}"


def restore_form(w):
    return {"opened_at_edit": Drug.objects.get(pk=w.drug.pk).edit_count}


def recover_url(w):
    return reverse("admin:monographs_drug_recover", args=[w.lost_version])


def loaded(drug):
    return lambda w: {"opened_at_edit": Drug.objects.get(pk=getattr(w, drug).pk).edit_count}


def step(label, name, drug):
    return post(label, "admin:monographs_drug_transition", lambda w: getattr(w, drug).pk,
                lambda w: name, data=loaded(drug), effect=moved(drug, name))  # fmt: skip


def moved(drug, name):
    target = workflow.TRANSITIONS[name].target

    def effect(w):
        after = Drug.objects.get(pk=getattr(w, drug).pk)
        if target is None:
            return after.reviewed_on is not None
        return after.status == target

    return effect


def reviewer_choices(w):
    query = "app_label=monographs&model_name=drug&field_name=reviewed_by"
    return f"{reverse('admin:autocomplete')}?{query}"


def drug_edited(w):
    return Drug.objects.filter(generic_name="Edited").exists()


def drug_added(w):
    return Drug.objects.filter(slug="newamine").exists()


def drug_deleted(w):
    return not Drug.objects.filter(pk=w.drug.pk).exists()


def someone_promoted(w):
    return get_user_model().objects.get(pk=w.someone.pk).is_superuser


def image_stored(w):
    return any(path.is_file() for path in w.media.rglob("*"))


def drug_restored(w):
    # Published: the restored text waits in its working draft.
    return Drug.objects.filter(draft_of=w.drug, generic_name="Before the change").exists()


def drug_recovered(w):
    return Drug.objects.filter(title="Lostamine").exists()


def duplicate(w):
    return w.duplicate.pk


def merge_choices(w):
    kept, copy = Drug.objects.get(pk=w.drug.pk), Drug.objects.get(pk=w.duplicate.pk)
    return {
        "kept_edit_count": kept.edit_count, "duplicate_edit_count": copy.edit_count,
        "introduction": "duplicate", "sections": "kept", "side_effects": "duplicate",
        "faqs": "kept",
    }  # fmt: skip


def duplicate_merged(w):
    return Drug.objects.get(pk=w.duplicate.pk).status == Status.ARCHIVED


def publish_action(w):
    return {"action": "publish", "_selected_action": [w.waiting.pk]}


def reset_action(w):
    return {"action": "reset_second_factor", "_selected_action": [w.enrolled.pk]}


def device_reset(w):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    return not TOTPDevice.objects.filter(user=w.enrolled).exists()


def audit_event(w):
    return w.audit_event.pk


def schedule_form(w):
    waiting = Drug.objects.get(pk=w.waiting.pk)
    when = timezone.localtime(timezone.now() + datetime.timedelta(days=2))
    return {"goes_live_at": when.strftime("%Y-%m-%dT%H:%M"), "opened_at_edit": waiting.edit_count}


def scheduled(w):
    return Drug.objects.get(pk=w.waiting.pk).is_scheduled


def unscheduled(w):
    return not Drug.objects.get(pk=w.scheduled.pk).is_scheduled


def delete_action(w):
    return {"action": "delete_selected", "_selected_action": [w.drug.pk], "post": "yes"}


ENDPOINTS = [
    get("admin index", "admin:index"),
    get("own password form", "admin:password_change"),
    get("drug list", "admin:monographs_drug_changelist"),
    get("drug add form", "admin:monographs_drug_add"),
    get("drug change form", "admin:monographs_drug_change", drug),
    get("drug history", "admin:monographs_drug_history", drug),
    get("drug delete form", "admin:monographs_drug_delete", drug),
    post("drug save", "admin:monographs_drug_change", lambda w: w.draft.pk, data=edited_drug,
         effect=drug_edited),
    post("published drug save", "admin:monographs_drug_change", drug, data=edited_live_drug,
         effect=live_drug_edited),
    post("open working draft", "admin:monographs_drug_working_draft", drug, data=lambda w: {},
         effect=draft_opened),
    post("drug add", "admin:monographs_drug_add", data=new_drug, effect=drug_added),
    post("drug delete", "admin:monographs_drug_delete", drug, data=lambda w: {"post": "yes"},
         effect=drug_deleted),
    post("drug delete action", "admin:monographs_drug_changelist", data=delete_action,
         effect=drug_deleted),
    Endpoint("reviewer picker", "get", reviewer_choices),
    get("review dashboard", "admin:monographs_drug_review"),
    get("merge form", "admin:monographs_drug_merge", duplicate),
    post("merge", "admin:monographs_drug_merge", duplicate, data=merge_choices,
         effect=duplicate_merged),
    Endpoint("drug compare", "get", compare_url),
    get("drug restore form", "admin:monographs_drug_revision", drug, version_of("drug", 1)),
    post("drug restore", "admin:monographs_drug_revision", drug, version_of("drug", 1),
         data=restore_form, effect=drug_restored),
    get("deleted drugs", "admin:monographs_drug_recoverlist"),
    Endpoint("drug recover form", "get", recover_url),
    Endpoint("drug recover", "post", recover_url, lambda w: {}, drug_recovered),
    step("submit step", "submit", "draft"),
    step("withdraw step", "withdraw", "waiting"),
    step("publish step", "publish", "waiting"),
    step("return to author step", "reject", "waiting"),
    step("mark reviewed step", "review", "drug"),
    step("unpublish step", "unpublish", "drug"),
    step("archive step", "archive", "drug"),
    step("reopen step", "reopen", "archived"),
    post("publish action", "admin:monographs_drug_changelist", data=publish_action,
         effect=moved("waiting", "publish")),
    post("approve to go live later", "admin:monographs_drug_schedule", lambda w: w.waiting.pk,
         data=schedule_form, effect=scheduled),
    post("cancel going live", "admin:monographs_drug_unschedule", lambda w: w.scheduled.pk,
         data=lambda w: {}, effect=unscheduled),
    get("user list", "admin:auth_user_changelist"),
    get("user add form", "admin:auth_user_add"),
    get("user change form", "admin:auth_user_change", someone),
    get("user password form", "admin:auth_user_password_change", someone),
    post("promote to superuser", "admin:auth_user_change", someone, data=promoted_user,
         effect=someone_promoted),
    get("group list", "admin:auth_group_changelist"),
    get("group change form", "admin:auth_group_change", role_group),
    get("sign-in lockouts", "admin:axes_accessattempt_changelist"),
    get("sign-in log", "admin:axes_accesslog_changelist"),
    get("sign-in failures", "admin:axes_accessfailurelog_changelist"),
    post("reset a second factor", "admin:auth_user_changelist", data=reset_action,
         effect=device_reset),
    get("audit log", "admin:monographs_auditevent_changelist"),
    get("audit event", "admin:monographs_auditevent_change", audit_event),
    Endpoint("audit log by action", "get",
             lambda w: reverse("admin:monographs_auditevent_changelist") + "?action=sign_in"),
    Endpoint("audit log by monograph", "get",
             lambda w: reverse("admin:monographs_auditevent_changelist") + f"?drug={w.drug.pk}"),
    get("backup codes", "two_factor:backup_tokens"),
    post("markdown preview", "markdownx_markdownify", data=lambda w: {"content": "**x**"}),
    post("image upload", "markdownx_upload", data=png, effect=image_stored),
]  # fmt: skip

MATRIX = {
    # endpoint             anonymous member  staff   pharmacist reviewer superuser
    "admin index":          (LOGIN,   LOGIN,  OK,     OK,       OK,      OK),
    "own password form":    (LOGIN,   LOGIN,  OK,     OK,       OK,      OK),
    "drug list":            (LOGIN,   LOGIN,  DENIED, OK,       OK,      OK),
    "drug add form":        (LOGIN,   LOGIN,  DENIED, OK,       OK,      OK),
    "drug change form":     (LOGIN,   LOGIN,  DENIED, OK,       OK,      OK),
    "drug history":         (LOGIN,   LOGIN,  DENIED, OK,       OK,      OK),
    "drug delete form":     (LOGIN,   LOGIN,  DENIED, DENIED,   OK,      OK),
    "drug save":            (LOGIN,   LOGIN,  DENIED, OK,       OK,      OK),
    # A published monograph changes only through its working draft and review.
    "published drug save":  (LOGIN,   LOGIN,  DENIED, DENIED,   DENIED,  DENIED),
    "open working draft":   (LOGIN,   LOGIN,  DENIED, OK,       OK,      OK),
    "drug add":             (LOGIN,   LOGIN,  DENIED, OK,       OK,      OK),
    "drug delete":          (LOGIN,   LOGIN,  DENIED, DENIED,   OK,      OK),
    "drug delete action":   (LOGIN,   LOGIN,  DENIED, IGNORED,  OK,      OK),
    # The user search behind the admin's pickers, which only the superuser may
    # use (the reviewer of a monograph is set by "Mark reviewed", not picked).
    "reviewer picker":      (LOGIN,   LOGIN,  DENIED, DENIED,   DENIED,  OK),
    "review dashboard":     (LOGIN,   LOGIN,  DENIED, OK,       OK,      OK),
    # Merging an imported duplicate edits the monograph that stays: editors may.
    "merge form":           (LOGIN,   LOGIN,  DENIED, OK,       OK,      OK),
    "merge":                (LOGIN,   LOGIN,  DENIED, OK,       OK,      OK),
    "drug compare":         (LOGIN,   LOGIN,  DENIED, OK,       OK,      OK),
    "drug restore form":    (LOGIN,   LOGIN,  DENIED, OK,       OK,      OK),
    "drug restore":         (LOGIN,   LOGIN,  DENIED, OK,       OK,      OK),
    "deleted drugs":        (LOGIN,   LOGIN,  DENIED, OK,       OK,      OK),
    "drug recover form":    (LOGIN,   LOGIN,  DENIED, OK,       OK,      OK),
    "drug recover":         (LOGIN,   LOGIN,  DENIED, OK,       OK,      OK),
    # The review workflow: Pharmacists submit and withdraw; the rest is the Reviewers'.
    "submit step":          (LOGIN,   LOGIN,  DENIED, OK,       OK,      OK),
    "withdraw step":        (LOGIN,   LOGIN,  DENIED, OK,       OK,      OK),
    "publish step":         (LOGIN,   LOGIN,  DENIED, DENIED,   OK,      OK),
    "return to author step": (LOGIN,  LOGIN,  DENIED, DENIED,   OK,      OK),
    "mark reviewed step":   (LOGIN,   LOGIN,  DENIED, DENIED,   OK,      OK),
    "unpublish step":       (LOGIN,   LOGIN,  DENIED, DENIED,   OK,      OK),
    "archive step":         (LOGIN,   LOGIN,  DENIED, DENIED,   OK,      OK),
    "reopen step":          (LOGIN,   LOGIN,  DENIED, DENIED,   OK,      OK),
    "publish action":       (LOGIN,   LOGIN,  DENIED, IGNORED,  OK,      OK),
    # Approving to go live later is publishing: the Reviewers'.
    "approve to go live later": (LOGIN, LOGIN, DENIED, DENIED,  OK,      OK),
    "cancel going live":    (LOGIN,   LOGIN,  DENIED, DENIED,   OK,      OK),
    "user list":            (LOGIN,   LOGIN,  DENIED, DENIED,   DENIED,  OK),
    "user add form":        (LOGIN,   LOGIN,  DENIED, DENIED,   DENIED,  OK),
    "user change form":     (LOGIN,   LOGIN,  DENIED, DENIED,   DENIED,  OK),
    "user password form":   (LOGIN,   LOGIN,  DENIED, DENIED,   DENIED,  OK),
    "promote to superuser": (LOGIN,   LOGIN,  DENIED, DENIED,   DENIED,  OK),
    "group list":           (LOGIN,   LOGIN,  DENIED, DENIED,   DENIED,  OK),
    "group change form":    (LOGIN,   LOGIN,  DENIED, DENIED,   DENIED,  OK),
    "sign-in lockouts":     (LOGIN,   LOGIN,  DENIED, DENIED,   DENIED,  OK),
    "sign-in log":          (LOGIN,   LOGIN,  DENIED, DENIED,   DENIED,  OK),
    "sign-in failures":     (LOGIN,   LOGIN,  DENIED, DENIED,   DENIED,  OK),
    "reset a second factor": (LOGIN,  LOGIN,  DENIED, DENIED,   DENIED,  OK),
    # The audit log: read by Reviewers and superusers, written by nobody.
    "audit log":            (LOGIN,   LOGIN,  DENIED, DENIED,   OK,      OK),
    "audit event":          (LOGIN,   LOGIN,  DENIED, DENIED,   OK,      OK),
    "audit log by action":  (LOGIN,   LOGIN,  DENIED, DENIED,   OK,      OK),
    "audit log by monograph": (LOGIN, LOGIN,  DENIED, DENIED,   OK,      OK),
    # Any signed-in account makes its own backup codes, once past the second factor.
    "backup codes":         (LOGIN,   LOGIN,  OK,     OK,       OK,      OK),
    "markdown preview":     (LOGIN,   LOGIN,  DENIED, OK,       OK,      OK),
    "image upload":         (LOGIN,   LOGIN,  DENIED, OK,       OK,      OK),
}  # fmt: skip

CASES = [
    pytest.param(endpoint, role, expected, id=f"{endpoint}-{role}")
    for endpoint in ENDPOINTS
    for role, expected in zip(ROLES, MATRIX[endpoint.label], strict=True)
]


@pytest.fixture
def world(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    User = get_user_model()
    root = User.objects.create_superuser("root", password=None)
    superuser = staff_login(Client(), root)
    drug = make_drug()
    history.ensure_recorded(drug)
    with reversion.create_revision():
        drug.generic_name = "Before the change"
        drug.save()
    with reversion.create_revision():
        drug.generic_name = "After the change"
        drug.save()
    lost = make_drug("Lostamine")
    history.ensure_recorded(lost)
    lost.delete()
    enrolled = User.objects.create_user("enrolled", is_staff=True)
    TOTPDevice.objects.create(user=enrolled, name="default", confirmed=True)
    return SimpleNamespace(
        drug=drug,
        draft=make_drug(status=Status.DRAFT),
        waiting=make_drug(status=Status.IN_REVIEW),
        scheduled=workflow.schedule(
            make_drug(status=Status.IN_REVIEW), root, timezone.now() + datetime.timedelta(days=1)
        ),
        archived=make_drug(status=Status.ARCHIVED),
        duplicate=flagged_duplicate(drug),
        lost_version=Version.objects.get_deleted(Drug).get().pk,
        someone=User.objects.create_user("someone"),
        enrolled=enrolled,
        audit_event=AuditEvent.objects.create(action=AuditEvent.Action.SIGN_IN, username="root"),
        group=Group.objects.get(name="Pharmacist"),
        superuser=superuser,
        root=root,
        media=tmp_path,
    )


def flagged_duplicate(drug: Drug) -> Drug:
    copy = make_drug(f"{drug.title} (second file)", status=Status.DRAFT)
    Drug.objects.filter(pk=copy.pk).update(duplicate_of=drug)
    return copy


def client_for(role: str, world, *, second_factor: bool = True) -> Client:
    client = Client()
    User = get_user_model()
    if role == "anonymous":
        return client
    if role == "superuser":
        user = world.root
    else:
        user = User.objects.create_user(role, is_staff=role != "member")
        if role in {"pharmacist", "reviewer"}:
            user.groups.add(Group.objects.get(name=role.capitalize()))
    if second_factor and user.is_staff:
        return staff_login(client, user)
    client.force_login(user)  # a password alone: no device verified this session
    return client


def outcome(response, endpoint: Endpoint, world) -> str:
    took_effect = endpoint.effect(world) if endpoint.effect else True
    sign_in = (reverse("admin:login"), reverse("two_factor:login"))
    if response.status_code == 302 and response["Location"].startswith(sign_in):
        return LOGIN if not (endpoint.effect and took_effect) else "login, but it took effect"
    if response.status_code == 403:
        return DENIED if not (endpoint.effect and took_effect) else "denied, but it took effect"
    if response.status_code in (200, 302):
        return OK if took_effect else IGNORED
    return f"status {response.status_code}"


@pytest.mark.parametrize(("endpoint", "role", "expected"), CASES)
def test_permission_matrix(world, endpoint, role, expected):
    data = endpoint.data(world) if endpoint.data else None
    client = client_for(role, world)
    url = endpoint.url(world)
    response = client.get(url) if endpoint.method == "get" else client.post(url, data)
    assert outcome(response, endpoint, world) == expected


PASSWORD_ONLY = [
    pytest.param(endpoint, role, id=f"{endpoint}-{role}")
    for endpoint in ENDPOINTS
    for role in ["pharmacist", "reviewer", "superuser"]
    if MATRIX[endpoint.label][ROLES.index(role)] != LOGIN
]


@pytest.mark.parametrize(("endpoint", "role"), PASSWORD_ONLY)
def test_a_password_alone_opens_no_admin_or_editing_address(world, endpoint, role):
    """Every address a staff role may use with both factors sends a session that has
    passed only the password to the sign-in, and a POST there changes nothing."""
    data = endpoint.data(world) if endpoint.data else None
    client = client_for(role, world, second_factor=False)
    url = endpoint.url(world)
    response = client.get(url) if endpoint.method == "get" else client.post(url, data)
    assert outcome(response, endpoint, world) == LOGIN


def test_the_sign_in_asks_a_password_only_session_to_enrol_a_device(world):
    client = client_for("pharmacist", world, second_factor=False)
    response = client.get(reverse("admin:index"), follow=True)
    assert response.redirect_chain[-1][0] == reverse("two_factor:setup")


def test_every_endpoint_has_a_row_and_every_row_an_endpoint():
    assert sorted(MATRIX) == sorted(endpoint.label for endpoint in ENDPOINTS)


def test_the_matrix_covers_every_model_in_the_admin(world):
    """A model registered in the admin without a row in the matrix fails here."""
    urls = [endpoint.url(world) for endpoint in ENDPOINTS]
    missing = [
        model._meta.label
        for model in admin.site._registry
        if not any(
            url.startswith(
                reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
            )
            for url in urls
        )
    ]
    assert missing == []

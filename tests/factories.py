"""A small factory for monographs built straight in the database."""

from itertools import count

from monographs import search
from monographs.choices import SectionKind, Severity, Status
from monographs.models import Drug, Faq, Section, SideEffect

_numbers = count(1)


def make_drug(
    title: str | None = None,
    *,
    status: str = Status.PUBLISHED,
    side_effects: int = 3,
    faqs: int = 2,
) -> Drug:
    number = next(_numbers)
    drug = Drug.objects.create(title=title or f"Testamine {number}", status=status)
    for position, kind in enumerate(
        [SectionKind.USAGE, SectionKind.SIDE_EFFECTS, SectionKind.FAQS], start=1
    ):
        Section.objects.create(
            drug=drug,
            kind=kind,
            heading=kind.label,
            body=f"About *{kind.label}*.",
            position=position,
        )
    severities = list(Severity)
    SideEffect.objects.bulk_create(
        SideEffect(
            drug=drug,
            name=f"Effect {i}",
            term=f"effect {i}",
            severity=severities[i % len(severities)],
            position=i,
        )
        for i in range(side_effects)
    )
    for i in range(faqs):
        Faq.objects.create(
            drug=drug, question=f"Question {i}?", answer=f"Answer **{i}**.", position=i
        )
    search.reindex(drug)
    return drug


def make_user(username: str, role: str | None = None, **extra):
    """A staff account in the Pharmacist or Reviewer group (or none)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    user = get_user_model().objects.create_user(username, is_staff=True, **extra)
    if role:
        user.groups.add(Group.objects.get(name=role))
    return user


def verify(client, user):
    """Mark ``client``'s session as past the second factor, as a code from the user's
    authenticator app does (django-otp keeps the device that verified it)."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="default", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def staff_login(client, user):
    """``force_login`` with the second factor passed: a staff session as the admin needs it."""
    client.force_login(user)
    return verify(client, user)


def signed_in(user):
    """A test client with ``user``'s session (no login form, so no lockout)."""
    from django.test import Client

    return staff_login(Client(), user)


def edit_published(editor_client, drug, change) -> Drug:
    """Edit a published monograph the one way there is, through the Django test client:
    in its working draft (``change(data)`` alters the draft form's POST data),
    submitted, and approved by a second Reviewer. The live monograph, after."""
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.urls import reverse

    from .htmlforms import form_fields

    assert editor_client.post(reverse("admin:monographs_drug_working_draft", args=[drug.pk]))
    draft = Drug.objects.get(draft_of=drug)
    url = reverse("admin:monographs_drug_change", args=[draft.pk])
    data = form_fields(editor_client.get(url).content.decode(), "drug_form")
    change(data)
    data["_save"] = ["Save"]
    response = editor_client.post(url, data)
    assert response.status_code == 302, response.context and response.context["errors"]
    approver = staff_login(
        Client(),
        get_user_model().objects.get_or_create(
            username="second-reviewer", defaults={"is_staff": True, "is_superuser": True}
        )[0],
    )
    for client, step in ((editor_client, "submit"), (approver, "publish")):
        edit_count = Drug.objects.get(pk=draft.pk).edit_count
        url = reverse("admin:monographs_drug_transition", args=[draft.pk, step])
        assert client.post(url, {"opened_at_edit": edit_count}).status_code == 302
    assert not Drug.objects.filter(pk=draft.pk).exists(), "the draft was not approved"
    return Drug.objects.get(pk=drug.pk)

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

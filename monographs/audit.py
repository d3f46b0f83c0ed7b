"""The audit log: one call records who did what, when, from where, to which monograph.

    record(AuditEvent.Action.SIGN_IN, user=user, request=request)
    record(AuditEvent.Action.DEVICE_RESET, user=superuser, request=request, account="pat")

Extra keyword arguments go into the event's small JSON ``detail``; keep them to
names and identifiers (never a password, a code or a secret).

Call it inside the transaction that makes the change: a change rolled back
leaves no event. An event about a working draft is filed under its published
monograph (with ``working_draft: true``), so that a monograph's events tell
its whole story: the draft itself is gone once approved.
"""

from .models import AuditEvent, Drug

Action = AuditEvent.Action


def record(
    action: str, *, user=None, drug: Drug | None = None, request=None, username="", **detail
) -> AuditEvent:
    if user is None and request is not None:
        user = getattr(request, "user", None)
    if user is not None and not getattr(user, "is_authenticated", False):
        user = None
    if drug is not None and drug.draft_of_id is not None:
        drug = drug.draft_of
        detail["working_draft"] = True
    return AuditEvent.objects.create(
        action=action,
        user=user,
        username=username or (user.get_username() if user is not None else ""),
        drug=drug,
        drug_label=drug.title if drug is not None else "",
        remote_addr=_remote_addr(request),
        detail=detail,
    )


def _remote_addr(request) -> str | None:
    if request is None:
        return None
    # The address the sign-in lockout uses: behind a proxy, the reader's, not the proxy's
    # (django-axes reads it with the README's DJANGO_AXES_IP_HEADERS rules).
    address = getattr(request, "axes_ip_address", None)
    if address is None:
        from axes.helpers import get_client_ip_address

        address = get_client_ip_address(request)
    return address or None

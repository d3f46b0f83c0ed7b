"""Staff accounts in the admin: resetting a colleague's second factor, and the audit log."""

import datetime

import django_otp.plugins.otp_static.admin
import django_otp.plugins.otp_totp.admin
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from monographs.models import AuditEvent

from .staff import reset_devices

User = get_user_model()

# django-otp's own device pages would show a colleague's secret as a QR code and
# delete devices without a word in the audit log: a reset goes through the action
# below instead. (Imported above first, so that the admin's autodiscovery, which
# runs after this app, finds them imported and does not register them again.)
for model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(model):
        admin.site.unregister(model)
del django_otp  # only imported for the registrations undone above

if admin.site.is_registered(User):
    admin.site.unregister(User)


@admin.register(User)
class StaffUserAdmin(UserAdmin):
    list_display = [*UserAdmin.list_display, "has_second_factor"]
    actions = ["reset_second_factor"]

    def get_queryset(self, request):
        enrolled = TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)
        return super().get_queryset(request).annotate(enrolled=Exists(enrolled))

    @admin.display(boolean=True, description="Second factor", ordering="enrolled")
    def has_second_factor(self, user) -> bool:
        return user.enrolled

    def has_reset_permission(self, request) -> bool:
        return request.user.is_superuser

    @admin.action(permissions=["reset"], description="Reset the second factor (lost phone)")
    def reset_second_factor(self, request, queryset):
        names = []
        for user in queryset:
            reset_devices(user, by=request.user, request=request)
            names.append(user.get_username())
        self.message_user(
            request,
            f"Second factor reset for {', '.join(names)}: their next sign-in sets up a new "
            "authenticator app and backup codes.",
            messages.SUCCESS,
        )


class MonographFilter(admin.SimpleListFilter):
    """By monograph: those with the latest events to pick from, any other by its link in
    the list (an import files an event under each of thousands of monographs)."""

    title = "monograph"
    parameter_name = "drug"
    offered = 20

    def lookups(self, request, model_admin):
        choices: dict[str, str] = {}
        recent = (
            AuditEvent.objects.filter(drug__isnull=False)
            .order_by("-when", "-id")
            .values_list("drug_id", "drug_label")[: self.offered * 10]
        )
        for drug_id, label in recent:
            choices.setdefault(str(drug_id), label)
            if len(choices) >= self.offered:
                break
        chosen = self.value()
        if chosen and chosen.isdigit() and chosen not in choices:
            label = AuditEvent.objects.filter(drug_id=chosen).values_list("drug_label", flat=True)
            choices[chosen] = label.first() or f"Monograph {chosen}"
        return list(choices.items())

    def queryset(self, request, queryset):
        value = self.value()
        if value is None:
            return queryset
        return queryset.filter(drug_id=int(value)) if value.isdigit() else queryset.none()


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: the log is written by the portal, never by hand. Reviewers read it
    (migration 0011 gives their group ``view_auditevent``), as superusers do."""

    list_display = ["when", "action", "username", "monograph", "address", "details"]
    list_filter = [
        "action",
        ("user", admin.RelatedOnlyFieldListFilter),
        MonographFilter,
    ]
    search_fields = ["username", "drug_label"]
    date_hierarchy = "when"
    list_select_related = False
    show_full_result_count = False

    @admin.display(description="monograph", ordering="drug_label")
    def monograph(self, event):
        if event.drug_id is None:
            return event.drug_label
        return format_html(
            '<a href="?drug={}" title="Every event of this monograph">{}</a>',
            event.drug_id,
            event.drug_label,
        )

    @admin.display(description="from (address)", ordering="remote_addr")
    def address(self, event):
        return event.remote_addr or "–"

    @admin.display(description="detail")
    def details(self, event):
        if not event.detail:
            return "–"
        return format_html_join(
            mark_safe("<br>"),
            "{}: {}",
            ((key.replace("_", " "), _readable(value)) for key, value in event.detail.items()),
        )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def _readable(value) -> str:
    """A detail's value as a person reads it: times in the site's zone, lists as lists."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(str(item) for item in value) or "none"
    if isinstance(value, str) and len(value) >= 19 and value[10:11] == "T":
        try:
            moment = datetime.datetime.fromisoformat(value)
        except ValueError:
            return value
        if timezone.is_aware(moment):
            return date_format(timezone.localtime(moment), "j M Y, H:i T")
    return str(value)

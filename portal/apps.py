from django.apps import AppConfig
from django.contrib.admin.apps import AdminConfig


class PortalConfig(AppConfig):
    """The site's own machinery that needs an app: staff accounts' admin pages,
    the audit of signing in and out, and account commands."""

    name = "portal"
    verbose_name = "Staff accounts"

    def ready(self):
        from . import staff  # noqa: F401  (connects the audit's signal receivers)


class StaffAdminConfig(AdminConfig):
    """Django's admin, on a site that refuses a session without the second factor."""

    default_site = "portal.staff.StaffAdminSite"

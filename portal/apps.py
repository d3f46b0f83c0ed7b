from django.apps import AppConfig
from django.contrib.admin.apps import AdminConfig


class PortalConfig(AppConfig):
    """The site itself, as an app: for its ready() hook, staff accounts' admin pages
    and its account commands (listed first, its createsuperuser is the one run).

    The page cache must hear the monographs app's announcements in every
    process that changes content (web workers, but also the importer and other
    management commands, which never load the middleware), so its receiver is
    connected here rather than when the middleware module is first imported.
    The audit log's receivers (signing in and out, lockouts) likewise.
    """

    name = "portal"
    label = "portal"
    verbose_name = "Portal"

    def ready(self):
        from . import cache, staff  # noqa: F401  (staff connects the audit's receivers)

        cache.connect_receivers()


class StaffAdminConfig(AdminConfig):
    """Django's admin, on a site that refuses a session without the second factor."""

    default_site = "portal.staff.StaffAdminSite"

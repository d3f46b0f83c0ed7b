from django.apps import AppConfig


class PortalConfig(AppConfig):
    """The site itself, as an app only so that it has a ready() hook.

    The page cache must hear the monographs app's announcements in every
    process that changes content (web workers, but also the importer and other
    management commands, which never load the middleware), so its receiver is
    connected here rather than when the middleware module is first imported.
    """

    name = "portal"
    label = "portal"
    verbose_name = "Portal"

    def ready(self):
        from . import cache

        cache.connect_receivers()

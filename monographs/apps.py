from django.apps import AppConfig


class MonographsConfig(AppConfig):
    name = "monographs"

    def ready(self):
        from . import cache, pages

        cache.connect_signals()
        pages.connect_signals()

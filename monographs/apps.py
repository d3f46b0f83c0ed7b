from django.apps import AppConfig


class MonographsConfig(AppConfig):
    name = "monographs"

    def ready(self):
        from . import cache, pages, search

        cache.connect_signals()
        pages.connect_signals()
        search.connect_signals()

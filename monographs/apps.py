from django.apps import AppConfig


class MonographsConfig(AppConfig):
    name = "monographs"

    def ready(self):
        from . import cache

        cache.connect_signals()

from django.apps import AppConfig


class MonographsConfig(AppConfig):
    name = "monographs"

    def ready(self):
        from . import monograph_body, search, signals, term_counts

        signals.connect_content_hooks()
        monograph_body.connect_signals()
        search.connect_signals()
        term_counts.connect_signals()

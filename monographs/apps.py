from django.apps import AppConfig


class MonographsConfig(AppConfig):
    name = "monographs"

    def ready(self):
        from . import monograph_body, signals

        signals.connect_content_hooks()
        monograph_body.connect_signals()

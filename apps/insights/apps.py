from django.apps import AppConfig


class InsightsConfig(AppConfig):
    name = "apps.insights"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from apps.corpus.apis import TEXT_ENRICHERS

        from .selectors import text_signals

        TEXT_ENRICHERS.append(text_signals)
        from . import receivers  # noqa: F401  (classifies imported texts)

from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "apps.privacy"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import checks, receivers  # noqa: F401  (registers the key check; connects to corpus signals)

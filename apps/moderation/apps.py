from django.apps import AppConfig


class ModerationConfig(AppConfig):
    name = "apps.moderation"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import receivers  # noqa: F401  (connects to corpus signals)

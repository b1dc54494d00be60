from django.apps import AppConfig


class CopyConfig(AppConfig):
    name = "apps.copy"
    label = "copy"
    verbose_name = "Copy studio"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import receivers  # noqa: F401  (learns moderation outcomes of variants)

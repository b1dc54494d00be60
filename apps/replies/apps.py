from django.apps import AppConfig


class RepliesConfig(AppConfig):
    name = "apps.replies"
    verbose_name = "Replies and translation"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import receivers  # noqa: F401  (learns moderation outcomes of drafts)

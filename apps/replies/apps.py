from django.apps import AppConfig


class RepliesConfig(AppConfig):
    name = "apps.replies"
    verbose_name = "Replies"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from apps.accounts.permissions import ANALYZE
        from apps.jobs import registry

        from . import receivers  # noqa: F401  (learns moderation outcomes of drafts)
        from .services import resend_drafts

        registry.register("reply_drafts", permission=ANALYZE, resend=resend_drafts, uses_llm=True)

from django.apps import AppConfig


class RepliesConfig(AppConfig):
    name = "apps.replies"
    verbose_name = "Replies and translation"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from apps.accounts.permissions import ANALYZE
        from apps.jobs import registry

        from . import receivers  # noqa: F401  (learns moderation outcomes of drafts)
        from .services import resend_drafts, resend_translations

        registry.register("reply_drafts", permission=ANALYZE, resend=resend_drafts, uses_llm=True)
        registry.register("translations", permission=ANALYZE, resend=resend_translations, uses_llm=True)

from django.apps import AppConfig


class ModerationConfig(AppConfig):
    name = "apps.moderation"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from apps.accounts.permissions import MODERATE
        from apps.jobs import registry

        from . import receivers  # noqa: F401  (connects to corpus signals)
        from .services import resend_screening

        # Bulk decisions are not retryable: their progress is a cursor in the job, and a decision taken again
        # should be a person's new choice.
        registry.register("moderation", permission=MODERATE, resend=resend_screening)

from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "apps.privacy"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from apps.accounts.permissions import MANAGE
        from apps.corpus.services import register_text_eraser
        from apps.jobs import registry

        from . import checks, receivers  # noqa: F401  (registers the key check; connects to corpus signals)
        from .services import erase_import_texts, export_retry_refusal, resend_export

        registry.register("export", permission=MANAGE, resend=resend_export, refusal=export_retry_refusal)
        register_text_eraser(erase_import_texts)  # "undo this import" erases as erasure does

from django.apps import AppConfig


class CorpusConfig(AppConfig):
    name = "apps.corpus"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from apps.accounts.permissions import IMPORT
        from apps.jobs import registry

        from .services import import_retry_refusal, resend_import

        registry.register("import", permission=IMPORT, resend=resend_import, refusal=import_retry_refusal)

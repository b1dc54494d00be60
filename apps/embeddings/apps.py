from django.apps import AppConfig


class EmbeddingsConfig(AppConfig):
    name = "apps.embeddings"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from apps.accounts.permissions import MANAGE
        from apps.jobs import registry

        from . import receivers  # noqa: F401  (connects to corpus signals)
        from .services import reembed_retry_refusal, resend_reembedding

        registry.register("reembed", permission=MANAGE, resend=resend_reembedding, refusal=reembed_retry_refusal)

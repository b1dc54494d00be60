from django.apps import AppConfig


class CopyConfig(AppConfig):
    name = "apps.copy"
    label = "copy"
    verbose_name = "Copy studio"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from apps.accounts.permissions import ANALYZE
        from apps.jobs import registry

        from . import receivers, services  # noqa: F401  (receivers learn moderation outcomes of variants)

        registry.register("copy", permission=ANALYZE, resend=services.resend_copy, uses_llm=True)
        registry.register("copy_regenerate", permission=ANALYZE, resend=services.resend_regenerate,
                          refusal=services.regenerate_retry_refusal, uses_llm=True)
        registry.register("copy_ideas", permission=ANALYZE, resend=services.resend_ideas,
                          refusal=services.ideas_retry_refusal, uses_llm=True)

from django.apps import AppConfig


class TranslationConfig(AppConfig):
    name = "apps.translation"
    label = "translation"
    verbose_name = "Translation"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from apps.accounts.permissions import ANALYZE
        from apps.jobs import registry

        from .services import resend_translations

        registry.register("translations", permission=ANALYZE, resend=resend_translations, uses_llm=True)

from django.apps import AppConfig


class LlmConfig(AppConfig):
    name = "apps.llm"
    verbose_name = "LLM gateway"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from apps.accounts.permissions import ANALYZE
        from apps.jobs import registry
        from apps.jobs.tasks import register_llm_errors

        from .gateway import LLMError, LLMUnavailable
        from .services import resend_question_batch

        registry.register("llm_batch", permission=ANALYZE, resend=resend_question_batch, uses_llm=True)
        register_llm_errors(unavailable=LLMUnavailable, failed=LLMError)  # what LLMJobTask waits on or fails with

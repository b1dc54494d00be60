from django.apps import AppConfig


class InsightsConfig(AppConfig):
    name = "apps.insights"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from apps.accounts.permissions import ANALYZE
        from apps.corpus.apis import TEXT_ENRICHERS, TEXT_FILTERS
        from apps.jobs import registry

        from .selectors import filter_by_analysis, text_signals
        from .services import analysis_retry_refusal, resend_analysis

        TEXT_ENRICHERS.append(text_signals)
        TEXT_FILTERS.append(filter_by_analysis)
        registry.register("analysis", permission=ANALYZE, resend=resend_analysis, refusal=analysis_retry_refusal,
                          uses_llm=True)
        from . import receivers  # noqa: F401  (classifies imported texts)

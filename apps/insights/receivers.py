from django.dispatch import receiver

from apps.corpus.signals import texts_committed

from . import services


@receiver(texts_committed)
def classify_committed_texts(sender, *, workspace_id: int, text_import_id: int, **kwargs) -> None:
    """Sentiment and intent are cheap (no LLM): compute them at import so dashboards show them at once."""
    services.classify_import(workspace_id, text_import_id)

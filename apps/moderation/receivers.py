import logging

from django.dispatch import receiver

from apps.corpus.signals import texts_committed

from . import services

logger = logging.getLogger(__name__)


@receiver(texts_committed)
def moderate_committed_texts(sender, *, workspace_id: int, text_import_id: int, job_id: str, **kwargs) -> None:
    # The import itself has succeeded by now: a problem here must not fail it, only be logged (its texts stay
    # "unchecked", and a moderator can screen them later from the queue page).
    try:
        services.start_import_screening(workspace_id, text_import_id)
    except Exception:
        logger.exception("could not start moderation of import %s (workspace %s)", text_import_id, workspace_id)

from django.dispatch import receiver

from apps.corpus.signals import texts_committed
from apps.moderation.models import CUSTOMER_TEXT
from apps.moderation.signals import subjects_moderated

from . import services


@receiver(texts_committed)
def embed_committed_texts(sender, *, workspace_id: int, text_import_id: int, job_id: str, **kwargs) -> None:
    services.embed_import(workspace_id, text_import_id, job_id)


@receiver(subjects_moderated)
def reembed_texts_edited_by_a_moderator(sender, *, workspace_id: int, subject_type: str, changes: list[dict],
                                        **kwargs) -> None:
    """A moderator's "edit and approve" changes what a customer text says: search must find the new words."""
    if subject_type != CUSTOMER_TEXT:  # copy variants and reply drafts are not embedded (their ids need not be ints)
        return
    edited = [int(change["subject_id"]) for change in changes if change.get("text")]
    if edited:
        from .tasks import reembed_edited

        reembed_edited.delay(workspace_id, edited)

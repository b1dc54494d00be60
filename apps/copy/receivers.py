"""Moderation announces outcomes of the subjects it was handed; copy listens for its variants."""

import logging

from django.dispatch import receiver

from apps.moderation.signals import subjects_moderated

from . import services

logger = logging.getLogger(__name__)


@receiver(subjects_moderated)
def variants_moderated(sender, *, workspace_id: int, subject_type: str, changes: list, **kwargs) -> None:
    if subject_type != services.SUBJECT_TYPE:
        return
    services.apply_moderation_outcome(workspace_id, changes)

"""Moderation announces outcomes of the subjects it was handed; replies listen for their drafts."""

from django.dispatch import receiver

from apps.moderation.signals import subjects_moderated

from . import services


@receiver(subjects_moderated)
def drafts_moderated(sender, *, workspace_id: int, subject_type: str, changes: list, **kwargs) -> None:
    if subject_type != services.SUBJECT_TYPE:
        return
    services.apply_moderation_outcome(workspace_id, changes)

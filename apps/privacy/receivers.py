from django.dispatch import receiver

from apps.corpus.signals import originals_viewed

from . import services


@receiver(originals_viewed)
def log_originals_viewed(sender, *, workspace_id: int, user, text_ids: list[int], channel: str, **kwargs) -> None:
    services.record_originals_viewed(workspace_id, user, text_ids, channel)

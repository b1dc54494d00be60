from django.dispatch import receiver

from apps.corpus.signals import texts_committed

from . import services


@receiver(texts_committed)
def embed_committed_texts(sender, *, workspace_id: int, text_import_id: int, job_id: str, **kwargs) -> None:
    services.embed_import(workspace_id, text_import_id, job_id)

from celery import shared_task

from apps.jobs.tasks import TrackedTask

from . import services


@shared_task(base=TrackedTask, bind=True)
def embed_batch(self, workspace_id: int, model_name: str, text_ids: list[int], *, job_id: str | None = None):
    services.embed_texts(workspace_id, model_name, text_ids)
    if job_id:
        services.refresh_job(job_id)


@shared_task(base=TrackedTask, bind=True)
def reembed_edited(self, workspace_id: int, text_ids: list[int]):
    services.reembed_texts(workspace_id, text_ids)

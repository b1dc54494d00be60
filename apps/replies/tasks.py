from celery import shared_task

from apps.jobs.tasks import LLMJobTask

from . import services


@shared_task(base=LLMJobTask, bind=True)
def draft_replies_task(self, *, job_id: str) -> None:
    services.run_drafts(job_id)

from celery import shared_task

from apps.jobs.tasks import LLMJobTask

from . import services


@shared_task(base=LLMJobTask, bind=True)
def answer_question_batch(self, *, job_id: str) -> None:
    services.answer_question_batch(job_id)

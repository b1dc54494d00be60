from celery import shared_task

from apps.jobs.tasks import LLMJobTask

from . import services


# The task began in apps.replies.tasks: it keeps that name, so messages queued before the move still run and the
# route "apps.replies.tasks.*" (the `llm` queue, workers/routing.py) still applies.
@shared_task(base=LLMJobTask, bind=True, name="apps.replies.tasks.translate_texts_task")
def translate_texts_task(self, *, job_id: str) -> None:
    services.run_translations(job_id)

from celery import shared_task

from apps.jobs.tasks import LLMJobTask

from . import services


class CopyTask(LLMJobTask):
    def on_failure(self, exc, task_id, args, kwargs, einfo):
        super().on_failure(exc, task_id, args, kwargs, einfo)
        services.sync_failed()


@shared_task(base=CopyTask, bind=True)
def run_copy_task(self, copy_id: int, *, job_id: str) -> None:
    services.run_copy(copy_id)


@shared_task(base=CopyTask, bind=True)
def regenerate_variant_task(self, variant_id: int, *, job_id: str) -> None:
    services.run_regenerate(variant_id, job_id)


@shared_task(base=CopyTask, bind=True)
def generate_ideas_task(self, idea_set_id: int, *, job_id: str) -> None:
    services.generate_ideas(idea_set_id)

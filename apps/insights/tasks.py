from celery import shared_task

from apps.jobs import services as jobs
from apps.jobs.tasks import LLMJobTask

from . import services


class AnalysisTask(LLMJobTask):
    def on_failure(self, exc, task_id, args, kwargs, einfo):
        super().on_failure(exc, task_id, args, kwargs, einfo)
        services.sync_run_status()


@shared_task(base=AnalysisTask, bind=True)
def run_analysis_task(self, analysis_id: int, *, job_id: str) -> None:
    try:
        services.run_analysis(analysis_id)
    except services.NotYet as exc:
        jobs.set_message(job_id, str(exc))
        raise self.retry(exc=exc, countdown=10, max_retries=360) from exc
    services.sync_run_status()


@shared_task(bind=True)
def run_scheduled_analysis(self, workspace_id: int) -> None:
    services.run_scheduled(workspace_id)

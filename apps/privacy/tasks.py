"""Privacy tasks: database work on the `default` queue (workers/routing.py)."""

from celery import shared_task

from apps.jobs.tasks import TrackedTask

from . import services


@shared_task(base=TrackedTask, bind=True)
def build_export_task(self, export_id: int, *, job_id: str) -> None:
    services.build_export(export_id)


@shared_task(bind=True)
def apply_retention(self) -> dict:
    """Scheduled daily by a django-celery-beat row (`manage.py setup_schedules`)."""
    return services.apply_retention()

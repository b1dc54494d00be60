from celery import shared_task

from apps.jobs.tasks import TrackedTask

from . import services


class ImportTask(TrackedTask):
    def on_failure(self, exc, task_id, args, kwargs, einfo):
        services.fail_import(args[0], "The import stopped because of an internal error; nothing was imported. "
                                      "Upload the file again.")
        super().on_failure(exc, task_id, args, kwargs, einfo)


@shared_task(base=ImportTask, bind=True)
def run_import(self, text_import_id: int, *, job_id: str) -> None:
    services.process_import(text_import_id)

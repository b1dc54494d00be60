"""The base class for tracked tasks: a task that gives up for good marks its job failed."""

from __future__ import annotations

import logging

from celery import Task
from django.db import InterfaceError, OperationalError

from . import services

logger = logging.getLogger(__name__)

# Errors that go away by themselves (database restarting, connection dropped): retry with backoff.
TRANSIENT_ERRORS = (OperationalError, InterfaceError, ConnectionError, TimeoutError)


class TrackedTask(Task):
    """Tasks called with a `job_id` keyword. Retries transient errors; on final failure fails the job."""

    abstract = True
    autoretry_for = TRANSIENT_ERRORS
    retry_backoff = 2
    retry_backoff_max = 60
    retry_jitter = True
    max_retries = 8
    acks_late = True

    def on_failure(self, exc, task_id, args, kwargs, einfo):
        job_id = kwargs.get("job_id")
        logger.error("task %s failed for job %s", self.name, job_id, exc_info=exc)
        if job_id:
            services.fail(job_id, "The job stopped because of an internal error. Retry it; if it fails again, "
                                  "contact your administrator.")

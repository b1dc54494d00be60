"""Base classes for tracked tasks: a task that gives up for good marks its job failed."""

from __future__ import annotations

import logging
from typing import ClassVar

from celery import Task
from django.db import InterfaceError, OperationalError
from kombu.exceptions import OperationalError as BrokerError

from . import services
from .models import WAITING_FOR_MODEL

logger = logging.getLogger(__name__)

# Errors that go away by themselves (database or broker restarting, connection dropped): retry with backoff.
TRANSIENT_ERRORS = (OperationalError, InterfaceError, ConnectionError, TimeoutError, BrokerError)


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


class LLMJobTask(TrackedTask):
    """Tasks that call the LLM gateway. While no model server answers, the job waits (the task is
    retried with growing delays, for hours) and says so; other LLM errors fail the job with their message.
    Which errors those are, apps.llm registers at start-up (`register_llm_errors`): jobs lies below llm and
    never imports it."""

    abstract = True
    LLM_WAIT_RETRIES = 300
    LLM_WAIT_MAX_DELAY_S = 60
    unavailable_errors: ClassVar[tuple[type[Exception], ...]] = ()  # no model server answers: wait
    failing_errors: ClassVar[tuple[type[Exception], ...]] = ()  # any other LLM error: fail the job with it

    def __call__(self, *args, **kwargs):
        job_id = kwargs.get("job_id")
        try:
            return super().__call__(*args, **kwargs)
        except self.unavailable_errors as exc:
            attempt = self.request.retries + 1
            if job_id:
                services.set_message(job_id, f"{WAITING_FOR_MODEL} (attempt {attempt}): {exc}")
            raise self.retry(exc=exc, countdown=min(self.LLM_WAIT_MAX_DELAY_S, 2 ** min(attempt, 6)),
                             max_retries=self.LLM_WAIT_RETRIES) from exc
        except self.failing_errors as exc:
            if job_id:
                services.fail(job_id, str(exc))
            return None


def register_llm_errors(*, unavailable: type[Exception], failed: type[Exception]) -> None:
    """Called by apps.llm (LlmConfig.ready) with the gateway's errors; `unavailable` is a subclass of `failed`."""
    LLMJobTask.unavailable_errors = (unavailable,)
    LLMJobTask.failing_errors = (failed,)

"""Thin tasks. The fast stage and bulk decisions are CPU/database work and are routed off the llm queue
(workers/routing.py); only `judge_cases` waits on the model servers."""

from celery import shared_task

from apps.jobs.tasks import LLMJobTask, TrackedTask

from . import services


@shared_task(base=TrackedTask, bind=True)
def screen_texts(self, *, job_id: str) -> None:
    services.screen_texts(job_id)


@shared_task(base=LLMJobTask, bind=True)
def judge_cases(self, case_ids: list[int], *, job_id: str | None = None) -> None:
    services.judge_cases(case_ids, job_id)


@shared_task(base=TrackedTask, bind=True)
def apply_bulk_decision(self, *, job_id: str) -> None:
    services.run_bulk_decision(job_id)

from __future__ import annotations

from django.db import transaction

from apps.accounts.context import WorkspaceContext
from apps.accounts.permissions import ANALYZE, MANAGE
from apps.jobs import services as jobs
from apps.jobs.models import Job

from .gateway import LLMRequest, LLMResult, get_gateway
from .models import LLMBudget
from .schemas import PlaygroundAnswer

# Enough for the longest answer the schema allows, in English (about 100 tokens) or Chinese (about 290 with
# Qwen's tokenizer): an answer that stops early costs nothing more.
QUESTION_MAX_TOKENS = 300


def question_request(question: str) -> LLMRequest[PlaygroundAnswer]:
    """One question to the model, as the playground and question batches (and `bench llm`) ask it."""
    return LLMRequest("llm/playground", 1, {"question": question[:1000]}, PlaygroundAnswer,
                      max_tokens=QUESTION_MAX_TOKENS)


def ask_playground(ctx: WorkspaceContext, question: str) -> dict:
    """The status page's "test the model" box: one short generation through the gateway (analysts and owners:
    it spends the workspace's model time)."""
    ctx.require(ANALYZE)
    result = get_gateway().run(question_request(question), workspace=ctx.workspace, feature="playground")
    return {"answer": result.output.answer, "model": result.model, "tokens_in": result.tokens_in,
            "tokens_out": result.tokens_out, "latency_ms": result.latency_ms, "cached": result.cached}


def set_budget(ctx: WorkspaceContext, monthly_tokens: int | None) -> None:
    ctx.require(MANAGE)
    if monthly_tokens is None:
        LLMBudget.objects.filter(workspace=ctx.workspace).delete()
    else:
        LLMBudget.objects.update_or_create(workspace=ctx.workspace, defaults={"monthly_tokens": monthly_tokens})


def start_question_batch(ctx: WorkspaceContext, questions: list[str]) -> Job:
    """Many questions as one job on the `llm` queue: a diagnostic of the serving path (and what the
    LLM benchmark measures). One task for the whole batch; the gateway keeps many requests in flight."""
    ctx.require(ANALYZE)
    questions = [q.strip()[:1000] for q in questions if q.strip()]
    if not questions:
        raise ValueError("Give at least one question.")
    with transaction.atomic():
        job = jobs.create_job(ctx.workspace, "llm_batch", total=len(questions), user=ctx.user,
                              params={"questions": questions})
        resend_question_batch(job)
    return job


def resend_question_batch(job: Job) -> None:
    """Queue the batch; also how a failed one is retried (answers are cached by the gateway)."""
    from .tasks import answer_question_batch

    jobs.publish_on_commit(job.pk, lambda: answer_question_batch.delay(job_id=str(job.pk)))


def answer_question_batch(job_id: str) -> None:
    job = Job.objects.select_related("workspace").get(pk=job_id)
    if job.is_finished:
        return
    jobs.mark_running(job.pk, total=len(job.params["questions"]), message="Asking the model.")
    requests = [question_request(q) for q in job.params["questions"]]
    results = get_gateway().run_many(requests, workspace=job.workspace, feature="llm_batch",
                                     should_cancel=lambda: jobs.cancel_requested(job.pk))
    if jobs.cancel_requested(job.pk):
        jobs.fail(job.pk, "Cancelled.")
        return
    answers = [r.output.answer if isinstance(r, LLMResult) else None for r in results]
    errors = [str(r) for r in results if not isinstance(r, LLMResult)]
    answered = [r for r in results if isinstance(r, LLMResult)]
    tokens_out = sum(r.tokens_out for r in answered)
    asked_again = sum(r.attempts - 1 for r in answered)
    if errors and len(errors) == len(results):
        jobs.fail(job.pk, errors[0])
        return
    jobs.succeed(job.pk, {"answers": answers, "errors": errors, "tokens_out": tokens_out,
                          "asked_again": asked_again},
                 message=f"{len(answers) - len(errors)} answers.")

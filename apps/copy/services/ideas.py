"""Product ideas and positioning angles drawn from the latest analysis's pain points and feature requests, as
a job; each idea keeps only the evidence that supports it (apps.insights.evidence)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from apps.accounts.context import WorkspaceContext
from apps.accounts.models import Workspace
from apps.accounts.permissions import ANALYZE
from apps.insights import evidence  # does a cited text support the idea that cites it
from apps.insights import selectors as insights
from apps.insights.models import InsightKind, TextAnalysis
from apps.jobs import services as jobs
from apps.jobs.models import Job
from apps.llm.gateway import LLMError, LLMRequest, LLMUnavailable, get_gateway
from apps.moderation.selectors import analysable_texts

from ..models import CopyStatus, IdeaKind, IdeaSet, ProductIdea
from ..schemas import IdeaList
from .errors import CopyError
from .grounding import _quote

IDEAS_PROMPT, IDEAS_VERSION = "copy/ideas", 2
IDEA_ATTEMPTS = 3
IDEA_FINDINGS = 6
IDEA_QUOTES = 8


def start_ideas(ctx: WorkspaceContext) -> IdeaSet:
    ctx.require(ANALYZE)
    run = insights.latest_run(ctx.workspace)
    if run is None:
        raise CopyError("Run an analysis first: ideas are drawn from its pain points and feature requests.")
    if not run.insights.filter(kind__in=(InsightKind.PAIN_POINT, InsightKind.FEATURE_REQUEST)).exists():
        raise CopyError("The latest analysis found no pain points or feature requests to draw ideas from.")
    with transaction.atomic():
        job = jobs.create_job(ctx.workspace, "copy_ideas", total=2, user=ctx.user)
        idea_set = IdeaSet.objects.create(workspace=ctx.workspace, job=job, analysis=run, created_by=job.created_by,
                                          prompt=IDEAS_PROMPT, prompt_version=IDEAS_VERSION)
        job.params = {"idea_set_id": idea_set.pk}
        job.save(update_fields=["params"])
        _publish_ideas(idea_set)
    return idea_set


def _publish_ideas(idea_set: IdeaSet) -> None:
    from ..tasks import generate_ideas_task

    jobs.publish_on_commit(idea_set.job_id,
                           lambda: generate_ideas_task.delay(idea_set.pk, job_id=str(idea_set.job_id)),
                           on_unreachable=lambda error: _fail_ideas(idea_set, error))


def _idea_material(idea_set: IdeaSet) -> tuple[list[dict], list[dict]]:
    run = idea_set.analysis
    items = [i for i in insights.insights(run) if i.kind in (InsightKind.PAIN_POINT, InsightKind.FEATURE_REQUEST)]
    items = items[:IDEA_FINDINGS]
    cleared = analysable_texts(idea_set.workspace)
    wanted: list[int] = []
    for item in items:  # round-robin, so every finding has evidence in the prompt
        wanted += [e for e in item.evidence[:2] if e not in wanted]
    texts = {t.pk: t for t in cleared.filter(pk__in=wanted)}
    signals = insights.evidence_signals(list(texts))
    # Each text says whether it complains or asks: the model can tell what is missing from what is there.
    quotes = [{**_quote(texts[i], None), **dict(zip(("sentiment", "intent", "score"), signals.get(i, ("", "", None))))}
              for i in wanted if i in texts][:IDEA_QUOTES]
    shown = {q["id"] for q in quotes}
    findings = [{"kind": i.kind, "title": i.title, "detail": i.detail[:200],
                 "evidence": [e for e in i.evidence if e in shown]} for i in items]
    return findings, quotes


def _requested_features(workspace: Workspace) -> list[str]:
    """What customers ask for (key phrases of request texts): an idea must not say the product has it."""
    texts = list(TextAnalysis.objects.filter(workspace=workspace, intent="feature_request").values_list(
        "text__text", flat=True)[:2000])
    recent = analysable_texts(workspace).order_by("-pk").values_list("text", flat=True)[:5000]
    texts += [t for t in recent if evidence.REQUEST_CUES.search(t)]
    return evidence.requested_features(texts)


def _checked_ideas(ideas: IdeaList, quotes: list[dict], requested: list[str]) -> tuple[IdeaList, evidence.SupportCount]:
    """A copy of `ideas` keeping what the shown texts support: ideas cite pain or requests, and never present a
    requested feature as existing (apps.insights.evidence)."""
    texts = {q["id"]: evidence.TextFacts(q["text"], q["sentiment"], q["intent"], q["score"]) for q in quotes}
    checked = ideas.model_copy(deep=True)
    checked.product_ideas, count = evidence.check_findings(
        [d for d in checked.product_ideas if d.title.strip()], evidence.IDEA, texts, requested=requested)
    checked.positioning_angles, angles = evidence.check_findings(
        [d for d in checked.positioning_angles if d.title.strip()], evidence.IDEA, texts, requested=requested)
    count.add(angles)
    count.claims_dropped += len(ideas.product_ideas) + len(ideas.positioning_angles) - count.claims
    return checked, count


def generate_ideas(idea_set_id: int) -> None:
    idea_set = IdeaSet.objects.select_related("workspace", "analysis").get(pk=idea_set_id)
    if idea_set.status in (CopyStatus.SUCCEEDED, CopyStatus.FAILED):
        return
    job_id = idea_set.job_id
    IdeaSet.objects.filter(pk=idea_set.pk).update(status=CopyStatus.RUNNING)
    jobs.mark_running(job_id, total=2, message="Reading the pain points and feature requests.")
    if idea_set.analysis is None:
        _fail_ideas(idea_set, "The analysis these ideas were drawn from was deleted; start again.")
        return
    findings, quotes = _idea_material(idea_set)
    requested = _requested_features(idea_set.workspace)
    from apps.insights.services import settings_for

    variables = {"product_context": settings_for(idea_set.workspace).product_context, "findings": findings,
                 "texts": [{"id": q["id"], "text": q["text"], "sentiment": q["sentiment"], "intent": q["intent"]}
                           for q in quotes]}
    best: tuple[IdeaList, evidence.SupportCount] | None = None
    model, notes = "", []
    for attempt in range(IDEA_ATTEMPTS):  # asked again (new seed) while a proposal fails its evidence check
        try:
            outcome = get_gateway().run(LLMRequest(IDEAS_PROMPT, IDEAS_VERSION, variables, IdeaList, max_tokens=600,
                                                   temperature=0.3, seed=attempt), workspace=idea_set.workspace,
                                        feature="copy_ideas")
        except LLMUnavailable:
            raise
        except LLMError as exc:
            notes.append(str(exc))
            continue
        model = outcome.model
        checked, count = _checked_ideas(outcome.output, quotes, requested)
        kept = len(checked.product_ideas) + len(checked.positioning_angles)
        if best is None or kept > len(best[0].product_ideas) + len(best[0].positioning_angles):
            best = (checked, count)
        if kept and not count.claims_dropped and not count.citations_dropped:
            break
    if best is None:
        _fail_ideas(idea_set, notes[-1] if notes else "The model proposed nothing.")
        return
    checked, count = best
    rows = [ProductIdea(idea_set=idea_set, kind=kind, title=draft.title.strip()[:200], detail=draft.detail.strip(),
                        evidence=draft.evidence, position=position)
            for kind, drafts in ((IdeaKind.PRODUCT_IDEA, checked.product_ideas),
                                 (IdeaKind.POSITIONING, checked.positioning_angles))
            for position, draft in enumerate(drafts)]
    notes += [note.replace("evidence: ", "Ideas: ") for note in evidence.notes_for(count)]
    with transaction.atomic():
        ProductIdea.objects.filter(idea_set=idea_set).delete()
        ProductIdea.objects.bulk_create(rows)
        IdeaSet.objects.filter(pk=idea_set.pk).update(status=CopyStatus.SUCCEEDED, finished_at=timezone.now(),
                                                      model=model[:100], notes=notes)
    jobs.succeed(job_id, {"idea_set_id": idea_set.pk, "ideas": len(rows)}, message=f"{len(rows)} ideas with evidence.")


def _fail_ideas(idea_set: IdeaSet, error: str) -> None:
    IdeaSet.objects.filter(pk=idea_set.pk).update(status=CopyStatus.FAILED, finished_at=timezone.now())
    jobs.fail(idea_set.job_id, error)


def ideas_retry_refusal(job: Job) -> str | None:
    idea_set = IdeaSet.objects.filter(job=job).first()
    if idea_set is None or idea_set.analysis_id is None:
        return "The analysis these ideas were drawn from was deleted: ask for ideas again."
    return None


def resend_ideas(job: Job) -> None:
    idea_set = IdeaSet.objects.get(job=job)
    IdeaSet.objects.filter(pk=idea_set.pk).update(status=CopyStatus.QUEUED, finished_at=None)
    _publish_ideas(idea_set)

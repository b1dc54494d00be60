"""Writes of insights: an analysis run (per-text signals, themes, report) and theme edits.

The run is one job on the `llm` queue. Per-text work is incremental (only texts without signals or
vectors), clustering is a few seconds even at 100k texts, and LLM calls are bounded by the number of
themes (one per theme plus one for the report), never by the number of texts.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from dataclasses import dataclass, replace

import numpy as np
from django.conf import settings as django_settings
from django.db import connection, transaction
from django.utils import timezone

from apps.accounts.context import WorkspaceContext
from apps.accounts.models import Workspace
from apps.accounts.permissions import ANALYZE
from apps.core.errors import Conflict, InvalidRequest, NotFound
from apps.corpus.models import CustomerText
from apps.embeddings.models import TextEmbedding
from apps.embeddings.services import embed_texts
from apps.jobs import services as jobs
from apps.jobs.models import Job, JobStatus
from apps.llm.gateway import LLMRequest, LLMResult, get_gateway, run_in_rounds
from apps.moderation.selectors import analysable_texts  # by the workspace's moderation policy

from . import clustering, evidence, report_facts, theme_naming, trends
from .classify import classify_many
from .llm_labels import label_uncertain
from .models import (
    AnalysisRun,
    AnalysisSettings,
    Insight,
    InsightKind,
    TextAnalysis,
    Theme,
    ThemeSnapshot,
    ThemeStatus,
)
from .schemas import Finding, ReportDraft, ThemeAnalysis
from .selectors import evidence_signals, sentiment_model_for

logger = logging.getLogger(__name__)

SUBTHEME_MIN_SIZE = 40
THEME_LABEL_MAX_CHARS = 48
CLASSIFY_BATCH = 1000  # texts embedded and classified together (bounded memory)
WAIT_FOR_JOB_KINDS = ("import", "moderation")  # an analysis waits for new texts to be stored and checked
TEXTS_PER_THEME_PROMPT = 8
QUOTE_CHARS = 400


class NotYet(Exception):
    """The run cannot start now (imports or moderation of new texts still running, or another worker holds
    the workspace): the task retries it shortly."""


class AnalysisAlreadyRunning(Conflict):
    def __init__(self, run: AnalysisRun):
        super().__init__("An analysis of this workspace is already running; wait for it to finish.")
        self.run = run
        self.payload = {"analysis_id": run.pk, "job_id": str(run.job_id)}  # the 409's body names the running one


def settings_for(workspace: Workspace) -> AnalysisSettings:
    settings, _ = AnalysisSettings.objects.get_or_create(workspace=workspace)
    return settings


# --- starting a run ----------------------------------------------------------------------------------

def start_analysis(ctx: WorkspaceContext, trigger: str = "manual") -> AnalysisRun:
    ctx.require(ANALYZE)
    return _queue_run(ctx.workspace, ctx.user, trigger)


def _queue_run(workspace: Workspace, user, trigger: str) -> AnalysisRun:
    with transaction.atomic():
        Workspace.objects.select_for_update().get(pk=workspace.pk)  # one run at a time per workspace
        active = AnalysisRun.objects.filter(workspace=workspace, status__in=("queued", "running")).first()
        if active is not None:
            raise AnalysisAlreadyRunning(active)
        previous = AnalysisRun.objects.filter(workspace=workspace, status="succeeded").order_by("-version").first()
        last_version = AnalysisRun.objects.filter(workspace=workspace).order_by("-version").values_list(
            "version", flat=True).first() or 0
        job = jobs.create_job(workspace, "analysis", total=7, user=user)
        run = AnalysisRun.objects.create(workspace=workspace, job=job, version=last_version + 1,
                                         previous=previous, trigger=trigger)
        job.params = {"analysis_id": run.pk}
        job.save(update_fields=["params"])
        _publish(run)
    return run


def _publish(run: AnalysisRun) -> None:
    from .tasks import run_analysis_task

    jobs.publish_on_commit(run.job_id, lambda: run_analysis_task.delay(run.pk, job_id=str(run.job_id)),
                           on_unreachable=lambda error: fail_run(run.pk, error))


def analysis_retry_refusal(job: Job) -> str | None:
    run = AnalysisRun.objects.filter(job=job).first()
    if run is None:
        return "This analysis no longer exists; start a new one."
    newer = AnalysisRun.objects.filter(workspace_id=run.workspace_id, version__gt=run.version).order_by(
        "-version").values_list("version", flat=True).first()
    if newer is not None:  # run again, it would replace a newer report's themes with an older version's
        return f"Analysis v{newer} was started after this one: start a new analysis instead."
    return None


def resend_analysis(job: Job) -> None:
    """Retry a failed run under its own version (the jobs registry calls this inside retry's transaction)."""
    Workspace.objects.select_for_update().get(pk=job.workspace_id)  # one run at a time, as in _queue_run
    if reason := analysis_retry_refusal(job):
        raise jobs.NotRetryable(reason)
    run = AnalysisRun.objects.get(job=job)
    AnalysisRun.objects.filter(pk=run.pk).update(status="queued", finished_at=None)  # run_analysis skips failed runs
    _publish(run)


def run_scheduled(workspace_id: int) -> AnalysisRun | None:
    """A scheduled run analyses only when texts changed since the last run, and never overlaps one."""
    workspace = Workspace.objects.get(pk=workspace_id)
    last = AnalysisRun.objects.filter(workspace=workspace, status="succeeded").order_by("-version").first()
    texts = analysable_texts(workspace)
    if last is not None and not texts.filter(created_at__gt=last.created_at).exists() \
            and texts.count() == last.text_count:
        logger.info("scheduled analysis of %s skipped: nothing changed since v%s", workspace, last.version)
        return None
    try:
        return _queue_run(workspace, None, "schedule")
    except AnalysisAlreadyRunning:
        logger.info("scheduled analysis of %s skipped: a run is in progress", workspace)
        return None


# --- the run ------------------------------------------------------------------------------------------

@dataclass
class _ThemeResult:
    theme: Theme
    rows: list[int]  # indices into the run's text arrays
    keywords: list[str]
    representatives: list[int]
    centroid: np.ndarray


def run_analysis(run_id: int) -> None:
    run = AnalysisRun.objects.select_related("workspace", "job").filter(pk=run_id).first()
    if run is None or run.status in ("succeeded", "failed"):
        return  # deleted since (with its workspace), or a late duplicate delivery of a finished run
    job_id = run.job_id
    if Job.objects.filter(workspace=run.workspace, kind__in=WAIT_FOR_JOB_KINDS,
                          status__in=(JobStatus.QUEUED, JobStatus.RUNNING)).exists():
        raise NotYet("Waiting for imports and moderation of new texts to finish.")
    if not _try_lock(run.workspace_id):
        raise NotYet("Another worker is analysing this workspace; waiting for it.")
    try:
        _run(run, job_id)
    finally:
        _unlock(run.workspace_id)


def _try_lock(workspace_id: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [7301, workspace_id])
        return bool(cursor.fetchone()[0])


def _unlock(workspace_id: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [7301, workspace_id])


def _step(job_id, done: int, message: str) -> None:
    jobs.set_progress(job_id, done, message=message)


class _StageClock:
    """Seconds spent in each stage of one run, kept in the job's result: where an analysis's time goes (the
    demo's target is 10 minutes on the CPU model, and `make quality` prints these beside its total)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._stage: str | None = None
        self._since = time.monotonic()

    def enter(self, stage: str | None) -> None:
        now = time.monotonic()
        if self._stage:
            self.seconds[self._stage] = round(now - self._since, 1)
        self._stage, self._since = stage, now


def _run(run: AnalysisRun, job_id) -> None:
    workspace = run.workspace
    clock = _StageClock()
    clock.enter("embedding")
    AnalysisRun.objects.filter(pk=run.pk).update(status="running")
    jobs.mark_running(job_id, total=7, message="Embedding new texts.")
    model_name = workspace.embedding_model
    texts = analysable_texts(workspace)
    ids = list(texts.order_by("pk").values_list("pk", flat=True))
    if len(ids) < 2:
        _finish_empty(run, job_id)
        return
    missing = list(texts.exclude(embeddings__model=model_name).values_list("pk", flat=True))
    for start in range(0, len(missing), 256):
        embed_texts(workspace.pk, model_name, missing[start:start + 256])
    _step(job_id, 1, "Scoring sentiment and intent of new texts.")
    clock.enter("sentiment")
    _classify_new(workspace, texts)  # texts imported before this feature, or whose import skipped it
    labelled = label_uncertain(workspace, ids)  # the model's word on the classifier's least sure texts
    if labelled["asked"]:
        run.notes = [*run.notes, (
            f"sentiment: the model labelled {labelled['asked'] - labelled['unanswered']} of the "
            f"{labelled['asked']} least confident texts ({labelled['agreed']} agreed with the classifier, "
            f"{labelled['changed']} changed)")]
    since = run.previous.created_at if run.previous_id else None
    new_count = texts.filter(created_at__gt=since).count() if since else len(ids)
    _step(job_id, 2, "Finding themes.")
    clock.enter("themes")
    rows = list(texts.order_by("pk").values_list("pk", "text", "posted_at", "analysis__sentiment"))
    vectors = _vectors(workspace, model_name, [r[0] for r in rows])
    theme_results, outliers = _themes(workspace, model_name, rows, vectors)
    _step(job_id, 3, f"{len(theme_results)} themes; asking the model to describe them.")
    clock.enter("describing themes")
    settings = settings_for(workspace)
    analyses, calls = _describe_themes(run, settings, rows, theme_results)
    _step(job_id, 5, "Writing the report.")
    clock.enter("report")
    snapshots = _snapshots(run, rows, theme_results)
    report, report_calls = _report(run, settings, rows, theme_results, snapshots, analyses)
    _step(job_id, 6, "Saving the report.")
    clock.enter("saving")
    with transaction.atomic():
        _save(run, rows, theme_results, analyses, snapshots, report, outliers)
        AnalysisRun.objects.filter(pk=run.pk).update(
            status="succeeded", text_count=len(rows), new_text_count=new_count,
            llm_calls=calls + report_calls + labelled["calls"], finished_at=timezone.now())
    run.refresh_from_db()
    clock.enter(None)
    jobs.succeed(job_id, {"analysis_id": run.pk, "version": run.version, "themes": len(theme_results),
                          "insights": run.insights.count(), "llm_calls": run.llm_calls,
                          "stage_seconds": clock.seconds},
                 message=f"Analysis v{run.version}: {len(theme_results)} themes, {run.insights.count()} insights.")


def _finish_empty(run: AnalysisRun, job_id) -> None:
    AnalysisRun.objects.filter(pk=run.pk).update(status="succeeded", summary="Not enough texts to analyse yet.",
                                                 finished_at=timezone.now())
    jobs.succeed(job_id, {"analysis_id": run.pk, "version": run.version, "themes": 0, "insights": 0},
                 message="Not enough texts to analyse yet: import some first.")


def _classify_new(workspace: Workspace, texts) -> int:
    pending = texts.filter(analysis__isnull=True).order_by("pk").values_list("pk", "text", "rating")
    model = sentiment_model_for(workspace)
    count = 0
    rows = list(pending[:CLASSIFY_BATCH])
    while rows:
        signals = classify_many(model, [r[1] for r in rows], [r[2] for r in rows])
        batch = [TextAnalysis(text_id=pk, workspace=workspace, sentiment=s.sentiment, sentiment_score=s.score,
                              sentiment_confidence=s.confidence, sentiment_method=s.method, intent=s.intent)
                 for (pk, _, _), s in zip(rows, signals, strict=True)]
        count += len(TextAnalysis.objects.bulk_create(batch, ignore_conflicts=True))
        if len(rows) < CLASSIFY_BATCH:
            break
        rows = list(pending.filter(pk__gt=rows[-1][0]).order_by("pk")[:CLASSIFY_BATCH])
    return count


def classify_import(workspace_id: int, text_import_id: int) -> int:
    """Per-text signals of an import's texts (idempotent: texts already classified are skipped)."""
    workspace = Workspace.objects.get(pk=workspace_id)
    return _classify_new(workspace, CustomerText.objects.filter(text_import_id=text_import_id, is_live=True))


def _vectors(workspace: Workspace, model_name: str, ids: list[int]) -> np.ndarray:
    by_id = dict(TextEmbedding.objects.filter(workspace=workspace, model=model_name, text_id__in=ids)
                 .values_list("text_id", "embedding").iterator(chunk_size=5000))
    return np.vstack([np.asarray(by_id[i], dtype=np.float32) for i in ids])


def _themes(workspace: Workspace, model_name: str, rows: list, vectors: np.ndarray):
    """Cluster, then give each cluster its lasting Theme: matched to the previous themes by centroid,
    honouring the user's merges and deletions; new clusters become new themes."""
    known = list(Theme.objects.filter(workspace=workspace, parent__isnull=True, embedding_model=model_name,
                                      centroid__isnull=False).exclude(status=ThemeStatus.FADED)
                 .order_by("pk"))
    # Warm start from every known theme (merged and deleted ones too, so their clusters are found and
    # routed): stable themes across runs, and fast on big corpora.
    # When the data asks for more themes than are known, cluster afresh: new topics can emerge.
    fresh_k = clustering.choose_k(vectors)
    warm = 0 < len(known) <= clustering.MAX_K and fresh_k <= len(known) and len(known) <= len(rows) // 3
    k = len(known) if warm else fresh_k
    init = np.vstack([np.asarray(t.centroid, dtype=np.float32) for t in known]) if warm else None
    clusters, labels = clustering.discover(vectors, [r[1] for r in rows], k=k, init=init)
    matches = clustering.match_to_previous([c.centroid for c in clusters],
                                           [np.asarray(t.centroid, dtype=np.float32) for t in known])
    by_theme: dict[int, _ThemeResult] = {}
    outliers = set(np.where(labels == -1)[0].tolist())
    for index, cluster in enumerate(clusters):
        theme = known[matches[index]] if index in matches else None
        while theme is not None and theme.status == ThemeStatus.MERGED and theme.merged_into_id:
            theme = Theme.objects.get(pk=theme.merged_into_id)
        if theme is not None and theme.status == ThemeStatus.DELETED:
            outliers.update(cluster.members.tolist())  # the user deleted this theme: its texts stay unthemed
            continue
        if theme is None:
            theme = Theme.objects.create(workspace=workspace, label=" · ".join(cluster.keywords[:3]) or "Theme",
                                         keywords=cluster.keywords, centroid=cluster.centroid.tolist(),
                                         embedding_model=model_name)
        if theme.pk in by_theme:  # two clusters of one (merged) theme
            result = by_theme[theme.pk]
            result.rows.extend(cluster.members.tolist())
            result.representatives.extend(cluster.representatives[:2])
        else:
            by_theme[theme.pk] = _ThemeResult(theme, cluster.members.tolist(), cluster.keywords,
                                              list(cluster.representatives), cluster.centroid)
    return list(by_theme.values()), outliers


def _quote(rows: list, index: int) -> dict:
    pk, text = rows[index][0], rows[index][1]
    return {"id": pk, "text": text[:QUOTE_CHARS]}


def _theme_prompt_rows(result: _ThemeResult) -> list[int]:
    chosen = list(dict.fromkeys(result.representatives))
    for index in result.rows:  # top up with other members for enough evidence to cite
        if len(chosen) >= TEXTS_PER_THEME_PROMPT:
            break
        if index not in chosen:
            chosen.append(index)
    return chosen[:TEXTS_PER_THEME_PROMPT]


def _valid_evidence(findings: list, allowed: set[int]) -> bool:
    return all(f.evidence and set(f.evidence) <= allowed for f in findings)


def _run_checked(requests: list[LLMRequest], allowed: list[set[int]], findings_of, workspace: Workspace,
                 feature: str) -> tuple[list[object | None], int, list[str]]:
    """Run requests; a result citing an id outside what it was shown is rejected and asked again with
    another seed, up to MURMUR_EVIDENCE_ATTEMPTS times; then its unsupported findings are dropped."""
    results: list[object | None] = [None] * len(requests)
    notes: list[str] = []

    def request_for(index: int, attempt: int) -> LLMRequest:
        # Retries sample (temperature > 0) with a new seed: at temperature 0 they would repeat the answer.
        first = requests[index]
        return replace(first, temperature=first.temperature if attempt == 0 else 0.7, seed=first.seed + attempt)

    def rejects(index: int, outcome, attempt: int) -> bool:
        if not isinstance(outcome, LLMResult):
            notes.append(f"{feature}: {outcome}")
            return False
        results[index] = outcome.output
        return not _valid_evidence(findings_of(outcome.output), allowed[index])

    rounds = run_in_rounds(get_gateway(), range(len(requests)), request_for, rejects,
                           attempts=django_settings.MURMUR_EVIDENCE_ATTEMPTS,
                           workspace=workspace, feature=feature)
    if rounds.rejected:
        notes.append(f"{feature}: the model cited texts it was not shown ({len(rounds.rejected)} answers); "
                     "unsupported statements were dropped")
    return results, rounds.calls, notes


def _findings_of_theme(analysis: ThemeAnalysis) -> list[Finding]:
    return [*analysis.pain_points, *analysis.feature_requests, *analysis.praise]


def _describe_themes(run: AnalysisRun, settings: AnalysisSettings, rows: list, results: list[_ThemeResult]):
    facts = [theme_naming.ThemeFacts(
        keywords=r.keywords, centroid=r.centroid, texts=[rows[i][1] for i in r.rows],
        quotes=[_quote(rows, i) for i in _theme_prompt_rows(r)],
        fixed_label=r.theme.label if r.theme.named_by_user else None) for r in results]
    requests = [theme_naming.theme_request(i, facts, settings.product_context) for i in range(len(facts))]
    allowed = [{q["id"] for q in f.quotes} for f in facts]
    analyses, calls, notes = _run_checked(requests, allowed, _findings_of_theme, run.workspace, "insights")
    run.notes = [*run.notes, *notes]
    for analysis, ids in zip(analyses, allowed):
        if analysis is not None:  # never store a statement without valid evidence
            analysis.pain_points = _supported(analysis.pain_points, ids)
            analysis.feature_requests = _supported(analysis.feature_requests, ids)
            analysis.praise = _supported(analysis.praise, ids)
    calls += theme_naming.settle_analyses(analyses, facts, results[0].theme.embedding_model if results else "",
                                          get_gateway(), run, settings.product_context)
    return analyses, calls


def _supported(findings: list, allowed: set[int]) -> list:
    return [f for f in findings if f.evidence and set(f.evidence) <= allowed]


def _snapshots(run: AnalysisRun, rows: list, results: list[_ThemeResult]) -> list[ThemeSnapshot]:
    total = len(rows)
    before = {}
    if run.previous_id:
        before = dict(ThemeSnapshot.objects.filter(run_id=run.previous_id).values_list("theme_id", "share"))
    snapshots = []
    for result in sorted(results, key=lambda r: -len(r.rows)):
        sentiments = [rows[i][3] or "neutral" for i in result.rows]
        split = trends.sentiment_split(sentiments)
        share = len(result.rows) / total
        snapshots.append(ThemeSnapshot(
            run=run, theme=result.theme, label=result.theme.label, size=len(result.rows), share=round(share, 4),
            positive=split["positive"], neutral=split["neutral"], negative=split["negative"],
            net_sentiment=split["net_sentiment"],
            weekly=trends.weekly([(rows[i][2], rows[i][3] or "neutral") for i in result.rows]),
            quotes=[rows[i][0] for i in result.representatives[:4]],
            change=trends.change_between_runs(share, before.get(result.theme.pk)) if run.previous_id else "new",
        ))
    return snapshots


def _report(run: AnalysisRun, settings: AnalysisSettings, rows: list, results: list[_ThemeResult],
            snapshots: list[ThemeSnapshot], analyses: list) -> tuple[ReportDraft | None, int]:
    """The model phrases the computed facts (report_facts) and proposes findings; every citation is then
    checked for support (evidence), theme findings included, and the summary's sentences for invented
    numbers and names. What was dropped goes to the run's notes; the facts and counts to its stats."""
    analysis_by_theme = {r.theme.pk: a for r, a in zip(results, analyses)}
    result_by_theme = {r.theme.pk: r for r in results}
    labels = {s.theme_id: (a.label if (a := analysis_by_theme.get(s.theme_id)) else s.label) for s in snapshots}
    facts = report_facts.relabel(report_facts.compute(snapshots, _previous_counts(run), len(rows)), labels)
    themes, quote_rows = [], []
    for snap in snapshots[:12]:
        analysis = analysis_by_theme.get(snap.theme_id)
        themes.append({"label": labels[snap.theme_id], "summary": analysis.summary if analysis else ""})
        quote_rows.extend(result_by_theme[snap.theme_id].representatives[:2])
    competitor_rows = _competitor_rows(settings, rows)[:8]
    signals = evidence_signals([rows[i][0] for i in [*quote_rows, *competitor_rows]])
    theme_of = {rows[i][0]: r.theme.pk for r in results for i in r.rows}

    def quote(index: int) -> dict:  # the per-text signals let the model cite praise for praise, pain for pain
        pk = rows[index][0]
        sentiment, intent, _ = signals.get(pk, ("", "", 0.0))
        return {"id": pk, "text": rows[index][1][:REPORT_QUOTE_CHARS], "theme": labels.get(theme_of.get(pk), ""),
                "sentiment": sentiment, "intent": intent}

    quotes, competitor_quotes = [quote(i) for i in quote_rows], [quote(i) for i in competitor_rows]
    allowed = {q["id"] for q in quotes} | {q["id"] for q in competitor_quotes}
    request = LLMRequest("insights/report", 2, {
        "product_context": settings.product_context, "facts": report_facts.for_prompt(facts), "themes": themes,
        "texts": quotes, "competitor_texts": competitor_quotes}, ReportDraft, max_tokens=700)
    drafts, calls, notes = _run_checked([request], [allowed], _report_findings, run.workspace, "insights")
    run.notes = [*run.notes, *notes]
    draft = drafts[0]
    if draft is not None:
        draft.opportunities = _supported(draft.opportunities, allowed)
        draft.product_ideas = _supported(draft.product_ideas, allowed)
        draft.competitors = _supported(draft.competitors, allowed)
    _check_support(run, settings, rows, results, analyses, draft, facts, theme_of)
    return draft, calls


REPORT_QUOTE_CHARS = 240  # the report prompt carries facts, summaries and ~30 texts: it must fit a 2k context


def _previous_counts(run: AnalysisRun) -> dict[int, tuple[int, int]]:
    if not run.previous_id:
        return {}
    return {theme_id: (size, negative) for theme_id, size, negative in ThemeSnapshot.objects.filter(
        run_id=run.previous_id).values_list("theme_id", "size", "negative")}


def _check_support(run: AnalysisRun, settings: AnalysisSettings, rows: list, results: list[_ThemeResult],
                   analyses: list, draft: ReportDraft | None, facts: report_facts.ReportFacts,
                   theme_of: dict[int, int]) -> None:
    findings = [f for a in analyses if a is not None for f in _findings_of_theme(a)]
    findings += _report_findings(draft) if draft is not None else []
    cited = {i for f in findings for i in f.evidence}
    text_of = {rows[i][0]: rows[i][1] for i in range(len(rows))}
    signals = evidence_signals(list(cited))
    texts = {pk: evidence.TextFacts(text_of[pk], *signals.get(pk, ("", "", None)), theme_id=theme_of.get(pk))
             for pk in cited if pk in text_of}
    count = evidence.check_theme_analyses(analyses, [r.theme.pk for r in results], texts)
    requests = list(TextAnalysis.objects.filter(workspace=run.workspace, intent="feature_request").values_list(
        "text__text", flat=True)[:2000])
    requests += [r[1] for r in rows if evidence.REQUEST_CUES.search(r[1])]  # what customers ask for
    body = None
    if draft is not None:
        count.add(evidence.check_report(draft, texts, evidence.requested_features(requests)))
        body = report_facts.check_body(draft.summary, facts, [r[1] for r in rows],
                                       [settings.product_context], settings.competitors,
                                       [c.name for c in draft.competitors])
        draft.summary = body.body
    notes = evidence.notes_for(count)
    if body is not None and body.dropped_numbers:
        notes.append(f"summary: {body.dropped_numbers} sentences dropped for numbers not in the computed facts")
    if body is not None and body.dropped_names:
        notes.append(f"summary: {body.dropped_names} sentences dropped for names no text contains "
                     f"({', '.join(dict.fromkeys(body.names))})")
    if body is not None and body.dropped_competition:
        notes.append(f"summary: {body.dropped_competition} sentences on competitors dropped (no supported claim)")
    run.notes = [*run.notes, *notes]
    run.stats = {**(run.stats or {}), "facts": facts.as_dict(), "evidence": {
        **count.as_dict(), "summary_sentences_dropped": {
            "numbers": body.dropped_numbers if body else 0, "names": body.dropped_names if body else 0,
            "competitors": body.dropped_competition if body else 0,
            "unfinished": body.dropped_unfinished if body else 0}}}


def _report_findings(draft: ReportDraft) -> list:
    return [*draft.opportunities, *draft.product_ideas, *draft.competitors]


def _competitor_rows(settings: AnalysisSettings, rows: list) -> list[int]:
    names = [n.lower() for n in settings.competitors if n.strip()]
    return [i for i, row in enumerate(rows) if any(name in row[1].lower() for name in names)]


def _save(run: AnalysisRun, rows: list, results: list[_ThemeResult], analyses: list,
          snapshots: list[ThemeSnapshot], report: ReportDraft | None, outliers: set[int]) -> None:
    Insight.objects.filter(run=run).delete()  # a retried run replaces what an interrupted one wrote
    ThemeSnapshot.objects.filter(run=run).delete()
    insights: list[Insight] = []
    position = defaultdict(int)

    def add(kind: str, title: str, detail: str, evidence: list[int], theme: Theme | None = None, **data) -> None:
        insights.append(Insight(run=run, kind=kind, title=title[:200], detail=detail, evidence=evidence,
                                theme=theme, data=data, position=position[kind]))
        position[kind] += 1

    analysis_by_theme = {r.theme.pk: a for r, a in zip(results, analyses)}
    row_of_text = {row[0]: i for i, row in enumerate(rows)}
    labels_in_use: set[str] = set()
    for result in sorted(results, key=lambda r: -len(r.rows)):
        theme, analysis = result.theme, analysis_by_theme.get(result.theme.pk)
        theme.keywords = result.keywords
        theme.centroid = result.centroid.tolist()
        theme.status = ThemeStatus.ACTIVE
        if analysis is not None:
            theme.summary = analysis.summary
            if not theme.named_by_user:
                theme.label = _distinct_label(_short_label(analysis.label) or theme.label, result.keywords,
                                              labels_in_use)
        labels_in_use.add(theme.label.lower())
        if analysis is not None:
            for kind, findings in ((InsightKind.PAIN_POINT, analysis.pain_points),
                                   (InsightKind.FEATURE_REQUEST, analysis.feature_requests),
                                   (InsightKind.PRAISE, analysis.praise)):
                for f in findings:
                    if f.evidence:
                        add(kind, f.title, f.detail, f.evidence, theme)
        theme.save()
        _subthemes(run.workspace, theme, result, rows)
    for snap in snapshots:
        snap.label = snap.theme.label
    ThemeSnapshot.objects.bulk_create(snapshots)
    # The summary leads with computed facts under the themes' final names; the checked model text follows.
    facts = report_facts.ReportFacts.from_dict((run.stats or {}).get("facts", {}))
    summary = report_facts.compose(facts, {s.theme_id: s.label for s in snapshots}, report.summary if report else "")
    AnalysisRun.objects.filter(pk=run.pk).update(summary=summary)
    if report is not None:
        for f in report.opportunities:
            add(InsightKind.OPPORTUNITY, f.title, f.detail, f.evidence)
        for f in report.product_ideas:
            add(InsightKind.PRODUCT_IDEA, f.title, f.detail, f.evidence)
        for c in report.competitors:
            add(InsightKind.COMPETITOR, c.name, c.detail, c.evidence, competitor=c.name)
    _deterministic_insights(run, rows, snapshots, add, row_of_text)
    Insight.objects.bulk_create(insights)
    AnalysisRun.objects.filter(pk=run.pk).update(notes=run.notes,
                                                 stats={**(run.stats or {}), **_overall_stats(rows, results, outliers)})
    # Theme assignment of every text, in chunks (100k texts is 50 UPDATEs, not 100k).
    # A theme an analyst set by hand is kept: corrections survive re-runs.
    assignable = TextAnalysis.objects.filter(workspace=run.workspace).exclude(corrected_fields__contains=["theme"])
    assignable.exclude(theme=None).update(theme=None, subtheme=None)
    for result in results:
        ids = [rows[i][0] for i in result.rows]
        for start in range(0, len(ids), 2000):
            assignable.filter(text_id__in=ids[start:start + 2000]).update(theme=result.theme)
    Theme.objects.filter(workspace=run.workspace, parent__isnull=True, status=ThemeStatus.ACTIVE).exclude(
        pk__in=[r.theme.pk for r in results]).update(status=ThemeStatus.FADED)


def _short_label(label: str, limit: int = THEME_LABEL_MAX_CHARS) -> str:
    """Models sometimes answer a sentence where a label belongs: keep whole words up to the limit."""
    label = " ".join(label.split()).strip(" .:;")
    if len(label) <= limit:
        return label
    return label[:limit].rsplit(" ", 1)[0].rstrip(" ,;:-") + "…"


def _distinct_label(label: str, keywords: list[str], in_use: set[str]) -> str:
    """Two themes may get the same name from the model; the smaller one gets its most telling keyword."""
    if label.lower() not in in_use:
        return label
    for keyword in keywords:
        candidate = f"{label} ({keyword})"
        if keyword.lower() not in label.lower() and candidate.lower() not in in_use:
            return candidate
    return label


def _subthemes(workspace: Workspace, theme: Theme, result: _ThemeResult, rows: list) -> None:
    if len(result.rows) < SUBTHEME_MIN_SIZE:
        return
    member_ids = [rows[i][0] for i in result.rows]
    vectors = _vectors(workspace, theme.embedding_model, member_ids)
    clusters, _ = clustering.discover(vectors, [rows[i][1] for i in result.rows],
                                      k=min(4, max(2, len(result.rows) // 40)))
    children = list(theme.children.filter(centroid__isnull=False).order_by("pk"))
    matches = clustering.match_to_previous([c.centroid for c in clusters],
                                           [np.asarray(c.centroid, dtype=np.float32) for c in children])
    for index, cluster in enumerate(clusters):
        child = children[matches[index]] if index in matches else Theme(
            workspace=workspace, parent=theme, embedding_model=theme.embedding_model)
        if not child.named_by_user:
            child.label = " · ".join(cluster.keywords[:3]) or f"{theme.label} ({index + 1})"
        child.keywords, child.centroid, child.status = cluster.keywords, cluster.centroid.tolist(), ThemeStatus.ACTIVE
        child.save()
        ids = [member_ids[i] for i in cluster.members]
        for start in range(0, len(ids), 2000):
            TextAnalysis.objects.filter(text_id__in=ids[start:start + 2000]).update(subtheme=child)


def _deterministic_insights(run: AnalysisRun, rows: list, snapshots: list[ThemeSnapshot], add, row_of_text) -> None:
    """Trends the numbers show by themselves: emerging and fading themes, weekly spikes."""
    for snap in snapshots:
        if snap.change in ("emerging", "fading"):
            kind = InsightKind.EMERGING_THEME if snap.change == "emerging" else InsightKind.FADING_THEME
            add(kind, f"{snap.theme.label}: {snap.change}", f"{snap.size} texts, {snap.share:.0%} of all.",
                snap.quotes[:4], snap.theme)
        negative_by_week = {w: v["negative"] for w, v in snap.weekly.items()}
        for series, what in ((negative_by_week, "negative texts"),
                             ({w: v["count"] for w, v in snap.weekly.items()}, "texts")):
            for week, count, z in trends.spikes(series):
                evidence = [rows[i][0] for i in range(len(rows))
                            if rows[i][0] in set(snap.quotes)][:4] or snap.quotes[:4]
                add(InsightKind.ANOMALY, f"{snap.theme.label}: {count} {what} in {week}",
                    f"{z} standard deviations above the weeks before.", evidence, snap.theme, week=week,
                    count=count)
                break
    if run.previous_id:
        now = {s.theme_id for s in snapshots}
        for old in ThemeSnapshot.objects.filter(run_id=run.previous_id).exclude(theme_id__in=now):
            add(InsightKind.FADING_THEME, f"{old.label}: no longer found", "It was a theme in the previous run.",
                old.quotes[:4], old.theme)


def _overall_stats(rows: list, results: list[_ThemeResult], outliers: set[int]) -> dict:
    sentiments = [r[3] or "neutral" for r in rows]
    return {"texts": len(rows), "themes": len(results), "unassigned": len(outliers),
            "unassigned_share": round(len(outliers) / max(len(rows), 1), 3),
            "sentiment": trends.sentiment_split(sentiments),
            "weekly": trends.weekly([(r[2], r[3] or "neutral") for r in rows])}


def fail_run(run_id: int, error: str) -> None:
    run = AnalysisRun.objects.filter(pk=run_id).first()
    if run is None:
        return
    AnalysisRun.objects.filter(pk=run_id).update(status="failed", finished_at=timezone.now())
    jobs.fail(run.job_id, error)


def sync_run_status() -> None:
    """Runs whose job failed (e.g. an LLM error ended the task) are marked failed too."""
    failed_jobs = Job.objects.filter(kind="analysis", status=JobStatus.FAILED).values_list("pk", flat=True)
    AnalysisRun.objects.filter(job_id__in=failed_jobs, status__in=("queued", "running")).update(status="failed")


# --- theme edits (they survive re-runs: runs match clusters to themes by centroid) -------------------------

def _editable(ctx: WorkspaceContext, theme_id: int) -> Theme:
    ctx.require(ANALYZE)
    theme = Theme.objects.filter(workspace=ctx.workspace, pk=theme_id).first()
    if theme is None:
        raise NotFound("No such theme in this workspace.")
    return theme


def rename_theme(ctx: WorkspaceContext, theme_id: int, label: str) -> Theme:
    theme = _editable(ctx, theme_id)
    label = label.strip()
    if not 1 <= len(label) <= 120:
        raise InvalidRequest("A theme name needs 1 to 120 characters.")
    theme.label, theme.named_by_user = label, True
    theme.save(update_fields=["label", "named_by_user", "updated_at"])
    ThemeSnapshot.objects.filter(theme=theme).update(label=label)
    return theme


@transaction.atomic
def merge_themes(ctx: WorkspaceContext, source_id: int, target_id: int) -> Theme:
    source, target = _editable(ctx, source_id), _editable(ctx, target_id)
    if source.pk == target.pk:
        raise InvalidRequest("Choose two different themes to merge.")
    source.status, source.merged_into = ThemeStatus.MERGED, target
    source.save(update_fields=["status", "merged_into", "updated_at"])
    TextAnalysis.objects.filter(theme=source).update(theme=target, subtheme=None)
    return target


@transaction.atomic
def delete_theme(ctx: WorkspaceContext, theme_id: int) -> None:
    theme = _editable(ctx, theme_id)
    theme.status = ThemeStatus.DELETED
    theme.save(update_fields=["status", "updated_at"])
    TextAnalysis.objects.filter(theme=theme).update(theme=None, subtheme=None)


@transaction.atomic
def split_theme(ctx: WorkspaceContext, theme_id: int) -> list[Theme]:
    """Split a theme's texts in two by their embeddings; the theme keeps the larger half."""
    theme = _editable(ctx, theme_id)
    rows = list(TextAnalysis.objects.filter(theme=theme).values_list("text_id", "text__text"))
    if len(rows) < 4:
        raise InvalidRequest("This theme has too few texts to split.")
    ids = [r[0] for r in rows]
    vectors = _vectors(ctx.workspace, theme.embedding_model, ids)
    clusters, _ = clustering.discover(vectors, [r[1] for r in rows], k=2)
    clusters.sort(key=lambda c: -len(c.members))
    theme.centroid, theme.keywords = clusters[0].centroid.tolist(), clusters[0].keywords
    theme.save(update_fields=["centroid", "keywords", "updated_at"])
    other = Theme.objects.create(workspace=ctx.workspace, label=" · ".join(clusters[1].keywords[:3]) or
                                 f"{theme.label} (split)", keywords=clusters[1].keywords,
                                 centroid=clusters[1].centroid.tolist(), embedding_model=theme.embedding_model)
    TextAnalysis.objects.filter(text_id__in=[ids[i] for i in clusters[1].members]).update(theme=other, subtheme=None)
    return [theme, other]


def update_settings(ctx: WorkspaceContext, *, product_context: str | None = None,
                    competitors: list[str] | None = None, frequency: str | None = None) -> AnalysisSettings:
    """Analysis settings; the schedule is kept as a django-celery-beat row that this function (re)writes."""
    from django_celery_beat.models import CrontabSchedule, PeriodicTask

    ctx.require(ANALYZE)
    settings = settings_for(ctx.workspace)
    if product_context is not None:
        if len(product_context) > 400:
            raise InvalidRequest("Keep the product context under 400 characters.")
        settings.product_context = product_context.strip()
    if competitors is not None:
        settings.competitors = sorted({c.strip()[:60] for c in competitors if c.strip()})[:20]
    if frequency is not None:
        if frequency not in ("", "daily", "weekly"):
            raise InvalidRequest("frequency must be daily, weekly, or empty for no schedule.")
        settings.frequency = frequency
        with transaction.atomic():
            if settings.periodic_task_id:
                PeriodicTask.objects.filter(pk=settings.periodic_task_id).delete()
                settings.periodic_task = None
            if frequency:
                crontab, _ = CrontabSchedule.objects.get_or_create(
                    minute="15", hour="3", day_of_week="*" if frequency == "daily" else "1",
                    day_of_month="*", month_of_year="*")
                settings.periodic_task = PeriodicTask.objects.create(
                    name=f"analysis of workspace {ctx.workspace.pk}", crontab=crontab,
                    task="apps.insights.tasks.run_scheduled_analysis", args=f"[{ctx.workspace.pk}]", queue="llm")
    settings.save()
    return settings

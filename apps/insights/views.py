"""Insight pages: the report (latest or a given version), theme editing, analysis settings."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django_htmx.http import HttpResponseClientRefresh

from apps.accounts.context import WorkspaceContext
from apps.accounts.permissions import ANALYZE
from apps.accounts.web import workspace_required
from apps.core.health import paused_work
from apps.jobs.selectors import queue_place, retryable_ids
from apps.moderation.selectors import analysable_texts

from . import selectors, services
from .models import AnalysisRun


def _shown_run(ctx: WorkspaceContext, analysis_id: int | None) -> AnalysisRun | None:
    run = selectors.get_run(ctx.workspace, analysis_id) if analysis_id else selectors.latest_run(ctx.workspace)
    if analysis_id and run is None:
        raise Http404("No such analysis in this workspace.")
    return run


def _live_card(ctx: WorkspaceContext, run: AnalysisRun | None, analysis_id: int | None) -> dict:
    """The page's first card: the report's title and summary, and the analysis at work (or the last one, failed)
    with its progress. While one is queued or running, htmx asks `live` for the card every 2 s."""
    runs = selectors.runs(ctx.workspace, 10)
    running = selectors.running_analysis(ctx.workspace)
    failed = runs[0] if runs and runs[0].status == "failed" and running is None else None
    live_url = reverse("insights:run_live", args=[analysis_id]) if analysis_id else reverse("insights:live")
    return {"run": run, "runs": runs, "running": running, "failed": failed, "can_analyze": ctx.can(ANALYZE),
            "retryable": retryable_ids(ctx, [failed.job]) if failed else set(),
            "job_queue": queue_place(running.job) if running else None,
            "job_waiting_on": paused_work() if running else "",
            "live_url": f"{live_url}?report={run.pk if run else ''}"}


@workspace_required()
def report(request: HttpRequest, analysis_id: int | None = None) -> HttpResponse:
    ctx = request.workspace_ctx
    run = _shown_run(ctx, analysis_id)
    items = selectors.insights(run) if run else []
    snaps = selectors.snapshots(run) if run else []
    texts = selectors.evidence_texts(ctx.workspace, [*items, *snaps]) if run else {}
    grouped: dict[str, list] = {}
    for item in items:
        grouped.setdefault(item.kind, []).append(
            {"insight": item, "quotes": [texts[i] for i in item.evidence if i in texts]})
    return render(request, "insights/report.html", {
        **_live_card(ctx, run, analysis_id),
        "snapshots": [{"snap": s, "quotes": [texts[i] for i in s.quotes if i in texts][:3]} for s in snaps],
        "grouped": grouped, "settings": services.settings_for(ctx.workspace),
        "chart": selectors.dashboard_series(analysable_texts(ctx.workspace)),
        "themes": list(selectors.themes(ctx.workspace)),
        "print_mode": request.GET.get("print") == "1",
    })


@workspace_required()
def live(request: HttpRequest, analysis_id: int | None = None) -> HttpResponse:
    """The first card again (with the list of versions, out of band), for htmx: when an analysis is started on
    the page, and every 2 s while one runs. On the latest report's page, once a newer report than the one shown
    exists, the whole page is reloaded instead (HX-Refresh): its charts, themes and insights all change."""
    ctx = request.workspace_ctx
    run = _shown_run(ctx, analysis_id)
    shown = request.GET.get("report", "")
    if analysis_id is None and run is not None and shown != str(run.pk):
        return HttpResponseClientRefresh()
    return render(request, "insights/_live.html", {**_live_card(ctx, run, analysis_id), "oob": True})

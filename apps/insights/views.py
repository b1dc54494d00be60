"""Insight pages: the report (latest or a given version), theme editing, analysis settings."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from apps.accounts.permissions import ANALYZE
from apps.accounts.web import workspace_required
from apps.moderation.selectors import analysable_texts

from . import selectors, services


@workspace_required()
def report(request: HttpRequest, analysis_id: int | None = None) -> HttpResponse:
    ctx = request.workspace_ctx
    run = selectors.get_run(ctx.workspace, analysis_id) if analysis_id else selectors.latest_run(ctx.workspace)
    if analysis_id and run is None:
        raise Http404("No such analysis in this workspace.")
    items = selectors.insights(run) if run else []
    snaps = selectors.snapshots(run) if run else []
    texts = selectors.evidence_texts(ctx.workspace, [*items, *snaps]) if run else {}
    grouped: dict[str, list] = {}
    for item in items:
        grouped.setdefault(item.kind, []).append(
            {"insight": item, "quotes": [texts[i] for i in item.evidence if i in texts]})
    return render(request, "insights/report.html", {
        "run": run, "snapshots": [{"snap": s, "quotes": [texts[i] for i in s.quotes if i in texts][:3]}
                                  for s in snaps],
        "grouped": grouped, "runs": selectors.runs(ctx.workspace, 10),
        "settings": services.settings_for(ctx.workspace), "can_analyze": ctx.can(ANALYZE),
        "chart": selectors.dashboard_series(analysable_texts(ctx.workspace)),
        "themes": list(selectors.themes(ctx.workspace)),
        "print_mode": request.GET.get("print") == "1",
    })

from __future__ import annotations

import csv
import io
from typing import Any
from uuid import UUID

from django.http import HttpRequest, HttpResponse
from ninja import Router, Schema
from ninja.errors import HttpError

from apps.core.csv import csv_safe

from . import corrections, selectors, services
from .models import AnalysisRun

router = Router(tags=["insights"])


class AnalysisAccepted(Schema):
    job_id: UUID
    analysis_id: int


class ThemeEdit(Schema):
    label: str


class CorrectionIn(Schema):
    sentiment: str | None = None
    intent: str | None = None
    theme_id: int | None = None


class MergeIn(Schema):
    into: int


class SettingsIn(Schema):
    product_context: str | None = None
    competitors: list[str] | None = None
    frequency: str | None = None


def analysis_out(run: AnalysisRun) -> dict[str, Any]:
    snaps = selectors.snapshots(run)
    items = selectors.insights(run)
    return {
        "id": run.pk, "version": run.version, "status": run.status, "trigger": run.trigger,
        "created_at": run.created_at, "finished_at": run.finished_at, "job_id": str(run.job_id),
        "summary": run.summary, "text_count": run.text_count, "new_text_count": run.new_text_count,
        "llm_calls": run.llm_calls, "notes": run.notes, "stats": run.stats,
        "themes": [{
            "id": s.theme_id, "label": s.label, "size": s.size, "share": s.share, "trend": s.change,
            "keywords": s.theme.keywords, "summary": s.theme.summary,
            "sentiment": {"positive": s.positive, "neutral": s.neutral, "negative": s.negative,
                          "net": s.net_sentiment},
            "weekly": s.weekly, "evidence": s.quotes,
        } for s in snaps],
        "insights": [{"kind": i.kind, "title": i.title, "detail": i.detail, "evidence": i.evidence,
                      "theme": i.theme_id, "data": i.data} for i in items],
    }


@router.post("/analyses", response={202: AnalysisAccepted, 409: dict})
def start(request: HttpRequest):
    run = services.start_analysis(request.auth, trigger="api")  # AnalysisAlreadyRunning: 409 naming the running one
    return 202, {"job_id": run.job_id, "analysis_id": run.pk}


@router.get("/analyses")
def list_runs(request: HttpRequest):
    return {"results": [{"id": r.pk, "version": r.version, "status": r.status, "created_at": r.created_at,
                         "job_id": str(r.job_id), "text_count": r.text_count}
                        for r in selectors.runs(request.auth.workspace)]}


@router.get("/analyses/{analysis_id}")
def detail(request: HttpRequest, analysis_id: int):
    run = selectors.get_run(request.auth.workspace, analysis_id)
    if run is None:
        raise HttpError(404, "No such analysis in this workspace.")
    return analysis_out(run)


def _safe_cells(cells: list[object]) -> list[object]:
    """Text cells (model-written titles, customers' quotes) through `csv_safe`; numbers stay numbers."""
    return [csv_safe(c) if isinstance(c, str) else c for c in cells]


@router.get("/analyses/{analysis_id}/export.csv")
def export_csv(request: HttpRequest, analysis_id: int):
    run = selectors.get_run(request.auth.workspace, analysis_id)
    if run is None:
        raise HttpError(404, "No such analysis in this workspace.")
    texts = selectors.evidence_texts(request.auth.workspace, selectors.insights(run))
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["section", "kind", "title", "detail", "size", "net_sentiment", "evidence_ids", "evidence_quotes"])
    writer.writerow(_safe_cells(["summary", "", f"Analysis v{run.version}", run.summary, run.text_count, "", "", ""]))
    for s in selectors.snapshots(run):
        writer.writerow(_safe_cells(["theme", s.change, s.label, s.theme.summary, s.size, s.net_sentiment,
                                     " ".join(map(str, s.quotes)), ""]))
    for i in selectors.insights(run):
        # Quotes stay in the customer's language; the tag says which (a reader can translate a text on its page).
        quotes = " | ".join(f"[{texts[t].language}] {texts[t].text[:200]}" if texts[t].language else texts[t].text[:200]
                            for t in i.evidence if t in texts)
        writer.writerow(_safe_cells(["insight", i.kind, i.title, i.detail, "", "", " ".join(map(str, i.evidence)),
                                     quotes]))
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="murmur-analysis-v{run.version}.csv"'
    response.write("\ufeff")  # Excel reads UTF-8 (Chinese quotes) only with a BOM
    for line in buffer.getvalue().splitlines(keepends=True):
        response.write(line)
    return response


@router.get("/themes")
def list_themes(request: HttpRequest):
    return {"results": [{"id": t.pk, "label": t.label, "keywords": t.keywords, "summary": t.summary,
                         "named_by_user": t.named_by_user} for t in selectors.themes(request.auth.workspace)]}


@router.post("/texts/{text_id}/correction")
def correct_text(request: HttpRequest, text_id: int, payload: CorrectionIn):
    """An analyst's correction of a text's sentiment, intent or theme: kept across re-runs, and ground truth
    for this workspace's sentiment classifier."""
    corrections.correct_text(request.auth, text_id, **payload.dict())
    return selectors.text_signals(request.auth.workspace, [text_id])[text_id]


@router.patch("/themes/{theme_id}")
def rename(request: HttpRequest, theme_id: int, payload: ThemeEdit):
    theme = services.rename_theme(request.auth, theme_id, payload.label)
    return {"id": theme.pk, "label": theme.label}


@router.post("/themes/{theme_id}/merge")
def merge(request: HttpRequest, theme_id: int, payload: MergeIn):
    target = services.merge_themes(request.auth, theme_id, payload.into)
    return {"id": target.pk, "label": target.label}


@router.post("/themes/{theme_id}/split")
def split(request: HttpRequest, theme_id: int):
    themes = services.split_theme(request.auth, theme_id)
    return {"results": [{"id": t.pk, "label": t.label} for t in themes]}


@router.delete("/themes/{theme_id}")
def delete(request: HttpRequest, theme_id: int):
    services.delete_theme(request.auth, theme_id)
    return {"deleted": theme_id}


@router.put("/analysis-settings")
def put_settings(request: HttpRequest, payload: SettingsIn):
    settings = services.update_settings(request.auth, **payload.dict())
    return {"product_context": settings.product_context, "competitors": settings.competitors,
            "frequency": settings.frequency}



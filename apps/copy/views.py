"""Copy studio pages: the studio (brief, brand voice, requests, ideas), a request with its variants side by
side, and an idea set. Thin: actions go through the JSON API from static/js/copy.js; the requests table is a
partial that htmx asks for again while copy is being written (`requests_table`)."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from apps.accounts.context import WorkspaceContext
from apps.accounts.permissions import ANALYZE, MANAGE
from apps.accounts.web import workspace_required
from apps.corpus.selectors import texts_by_ids
from apps.insights import selectors as insights
from apps.jobs.selectors import retryable_ids

from . import selectors
from .models import LOCALES, Channel, CopyStatus, Length, ReadingLevel


def _requests(ctx: WorkspaceContext) -> dict:
    requests = selectors.copy_requests(ctx.workspace)
    return {"requests": requests, "can_write": ctx.can(ANALYZE),
            "writing": any(r.status in (CopyStatus.QUEUED, CopyStatus.RUNNING) for r in requests)}


@workspace_required()
def studio(request: HttpRequest) -> HttpResponse:
    ctx = request.workspace_ctx
    idea_set = selectors.latest_idea_set(ctx.workspace)
    return render(request, "copy/studio.html", {
        "voice": selectors.brand_voice(ctx.workspace), **_requests(ctx),
        "can_write": ctx.can(ANALYZE), "can_manage": ctx.can(MANAGE), "channels": Channel.choices,
        "lengths": Length.choices, "locales": [(code, desc) for code, (_, desc) in LOCALES.items()],
        "reading_levels": ReadingLevel.choices, "sliders": ("formality", "playfulness", "enthusiasm"),
        "idea_set": idea_set, "has_analysis": insights.latest_run(ctx.workspace) is not None,
    })


@workspace_required()
def requests_table(request: HttpRequest) -> HttpResponse:
    """The studio's "Copy requests" table, for htmx: when a job starts on the page (a brief was sent), and every
    2 s while a request is queued or being written."""
    return render(request, "copy/_requests.html", _requests(request.workspace_ctx))


@workspace_required()
def request_detail(request: HttpRequest, copy_id: int) -> HttpResponse:
    ctx = request.workspace_ctx
    copy_request = selectors.get_copy_request(ctx.workspace, copy_id)
    if copy_request is None:
        raise Http404("No such copy request in this workspace.")
    items = selectors.variants(copy_request)
    texts = selectors.source_texts(ctx.workspace, items)
    return render(request, "copy/request.html", {
        "req": copy_request, "variants": [selectors.variant_view(v, texts) for v in items],
        "quotes": (copy_request.grounding or {}).get("quotes", []),
        "themes": (copy_request.grounding or {}).get("themes", []), "can_write": ctx.can(ANALYZE),
        "retryable": retryable_ids(ctx, [copy_request.job]),
    })


@workspace_required()
def ideas(request: HttpRequest, idea_set_id: int) -> HttpResponse:
    ctx = request.workspace_ctx
    idea_set = selectors.get_idea_set(ctx.workspace, idea_set_id)
    if idea_set is None:
        raise Http404("No such idea set in this workspace.")
    rows = list(idea_set.ideas.all())
    texts = texts_by_ids(ctx.workspace, sorted({i for idea in rows for i in idea.evidence}))
    grouped: dict[str, list] = {}
    for idea in rows:
        grouped.setdefault(idea.get_kind_display(), []).append(
            {"idea": idea, "quotes": [texts[i] for i in idea.evidence if i in texts]})
    return render(request, "copy/ideas.html", {"idea_set": idea_set, "grouped": grouped,
                                               "can_write": ctx.can(ANALYZE),
                                               "retryable": retryable_ids(ctx, [idea_set.job])})

"""Browser pages. Thin: each view resolves the workspace, calls selectors, renders a template.
Actions (upload, test the model) go through the JSON API from static/js/app.js; the parts of a page that change
while work runs are partials that htmx asks for again (`job_progress`, `home_live`)."""

from __future__ import annotations

import sys
from datetime import date
from uuid import UUID

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.paginator import Paginator
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.views.decorators.http import require_POST
from django_htmx.http import trigger_client_event

from apps.accounts.context import PermissionDenied
from apps.accounts.permissions import ANALYZE, MANAGE, VIEW_ORIGINALS
from apps.accounts.selectors import context_for_token, context_for_user, memberships_of
from apps.accounts.web import SESSION_WORKSPACE_KEY, workspace_required
from apps.core.errors import InvalidRequest, NotFound
from apps.core.health import paused_work
from apps.corpus import selectors as corpus
from apps.corpus.models import CustomerText, ModerationStatus
from apps.corpus.redaction import KINDS as REDACTED_KINDS  # labels in words: singular, plural
from apps.corpus.signals import originals_viewed
from apps.embeddings import backends as embeddings
from apps.embeddings.services import start_reembedding
from apps.insights import selectors as insights
from apps.insights.corrections import correct_text
from apps.insights.models import Intent, Sentiment
from apps.jobs import services as jobs
from apps.jobs.models import Job
from apps.jobs.selectors import get_job, queue_place, recent_jobs, retryable_ids
from apps.llm import selectors as llm
from apps.moderation import selectors as moderation_selectors
from apps.search.selectors import more_like_this
from apps.search.selectors import search as search_texts

from .context_processors import llm_banner_text
from .health import cached_component_health, cached_llm_health


def _sees_health_detail(request: HttpRequest) -> bool:
    """Owners (by session or Bearer token) and superusers; while the database is down, nobody."""
    try:
        if request.user.is_authenticated and request.user.is_superuser:
            return True
        ctx = context_for_user(request.user, request.session.get(SESSION_WORKSPACE_KEY))
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if ctx is None and scheme.lower() == "bearer" and token.strip():
            ctx = context_for_token(token.strip())
    except (OperationalError, InterfaceError):
        return False
    return ctx is not None and ctx.can(MANAGE)


def healthz(request: HttpRequest) -> JsonResponse:
    """Anyone gets the overall status and each component's up/down; only owners get the details (server URLs,
    model names, worker layout)."""
    components = cached_component_health()
    healthy = all(c["ok"] for c in components.values())
    detail = _sees_health_detail(request)
    body = {"status": "ok" if healthy else "degraded",
            # `state` is up/down for every caller (the LLM check's own ready/loading/down is in its detail)
            "components": {name: {**(c if detail else {}), "state": "up" if c["ok"] else "down"}
                           for name, c in components.items()}}
    return JsonResponse(body, status=200 if healthy else 503)


def _filters_from(request: HttpRequest) -> corpus.TextFilters:
    """The list filters of a page's query string. Hidden and rejected texts stay out unless "include hidden" is
    ticked (or that moderation status is chosen) by a role that may see them; viewers never get them. Raises
    ValueError on a malformed date or an unknown moderation status."""
    def value(name: str) -> str | None:
        return request.GET.get(name) or None

    def day(name: str) -> date | None:
        return date.fromisoformat(value(name)) if value(name) else None

    rating, moderation = value("rating"), value("moderation")
    if moderation and moderation not in ModerationStatus.values:
        raise ValueError(moderation)
    wants_hidden = bool(value("include_hidden")) or moderation in corpus.HIDDEN_STATUSES
    return corpus.TextFilters(
        date_from=day("date_from"), date_to=day("date_to"),
        rating=int(rating) if rating and rating.isdigit() else None,
        source=value("source"), language=value("language"), product=value("product"), moderation=moderation,
        include_hidden=wants_hidden and corpus.sees_hidden(request.workspace_ctx),
    )


# What a list shows when its filters were not valid: every text but hidden ones.
LISTING_DEFAULTS = corpus.TextFilters(include_hidden=False)


# How a text's sentiment was decided, in words (TextAnalysis.sentiment_method).
SENTIMENT_METHODS = {
    "classifier": "the sentiment classifier", "rating": "the star rating",
    "rating+text": "the star rating and the text",
    "corrected": "an analyst's correction", "llm": "the language model",
    "classifier+llm": "the sentiment classifier, confirmed by the language model",
}


def redaction_summary(counts: dict[str, int]) -> str:
    """"2 names, 1 email address"; "" when nothing was redacted (an import may store zero counts)."""
    parts = []
    for label, n in (counts or {}).items():
        if not isinstance(n, int) or n <= 0:
            continue
        one, many = REDACTED_KINDS.get(label, (label.lower(), label.lower() + "s"))
        parts.append(f"{n} {one if n == 1 else many}")
    return ", ".join(parts)


def _workspace_texts(ws) -> dict:
    """The dashboard's count and latest texts (hidden ones left out of the list for every role), and whether an
    import is at work: then the partial asks again every 2 s, as the count grows."""
    count, _ = corpus.list_texts(ws, corpus.TextFilters(), limit=1, offset=0)
    _, latest = corpus.list_texts(ws, corpus.TextFilters(include_hidden=False), limit=8, offset=0)
    importing = any(not i.job.is_finished for i in corpus.recent_imports(ws, 5))
    return {"text_count": count, "latest": latest, "importing": importing}


def _voice_and_jobs(request: HttpRequest, *, flash: bool = True) -> dict:
    """The dashboard's charts (under the page's filters) and its jobs: the page shows them, and the refresh
    partial swaps them in again when a job starts or ends, so an upload's texts reach the charts and its job the
    list without a reload. `flash=False` for the partial: a bad filter is said once, by the page."""
    ws = request.workspace_ctx.workspace
    try:
        filters = _filters_from(request)
        chart = insights.dashboard_series(filters.apply(moderation_selectors.analysable_texts(ws)))
    except Exception:  # a malformed date in the query string
        if flash:
            messages.error(request, "Some filters were not valid and were ignored.")
        chart = insights.dashboard_series(moderation_selectors.analysable_texts(ws))
    recent = recent_jobs(ws, 8)
    return {"chart": chart, "jobs": recent, "retryable": retryable_ids(request.workspace_ctx, recent),
            "analysis_running": insights.running_analysis(ws), "query": request.GET.urlencode()}


@workspace_required()
def home(request: HttpRequest) -> HttpResponse:
    ws = request.workspace_ctx.workspace
    run = insights.latest_run(ws)
    top = [i for i in insights.insights(run) if i.kind in ("pain_point", "feature_request", "opportunity")][:6] \
        if run else []
    return render(request, "dashboard/home.html", {
        **_workspace_texts(ws), **_voice_and_jobs(request), "imports": corpus.recent_imports(ws),
        "memberships": memberships_of(request.user), "run": run, "top_insights": top,
        "choices": corpus.filter_choices(ws),
    })


@workspace_required()
def home_live(request: HttpRequest) -> HttpResponse:
    """The dashboard's text count, with "Latest texts" swapped in beside it (out of band): htmx asks every 2 s
    while an import is at work. Only these two: the charts and the jobs list wait for the job's end."""
    return render(request, "dashboard/_home_live.html",
                  {**_workspace_texts(request.workspace_ctx.workspace), "query": request.GET.urlencode()})


@workspace_required()
def home_refresh(request: HttpRequest) -> HttpResponse:
    """Every live part of the dashboard (count, latest texts, charts, jobs), each swapped in out of band: htmx
    asks when a job starts or ends on the page (an upload). It is asked with the page's filters, so the charts
    stay filtered."""
    return render(request, "dashboard/_home_refresh.html",
                  {**_workspace_texts(request.workspace_ctx.workspace), **_voice_and_jobs(request, flash=False)})


@workspace_required()
def texts(request: HttpRequest) -> HttpResponse:
    ctx = request.workspace_ctx
    ws = ctx.workspace
    params = {name: request.GET.get(name, "") for name in insights.ANALYSIS_FILTERS}
    try:
        filters = _filters_from(request)
        qs = insights.filter_by_analysis(filters.apply(corpus.live_texts(ws)), params)
    except (ValueError, InvalidRequest):  # a malformed date, an unknown sentiment, a week that is no week
        messages.error(request, "Some filters were not valid and were ignored.")
        filters, params = LISTING_DEFAULTS, {}
        qs = filters.apply(corpus.live_texts(ws))
    page = Paginator(qs.order_by("-posted_at", "-id"), 50).get_page(request.GET.get("page"))
    signals = insights.text_signals(ws, [t.pk for t in page])
    for text in page:
        text.signals = signals.get(text.pk)
    query = request.GET.copy()
    query.pop("page", None)
    theme_id = params.get("theme", "")
    theme = insights.get_theme(ws, int(theme_id)) if theme_id.isdigit() else None
    themes = list(insights.themes(ws))
    if theme and theme not in themes:  # a sub-theme or an older theme, from a chart or a report
        themes.append(theme)
    return render(request, "dashboard/texts.html", {
        "page": page, "filters": filters, "choices": corpus.filter_choices(ws), "query": query.urlencode(),
        "theme": theme, "themes": themes, "sentiments": Sentiment.values, "intents": Intent.values,
        "statuses": ModerationStatus.values, "sees_hidden": corpus.sees_hidden(ctx),
    })


@workspace_required()
def text_detail(request: HttpRequest, text_id: int) -> HttpResponse:
    ws = request.workspace_ctx.workspace
    text = corpus.get_text(ws, text_id)
    if text is None:
        raise Http404("No such text in this workspace.")
    show_original = request.workspace_ctx.can(VIEW_ORIGINALS)
    if show_original:  # the page carries the original: on the privacy audit log
        originals_viewed.send(sender=CustomerText, workspace_id=ws.pk, user=request.user, text_ids=[text.pk],
                              channel="page")
    similar = [hit for hit in more_like_this(ws, text_id, 8) or []
               if hit.text.moderation_status not in corpus.HIDDEN_STATUSES]  # a list: hidden texts stay out
    signals = insights.text_signals(ws, [text.pk]).get(text.pk)
    return render(request, "dashboard/text_detail.html", {
        "text": text, "similar": similar, "show_original": show_original, "signals": signals,
        "method": SENTIMENT_METHODS.get(signals["sentiment"]["method"], signals["sentiment"]["method"])
        if signals else None,
        "redacted": redaction_summary(text.redactions),
        "can_correct": request.workspace_ctx.can(ANALYZE), "themes": list(insights.themes(ws)),
        "sentiments": Sentiment.values, "intents": Intent.values,
    })


@workspace_required()
@require_POST
def text_correct(request: HttpRequest, text_id: int) -> HttpResponse:
    """The correction form on the text page: only the fields the analyst changed are corrected."""
    theme = request.POST.get("theme_id", "")
    changes = {"sentiment": request.POST.get("sentiment") or None, "intent": request.POST.get("intent") or None,
               "theme_id": int(theme) if theme.isdigit() else None}
    current = insights.text_signals(request.workspace_ctx.workspace, [text_id]).get(text_id) or {}
    if changes["sentiment"] == current.get("sentiment", {}).get("label"):
        changes["sentiment"] = None
    if changes["intent"] == current.get("intent"):
        changes["intent"] = None
    if changes["theme_id"] in [t["id"] for t in current.get("themes", [])[:1]]:
        changes["theme_id"] = None
    try:
        if any(v is not None for v in changes.values()):
            correct_text(request.workspace_ctx, text_id, **changes)
            messages.success(request, "Correction saved: it stays across re-runs and teaches this workspace's "
                                      "sentiment classifier.")
        else:
            messages.info(request, "Nothing changed.")
    except (InvalidRequest, NotFound) as exc:
        messages.error(request, str(exc))
    return redirect("dashboard:text", text_id=text_id)


@workspace_required()
def search(request: HttpRequest) -> HttpResponse:
    ws = request.workspace_ctx.workspace
    query = request.GET.get("q", "")[:1000]
    try:
        filters = _filters_from(request)
    except ValueError:
        messages.error(request, "Some filters were not valid and were ignored.")
        filters = LISTING_DEFAULTS
    include_weaker = request.GET.get("weaker") == "1"
    result = search_texts(ws, query, 20, filters, include_weaker=include_weaker) if query.strip() else None
    params = request.GET.copy()
    params["weaker"] = "1"
    weaker_url = params.urlencode()
    params.pop("weaker")
    return render(request, "dashboard/search.html", {"query": query, "hits": result.hits if result else [],
                                                     "weaker": result.weaker if result else 0,
                                                     "include_weaker": include_weaker, "weaker_url": weaker_url,
                                                     "stronger_url": params.urlencode(),
                                                     "choices": corpus.filter_choices(ws),
                                                     "sees_hidden": corpus.sees_hidden(request.workspace_ctx)})


@workspace_required()
def job_detail(request: HttpRequest, job_id: UUID) -> HttpResponse:
    job = get_job(request.workspace_ctx.workspace, job_id)
    if job is None:
        raise Http404("No such job in this workspace.")
    return render(request, "dashboard/job.html", {"job": job, **_job_extras(job),
                                                  "retryable": retryable_ids(request.workspace_ctx, [job])})


def _job_extras(job: Job) -> dict:
    """What a job's box says beyond its row: a waiting LLM job's place in line, why an unfinished job is not
    moving (the broker is down)."""
    return {"job_queue": queue_place(job), "job_waiting_on": "" if job.is_finished else paused_work()}


@workspace_required()
def job_progress(request: HttpRequest, job_id: UUID) -> HttpResponse:
    """A job's box (components/_job_progress.html), which htmx asks for every second while the job is unfinished.
    Once it has ended, the page hears of it: the `murmur:job-ended` event (after the swap) carries what the
    scripts waiting on it read (app.js passes it on as `murmur:job-finished`)."""
    job = get_job(request.workspace_ctx.workspace, job_id)
    if job is None:
        raise Http404("No such job in this workspace.")
    response = render(request, "components/_job_progress.html", {
        "job": job, **_job_extras(job), "retryable": retryable_ids(request.workspace_ctx, [job])})
    if job.is_finished and request.htmx:
        trigger_client_event(response, "murmur:job-ended", {"job": {
            "id": job.pk, "kind": job.kind, "status": job.status, "percent": job.percent, "message": job.message,
            "result": job.result}}, after="settle")
    return response


@require_POST
@workspace_required()
def job_retry(request: HttpRequest, job_id: UUID) -> HttpResponse:
    """The Retry button of a failed job (on its page and in lists of jobs); back to the job's page."""
    ctx = request.workspace_ctx
    job = get_job(ctx.workspace, job_id)
    if job is None:
        raise Http404("No such job in this workspace.")
    try:
        job = jobs.retry(ctx, job)
    except PermissionDenied as exc:
        raise DjangoPermissionDenied(str(exc)) from exc
    except jobs.NotRetryable as exc:
        messages.error(request, str(exc))
    else:
        if job.status == "failed":  # it could not even be queued: the job's error says why
            messages.error(request, "The job could not be started again.")
        else:
            messages.success(request, "The job was queued again.")
    return redirect("dashboard:job", job_id=job.pk)


@workspace_required()
def status(request: HttpRequest) -> HttpResponse:
    ctx = request.workspace_ctx
    return render(request, "dashboard/status.html", {
        "components": cached_component_health(), "llm_model": settings.MURMUR_LLM_MODEL,
        "embedding_model": embeddings.spec(ctx.workspace.embedding_model),
        "default_embedding_model": settings.MURMUR_DEFAULT_EMBEDDING_MODEL,
        "usage": llm.usage_by_feature(ctx.workspace) if ctx.can(MANAGE) else None,
        "budget": llm.budget_state(ctx.workspace) if ctx.can(MANAGE) else None,
    })


@workspace_required()
def llm_status(request: HttpRequest) -> JsonResponse:
    """The banner's sentence for pages open while the model loads (app.js asks every few seconds and removes
    the banner once `ready`): the cached check, never a call to the model servers of its own."""
    llm = cached_llm_health()
    return JsonResponse({"ready": bool(llm.get("ok")), "state": llm.get("state", "down"),
                         "banner": llm_banner_text(llm)})


@workspace_required(MANAGE)
def workspace_settings(request: HttpRequest) -> HttpResponse:
    ctx = request.workspace_ctx
    if request.method == "POST":
        model = request.POST.get("embedding_model", "")
        if model not in embeddings.MODELS:
            messages.error(request, "Choose one of the listed embedding models.")
        elif model == ctx.workspace.embedding_model:
            messages.info(request, "That model is already in use.")
        else:
            job = start_reembedding(ctx, model)
            messages.success(request, "Re-embedding started; search keeps using the current model until it ends.")
            return redirect("dashboard:job", job_id=job.pk)
    return render(request, "dashboard/settings.html", {"models": embeddings.MODELS.values()})


@require_POST
@workspace_required()
def switch_workspace(request: HttpRequest) -> HttpResponse:
    wanted = request.POST.get("workspace_id", "")
    if wanted.isdigit() and any(m.workspace_id == int(wanted) for m in memberships_of(request.user)):
        request.session[SESSION_WORKSPACE_KEY] = int(wanted)
    return redirect("dashboard:home")


def forbidden(request: HttpRequest, exception=None) -> HttpResponse:
    message = str(exception) if exception and str(exception) else "You do not have access to this page."
    return render(request, "errors/error.html", {"title": "Forbidden", "message": message}, status=403)


def not_found(request: HttpRequest, exception=None) -> HttpResponse:
    return render(request, "errors/error.html", {"title": "Not found", "message": "That page does not exist."},
                  status=404)


DATABASE_DOWN = "The database is not reachable right now. Nothing was lost; try again in a minute."


def server_error(request: HttpRequest) -> HttpResponse:
    if isinstance(sys.exc_info()[1], (OperationalError, InterfaceError)):
        return database_unavailable(request)
    return render(request, "errors/error.html", {"title": "Something went wrong",
                                                 "message": "The error was logged. Try again in a moment."},
                  status=500)


def database_unavailable(request: HttpRequest) -> HttpResponse:
    """503 while PostgreSQL is down. Rendered without the request: the usual page chrome needs the database."""
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse({"error": DATABASE_DOWN}, status=503)
    else:
        response = HttpResponse(render_to_string("errors/unavailable.html", {"message": DATABASE_DOWN}), status=503)
    response["Retry-After"] = "30"
    return response

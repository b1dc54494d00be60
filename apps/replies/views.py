"""Replies pages: choose texts by filter and draft replies (a job with progress), review drafts with their
sources and policy flags; one text with its drafts and translation; the reply policy and knowledge snippets.
Thin: actions go through the JSON API from static/js/replies.js."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from apps.accounts.permissions import ANALYZE, MANAGE
from apps.accounts.web import workspace_required
from apps.corpus import selectors as corpus
from apps.insights import selectors as insights
from apps.translation import selectors as translation
from apps.translation.models import LANGUAGES

from . import selectors
from .models import ReplyStatus

TEXTS_SHOWN = 30
DRAFTS_PER_PAGE = 20


def _filters(request: HttpRequest) -> tuple[corpus.TextFilters, str | None, int | None]:
    get = request.GET
    rating, theme = get.get("rating", ""), get.get("theme", "")
    filters = corpus.TextFilters(
        date_from=selectors.parse_date(get.get("date_from")), date_to=selectors.parse_date(get.get("date_to")),
        rating=int(rating) if rating.isdigit() else None, source=get.get("source") or None,
        language=get.get("language") or None, product=get.get("product") or None)
    sentiment = get.get("sentiment") if get.get("sentiment") in ("positive", "neutral", "negative") else None
    return filters, sentiment, int(theme) if theme.isdigit() else None


def _drafts_page(request: HttpRequest, ws, **filters):
    count, items = selectors.drafts(ws, limit=500, **filters)
    page = Paginator(items, DRAFTS_PER_PAGE).get_page(request.GET.get("page"))
    material = selectors.source_material(ws, list(page))
    return count, page, [selectors.draft_view(d, material) for d in page]


@workspace_required(ANALYZE)  # drafting is an analyst's work; others get the 403 page, as the nav has no link
def home(request: HttpRequest) -> HttpResponse:
    ctx = request.workspace_ctx
    ws = ctx.workspace
    try:
        filters, sentiment, theme = _filters(request)
    except ValueError:
        messages.error(request, "A date in the filters was not valid (use YYYY-MM-DD); the filters were ignored.")
        filters, sentiment, theme = corpus.TextFilters(), None, None
    matching = translation.select_texts(ws, filters, sentiment=sentiment, theme=theme)
    status = request.GET.get("status") if request.GET.get("status") in ReplyStatus.values else None
    count, page, views = _drafts_page(request, ws, status=status)
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "replies/home.html", {
        "match_count": matching.count(), "texts": list(matching[:TEXTS_SHOWN]), "choices": corpus.filter_choices(ws),
        "themes": list(insights.themes(ws)), "sentiment": sentiment, "theme": theme, "status": status,
        "draft_count": count, "page": page, "drafts": views, "query": query.urlencode(),
        "languages": LANGUAGES, "reading_language": translation.reading_language(request.user),
        "policy": selectors.reply_policy(ws), "snippet_count": len(selectors.snippets(ws)),
        "can_write": ctx.can(ANALYZE), "statuses": ReplyStatus.values,
    })


@workspace_required()
def text_replies(request: HttpRequest, text_id: int) -> HttpResponse:
    ctx = request.workspace_ctx
    text = corpus.get_text(ctx.workspace, text_id)
    if text is None:
        raise Http404("No such text in this workspace.")
    count, page, views = _drafts_page(request, ctx.workspace, text_id=text.pk)
    return render(request, "replies/text.html", {
        "text": text, "draft_count": count, "page": page, "drafts": views, "languages": LANGUAGES,
        "reading_language": translation.reading_language(request.user), "can_write": ctx.can(ANALYZE),
    })


@workspace_required()
def policy(request: HttpRequest) -> HttpResponse:
    ctx = request.workspace_ctx
    return render(request, "replies/policy.html", {
        "policy": selectors.reply_policy(ctx.workspace), "snippets": selectors.snippets(ctx.workspace),
        "can_manage": ctx.can(MANAGE),
    })

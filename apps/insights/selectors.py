from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db.models import Count, Max, QuerySet

from apps.accounts.models import Workspace
from apps.corpus.models import CustomerText
from apps.corpus.selectors import texts_by_ids

from .models import AnalysisRun, Insight, TextAnalysis, Theme, ThemeSnapshot
from .sentiment import LOW_CONFIDENCE, LabelledText, ReadsSentiment, base_model
from .workspace_sentiment import WorkspaceSentimentModel

SENTIMENTS = ("positive", "neutral", "mixed", "negative")
_models_lock = threading.Lock()
# The most recently used workspaces' retrained classifiers (a few MB each): bounded, so a process serving
# many workspaces does not keep one per workspace forever.
_workspace_models: OrderedDict[int, tuple[tuple, WorkspaceSentimentModel]] = OrderedDict()
MAX_CACHED_WORKSPACE_MODELS = 16


def latest_run(workspace: Workspace) -> AnalysisRun | None:
    return AnalysisRun.objects.filter(workspace=workspace, status="succeeded").order_by("-version").first()


def get_run(workspace: Workspace, run_id: int) -> AnalysisRun | None:
    return AnalysisRun.objects.filter(workspace=workspace, pk=run_id).select_related("job").first()


def runs(workspace: Workspace, limit: int = 20) -> list[AnalysisRun]:
    return list(AnalysisRun.objects.filter(workspace=workspace).select_related("job").order_by("-version")[:limit])


def snapshots(run: AnalysisRun) -> list[ThemeSnapshot]:
    return list(run.snapshots.select_related("theme").order_by("-size"))


def insights(run: AnalysisRun) -> list[Insight]:
    return list(run.insights.select_related("theme").order_by("kind", "position"))


def evidence_texts(workspace: Workspace, items: list[Insight] | list[ThemeSnapshot]) -> dict[int, CustomerText]:
    """The customer texts cited by the given insights/snapshots, for showing evidence next to claims."""
    ids: set[int] = set()
    for item in items:
        ids.update(getattr(item, "evidence", None) or getattr(item, "quotes", []))
    return texts_by_ids(workspace, list(ids))


def themes(workspace: Workspace) -> QuerySet[Theme]:
    return Theme.objects.filter(workspace=workspace, parent__isnull=True, status="active").order_by("label")


def get_theme(workspace: Workspace, theme_id: int) -> Theme | None:
    return Theme.objects.filter(workspace=workspace, pk=theme_id).first()


def text_signals(workspace: Workspace, text_ids: list[int]) -> dict[int, dict]:
    """Sentiment and themes of texts, for the texts API and pages."""
    rows = TextAnalysis.objects.filter(workspace=workspace, text_id__in=text_ids).select_related("theme", "subtheme")
    return {a.text_id: {
        "sentiment": {"label": a.sentiment, "score": a.sentiment_score, "method": a.sentiment_method,
                      "confidence": a.sentiment_confidence,
                      "low_confidence": a.sentiment_confidence is not None and a.sentiment_confidence < LOW_CONFIDENCE},
        "intent": a.intent,
        "corrected": list(a.corrected_fields),
        "themes": [{"id": t.pk, "label": t.label} for t in (a.theme, a.subtheme) if t is not None],
    } for a in rows}


def filter_by_signals(qs: QuerySet[CustomerText], *, theme: int | None = None, sentiment: str | None = None,
                      week: str | None = None) -> QuerySet[CustomerText]:
    """Narrow a texts queryset by what analysis found: theme (or sub-theme), sentiment, ISO week."""
    from django.db.models import Q

    if theme:
        qs = qs.filter(Q(analysis__theme_id=theme) | Q(analysis__subtheme_id=theme))
    if sentiment:
        qs = qs.filter(analysis__sentiment=sentiment)
    if week:
        try:
            year, number = week.split("-W")
            start = datetime.fromisocalendar(int(year), int(number), 1).replace(tzinfo=UTC)
        except ValueError:
            return qs.none()
        qs = qs.filter(posted_at__gte=start, posted_at__lt=start + timedelta(days=7))
    return qs


def dashboard_series(qs: QuerySet[CustomerText]) -> dict:
    """Chart data for the given texts: sentiment per week, and volume and net sentiment per theme."""
    from django.db.models import Count, Q
    from django.db.models.functions import ExtractIsoYear, ExtractWeek

    weekly = (qs.filter(posted_at__isnull=False, analysis__isnull=False)
              .annotate(y=ExtractIsoYear("posted_at"), w=ExtractWeek("posted_at"))
              .values("y", "w", "analysis__sentiment").annotate(n=Count("id")).order_by("y", "w"))
    weeks: dict[str, dict[str, int]] = {}
    for row in weekly:
        key = f"{row['y']}-W{row['w']:02d}"
        weeks.setdefault(key, dict.fromkeys(SENTIMENTS, 0))[row["analysis__sentiment"]] = row["n"]
    themes = (qs.filter(analysis__theme__isnull=False)
              .values("analysis__theme_id", "analysis__theme__label")
              .annotate(n=Count("id"), pos=Count("id", filter=Q(analysis__sentiment="positive")),
                        neg=Count("id", filter=Q(analysis__sentiment="negative")))
              .order_by("-n")[:15])
    return {
        "weeks": list(weeks),
        "sentiment": {s: [weeks[w][s] for w in weeks] for s in SENTIMENTS},
        "themes": [{"id": t["analysis__theme_id"], "label": t["analysis__theme__label"], "count": t["n"],
                    "net": round(100 * (t["pos"] - t["neg"]) / t["n"], 1)} for t in themes],
    }


def sentiment_corrections(workspace: Workspace) -> list[LabelledText]:
    """The analysts' sentiment corrections of a workspace, as training examples (mixed ones carry no class)."""
    rows = (TextAnalysis.objects.filter(workspace=workspace, corrected_fields__contains=["sentiment"])
            .exclude(sentiment="mixed").order_by("text_id").values_list("text__text", "sentiment"))
    return [LabelledText(text, sentiment) for text, sentiment in rows]


def sentiment_model_for(workspace: Workspace) -> ReadsSentiment:
    """The shipped classifier, taught by this workspace's corrections when it has any (`workspace_sentiment`;
    cached per process until the corrections change)."""
    corrected = TextAnalysis.objects.filter(workspace=workspace, corrected_fields__contains=["sentiment"])
    stats = corrected.aggregate(n=Count("pk"), last=Max("corrected_at"))
    key = (stats["n"], stats["last"])
    if not stats["n"]:
        return base_model()
    with _models_lock:
        cached = _workspace_models.get(workspace.pk)
        if cached and cached[0] == key:
            _workspace_models.move_to_end(workspace.pk)
            return cached[1]
    model = WorkspaceSentimentModel(sentiment_corrections(workspace))
    with _models_lock:
        _workspace_models[workspace.pk] = (key, model)
        _workspace_models.move_to_end(workspace.pk)
        while len(_workspace_models) > MAX_CACHED_WORKSPACE_MODELS:
            _workspace_models.popitem(last=False)
    return model


def evidence_signals(text_ids: list[int]) -> dict[int, tuple[str, str, float]]:
    """(sentiment, intent, score) of texts for the evidence checks. A low-confidence sentiment is a guess: its
    score counts as 0, so it supports neither a pain point nor praise (`evidence.MIN_SCORE`)."""
    rows = TextAnalysis.objects.filter(text_id__in=text_ids).values_list(
        "text_id", "sentiment", "intent", "sentiment_score", "sentiment_confidence")
    return {pk: (sentiment, intent, 0.0 if confidence is not None and confidence < LOW_CONFIDENCE else score)
            for pk, sentiment, intent, score, confidence in rows}


# The parameters `filter_by_analysis` reads: the /texts/ page's controls, a chart click's URL, `GET /api/v1/texts`.
ANALYSIS_FILTERS = ("sentiment", "intent", "theme", "week")


def filter_by_analysis(qs: QuerySet[CustomerText], params: Mapping[str, Any]) -> QuerySet[CustomerText]:
    """Narrow texts by what analysis found, from request parameters: sentiment, intent, theme (or sub-theme) id,
    ISO week ("2026-W40"). Empty values are no filter; a value that names nothing raises InvalidRequest (a 400 in
    the API). Registered as a `corpus.apis.TEXT_FILTERS` hook, so corpus never imports insights."""
    from apps.core.errors import InvalidRequest

    from .models import Intent, Sentiment

    sentiment, intent, theme, week = (str(params.get(name) or "").strip() or None for name in ANALYSIS_FILTERS)
    if sentiment and sentiment not in Sentiment.values:
        raise InvalidRequest(f"sentiment must be one of {', '.join(Sentiment.values)}.")
    if intent and intent not in Intent.values:
        raise InvalidRequest(f"intent must be one of {', '.join(Intent.values)}.")
    if theme and not theme.isdigit():
        raise InvalidRequest("theme must be a theme id.")
    if week:
        try:
            year, number = week.split("-W")
            datetime.fromisocalendar(int(year), int(number), 1)
        except ValueError:
            raise InvalidRequest('week must be an ISO week such as "2026-W40".') from None
    qs = filter_by_signals(qs, theme=int(theme) if theme else None, sentiment=sentiment, week=week)
    return qs.filter(analysis__intent=intent) if intent else qs


def running_analysis(workspace: Workspace) -> AnalysisRun | None:
    """The analysis of the workspace that is queued or running now (one at a time), with its job."""
    return (AnalysisRun.objects.filter(workspace=workspace, status__in=("queued", "running"))
            .select_related("job").order_by("-version").first())

"""An analyst's corrections of what Murmur concluded about one text: sentiment, intent or theme.

A correction is ground truth for its workspace: it replaces the automatic value at once, re-runs keep it
(themes are not reassigned, classification never touches a classified text again), and the workspace's
sentiment classifier trains on corrected sentiments (`selectors.sentiment_model_for`).
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from apps.accounts.context import WorkspaceContext
from apps.accounts.permissions import ANALYZE
from apps.core.errors import InvalidRequest, NotFound
from apps.corpus.models import CustomerText

from .models import Intent, Sentiment, TextAnalysis, Theme, ThemeStatus


@transaction.atomic
def correct_text(ctx: WorkspaceContext, text_id: int, *, sentiment: str | None = None, intent: str | None = None,
                 theme_id: int | None = None) -> TextAnalysis:
    ctx.require(ANALYZE)
    if sentiment is None and intent is None and theme_id is None:
        raise InvalidRequest("Say what to correct: sentiment, intent or theme.")
    if sentiment is not None and sentiment not in Sentiment.values:
        raise InvalidRequest(f"Sentiment must be one of {', '.join(Sentiment.values)}.")
    if intent is not None and intent not in Intent.values:
        raise InvalidRequest(f"Intent must be one of {', '.join(Intent.values)}.")
    text = CustomerText.objects.filter(workspace=ctx.workspace, pk=text_id, is_live=True).first()
    if text is None:
        raise NotFound("No such text in this workspace.")
    analysis = TextAnalysis.objects.select_for_update().filter(text=text).first()
    if analysis is None:
        raise InvalidRequest("This text has not been analysed yet; correct it once its import has finished.")
    fields = set(analysis.corrected_fields)
    if sentiment is not None:
        analysis.sentiment = sentiment
        analysis.sentiment_score = {"positive": 1.0, "negative": -1.0}.get(sentiment, 0.0)
        analysis.sentiment_method = "corrected"
        analysis.sentiment_confidence = 1.0
        fields.add("sentiment")
    if intent is not None:
        analysis.intent = intent
        fields.add("intent")
    if theme_id is not None:
        theme = Theme.objects.filter(workspace=ctx.workspace, pk=theme_id, parent__isnull=True,
                                     status=ThemeStatus.ACTIVE).first()
        if theme is None:
            raise NotFound("No such active theme in this workspace.")
        analysis.theme, analysis.subtheme = theme, None
        fields.add("theme")
    analysis.corrected_fields = sorted(fields)
    analysis.corrected_by = ctx.user
    analysis.corrected_at = timezone.now()
    analysis.save()
    return analysis

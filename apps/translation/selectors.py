"""Reads of translations, the reading language and the texts a bulk job may choose. Every function that reads
texts takes the workspace: nothing reads across workspaces."""

from __future__ import annotations

import hashlib

from django.db.models import QuerySet

from apps.accounts.models import Workspace
from apps.corpus.models import CustomerText
from apps.corpus.selectors import TextFilters, live_texts
from apps.insights.selectors import filter_by_signals

from .models import DEFAULT_LANGUAGE, UserLanguage


def reading_language(user) -> str:
    if user is None or not getattr(user, "pk", None):
        return DEFAULT_LANGUAGE
    return UserLanguage.objects.filter(user=user).values_list("language", flat=True).first() or DEFAULT_LANGUAGE


def select_texts(workspace: Workspace, filters: TextFilters, *, sentiment: str | None = None,
                 theme: int | None = None) -> QuerySet[CustomerText]:
    """Live texts matching the corpus filters and what analysis found (sentiment, theme), newest first."""
    qs = filter_by_signals(filters.apply(live_texts(workspace)), theme=theme, sentiment=sentiment or None)
    return qs.order_by("-posted_at", "-id")


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()

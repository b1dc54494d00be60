"""Reads of customer texts. Every function takes the workspace: nothing reads across workspaces."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from django.db.models import QuerySet

from apps.accounts.models import Workspace

from .models import CustomerText, ModerationStatus, TextImport


@dataclass(frozen=True)
class TextFilters:
    date_from: date | None = None
    date_to: date | None = None
    rating: int | None = None
    source: str | None = None
    language: str | None = None
    product: str | None = None

    def apply(self, qs: QuerySet[CustomerText], prefix: str = "") -> QuerySet[CustomerText]:
        conditions = {}
        if self.date_from:
            conditions["posted_at__gte"] = datetime.combine(self.date_from, time.min, tzinfo=UTC)
        if self.date_to:
            conditions["posted_at__lte"] = datetime.combine(self.date_to, time.max, tzinfo=UTC)
        if self.rating is not None:
            conditions["rating"] = self.rating
        if self.source:
            conditions["source"] = self.source
        if self.language:
            conditions["language"] = self.language
        if self.product:
            conditions["product"] = self.product
        return qs.filter(**{prefix + key: value for key, value in conditions.items()})


def live_texts(workspace: Workspace) -> QuerySet[CustomerText]:
    return CustomerText.objects.filter(workspace=workspace, is_live=True)


# Texts moderation has not cleared stay out of analysis and copy grounding until a moderator approves them.
NOT_ANALYSABLE = (ModerationStatus.PENDING, ModerationStatus.HIDDEN, ModerationStatus.REJECTED)


def analysable_texts(workspace: Workspace, include_unreviewed: bool = False) -> QuerySet[CustomerText]:
    """Live texts that insights and copy may use. `include_unreviewed` (a workspace policy) also lets
    pending texts in; hidden and rejected ones never are."""
    excluded = (ModerationStatus.HIDDEN, ModerationStatus.REJECTED) if include_unreviewed else NOT_ANALYSABLE
    return live_texts(workspace).exclude(moderation_status__in=excluded)


def list_texts(
    workspace: Workspace, filters: TextFilters, *, limit: int, offset: int
) -> tuple[int, list[CustomerText]]:
    qs = filters.apply(live_texts(workspace)).order_by("-posted_at", "-id")
    return qs.count(), list(qs[offset:offset + limit])


def get_text(workspace: Workspace, text_id: int) -> CustomerText | None:
    return live_texts(workspace).filter(pk=text_id).first()


def texts_by_ids(workspace: Workspace, ids: list[int]) -> dict[int, CustomerText]:
    return {t.pk: t for t in live_texts(workspace).filter(pk__in=ids)}


def filter_choices(workspace: Workspace) -> dict[str, list[str]]:
    qs = live_texts(workspace)
    return {
        field: sorted(v for v in qs.values_list(field, flat=True).distinct() if v)
        for field in ("source", "language", "product")
    }


def recent_imports(workspace: Workspace, limit: int = 10) -> list[TextImport]:
    return list(TextImport.objects.filter(workspace=workspace).select_related("job").order_by("-created_at")[:limit])

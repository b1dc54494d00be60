from __future__ import annotations

from datetime import timedelta

from django.db.models import Avg, Count, Q, Sum
from django.utils import timezone

from apps.accounts.models import Workspace

from .gateway import tokens_used_this_month
from .models import LLMBudget, LLMCall


def usage_by_feature(workspace: Workspace, days: int = 30) -> list[dict]:
    since = timezone.now() - timedelta(days=days)
    rows = (
        LLMCall.objects.filter(workspace=workspace, created_at__gte=since)
        .values("feature")
        .annotate(calls=Count("id"), cached_calls=Count("id", filter=Q(cached=True)),
                  failed_calls=Count("id", filter=Q(ok=False)),
                  tokens_in=Sum("tokens_in"), tokens_out=Sum("tokens_out"),
                  avg_latency_ms=Avg("latency_ms", filter=Q(cached=False, ok=True)))
        .order_by("feature")
    )
    return [{**r, "avg_latency_ms": int(r["avg_latency_ms"] or 0)} for r in rows]


def budget_state(workspace: Workspace) -> dict:
    budget = LLMBudget.objects.filter(workspace=workspace).values_list("monthly_tokens", flat=True).first()
    return {"monthly_tokens": budget, "used_this_month": tokens_used_this_month(workspace)}

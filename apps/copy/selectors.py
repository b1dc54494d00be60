"""Reads of the copy studio. Every function takes the workspace: nothing reads across workspaces."""

from __future__ import annotations

from apps.accounts.models import Workspace
from apps.corpus.models import CustomerText
from apps.corpus.selectors import texts_by_ids

from . import checks
from .models import BrandVoice, CopyRequest, CopyVariant, IdeaSet

FIELDS = ("headline", "body", "call_to_action")


def brand_voice(workspace: Workspace) -> BrandVoice:
    """The stored voice, or an unsaved default one (reading never writes)."""
    return BrandVoice.objects.filter(workspace=workspace).first() or BrandVoice(workspace=workspace)


def copy_requests(workspace: Workspace, limit: int = 30) -> list[CopyRequest]:
    return list(CopyRequest.objects.filter(workspace=workspace).select_related("job", "created_by")
                .order_by("-created_at")[:limit])


def get_copy_request(workspace: Workspace, copy_id: int) -> CopyRequest | None:
    return CopyRequest.objects.filter(workspace=workspace, pk=copy_id).select_related("job").first()


def variants(request: CopyRequest, *, favourites_only: bool = False) -> list[CopyVariant]:
    qs = request.variants.select_related("regenerate_job", "approved_by").order_by("position")
    if favourites_only:
        qs = qs.filter(favourite=True)
    return list(qs)


def source_texts(workspace: Workspace, items: list[CopyVariant]) -> dict[int, CustomerText]:
    """The customer texts the variants cite (only those still in the workspace)."""
    ids = sorted({i for v in items for i in v.sources})
    return texts_by_ids(workspace, ids)


def variant_view(variant: CopyVariant, texts: dict[int, CustomerText]) -> dict:
    """What a page shows of a variant: each part cut into plain and flagged pieces (templates escape them)."""
    parts = []
    for name in FIELDS:
        claims = [c for c in variant.flagged_claims if c.get("field") == name]
        parts.append({"name": name, "text": getattr(variant, name),
                      "segments": checks.segments(getattr(variant, name), claims)})
    return {"variant": variant, "parts": parts, "quotes": [texts[i] for i in variant.sources if i in texts]}


def idea_sets(workspace: Workspace, limit: int = 10) -> list[IdeaSet]:
    return list(IdeaSet.objects.filter(workspace=workspace).select_related("job", "analysis")
                .order_by("-created_at")[:limit])


def latest_idea_set(workspace: Workspace) -> IdeaSet | None:
    return IdeaSet.objects.filter(workspace=workspace).select_related("job", "analysis").order_by("-created_at").first()


def get_idea_set(workspace: Workspace, idea_set_id: int) -> IdeaSet | None:
    return IdeaSet.objects.filter(workspace=workspace, pk=idea_set_id).select_related("job", "analysis").first()

"""The copy studio's JSON API: briefs in (a job), grounded and moderated variants out; brand voice; ideas."""

from __future__ import annotations

import csv
import io
from typing import Any
from uuid import UUID

from django.http import HttpRequest, HttpResponse
from ninja import Router, Schema
from ninja.errors import HttpError

from apps.core.csv import csv_safe
from apps.llm.interactive import interactive_llm

from . import selectors, services
from .models import BrandVoice, CopyRequest, CopyVariant, IdeaSet

router = Router(tags=["copy"])


class BriefIn(Schema):
    product: str
    audience: str
    goal: str
    channel: str
    tone: str = ""
    length: str = "medium"
    key_message: str = ""
    variants: int = 3
    language: str = "en"
    locale: str | None = None


class CopyIn(Schema):
    brief: BriefIn


class CopyAccepted(Schema):
    job_id: UUID
    copy_id: int


class CopyJobAccepted(Schema):
    job_id: UUID


class IdeasAccepted(Schema):
    job_id: UUID
    idea_set_id: int


class VariantEdit(Schema):
    headline: str | None = None
    body: str | None = None
    call_to_action: str | None = None


class FavouriteIn(Schema):
    favourite: bool = True


class BrandVoiceIn(Schema):
    formality: int | None = None
    playfulness: int | None = None
    enthusiasm: int | None = None
    reading_level: str | None = None
    words_to_use: list[str] | None = None
    words_to_avoid: list[str] | None = None
    samples: list[str] | None = None




def variant_out(v: CopyVariant, texts: dict | None = None) -> dict[str, Any]:
    texts = texts or {}
    return {
        "id": v.pk, "position": v.position, "text": v.text, "headline": v.headline, "body": v.body,
        "call_to_action": v.call_to_action, "language": v.language, "sources": v.sources,
        "sources_inferred": v.sources_inferred,
        "quotes": [{"id": i, "text": texts[i].text} for i in v.sources if i in texts],
        "flagged_claims": v.flagged_claims,
        "moderation": {"status": v.moderation_status, "reason": v.moderation_reason, "case_id": v.moderation_case_id},
        "favourite": v.favourite, "approved": v.approved, "approved_at": v.approved_at, "edited": v.edited,
        "model": v.model, "prompt": v.prompt, "prompt_version": v.prompt_version, "seed": v.seed,
        "attempts": v.attempts, "versions": len(v.history) + 1,
        "regenerate_job_id": str(v.regenerate_job_id) if v.regenerate_job_id else None,
        "updated_at": v.updated_at,
    }


def copy_out(request: CopyRequest) -> dict[str, Any]:
    items = selectors.variants(request)
    texts = selectors.source_texts(request.workspace, items)
    grounding = request.grounding or {}
    return {
        "id": request.pk, "status": request.status, "job_id": str(request.job_id), "brief": request.brief,
        "brand_voice": request.brand_voice, "model": request.model,
        "prompt": {"name": request.prompt, "version": request.prompt_version},
        "grounding": {"quotes": grounding.get("quotes", []), "themes": grounding.get("themes", [])},
        "notes": request.notes, "created_at": request.created_at, "finished_at": request.finished_at,
        "variants": [variant_out(v, texts) for v in items],
    }


def voice_out(voice: BrandVoice) -> dict[str, Any]:
    return {**services.voice_snapshot(voice), "updated_at": voice.updated_at}


def ideas_out(idea_set: IdeaSet) -> dict[str, Any]:
    return {
        "id": idea_set.pk, "status": idea_set.status, "job_id": str(idea_set.job_id),
        "analysis_id": idea_set.analysis_id, "model": idea_set.model,
        "prompt": {"name": idea_set.prompt, "version": idea_set.prompt_version}, "notes": idea_set.notes,
        "created_at": idea_set.created_at, "finished_at": idea_set.finished_at,
        "ideas": [{"id": i.pk, "kind": i.kind, "title": i.title, "detail": i.detail, "evidence": i.evidence}
                  for i in idea_set.ideas.all()],
    }


def _request_or_404(request: HttpRequest, copy_id: int) -> CopyRequest:
    copy_request = selectors.get_copy_request(request.auth.workspace, copy_id)
    if copy_request is None:
        raise HttpError(404, "No such copy request in this workspace.")
    return copy_request


@router.post("/copy", response={202: CopyAccepted})
def create(request: HttpRequest, payload: CopyIn):
    copy_request = services.start_copy(request.auth, payload.brief.dict())
    return 202, {"job_id": copy_request.job_id, "copy_id": copy_request.pk}


@router.get("/copy")
def list_requests(request: HttpRequest):
    return {"results": [{"id": r.pk, "status": r.status, "job_id": str(r.job_id), "brief": r.brief,
                         "created_at": r.created_at} for r in selectors.copy_requests(request.auth.workspace)]}


@router.get("/copy/{copy_id}")
def detail(request: HttpRequest, copy_id: int):
    return copy_out(_request_or_404(request, copy_id))


@router.get("/copy/{copy_id}/export.csv")
def export_csv(request: HttpRequest, copy_id: int, favourites: bool = False):
    copy_request = _request_or_404(request, copy_id)
    items = selectors.variants(copy_request, favourites_only=favourites)
    texts = selectors.source_texts(request.auth.workspace, items)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["variant", "channel", "locale", "headline", "body", "call_to_action", "moderation",
                     "moderation_reason", "approved", "favourite", "flagged_claims", "source_ids", "source_quotes",
                     "model", "prompt"])
    for v in items:
        writer.writerow([csv_safe(x) for x in (
            v.position, copy_request.channel, copy_request.locale, v.headline, v.body, v.call_to_action,
            v.moderation_status, v.moderation_reason, "yes" if v.approved else "no", "yes" if v.favourite else "no",
            " | ".join(f"{c['kind']}: {c['text']}" for c in v.flagged_claims), " ".join(map(str, v.sources)),
            " | ".join(texts[i].text[:200] for i in v.sources if i in texts), v.model,
            f"{v.prompt} v{v.prompt_version}")])
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="murmur-copy-{copy_request.pk}.csv"'
    response.write("\ufeff")  # Excel reads UTF-8 (Chinese copy) only with a BOM
    response.write(buffer.getvalue())
    return response


@router.patch("/copy/{copy_id}/variants/{variant_id}")
def edit(request: HttpRequest, copy_id: int, variant_id: int, payload: VariantEdit):
    with interactive_llm(request.auth.user):  # the judge of the edit: bounded, else a person decides
        variant = services.edit_variant(request.auth, variant_id, copy_id=copy_id, **payload.dict())
    return variant_out(variant, selectors.source_texts(request.auth.workspace, [variant]))


@router.post("/copy/{copy_id}/variants/{variant_id}/regenerate", response={202: CopyJobAccepted})
def regenerate(request: HttpRequest, copy_id: int, variant_id: int):
    job = services.regenerate_variant(request.auth, variant_id, copy_id=copy_id)
    return 202, {"job_id": job.pk}


@router.post("/copy/{copy_id}/variants/{variant_id}/favourite")
def favourite(request: HttpRequest, copy_id: int, variant_id: int, payload: FavouriteIn):
    variant = services.set_favourite(request.auth, variant_id, payload.favourite, copy_id=copy_id)
    return {"id": variant.pk, "favourite": variant.favourite}


@router.post("/copy/{copy_id}/variants/{variant_id}/approve")
def approve(request: HttpRequest, copy_id: int, variant_id: int):
    variant = services.approve_variant(request.auth, variant_id, copy_id=copy_id)
    return variant_out(variant, selectors.source_texts(request.auth.workspace, [variant]))


@router.get("/brand-voice")
def get_voice(request: HttpRequest):
    return voice_out(selectors.brand_voice(request.auth.workspace))


@router.put("/brand-voice")
def put_voice(request: HttpRequest, payload: BrandVoiceIn):
    return voice_out(services.update_brand_voice(request.auth, **payload.dict()))


@router.post("/ideas", response={202: IdeasAccepted})
def start_ideas(request: HttpRequest):
    idea_set = services.start_ideas(request.auth)
    return 202, {"job_id": idea_set.job_id, "idea_set_id": idea_set.pk}


@router.get("/ideas")
def list_ideas(request: HttpRequest):
    return {"results": [{"id": s.pk, "status": s.status, "job_id": str(s.job_id), "analysis_id": s.analysis_id,
                         "created_at": s.created_at} for s in selectors.idea_sets(request.auth.workspace)]}


@router.get("/ideas/{idea_set_id}")
def idea_detail(request: HttpRequest, idea_set_id: int):
    idea_set = selectors.get_idea_set(request.auth.workspace, idea_set_id)
    if idea_set is None:
        raise HttpError(404, "No such idea set in this workspace.")
    return ideas_out(idea_set)

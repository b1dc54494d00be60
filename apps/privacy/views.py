"""The owners' Privacy page: export, erasure (search → review → confirm), retention, the audit log, and
deleting the workspace. Thin: each view calls one service or selector."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from apps.accounts.permissions import MANAGE
from apps.accounts.web import SESSION_WORKSPACE_KEY, workspace_required
from apps.corpus.models import CustomerText
from apps.corpus.signals import originals_viewed
from apps.jobs.selectors import retryable_ids

from . import selectors, services
from .models import ErasureKind, ErasureStatus

PREVIEW_ROWS = 500


@workspace_required(MANAGE)
def home(request: HttpRequest) -> HttpResponse:
    ws = request.workspace_ctx.workspace
    count, entries = selectors.audit_log(ws, limit=100)
    exports = selectors.exports(ws)
    return render(request, "privacy/home.html", {
        "retention": selectors.retention_policy(ws), "exports": exports, "audit": entries,
        "retryable": retryable_ids(request.workspace_ctx, [e.job for e in exports]),
        "audit_count": count, "erasures": selectors.recent_erasures(ws), "kinds": ErasureKind.choices,
    })


@require_POST
@workspace_required(MANAGE)
def retention(request: HttpRequest) -> HttpResponse:
    raw = request.POST.get("original_days", "").strip()
    try:
        days = int(raw) if raw else None
        services.set_retention(request.workspace_ctx, days)
    except services.PrivacyError as exc:  # before ValueError: it is one (apps/core/errors.InvalidRequest)
        messages.error(request, str(exc))
    except ValueError:
        messages.error(request, "Enter the retention period as a whole number of days, or leave it empty.")
    else:
        messages.success(request, f"Originals are now kept for {days} days." if days else
                         "Originals are now kept until you erase them.")
    return redirect("privacy:home")


@require_POST
@workspace_required(MANAGE)
def erasure_search(request: HttpRequest) -> HttpResponse:
    try:
        erasure = services.preview_erasure(request.workspace_ctx, request.POST.get("kind", ""),
                                           request.POST.get("value", ""))
    except services.PrivacyError as exc:
        messages.error(request, str(exc))
        return redirect("privacy:home")
    return redirect("privacy:erasure", request_id=erasure.pk)


@workspace_required(MANAGE)
def erasure_preview(request: HttpRequest, request_id: int) -> HttpResponse:
    ctx = request.workspace_ctx
    erasure = selectors.erasure_request(ctx.workspace, request_id)
    if erasure is None or erasure.status != ErasureStatus.PREVIEWED:
        raise Http404("No such erasure preview in this workspace (it may have been carried out already).")
    texts = selectors.erasure_matches(erasure, PREVIEW_ROWS)
    if texts:  # the review shows originals: on the audit log
        originals_viewed.send(sender=CustomerText, workspace_id=ctx.workspace.pk, user=request.user,
                              text_ids=[t.pk for t in texts], channel="erasure_preview")
    return render(request, "privacy/erasure.html", {
        "erasure": erasure, "texts": texts, "hidden": max(0, len(erasure.text_ids) - len(texts)),
    })


@require_POST
@workspace_required(MANAGE)
def erasure_confirm(request: HttpRequest, request_id: int) -> HttpResponse:
    ctx = request.workspace_ctx
    erasure = selectors.erasure_request(ctx.workspace, request_id)
    if erasure is None:
        raise Http404("No such erasure request in this workspace.")
    chosen = [int(v) for v in request.POST.getlist("text_id") if v.isdigit()]
    if request.POST.get("include_hidden"):
        chosen += erasure.text_ids[PREVIEW_ROWS:]
    if not chosen:
        messages.error(request, "Tick at least one text to erase.")
        return redirect("privacy:erasure", request_id=request_id)
    try:
        done = services.confirm_erasure(ctx, request_id, chosen)
    except services.PrivacyError as exc:
        messages.error(request, str(exc))
        return redirect("privacy:home")
    counts = done.counts
    messages.success(request, f"Erased {counts.get('texts', 0)} texts and everything derived from them "
                              f"({counts.get('moderation_cases', 0)} moderation cases, "
                              f"{counts.get('report_references', 0)} report entries updated).")
    return redirect("privacy:home")


@require_POST
@workspace_required(MANAGE)
def delete_workspace(request: HttpRequest) -> HttpResponse:
    ctx = request.workspace_ctx
    try:
        services.delete_workspace(ctx, request.POST.get("confirm_name", ""))
    except services.PrivacyError as exc:
        messages.error(request, str(exc))
        return redirect("privacy:home")
    request.session.pop(SESSION_WORKSPACE_KEY, None)
    messages.success(request, f"The workspace {ctx.workspace.name!r} and all its data were deleted.")
    return redirect("dashboard:home")

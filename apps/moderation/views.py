"""The moderation queue in the dashboard (owners and moderators). Thin: selectors to read, services to write.
Decisions are plain form posts (they work without JavaScript); static/js/moderation.js adds the keyboard.
After a decision the queue and case pages offer to undo it (templates/moderation/_undo.html)."""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import conditional_escape, format_html
from django.utils.http import urlencode
from django.utils.safestring import SafeString
from django.views.decorators.http import require_POST

from apps.accounts.permissions import MODERATE
from apps.accounts.web import workspace_required

from . import selectors, services
from .detectors import CATEGORY_LABELS, SEVERITY_LABELS
from .models import AuditAction, AuditEntry, CaseStatus, ModerationCase
from .services import CaseNotFound, ModerationError

FILTER_KEYS = ("status", "category", "source", "stage", "subject_type", "date_from", "date_to", "assigned_to",
               "min_severity", "q")


def highlight(text: str, start: int | None, end: int | None) -> SafeString:
    """The text with the flagged span in <mark>. Every piece of customer text is escaped: never marked safe."""
    if start is None or end is None or not 0 <= start < end <= len(text):
        return conditional_escape(text)
    return format_html('{}<mark class="flagged">{}</mark>{}', text[:start], text[start:end], text[end:])


def snippet(case: ModerationCase, width: int = 260) -> SafeString:
    """A window of the text around the flagged span, for the queue's rows."""
    text, start, end = case.text, case.span_start, case.span_end
    if len(text) <= width:
        return highlight(text, start, end)
    if start is None or end is None or end > len(text):
        return conditional_escape(text[:width] + "…")
    left = max(0, min(start - width // 3, len(text) - width))
    right = min(len(text), max(left + width, end))
    piece = text[left:right]
    return format_html("{}{}{}", "…" if left else "", highlight(piece, start - left, end - left),
                       "…" if right < len(text) else "")


def _filters_from(request: HttpRequest, params: QueryDict | None = None
                  ) -> tuple[selectors.CaseFilters, dict[str, str]]:
    """The queue's filters from the query string (or from a posted copy of it, for decisions and bulk)."""
    params = request.GET if params is None else params
    raw = {k: params.get(k, "").strip() for k in FILTER_KEYS}
    if "status" not in params:
        raw["status"] = CaseStatus.PENDING
    values: dict = {k: (v or None) for k, v in raw.items()}
    if raw["status"] == "all":
        values["status"] = None
    if raw["assigned_to"] == "me":
        values["assigned_to"] = str(request.user.pk)
    elif values["assigned_to"] not in (None, "none") and not raw["assigned_to"].isdigit():
        values["assigned_to"] = None
    for key in ("date_from", "date_to"):
        try:
            values[key] = date.fromisoformat(raw[key]) if raw[key] else None
        except ValueError:
            messages.error(request, f"Ignored {key.replace('_', ' ')}: use a date like 2026-11-20.")
            values[key] = None
    values["min_severity"] = int(raw["min_severity"]) if raw["min_severity"] in ("1", "2", "3") else None
    return selectors.CaseFilters(**values), raw


def _query(raw: dict[str, str]) -> str:
    return urlencode({k: v for k, v in raw.items() if v})


def _decorate(case: ModerationCase) -> ModerationCase:
    case.highlighted = highlight(case.text, case.span_start, case.span_end)
    case.category_labels = [CATEGORY_LABELS.get(c, c) for c in case.categories]
    case.severity_label = SEVERITY_LABELS.get(case.severity, "")
    case.subject_label = subject_label(case.subject_type, case.subject_id)
    return case


SUBJECT_NOUNS = {"customer_text": "Customer text", "copy_variant": "Copy variant", "reply_draft": "Reply draft"}


def subject_label(subject_type: str, subject_id: str) -> str:
    """What a moderator reads for a case's subject: "Customer text #13", not "customer_text 13"."""
    noun = SUBJECT_NOUNS.get(subject_type, subject_type.replace("_", " ").capitalize())
    return f"{noun} #{subject_id}"


@workspace_required(MODERATE)
def queue(request: HttpRequest) -> HttpResponse:
    ws = request.workspace_ctx.workspace
    filters, raw = _filters_from(request)
    page = Paginator(selectors.queue(ws, filters), 50).get_page(request.GET.get("page"))
    for case in page:
        case.snippet = snippet(case)
        _decorate(case)
    query = _query(raw)
    return render(request, "moderation/queue.html", {
        "page": page, "raw": raw, "query": query, "choices": selectors.filter_choices(ws),
        "metrics": selectors.metrics(ws, days=7), "category_labels": CATEGORY_LABELS,
        "unchecked": _unchecked_count(ws), "undo": _undo_offer(request),
    })


def _unchecked_count(workspace) -> int:
    from apps.corpus.models import CustomerText, ModerationStatus

    return CustomerText.objects.filter(workspace=workspace, is_live=True,
                                       moderation_status=ModerationStatus.UNCHECKED).count()


@workspace_required(MODERATE)
def case_detail(request: HttpRequest, case_id: int) -> HttpResponse:
    ws = request.workspace_ctx.workspace
    case = selectors.get_case(ws, case_id)
    if case is None:
        raise Http404("No such case in this workspace.")
    filters, raw = _filters_from(request)
    previous_id, next_id = selectors.neighbours(ws, case, filters)
    return render(request, "moderation/case.html", {
        "case": _decorate(case), "notes": case.notes.select_related("author"), "audit": selectors.audit_trail(case),
        "previous_id": previous_id, "next_id": next_id, "query": _query(raw),
        "moderators": selectors.moderators(ws), "category_labels": CATEGORY_LABELS,
        "decisions": [(a, label) for a, label in AuditAction.choices
                      if a not in (AuditAction.ASSIGN, AuditAction.UNDO)],
        "undo": _undo_offer(request),
    })


def _undo_offer(request: HttpRequest) -> AuditEntry | None:
    """The person's own latest decision, if it is still theirs to undo (the service's rule, asked here so the
    button only shows when pressing it would work)."""
    ctx = request.workspace_ctx
    entry = selectors.latest_entry_by(ctx.workspace, ctx.user, since=timezone.now() - services.UNDO_WINDOW)
    if entry is None or services.undo_refusal(entry, entry.case, ctx.user):
        return None
    # Someone else may have acted on the case since: then its latest entry is not this one.
    latest = selectors.latest_entry(entry.case)
    if latest is None or latest.pk != entry.pk:
        return None
    entry.case_label = subject_label(entry.case.subject_type, entry.case.subject_id)
    entry.action_label = dict(AuditAction.choices).get(entry.action, entry.action).lower()
    return entry


def _case_url(case_id: int | None, query: str) -> str:
    if case_id is None:
        return reverse("moderation:queue") + (f"?{query}" if query else "")
    return reverse("moderation:case", args=[case_id]) + (f"?{query}" if query else "")


@require_POST
@workspace_required(MODERATE)
def case_decide(request: HttpRequest, case_id: int) -> HttpResponse:
    ctx = request.workspace_ctx
    query = request.POST.get("query", "")
    action = request.POST.get("action", "")
    case = selectors.get_case(ctx.workspace, case_id)
    if case is None:
        raise Http404("No such case in this workspace.")
    # The next case in the queue as it was before this decision moved this one out of it.
    filters, _ = _filters_from(request, QueryDict(query))
    _, next_id = selectors.neighbours(ctx.workspace, case, filters)
    try:
        services.decide(ctx, case_id, action, text=request.POST.get("text"), note=request.POST.get("note", ""))
    except (ModerationError, CaseNotFound) as exc:
        messages.error(request, str(exc))
        return redirect(_case_url(case_id, query))
    label = dict(AuditAction.choices).get(action, action)
    messages.success(request, f"Case {case_id}: {label.lower()}.")
    return redirect(_case_url(next_id, query))


@require_POST
@workspace_required(MODERATE)
def case_undo(request: HttpRequest, case_id: int) -> HttpResponse:
    """Undo the case's latest decision, then show the case (pending again, or as it was before)."""
    query = request.POST.get("query", "")
    try:
        case = services.undo_last_decision(request.workspace_ctx, case_id)
    except CaseNotFound as exc:
        raise Http404(str(exc)) from exc
    except ModerationError as exc:
        messages.error(request, str(exc))
        return redirect(_case_url(case_id, query))
    messages.success(request, f"Case {case_id}: decision undone; it is {case.get_status_display().lower()} again.")
    return redirect(_case_url(case_id, query))


@require_POST
@workspace_required(MODERATE)
def case_note(request: HttpRequest, case_id: int) -> HttpResponse:
    try:
        services.add_note(request.workspace_ctx, case_id, request.POST.get("body", ""))
        messages.success(request, "Note added.")
    except (ModerationError, CaseNotFound) as exc:
        messages.error(request, str(exc))
    return redirect(_case_url(case_id, request.POST.get("query", "")))


@require_POST
@workspace_required(MODERATE)
def case_assign(request: HttpRequest, case_id: int) -> HttpResponse:
    ctx = request.workspace_ctx
    raw = request.POST.get("assignee", "")
    assignee = ctx.user.pk if raw == "me" else (int(raw) if raw.isdigit() else None)
    try:
        case = services.assign(ctx, case_id, assignee)
        messages.success(request, f"Assigned to {case.assigned_to.get_username()}." if case.assigned_to
                         else "Unassigned.")
    except (ModerationError, CaseNotFound) as exc:
        messages.error(request, str(exc))
    return redirect(_case_url(case_id, request.POST.get("query", "")))


@require_POST
@workspace_required(MODERATE)
def bulk(request: HttpRequest) -> HttpResponse:
    ctx = request.workspace_ctx
    query = request.POST.get("query", "")
    action = request.POST.get("action", "")
    assignee = request.POST.get("assignee", "")
    assignee_id = ctx.user.pk if assignee == "me" else (int(assignee) if assignee.isdigit() else None)
    try:
        if request.POST.get("scope") == "filter":
            filters, _ = _filters_from(request, QueryDict(query))
            job = services.start_bulk_decision(ctx, action, filters=filters, note=request.POST.get("note", ""),
                                               assignee_id=assignee_id)
        else:
            ids = [int(i) for i in request.POST.getlist("case") if i.isdigit()]
            job = services.start_bulk_decision(ctx, action, case_ids=ids, note=request.POST.get("note", ""),
                                               assignee_id=assignee_id)
    except ModerationError as exc:
        messages.error(request, str(exc))
        return redirect(_case_url(None, query))
    messages.success(request, f"Started: {action} on {job.total} cases. They are processed in the background.")
    return redirect("dashboard:job", job_id=job.pk)


@require_POST
@workspace_required(MODERATE)
def screen_unchecked(request: HttpRequest) -> HttpResponse:
    job = services.start_backlog_screening(request.workspace_ctx)
    messages.success(request, f"Moderating {job.total} texts that were never checked.")
    return redirect("dashboard:job", job_id=job.pk)

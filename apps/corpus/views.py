"""The import history page and "undo this import". Thin: each view calls one selector or service."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from apps.accounts.permissions import IMPORT
from apps.accounts.web import workspace_required
from apps.core import errors

from . import selectors, services

PAGE_SIZE = 50


@workspace_required()
def imports(request: HttpRequest) -> HttpResponse:
    ctx = request.workspace_ctx
    count, _ = selectors.import_history(ctx, limit=1, offset=0)
    page = Paginator(range(count), PAGE_SIZE).get_page(request.GET.get("page"))
    _, rows = selectors.import_history(ctx, limit=PAGE_SIZE, offset=page.start_index() - 1 if count else 0)
    return render(request, "corpus/imports.html", {"page": page, "imports": rows, "may_undo": ctx.can(IMPORT)})


@workspace_required(IMPORT)
def undo(request: HttpRequest, import_id: int) -> HttpResponse:
    """GET: what undoing would remove, and a button to confirm. POST (the confirmation): undo it."""
    ctx = request.workspace_ctx
    summary = selectors.get_import(ctx, import_id)
    if summary is None:
        raise Http404("No such import in this workspace.")
    if request.method == "POST":
        try:
            done = services.undo_import(ctx, import_id)
        except (errors.InvalidRequest, errors.NotFound) as exc:  # still running, already undone, nothing imported
            messages.error(request, str(exc))
        else:
            removed = done.counts.get("texts", 0)
            messages.success(request, f"Undone: {removed} text{'s' if removed != 1 else ''} of "
                             f"{done.text_import.filename} removed, with everything derived from them.")
        return redirect("corpus:imports")
    return render(request, "corpus/import_undo.html", {"item": summary})

"""The moderation queue in the Django admin, for staff who are also owners or moderators of the workspace.

Every list and page is scoped to those workspaces (`apps.accounts.admin.WorkspaceScopedAdmin`; superusers see
all); a policy is changed here only by an owner of its workspace. Cases and the audit log are read-only here:
decisions go through the same services as the dashboard (so they are checked against the user's role and
logged), via the actions of the list and the buttons of a case.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.timesince import timesince

from apps.accounts.admin import ScopedInlineMixin, WorkspaceScopedAdmin
from apps.accounts.context import WorkspaceContext
from apps.accounts.permissions import MANAGE, MODERATE
from apps.accounts.selectors import context_for_user

from . import services
from .detectors import CATEGORY_LABELS
from .models import AuditAction, AuditEntry, CaseNote, CaseStatus, ModerationCase, ModerationPolicy, PolicyRule
from .views import highlight, snippet

SYNC_LIMIT = 200  # larger selections become one background job


def _ctx_for(request: HttpRequest, workspace_id: int) -> WorkspaceContext | None:
    ctx = context_for_user(request.user, workspace_id)
    if ctx is None or ctx.workspace.pk != workspace_id or not ctx.can(MODERATE):
        return None
    return ctx


class CategoryFilter(admin.SimpleListFilter):
    title = "category"
    parameter_name = "category"

    def lookups(self, request, model_admin):
        return list(CATEGORY_LABELS.items())

    def queryset(self, request, queryset):
        return queryset.filter(categories__contains=[self.value()]) if self.value() else queryset


class SeverityFilter(admin.SimpleListFilter):
    title = "severity"
    parameter_name = "severity"

    def lookups(self, request, model_admin):
        return [("3", "3 severe"), ("2", "2 clear"), ("1", "1 mild"), ("0", "0 none")]

    def queryset(self, request, queryset):
        return queryset.filter(severity=int(self.value())) if self.value() else queryset


class NoteInline(admin.TabularInline):
    model = CaseNote
    extra = 1
    fields = ("body", "author", "created_at")
    readonly_fields = ("author", "created_at")

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class AuditInline(admin.TabularInline):
    model = AuditEntry
    extra = 0
    fields = ("created_at", "actor_name", "action", "before_status", "after_status", "note")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ModerationCase)
class ModerationCaseAdmin(WorkspaceScopedAdmin):
    edit_permission = MODERATE  # only notes are added here; decisions go through the services

    list_display = ("id", "severity_badge", "category_tags", "text_snippet", "source", "stage", "status_badge",
                    "age", "assigned_to")
    list_display_links = ("id", "text_snippet")
    list_filter = ("status", CategoryFilter, SeverityFilter, "stage", "source", "subject_type", "auto_action",
                   "subject_status", ("assigned_to", admin.RelatedOnlyFieldListFilter), "created_at",
                   ("workspace", admin.RelatedOnlyFieldListFilter))
    search_fields = ("text", "final_text", "subject_id", "rationale")
    ordering = ("-severity", "created_at", "id")
    date_hierarchy = "created_at"
    list_per_page = 50
    list_select_related = ("assigned_to", "workspace")
    actions = ("approve_selected", "reject_selected", "send_back_selected", "assign_to_me")
    inlines = (NoteInline, AuditInline)
    change_form_template = "admin/moderation/moderationcase/change_form.html"
    fieldsets = (
        (None, {"fields": ("highlighted_text", "final_text", "rationale", "offending_span", "signal_table")}),
        ("Verdict", {"fields": (("severity", "categories", "auto_action", "stage"), ("status", "subject_status"),
                                "llm_error")}),
        ("Subject", {"fields": (("workspace", "subject_type", "subject_id"), ("source", "language"),
                                ("created_at", "updated_at"))}),
        ("Last decision and assignment", {"fields": (("decision", "decided_by", "decided_at"), "assigned_to")}),
    )

    class Media:
        css = {"all": ("css/moderation-admin.css",)}
        js = ("js/moderation.js",)

    def get_readonly_fields(self, request, obj=None):
        # Everything: a case changes only through decisions, which are audited.
        return [f.name for f in self.model._meta.fields] + ["highlighted_text", "signal_table"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # the audit log refers to cases; deleting the workspace removes both

    @admin.display(description="sev", ordering="-severity")
    def severity_badge(self, obj: ModerationCase):
        return format_html('<span class="sev sev-{}">{}</span>', obj.severity, obj.severity)

    @admin.display(description="categories")
    def category_tags(self, obj: ModerationCase):
        return format_html_join(" ", '<span class="cat">{}</span>',
                                ((CATEGORY_LABELS.get(c, c),) for c in obj.categories)) or "—"

    @admin.display(description="text")
    def text_snippet(self, obj: ModerationCase):
        return snippet(obj, 160)

    @admin.display(description="status", ordering="status")
    def status_badge(self, obj: ModerationCase):
        hidden = " · hidden" if obj.subject_status == "hidden" else ""
        return format_html('<span class="mstatus mstatus-{}">{}{}</span>', obj.status, obj.get_status_display(),
                           hidden)

    @admin.display(description="age", ordering="created_at")
    def age(self, obj: ModerationCase) -> str:
        return timesince(obj.created_at, timezone.now())

    @admin.display(description="text (flagged span highlighted)")
    def highlighted_text(self, obj: ModerationCase):
        return format_html('<div class="mod-text">{}</div>', highlight(obj.text, obj.span_start, obj.span_end))

    @admin.display(description="detector findings")
    def signal_table(self, obj: ModerationCase):
        if not obj.signals:
            return "—"
        rows = format_html_join("", "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>", (
            (s["detector"], CATEGORY_LABELS.get(s["category"], s["category"]), s["severity"],
             "certain" if s["certain"] else "candidate", s["reason"]) for s in obj.signals))
        return format_html('<table class="mod-signals"><tr><th>detector</th><th>category</th><th>severity</th>'
                           "<th>evidence</th><th>finding</th></tr>{}</table>", rows)

    # --- decisions ---------------------------------------------------------------------------------------

    def _decide_many(self, request: HttpRequest, queryset: QuerySet[ModerationCase], action: str) -> None:
        by_workspace: dict[int, list[int]] = {}
        for workspace_id, pk in queryset.values_list("workspace_id", "pk"):
            by_workspace.setdefault(workspace_id, []).append(pk)
        for workspace_id, ids in by_workspace.items():
            ctx = _ctx_for(request, workspace_id)
            if ctx is None:
                self.message_user(request, f"Skipped {len(ids)} cases: you are not an owner or moderator of their "
                                           "workspace.", messages.ERROR)
                continue
            if len(ids) > SYNC_LIMIT or action == AuditAction.ASSIGN:
                job = services.start_bulk_decision(ctx, action, case_ids=ids, note="From the admin.",
                                                   assignee_id=request.user.pk if action == AuditAction.ASSIGN
                                                   else None)
                self.message_user(request, f"{action}: {len(ids)} cases in {ctx.workspace} are processed in the "
                                           f"background (job {job.pk}).")
                continue
            for pk in ids:
                services.decide(ctx, pk, action, note="From the admin.")
            self.message_user(request, f"{action}: {len(ids)} cases in {ctx.workspace}.", messages.SUCCESS)

    @admin.action(description="Approve selected cases")
    def approve_selected(self, request, queryset):
        self._decide_many(request, queryset, AuditAction.APPROVE)

    @admin.action(description="Reject selected cases")
    def reject_selected(self, request, queryset):
        self._decide_many(request, queryset, AuditAction.REJECT)

    @admin.action(description="Send selected cases back to the queue")
    def send_back_selected(self, request, queryset):
        self._decide_many(request, queryset, AuditAction.SEND_BACK)

    @admin.action(description="Assign selected cases to me")
    def assign_to_me(self, request, queryset):
        self._decide_many(request, queryset, AuditAction.ASSIGN)

    def get_urls(self):
        return [path("<int:case_id>/decide/", self.admin_site.admin_view(self.decide_view),
                     name="moderation_moderationcase_decide"), *super().get_urls()]

    def decide_view(self, request: HttpRequest, case_id: int):
        case = get_object_or_404(self.get_queryset(request), pk=case_id)
        change_url = reverse("admin:moderation_moderationcase_change", args=[case_id])
        if request.method != "POST":
            return HttpResponseRedirect(change_url)
        ctx = _ctx_for(request, case.workspace_id)
        if ctx is None:
            self.message_user(request, "Only owners and moderators of this case's workspace can decide it.",
                              messages.ERROR)
            return HttpResponseRedirect(change_url)
        action = request.POST.get("action", "")
        try:
            services.decide(ctx, case_id, action, text=request.POST.get("text"), note=request.POST.get("note", ""))
        except services.ModerationError as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return HttpResponseRedirect(change_url)
        self.message_user(request, f"Case {case_id}: {dict(AuditAction.choices).get(action, action).lower()}.",
                          messages.SUCCESS)
        following = (ModerationCase.objects.filter(workspace_id=case.workspace_id, status=CaseStatus.PENDING)
                     .exclude(pk=case_id).order_by("-severity", "created_at", "id").values_list("pk", flat=True)
                     .first())
        if following:
            return HttpResponseRedirect(reverse("admin:moderation_moderationcase_change", args=[following]))
        return HttpResponseRedirect(reverse("admin:moderation_moderationcase_changelist") + "?status__exact=pending")

    def save_formset(self, request, form, formset, change):
        notes = formset.save(commit=False)
        for note in notes:
            if isinstance(note, CaseNote):
                case = note.case
                if _ctx_for(request, case.workspace_id) is None:
                    self.message_user(request, "Only owners and moderators of this workspace can add notes.",
                                      messages.ERROR)
                    continue
                note.author = request.user
                note.save()

    def save_model(self, request, obj, form, change):
        pass  # every field is read-only; only notes (inline) are saved


@admin.register(AuditEntry)
class AuditEntryAdmin(WorkspaceScopedAdmin):
    """Append-only: no add, change or delete from any page."""

    edit_permission = MODERATE

    list_display = ("created_at", "actor_name", "action", "case_link", "before_status", "after_status", "note",
                    "workspace")
    list_filter = ("action", "after_status", "created_at", ("workspace", admin.RelatedOnlyFieldListFilter))
    search_fields = ("actor_name", "note", "before_text", "after_text")
    date_hierarchy = "created_at"
    ordering = ("-created_at", "-id")
    list_per_page = 100
    actions = None

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description="case", ordering="case")
    def case_link(self, obj: AuditEntry):
        return format_html('<a href="{}">case {}</a>', reverse("admin:moderation_moderationcase_change",
                                                               args=[obj.case_id]), obj.case_id)


class PolicyRuleInline(ScopedInlineMixin, admin.TabularInline):
    model = PolicyRule
    extra = 0


@admin.register(ModerationPolicy)
class ModerationPolicyAdmin(WorkspaceScopedAdmin):
    """Moderators of the workspace see it; its owners change it (as on the policy page)."""

    edit_permission = MANAGE
    list_display = ("workspace", "exclude_pending_from_analysis", "use_llm_judge", "updated_at")
    inlines = (PolicyRuleInline,)

"""Privacy records in the Django admin: read-only, and only for owners of the workspace (as the Privacy page)."""

from django.contrib import admin

from apps.accounts.admin import ViewOnlyScopedAdmin
from apps.accounts.models import Role

from .models import ErasureRequest, PrivacyAuditEntry, RetentionPolicy, WorkspaceExport


class ReadOnlyAdmin(ViewOnlyScopedAdmin):
    view_roles = frozenset({Role.OWNER})


@admin.register(PrivacyAuditEntry)
class PrivacyAuditEntryAdmin(ReadOnlyAdmin):
    """Append-only: shown, never edited or deleted. Entries of deleted workspaces: superusers only."""

    list_display = ("created_at", "workspace_name", "actor_name", "action")
    list_filter = ("action",)
    search_fields = ("workspace_name", "actor_name")


@admin.register(ErasureRequest)
class ErasureRequestAdmin(ReadOnlyAdmin):
    list_display = ("pk", "workspace", "kind", "status", "created_at", "executed_at")
    exclude = ("text_ids",)


@admin.register(WorkspaceExport)
class WorkspaceExportAdmin(ReadOnlyAdmin):
    list_display = ("pk", "workspace", "include_originals", "size_bytes", "created_at", "finished_at")
    exclude = ("archive",)

    def get_queryset(self, request):
        return super().get_queryset(request).defer("archive")


@admin.register(RetentionPolicy)
class RetentionPolicyAdmin(ReadOnlyAdmin):
    """Owners change it on the Privacy page, where the change is logged."""

    list_display = ("workspace", "original_days", "last_purged_at")

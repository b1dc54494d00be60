"""Replies in the Django admin, scoped to the staff user's owner/moderator workspaces
(`apps.accounts.admin.WorkspaceScopedAdmin`; superusers see all). Owners change their reply policy and
knowledge snippets here; drafts are read-only: a draft's status, body and moderation change only through the
services (edits are moderated again, approval needs moderation's approval). Translations: apps/translation."""

from django.contrib import admin

from apps.accounts.admin import ViewOnlyScopedAdmin, WorkspaceScopedAdmin

from .models import KnowledgeSnippet, ReplyDraft, ReplyPolicy


@admin.register(ReplyPolicy)
class ReplyPolicyAdmin(WorkspaceScopedAdmin):
    list_display = ("workspace", "updated_at")
    readonly_fields = ("updated_by",)

    def save_model(self, request, obj, form, change):
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(KnowledgeSnippet)
class KnowledgeSnippetAdmin(WorkspaceScopedAdmin):
    list_display = ("title", "workspace", "updated_at")
    list_filter = (("workspace", admin.RelatedOnlyFieldListFilter),)
    exclude = ("embedding", "embedding_model", "embedded_hash")
    readonly_fields = ("updated_by",)

    def save_model(self, request, obj, form, change):
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(ReplyDraft)
class ReplyDraftAdmin(ViewOnlyScopedAdmin):
    list_display = ("pk", "workspace", "text_id", "status", "moderation_status", "language", "created_at")
    list_filter = ("status", "moderation_status", ("workspace", admin.RelatedOnlyFieldListFilter))
    raw_id_fields = ("text", "job")

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]  # status included: approval goes through the services


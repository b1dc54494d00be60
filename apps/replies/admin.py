from django.contrib import admin

from .models import KnowledgeSnippet, ReplyDraft, ReplyPolicy, TextTranslation


@admin.register(ReplyPolicy)
class ReplyPolicyAdmin(admin.ModelAdmin):
    list_display = ("workspace", "updated_at")


@admin.register(KnowledgeSnippet)
class KnowledgeSnippetAdmin(admin.ModelAdmin):
    list_display = ("title", "workspace", "updated_at")
    list_filter = ("workspace",)
    exclude = ("embedding",)


@admin.register(ReplyDraft)
class ReplyDraftAdmin(admin.ModelAdmin):
    list_display = ("pk", "workspace", "text_id", "status", "moderation_status", "language", "created_at")
    list_filter = ("status", "moderation_status", "workspace")
    raw_id_fields = ("text", "job")


@admin.register(TextTranslation)
class TextTranslationAdmin(admin.ModelAdmin):
    list_display = ("text_id", "target_language", "source_language", "model", "created_at")
    raw_id_fields = ("text",)

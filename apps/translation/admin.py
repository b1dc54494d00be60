"""Translations in the Django admin, read-only and scoped to the staff user's owner/moderator workspaces
(`apps.accounts.admin.ViewOnlyScopedAdmin`; superusers see all)."""

from django.contrib import admin

from apps.accounts.admin import ViewOnlyScopedAdmin

from .models import TextTranslation


@admin.register(TextTranslation)
class TextTranslationAdmin(ViewOnlyScopedAdmin):
    list_display = ("text_id", "target_language", "source_language", "model", "created_at")
    raw_id_fields = ("text",)

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

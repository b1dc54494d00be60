"""Translations of customer texts and each reader's preferred language. Both models began in the replies app:
their tables keep the names `replies_texttranslation` and `replies_userlanguage` (Meta.db_table)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

# Languages a reader can choose and a reply or translation can be written in. The name is what the
# prompt tells the model; zh means Simplified Chinese (our Chinese-speaking customers are on the mainland).
LANGUAGES: dict[str, str] = {
    "en": "English",
    "zh": "Simplified Chinese",
    "de": "German",
    "fr": "French",
    "es": "Spanish",
    "ja": "Japanese",
}
DEFAULT_LANGUAGE = "en"


class TextTranslation(models.Model):
    """A customer text in another language, generated once through the gateway and kept. Translations are
    of the redacted text, so they carry no personal data the original text did not already hide."""

    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="+")
    text = models.ForeignKey("corpus.CustomerText", on_delete=models.CASCADE, related_name="translations")
    target_language = models.CharField(max_length=12)
    source_language = models.CharField(max_length=12, blank=True)
    translated_text = models.TextField()
    source_hash = models.CharField(max_length=64)  # of the text translated: a changed text is translated again
    model = models.CharField(max_length=100, blank=True)
    prompt = models.CharField(max_length=60, blank=True)
    prompt_version = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "replies_texttranslation"
        constraints = [models.UniqueConstraint(fields=["text", "target_language"], name="one_translation_per_language")]

    def __str__(self) -> str:
        return f"text {self.text_id} in {self.target_language}"


class UserLanguage(models.Model):
    """The language a person reads customer texts in (a per-user preference, across workspaces)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reading_language")
    language = models.CharField(max_length=12, default=DEFAULT_LANGUAGE)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "replies_userlanguage"

    def __str__(self) -> str:
        return f"{self.user} reads {self.language}"

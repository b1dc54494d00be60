"""Generated text under review: the fields and helpers a copy variant and a reply draft share, so the two keep
one rule for what moderation stores on a text, who approved it, its history and how it was generated.

An abstract model lives here, in moderation, because moderation sits below copy and replies (.importlinter)
and the fields describe moderation's work on a subject; it knows nothing of either app, and it has no table
(each concrete model keeps its own, with the same columns as before the fields moved here)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone

from apps.corpus.models import ModerationStatus

HISTORY_KEPT = 10  # earlier texts a variant or draft keeps: enough to undo, not a growing blob
MODERATION_REASON_MAX_CHARS = 2000  # the reason shown next to the text; a longer explanation is cut, not refused


class GeneratedTextUnderReview(models.Model):
    """A text the model wrote that moderation judges and a person approves. Only fields whose type, options,
    defaults and related names are the same in every subclass live here: moving a field here must not change
    a migration (`makemigrations --check` says "No changes detected"). What differs (the text's own parts, how
    approval is recorded: copy's `approved` flag, replies' `status`) stays on the concrete models."""

    moderation_status = models.CharField(max_length=20, choices=ModerationStatus.choices,
                                         default=ModerationStatus.UNCHECKED)
    moderation_reason = models.TextField(blank=True)
    moderation_case_id = models.PositiveBigIntegerField(null=True, blank=True)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    approved_at = models.DateTimeField(null=True, blank=True)
    edited = models.BooleanField(default=False)
    history = models.JSONField(default=list, blank=True)  # earlier texts, newest last (see `remember`)
    attempts = models.PositiveSmallIntegerField(default=1)  # generations it took (each app's checks ask again)
    model = models.CharField(max_length=100, blank=True)
    prompt = models.CharField(max_length=60, blank=True)
    prompt_version = models.PositiveSmallIntegerField(default=0)
    seed = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True

    def remember(self, entry: dict[str, Any]) -> None:
        """Add an earlier text to the history (not saved here: the caller saves it with the new text), keeping
        the newest HISTORY_KEPT so the column stays small however often a text is edited."""
        self.history = [*self.history, entry][-HISTORY_KEPT:]

    def take_moderation(self, status: str, reason: str, case_id: int | None) -> dict[str, Any]:
        """Store moderation's verdict on the instance and return the same values, with `updated_at`, for the
        queryset `update()` both apps write a verdict with (only these columns, not the whole row). Withdrawing
        an approval is the caller's: each app records approval its own way."""
        self.moderation_status, self.moderation_reason = status, reason[:MODERATION_REASON_MAX_CHARS]
        self.moderation_case_id = case_id
        return {"moderation_status": status, "moderation_reason": self.moderation_reason,
                "moderation_case_id": case_id, "updated_at": timezone.now()}

"""Customer-service replies: a workspace's reply policy and knowledge snippets, and reply drafts (grounded,
policy-checked, moderated, approved by a person). Translations and the reading language are apps/translation."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from apps.moderation.reviewed import GeneratedTextUnderReview


class ReplyPolicy(models.Model):
    """What a reply may offer: the owner's short policy text (refund rules, what may be promised), the tone,
    the sign-off and the promises that are allowed. The policy check measures every draft against it."""

    workspace = models.OneToOneField("accounts.Workspace", on_delete=models.CASCADE, related_name="reply_policy")
    policy = models.TextField(blank=True)
    tone = models.CharField(max_length=200, blank=True)
    sign_off = models.CharField(max_length=200, blank=True)
    allowed_promises = models.JSONField(default=list, blank=True)  # short phrases, e.g. "refund within 30 days"
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"reply policy of {self.workspace}"


class KnowledgeSnippet(models.Model):
    """A short FAQ entry the owner maintains. Drafts may cite it; its facts (numbers, versions, refund rules)
    are ones a reply may state. The vector is computed when a draft first needs it (retrieval by meaning)."""

    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="knowledge_snippets")
    title = models.CharField(max_length=200)
    body = models.TextField()
    embedding = models.JSONField(null=True, blank=True)
    embedding_model = models.CharField(max_length=50, blank=True)
    embedded_hash = models.CharField(max_length=64, blank=True)  # of title + body when embedded
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["title", "pk"]

    def __str__(self) -> str:
        return self.title


class ReplyStatus(models.TextChoices):
    DRAFT = "draft"
    APPROVED = "approved"
    REJECTED = "rejected"


class ReplyDraft(GeneratedTextUnderReview):
    """One proposed reply to one customer text. A person approves it only once moderation approved this exact
    body and no policy flag is left; approved replies are what the CSV export hands out for posting."""

    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="+")
    text = models.ForeignKey("corpus.CustomerText", on_delete=models.CASCADE, related_name="reply_drafts")
    job = models.ForeignKey("jobs.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    variant = models.PositiveSmallIntegerField(default=1)
    body = models.TextField()
    language = models.CharField(max_length=12, blank=True)
    points = models.JSONField(default=list, blank=True)  # the customer's points, as the model listed them
    # {"texts": [customer text ids], "snippets": [snippet ids], "replies": [earlier approved reply ids]}
    sources = models.JSONField(default=dict, blank=True)
    policy_flags = models.JSONField(default=list, blank=True)  # [{kind, text, start, end, reason}]
    status = models.CharField(max_length=20, choices=ReplyStatus.choices, default=ReplyStatus.DRAFT)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    # Moderation, approval (approved_by / approved_at, with `status`), history (earlier bodies), attempts (policy,
    # language, citations), the model, prompt and seed, and the timestamps come from GeneratedTextUnderReview.

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["job", "text", "variant"], name="one_reply_per_job_text_variant")]
        indexes = [models.Index(fields=["workspace", "status", "-created_at"]),
                   models.Index(fields=["workspace", "text"])]

    def __str__(self) -> str:
        return f"reply {self.pk} to text {self.text_id}"

"""Moderation: per-workspace policy, one case per moderated subject, notes, and an append-only audit log.

Moderation knows nothing of copy or insights: it moderates *subjects* — a type, an id and a text snapshot.
For customer texts (subject_type "customer_text") the outcome is written to CustomerText.moderation_status;
other apps learn about outcomes from the return value of the service they called and from the
`subjects_moderated` signal.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from apps.corpus.models import ModerationStatus

from .detectors import CATEGORY_LABELS

CUSTOMER_TEXT = "customer_text"


class Category(models.TextChoices):
    HARASSMENT = "harassment", CATEGORY_LABELS["harassment"]
    VIOLENCE = "violence", CATEGORY_LABELS["violence"]
    SEXUAL = "sexual", CATEGORY_LABELS["sexual"]
    SELF_HARM = "self_harm", CATEGORY_LABELS["self_harm"]
    SPAM = "spam", CATEGORY_LABELS["spam"]
    PERSONAL_DATA = "personal_data", CATEGORY_LABELS["personal_data"]
    PROMPT_INJECTION = "prompt_injection", CATEGORY_LABELS["prompt_injection"]
    OFF_TOPIC = "off_topic", CATEGORY_LABELS["off_topic"]


class Action(models.TextChoices):
    ALLOW = "allow", "Allow"
    QUEUE = "queue", "Queue for review"
    HIDE = "hide", "Hide and queue for review"


class CaseStatus(models.TextChoices):
    SCREENING = "screening", "Screening"  # waiting for the LLM judge
    PENDING = "pending", "Pending review"  # waiting for a moderator
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"


class Stage(models.TextChoices):
    FAST = "fast", "Fast detectors"
    LLM = "llm", "LLM judge"


class AuditAction(models.TextChoices):
    APPROVE = "approve", "Approve"
    EDIT = "edit", "Edit and approve"
    REJECT = "reject", "Reject"
    SEND_BACK = "send_back", "Send back to the queue"
    ASSIGN = "assign", "Assign"
    UNDO = "undo", "Undo the last decision"


# Defaults of a new workspace's policy: (threshold on severity 1-3, action when severity >= threshold).
DEFAULT_RULES: dict[str, tuple[int, str]] = {
    Category.HARASSMENT: (2, Action.QUEUE),
    Category.VIOLENCE: (2, Action.HIDE),
    Category.SEXUAL: (2, Action.HIDE),
    Category.SELF_HARM: (1, Action.QUEUE),
    Category.SPAM: (2, Action.HIDE),
    Category.PERSONAL_DATA: (2, Action.QUEUE),
    Category.PROMPT_INJECTION: (2, Action.HIDE),
    Category.OFF_TOPIC: (2, Action.QUEUE),
}


class ModerationPolicy(models.Model):
    """Created lazily with the defaults above the first time an owner changes it; until then the defaults apply."""

    workspace = models.OneToOneField("accounts.Workspace", on_delete=models.CASCADE,
                                     related_name="moderation_policy")
    # Pending texts (awaiting review or the LLM judge) stay out of insights and copy grounding until approved.
    # Hidden and rejected texts are always left out.
    exclude_pending_from_analysis = models.BooleanField(default=True)
    # Off: texts the fast stage cannot settle go straight to the human queue.
    use_llm_judge = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "moderation policies"

    def __str__(self) -> str:
        return f"Moderation policy of {self.workspace}"


class PolicyRule(models.Model):
    policy = models.ForeignKey(ModerationPolicy, on_delete=models.CASCADE, related_name="rules")
    category = models.CharField(max_length=30, choices=Category.choices)
    threshold = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(3)])
    action = models.CharField(max_length=10, choices=Action.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["policy", "category"], name="one_rule_per_category")]

    def __str__(self) -> str:
        return f"{self.category}: severity >= {self.threshold} → {self.action}"


class ModerationCase(models.Model):
    """The automatic verdict on one subject (never changed by people) and the human decision on it."""

    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="moderation_cases")
    subject_type = models.CharField(max_length=30)
    subject_id = models.CharField(max_length=64)
    text = models.TextField()  # the text that was judged, as it was then
    source = models.CharField(max_length=100, blank=True)
    language = models.CharField(max_length=12, blank=True)

    # The automatic verdict.
    stage = models.CharField(max_length=10, choices=Stage.choices, default=Stage.FAST)
    categories = ArrayField(models.CharField(max_length=30), default=list, blank=True)  # severity > 0
    scores = models.JSONField(default=dict, blank=True)  # {category: severity}
    severity = models.PositiveSmallIntegerField(default=0)
    rationale = models.TextField(blank=True)
    offending_span = models.TextField(blank=True)
    span_start = models.PositiveIntegerField(null=True, blank=True)
    span_end = models.PositiveIntegerField(null=True, blank=True)
    signals = models.JSONField(default=list, blank=True)  # the fast detectors' findings
    auto_action = models.CharField(max_length=10, choices=Action.choices, default=Action.ALLOW)
    llm_error = models.CharField(max_length=300, blank=True)

    # Where the case stands and what the subject's status is now.
    status = models.CharField(max_length=20, choices=CaseStatus.choices, default=CaseStatus.SCREENING)
    subject_status = models.CharField(max_length=20, choices=ModerationStatus.choices,
                                      default=ModerationStatus.PENDING)
    final_text = models.TextField(blank=True)  # set by "edit and approve"
    decision = models.CharField(max_length=20, choices=AuditAction.choices, blank=True)  # last human decision
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    assigned_to = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="moderation_assignments")
    job = models.ForeignKey("jobs.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["workspace", "subject_type", "subject_id"],
                                               name="one_case_per_subject")]
        indexes = [
            models.Index(fields=["workspace", "status", "-severity", "created_at"], name="mod_case_queue"),
            models.Index(fields=["workspace", "created_at"], name="mod_case_created"),
            models.Index(fields=["job", "status"], name="mod_case_job"),
            GinIndex(fields=["categories"], name="mod_case_categories"),
        ]

    def __str__(self) -> str:
        return f"case {self.pk}: {self.subject_type} {self.subject_id} ({self.status})"

    @property
    def is_open(self) -> bool:
        return self.status in (CaseStatus.SCREENING, CaseStatus.PENDING)

    @property
    def current_text(self) -> str:
        return self.final_text or self.text


class CaseNote(models.Model):
    case = models.ForeignKey(ModerationCase, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return self.body[:60]


class AuditEntryQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionError("The moderation audit log is append-only.")

    def delete(self):
        raise PermissionError("The moderation audit log is append-only.")


class AuditEntry(models.Model):
    """One human decision. Append-only: rows are never updated or deleted by the application (the admin
    shows them read-only; deleting a whole workspace removes its log with it)."""

    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="+")
    # RESTRICT: a case with decisions cannot be deleted on its own; deleting its workspace removes both.
    case = models.ForeignKey(ModerationCase, on_delete=models.RESTRICT, related_name="audit_entries")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    actor_name = models.CharField(max_length=150)  # kept if the user is deleted
    action = models.CharField(max_length=20, choices=AuditAction.choices)
    before_status = models.CharField(max_length=20)
    after_status = models.CharField(max_length=20)
    before_text = models.TextField(blank=True)
    after_text = models.TextField(blank=True)
    note = models.TextField(blank=True)
    job = models.ForeignKey("jobs.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # The case's fields this entry changed, as they were before it (status, subject_status, final_text,
    # decision, decided_by, decided_at, assigned_to): what undoing a decision puts back. Empty on entries
    # written before undo existed and on bulk decisions, which cannot be undone.
    previous_state = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name_plural = "audit entries"
        indexes = [models.Index(fields=["workspace", "created_at"], name="mod_audit_ws_created")]

    def __str__(self) -> str:
        return f"{self.actor_name} {self.action} case {self.case_id} at {self.created_at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise PermissionError("The moderation audit log is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("The moderation audit log is append-only.")

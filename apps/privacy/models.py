"""Privacy: the key check, the append-only privacy audit log, retention policies, exports and erasures.

Nothing here stores a customer's personal data in the clear: the audit log and erasure requests keep counts,
ids and keyed hashes; an export's zip is encrypted at rest like the originals it may contain.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from apps.core.fields import EncryptedBinaryField, EncryptedTextField


class KeyCheck(models.Model):
    """One row: a known value encrypted under the current key. Start-up decrypts it, so a process given a wrong
    key stops with a clear error instead of writing data that the other processes cannot read."""

    canary = EncryptedTextField()
    created_at = models.DateTimeField(auto_now_add=True)
    rotated_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"key check {self.pk}"


class AuditAction(models.TextChoices):
    VIEW_ORIGINALS = "view_originals", "Viewed originals"
    EXPORT = "export", "Started an export"
    DOWNLOAD_EXPORT = "download_export", "Downloaded an export"
    ERASURE_PREVIEW = "erasure_preview", "Searched a customer's data"
    ERASURE = "erasure", "Erased a customer's data"
    RETENTION_CHANGE = "retention_change", "Changed the retention period"
    RETENTION_PURGE = "retention_purge", "Purged originals (retention)"
    KEY_ROTATION = "key_rotation", "Rotated the encryption key"
    DELETE_WORKSPACE = "delete_workspace", "Deleted the workspace"


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionError("The privacy audit log is append-only.")

    def delete(self):
        raise PermissionError("The privacy audit log is append-only.")


class PrivacyAuditEntry(models.Model):
    """Who viewed originals, exported, erased, changed retention: append-only, visible to owners. `detail` holds
    counts, ids and keyed hashes, never the personal data itself. Entries outlive their workspace (the link
    becomes null, the name stays), so the deletion of a workspace is itself on record."""

    workspace = models.ForeignKey("accounts.Workspace", null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+")
    workspace_name = models.CharField(max_length=100, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    actor_name = models.CharField(max_length=150)  # "system" for scheduled work; kept if the user is deleted
    action = models.CharField(max_length=20, choices=AuditAction.choices)
    detail = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "privacy audit entries"
        indexes = [models.Index(fields=["workspace", "-created_at"], name="privacy_audit_ws_created")]

    def __str__(self) -> str:
        return f"{self.actor_name} {self.action} at {self.created_at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise PermissionError("The privacy audit log is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("The privacy audit log is append-only.")


class RetentionPolicy(models.Model):
    """How long a workspace keeps originals (texts before redaction, author names, uploaded files). After that
    a scheduled job purges them; redacted texts, analyses and aggregates stay."""

    workspace = models.OneToOneField("accounts.Workspace", on_delete=models.CASCADE, related_name="retention_policy")
    original_days = models.PositiveIntegerField(null=True, blank=True)  # None: keep originals
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    updated_at = models.DateTimeField(auto_now=True)
    last_purged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "retention policies"

    def __str__(self) -> str:
        return f"retention of {self.workspace}: {self.original_days or 'forever'}"


class WorkspaceExport(models.Model):
    """One export of a whole workspace: a zip of JSON/CSV files, built by one job, downloadable by owners."""

    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="exports")
    job = models.OneToOneField("jobs.Job", on_delete=models.CASCADE, related_name="workspace_export")
    include_originals = models.BooleanField(default=False)
    # In the database (not on a disk only one machine sees) and encrypted: it may hold originals.
    archive = EncryptedBinaryField(default=b"", editable=False)
    size_bytes = models.PositiveBigIntegerField(default=0)
    sha256 = models.CharField(max_length=64, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["workspace", "-created_at"])]

    def __str__(self) -> str:
        return f"export {self.pk} of {self.workspace}"

    @property
    def filename(self) -> str:
        return f"murmur-export-{self.workspace_id}-{self.created_at:%Y%m%d-%H%M%S}.zip"


class ErasureKind(models.TextChoices):
    AUTHOR = "author", "Author name"
    EMAIL = "email", "Email address"
    TEXT = "text", "Words in the text"


class ErasureStatus(models.TextChoices):
    PREVIEWED = "previewed", "Waiting for confirmation"
    DONE = "done", "Erased"


class ErasureRequest(models.Model):
    """A search for one customer's data (previewed), then its erasure (confirmed). Keeps the kind of search, a
    keyed hash of the search term and counts, never the term or the texts; the matched ids only until then."""

    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="+")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    kind = models.CharField(max_length=10, choices=ErasureKind.choices)
    criterion_hash = models.CharField(max_length=64)
    text_ids = models.JSONField(default=list, blank=True)
    counts = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=ErasureStatus.choices, default=ErasureStatus.PREVIEWED)
    created_at = models.DateTimeField(auto_now_add=True)
    executed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"erasure {self.pk} ({self.status})"

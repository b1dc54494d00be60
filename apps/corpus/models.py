from datetime import UTC, datetime

from django.conf import settings
from django.db import models

from apps.core import crypto
from apps.core.fields import BlindIndexField, EncryptedBinaryField, EncryptedTextField


class ImportStatus(models.TextChoices):
    PENDING = "pending"
    COMMITTED = "committed"
    FAILED = "failed"


class ModerationStatus(models.TextChoices):
    """Kept here so readers of texts need not import moderation (see docs/ARCHITECTURE.md)."""

    UNCHECKED = "unchecked"
    APPROVED = "approved"
    PENDING = "pending"
    HIDDEN = "hidden"
    REJECTED = "rejected"


class TextImport(models.Model):
    """One uploaded file. The payload (encrypted: it holds the originals) is kept until the import is committed,
    so a retried task can re-read it on any worker machine; then it is dropped."""

    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="imports")
    job = models.OneToOneField("jobs.Job", on_delete=models.CASCADE, related_name="text_import")
    filename = models.CharField(max_length=255)
    file_format = models.CharField(max_length=10)
    # Keyed digest of the uploaded bytes (crypto.workspace_digest, FILE), not a plain SHA-256: a plain one lets a
    # database reader confirm a guessed file. The name is historical.
    file_sha256 = models.CharField(max_length=64)
    mapping = models.JSONField(default=dict, blank=True)
    payload = EncryptedBinaryField()
    status = models.CharField(max_length=20, choices=ImportStatus.choices, default=ImportStatus.PENDING)
    rows_total = models.PositiveIntegerField(default=0)
    rows_new = models.PositiveIntegerField(default=0)
    rows_duplicate = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    # "Undo this import" (services.undo_import): its texts were erased; the row stays in the import history.
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+")
    texts_removed = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["workspace", "-created_at"], name="corpus_import_ws_created")]

    def __str__(self) -> str:
        return f"{self.filename} ({self.status})"


def content_hash(workspace_id: int, original: str, author: str, posted_at: datetime | None, source: str,
                 key: str | None = None) -> str:
    """Identity of a text within a workspace: the same words from the same author at the same moment, from the
    same source. A keyed digest (`crypto.workspace_digest`), so a database reader cannot confirm a guessed text
    and one text has unrelated hashes in two workspaces; computed from stored fields only, so a key rotation
    can recompute it (the moment in UTC: the database hands it back in UTC, whatever offset the file gave)."""
    when = posted_at.astimezone(UTC).isoformat() if posted_at else ""
    identity = "\x1f".join([original, author or "", when, source or ""])
    return crypto.workspace_digest(workspace_id, crypto.TEXT, identity, key)


def content_hashes(workspace_id: int, original: str, author: str, posted_at: datetime | None,
                   source: str) -> list[str]:
    """The hash under every configured key, current first: a text stored before a rotation still matches."""
    return list(dict.fromkeys(content_hash(workspace_id, original, author, posted_at, source, key)
                              for key in crypto.configured_keys()))


class CustomerText(models.Model):
    """One piece of customer voice. `text` is cleaned and redacted: the only form later stages see."""

    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="texts")
    text_import = models.ForeignKey(TextImport, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="texts")
    text = models.TextField()
    # Personal data: Fernet tokens in the database (apps/core/crypto.py); owners only.
    original_text = EncryptedTextField()
    content_hash = models.CharField(max_length=64)  # identity within the workspace: see `content_hash` below
    rating = models.PositiveSmallIntegerField(null=True, blank=True)
    posted_at = models.DateTimeField(null=True, blank=True)
    source = models.CharField(max_length=100, blank=True)
    author = EncryptedTextField(max_length=200, blank=True)
    author_digest = BlindIndexField(source="author")  # keyed hash of the author: erasure finds them in SQL
    product = models.CharField(max_length=200, blank=True)
    language = models.CharField(max_length=12, blank=True)
    redactions = models.JSONField(default=dict, blank=True)
    moderation_status = models.CharField(
        max_length=20, choices=ModerationStatus.choices, default=ModerationStatus.UNCHECKED
    )
    # False while its import is still being written: a failed import leaves nothing visible.
    is_live = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "content_hash"], name="unique_text_per_workspace")
        ]
        indexes = [
            models.Index(fields=["workspace", "is_live", "posted_at"]),
            models.Index(fields=["workspace", "source"]),
            models.Index(fields=["workspace", "language"]),
            models.Index(fields=["workspace", "author_digest"]),
        ]

    def __str__(self) -> str:
        return self.text[:60]

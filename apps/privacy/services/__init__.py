"""Writes of privacy: the audit log, the encryption key check and rotation, retention, erasure, exports and
workspace deletion. Views, API handlers, tasks and commands call these and nothing below them. One module per
sub-domain, all re-exported here, so callers import `apps.privacy.services` as one:

    audit      the append-only privacy audit log
    keys       the encryption key check (canary) and online rotation
    retention  retention periods and the daily purge
    erasure    preview, then erase a customer's texts and every trace of them
    export     the workspace export job and its download
    deletion   deleting a whole workspace
    errors     PrivacyError (400), NotFound (404)
"""

from .audit import SYSTEM_ACTOR, record, record_originals_viewed
from .deletion import delete_workspace
from .erasure import (
    BATCH,
    PREVIEW_VALID_FOR,
    confirm_erasure,
    criterion_hash,
    erase_import_texts,
    erase_texts,
    find_matches,
    preview_erasure,
)
from .errors import NotFound, PrivacyError
from .export import build_export, download_export, export_retry_refusal, resend_export, start_export
from .keys import (
    CANARY,
    ENCRYPTED_COLUMNS,
    KEY_CREATED,
    KEY_MISSING,
    KEY_OK,
    KEY_OLD,
    KeyMismatch,
    check_encryption_key,
    rotate_encryption_key,
)
from .retention import (
    MAX_RETENTION_DAYS,
    RETENTION_SCHEDULE,
    apply_retention,
    ensure_schedules,
    purge_originals,
    retention_of,
    set_retention,
)

__all__ = [
    "BATCH", "CANARY", "ENCRYPTED_COLUMNS", "KEY_CREATED", "KEY_MISSING", "KEY_OK", "KEY_OLD", "MAX_RETENTION_DAYS",
    "PREVIEW_VALID_FOR", "RETENTION_SCHEDULE", "SYSTEM_ACTOR",
    "KeyMismatch", "NotFound", "PrivacyError",
    "apply_retention", "build_export", "check_encryption_key", "confirm_erasure", "criterion_hash", "delete_workspace",
    "download_export", "ensure_schedules", "erase_import_texts", "erase_texts", "export_retry_refusal", "find_matches",
    "preview_erasure", "purge_originals", "record", "record_originals_viewed", "resend_export", "retention_of",
    "rotate_encryption_key", "set_retention", "start_export",
]

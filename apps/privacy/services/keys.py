"""The encryption key: the start-up check against the canary row, and online rotation to a new key (which
re-encrypts every encrypted value and recomputes every keyed digest)."""

from __future__ import annotations

from collections.abc import Callable

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from apps.core import crypto
from apps.corpus.models import CustomerText, TextImport, content_hash

from ..models import AuditAction, KeyCheck, WorkspaceExport
from .audit import record

CANARY = "murmur encryption key check v1"
KEY_OK, KEY_CREATED, KEY_MISSING, KEY_OLD = "verified", "created", "missing", "rotation pending"


class KeyMismatch(Exception):
    """The configured keys cannot read this database's data."""


def check_encryption_key(*, create: bool = True) -> str:
    """Decrypt the canary written on the first start. Returns KEY_OK, KEY_CREATED (first start), KEY_MISSING
    (no canary and `create` off) or KEY_OLD (readable, but still under an older key: a rotation is pending);
    raises KeyMismatch when the keys cannot read it. A database error (no table yet) propagates."""
    try:
        row = KeyCheck.objects.order_by("pk").first()
    except crypto.DecryptionError:
        raise KeyMismatch(crypto.WRONG_KEY) from None
    if row is None:
        if not create:
            return KEY_MISSING
        KeyCheck.objects.create(canary=CANARY)
        return KEY_CREATED
    if row.canary != CANARY:
        raise KeyMismatch(crypto.WRONG_KEY)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT canary FROM {connection.ops.quote_name(KeyCheck._meta.db_table)} WHERE id = %s",
                       [row.pk])
        token = cursor.fetchone()[0]
    return KEY_OK if crypto.encrypted_under_current_key(token.encode()) else KEY_OLD


# Every encrypted column, with how many rows to hold in one short transaction (files are big).
ENCRYPTED_COLUMNS: list[tuple[type, list[str], int]] = [
    (CustomerText, ["original_text", "author"], 500),
    (TextImport, ["payload"], 1),
    (WorkspaceExport, ["archive"], 1),
    (KeyCheck, ["canary"], 100),
]


# The keyed digests a rotation recomputes (`_rehash`), and the other columns they are computed from.
DIGESTS: dict[type, tuple[list[str], list[str]]] = {
    CustomerText: (["content_hash", "author_digest"], ["workspace_id", "posted_at", "source"]),
    TextImport: (["file_sha256"], ["workspace_id"]),
}


def _rehash(rows: list) -> None:
    """Recompute the keyed digests under the current key, from the decrypted values. A text whose original was
    purged (retention) keeps the hash it has: it cannot be recomputed, so after the old key is dropped a
    re-upload of it is imported again. Imports are only read while their file is kept (pending ones)."""
    for row in rows:
        if isinstance(row, CustomerText):
            row.author_digest = crypto.blind_index(row.author or "", row.workspace_id)
            if row.original_text:
                row.content_hash = content_hash(row.workspace_id, row.original_text, row.author, row.posted_at,
                                                row.source)
        else:
            row.file_sha256 = crypto.workspace_digest(row.workspace_id, crypto.FILE, bytes(row.payload))


def rotate_encryption_key(progress: Callable[[str, int], None] | None = None) -> dict[str, int]:
    """Re-encrypt every encrypted value under the current (first) key, online: small transactions that lock
    only their own rows, so the app keeps running. Every process must already run with the new key first and
    the old ones after it (they then write with the new key and read both)."""
    counts: dict[str, int] = {}
    for model, fields, batch in ENCRYPTED_COLUMNS:
        label, done, last = model._meta.label, 0, 0
        empty = Q()
        for name in fields:
            empty &= Q(**{name: b"" if name in ("payload", "archive") else ""})
        while True:
            with transaction.atomic():
                rows = list(model.objects.select_for_update().filter(pk__gt=last).exclude(empty)
                            .order_by("pk").only("pk", *fields, *sum(DIGESTS.get(model, ()), []))[:batch])
                if not rows:
                    break
                update = list(fields)
                if model in DIGESTS:  # the digests are keyed by the current key too
                    _rehash(rows)
                    update += DIGESTS[model][0]
                # Saving plaintext through the fields encrypts it under the first key.
                model.objects.bulk_update(rows, update)
            last, done = rows[-1].pk, done + len(rows)
            if progress:
                progress(label, done)
        counts[label] = done
    KeyCheck.objects.update(rotated_at=timezone.now())
    record(AuditAction.KEY_ROTATION, detail={"rows": counts})
    return counts

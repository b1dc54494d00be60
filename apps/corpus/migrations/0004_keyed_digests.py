"""Replace plain SHA-256 hashes and the unscoped author index with keyed digests per workspace (crypto.py).

`content_hash` was a plain SHA-256 of the original and `file_sha256` of the uploaded file, so anyone reading
the database could confirm a guessed text; `author_digest` was one HMAC for every workspace, so it linked an
author across tenants. Each is recomputed, under the current key, from the decrypted values, in pages through
plain SQL (like 0002). What can no longer be recomputed is wrapped instead: a text whose original was purged by
retention, or an import whose file was dropped, gets a keyed digest of its old hash, which nothing can test a
guess against (such a text no longer recognises a re-upload of itself: its words are gone). A text whose new
hash another text of its workspace already has (the same moment written with two UTC offsets) is wrapped the
same way, so the migration never trips the unique constraint. Re-running it recomputes the same digests (and
wraps the wrapped ones again, which matches nothing either way); the reverse leaves the digests as they are.
"""

import base64
import hashlib
import hmac
from datetime import UTC

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.db import migrations

from apps.core import crypto

BATCH = 1000
LEGACY = "legacy sha-256 of "  # + the purpose: a plain hash that could not be recomputed, kept keyed
# The digest formulas as of this migration, frozen here rather than imported: a later change to
# crypto.workspace_digest or corpus.models.content_hash must not change what this migration writes.
DIGEST_INFO = b"murmur workspace digest v1"
AUTHOR, TEXT, FILE = "author", "text", "file"


def workspace_digest(workspace_id, purpose, value):
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=DIGEST_INFO).derive(
        base64.urlsafe_b64decode(crypto.configured_keys()[0]))
    data = value.encode() if isinstance(value, str) else bytes(value)
    return hmac.new(key, f"{purpose}\x1f{int(workspace_id)}\x1f".encode() + data, hashlib.sha256).hexdigest()


def content_hash(workspace_id, original, author, posted_at, source):
    when = posted_at.astimezone(UTC).isoformat() if posted_at else ""
    return workspace_digest(workspace_id, TEXT, "\x1f".join([original, author or "", when, source or ""]))


def author_index(author, workspace_id):
    author = " ".join(author.casefold().split())
    return workspace_digest(workspace_id, AUTHOR, author) if author else ""


def _pages(cursor, table, columns):
    last = 0
    while True:
        cursor.execute(f"SELECT id, {columns} FROM {table} WHERE id > %s ORDER BY id LIMIT {BATCH}", [last])
        rows = cursor.fetchall()
        if not rows:
            return
        yield rows
        last = rows[-1][0]


def _dec(value):
    return crypto.decrypt_str(value) if value and crypto.is_token(value) else (value or "")


def _text_digests(workspace_id, original, author, posted_at, source, old):
    """(author_digest, the new content hash, the wrapped old hash used when the new one cannot be)."""
    original, author = _dec(original), _dec(author)
    wrapped = workspace_digest(workspace_id, LEGACY + TEXT, old)
    new = content_hash(workspace_id, original, author, posted_at, source) if original else wrapped
    return author_index(author, workspace_id), new, wrapped


def key_digests(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        for rows in _pages(cursor, "corpus_customertext",
                           "workspace_id, original_text, author, posted_at, source, content_hash"):
            todo = []
            for pk, workspace_id, original, author, posted_at, source, old in rows:
                digest, new, wrapped = _text_digests(workspace_id, original, author, posted_at, source, old)
                todo.append((digest, workspace_id, new, pk, wrapped, new, pk))
            cursor.executemany(
                "UPDATE corpus_customertext SET author_digest = %s, content_hash = CASE WHEN EXISTS ("
                "  SELECT 1 FROM corpus_customertext o WHERE o.workspace_id = %s AND o.content_hash = %s AND o.id <> %s"
                ") THEN %s ELSE %s END WHERE id = %s", todo)
        for rows in _pages(cursor, "corpus_textimport", "workspace_id, payload, file_sha256"):
            todo = []
            for pk, workspace_id, payload, old in rows:
                data = bytes(payload or b"")
                data = crypto.decrypt(data) if data and crypto.is_token(data) else data
                new = workspace_digest(workspace_id, FILE, data) if data \
                    else workspace_digest(workspace_id, LEGACY + FILE, old)
                todo.append((new, pk))
            cursor.executemany("UPDATE corpus_textimport SET file_sha256 = %s WHERE id = %s", todo)


class Migration(migrations.Migration):

    dependencies = [
        ('corpus', '0003_import_history'),
    ]

    operations = [
        migrations.RunPython(key_digests, migrations.RunPython.noop, elidable=False),
    ]

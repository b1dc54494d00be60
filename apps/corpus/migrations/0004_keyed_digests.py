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

from django.db import migrations

from apps.core import crypto
from apps.corpus.models import content_hash

BATCH = 1000
LEGACY = "legacy sha-256 of "  # + the purpose: a plain hash that could not be recomputed, kept keyed


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
    wrapped = crypto.workspace_digest(workspace_id, LEGACY + crypto.TEXT, old)
    new = content_hash(workspace_id, original, author, posted_at, source) if original else wrapped
    return crypto.blind_index(author, workspace_id), new, wrapped


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
                new = crypto.workspace_digest(workspace_id, crypto.FILE, data) if data \
                    else crypto.workspace_digest(workspace_id, LEGACY + crypto.FILE, old)
                todo.append((new, pk))
            cursor.executemany("UPDATE corpus_textimport SET file_sha256 = %s WHERE id = %s", todo)


class Migration(migrations.Migration):

    dependencies = [
        ('corpus', '0003_import_history'),
    ]

    operations = [
        migrations.RunPython(key_digests, migrations.RunPython.noop, elidable=False),
    ]

"""Encrypt personal data at rest: originals, authors and uploaded files (apps/core/crypto.py).

Existing rows are encrypted in place with the current key, in batches, through plain SQL (the historical
models already use the encrypting fields and would refuse to read plaintext). Uploaded files of imports that
are no longer pending are dropped rather than encrypted: nothing reads them again, and they hold every original.
"""

import base64
import hashlib
import hmac

import apps.core.fields
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.db import migrations, models

from apps.core import crypto

BATCH = 1000


def _author_index(value):
    """The author index as this migration wrote it (frozen here: crypto.blind_index has changed since, and a
    migration must compute what it computed when it was written; 0004 replaces these with keyed digests)."""
    value = " ".join((value or "").casefold().split())
    if not value:
        return ""
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"murmur blind index v1").derive(
        base64.urlsafe_b64decode(crypto.configured_keys()[0]))
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()


def _pages(cursor, table, columns, where="TRUE"):
    """Rows in id order, a page at a time (never the whole table in memory)."""
    last = 0
    while True:
        cursor.execute(f"SELECT id, {columns} FROM {table} WHERE id > %s AND {where} ORDER BY id LIMIT {BATCH}", [last])
        rows = cursor.fetchall()
        if not rows:
            return
        yield rows
        last = rows[-1][0]


def encrypt_existing(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        for rows in _pages(cursor, "corpus_customertext", "original_text, author, workspace_id"):
            todo = [(_enc(original), _enc(author), _author_index(author), pk)
                    for pk, original, author, workspace_id in rows
                    if _enc(original) != original or _enc(author) != author]
            cursor.executemany("UPDATE corpus_customertext SET original_text = %s, author = %s, author_digest = %s "
                               "WHERE id = %s", todo)
        cursor.execute("UPDATE corpus_textimport SET payload = ''::bytea WHERE status <> 'pending'")
        for rows in _pages(cursor, "corpus_textimport", "payload", "length(payload) > 0"):
            cursor.executemany("UPDATE corpus_textimport SET payload = %s WHERE id = %s",
                               [(crypto.encrypt(bytes(payload)), pk) for pk, payload in rows
                                if not crypto.is_token(bytes(payload))])


def decrypt_existing(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        for rows in _pages(cursor, "corpus_customertext", "original_text, author"):
            cursor.executemany("UPDATE corpus_customertext SET original_text = %s, author = %s WHERE id = %s",
                               [(_dec(original), _dec(author)[:200], pk) for pk, original, author in rows])
        for rows in _pages(cursor, "corpus_textimport", "payload", "length(payload) > 0"):
            cursor.executemany("UPDATE corpus_textimport SET payload = %s WHERE id = %s",
                               [(crypto.decrypt(bytes(payload)), pk) for pk, payload in rows])


def _enc(value):
    return crypto.encrypt_str(value) if value and not crypto.is_token(value) else value


def _dec(value):
    return crypto.decrypt_str(value) if value and crypto.is_token(value) else value


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0001_initial'),
        ('corpus', '0001_initial'),
    ]

    operations = [
        migrations.AddField(
            model_name='customertext',
            name='author_digest',
            field=apps.core.fields.BlindIndexField(source='author'),
        ),
        migrations.AlterField(
            model_name='customertext',
            name='author',
            field=apps.core.fields.EncryptedTextField(blank=True, max_length=200),
        ),
        migrations.AlterField(
            model_name='customertext',
            name='original_text',
            field=apps.core.fields.EncryptedTextField(),
        ),
        migrations.AlterField(
            model_name='textimport',
            name='payload',
            field=apps.core.fields.EncryptedBinaryField(),
        ),
        migrations.AddIndex(
            model_name='customertext',
            index=models.Index(fields=['workspace', 'author_digest'], name='corpus_cust_workspa_b07f47_idx'),
        ),
        migrations.RunPython(encrypt_existing, decrypt_existing, elidable=False),
    ]

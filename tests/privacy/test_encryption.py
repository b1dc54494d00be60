"""Encryption at rest: originals, authors and uploaded files are Fernet tokens in the database; authors stay
findable through a blind index; a key rotation re-encrypts everything; a wrong, missing or malformed key is a
clear start-up error, never garbage or plaintext."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection

from apps.core import crypto
from apps.corpus.models import CustomerText, TextImport
from apps.corpus.services import Upload, start_import
from apps.privacy import checks, services
from apps.privacy.models import AuditAction, PrivacyAuditEntry
from tests.conftest import REPO, database_url, import_now
from workers import launcher

from .helpers import CUSTOMER, EMAIL, corpus_csv


def _raw(sql: str, params: list | None = None) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])
        return cursor.fetchall()


def test_originals_authors_and_files_are_encrypted_at_rest(owner):
    text_import = start_import(owner.ctx, Upload("reviews.csv", corpus_csv(), {}))
    (payload,) = _raw("SELECT payload FROM corpus_textimport WHERE id = %s", [text_import.pk])[0]
    assert bytes(payload).startswith(crypto.TOKEN_PREFIX.encode()) and EMAIL.encode() not in bytes(payload)
    assert bytes(TextImport.objects.get(pk=text_import.pk).payload) == corpus_csv()

    import_now(owner, "more.csv", corpus_csv().replace(b"2026-10", b"2026-09"))
    rows = _raw("SELECT original_text, author, author_digest FROM corpus_customertext")
    assert rows and all(original.startswith(crypto.TOKEN_PREFIX) and author.startswith(crypto.TOKEN_PREFIX)
                        for original, author, _ in rows)
    assert not any(EMAIL in original or CUSTOMER in author for original, author, _ in rows)
    customer = [t for t in CustomerText.objects.all() if t.author == CUSTOMER]
    assert len(customer) == 2 and EMAIL in " ".join(t.original_text for t in customer)
    assert customer[0].author_digest == crypto.blind_index(" zelda QUINTRELL", owner.workspace.pk)
    found = CustomerText.objects.filter(author_digest__in=crypto.blind_indexes(CUSTOMER.upper(), owner.workspace.pk))
    assert found.count() == 2
    # Once committed, the uploaded file is dropped: only a retry before that needs it.
    assert all(bytes(p) == b"" for (p,) in _raw("SELECT payload FROM corpus_textimport WHERE status = 'committed'"))


def test_a_wrong_key_fails_loudly_on_read_and_in_the_start_up_check(owner, settings):
    import_now(owner, "reviews.csv", corpus_csv())
    assert checks.encryption_key_matches(databases=["default"]) == []
    settings.MURMUR_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(crypto.DecryptionError, match="MURMUR_ENCRYPTION_KEYS"):
        list(CustomerText.objects.all())
    errors = checks.encryption_key_matches(databases=["default"])
    assert [e.id for e in errors] == ["privacy.E001"] and "cannot be decrypted" in errors[0].msg
    with pytest.raises(SystemExit, match="worker not started"):
        checks.check_key_at_worker_start()


def test_plaintext_in_an_encrypted_column_is_refused_not_returned(owner):
    import_now(owner, "reviews.csv", corpus_csv())
    text = CustomerText.objects.first()
    CustomerText.objects.filter(pk=text.pk).update(text="x")  # fine: not encrypted
    with connection.cursor() as cursor:  # a write that bypassed the field
        cursor.execute("UPDATE corpus_customertext SET original_text = 'leaked' WHERE id = %s", [text.pk])
    with pytest.raises(crypto.DecryptionError, match="not encrypted"):
        CustomerText.objects.get(pk=text.pk)


def test_key_rotation_re_encrypts_everything_under_the_new_key(owner, settings):
    old = settings.MURMUR_ENCRYPTION_KEYS[0]
    import_now(owner, "reviews.csv", corpus_csv())
    pending = start_import(owner.ctx, Upload("pending.csv", corpus_csv(), {}))
    new = Fernet.generate_key().decode()
    settings.MURMUR_ENCRYPTION_KEYS = [new, old]  # step 1: every process runs with the new key first
    warnings = checks.encryption_key_matches(databases=["default"])
    assert [w.id for w in warnings] == ["privacy.W001"]
    call_command("rotate_encryption_key")
    settings.MURMUR_ENCRYPTION_KEYS = [new]  # step 3: the old key is gone
    fernet = Fernet(new)
    for original, author in _raw("SELECT original_text, author FROM corpus_customertext"):
        fernet.decrypt(original.encode())
        if author:
            fernet.decrypt(author.encode())
    assert bytes(TextImport.objects.get(pk=pending.pk).payload) == corpus_csv()
    assert services.check_encryption_key() == services.KEY_OK
    assert checks.encryption_key_matches(databases=["default"]) == []
    index = crypto.blind_indexes(CUSTOMER, owner.workspace.pk)
    assert CustomerText.objects.filter(author_digest__in=index).count() == 2
    entry = PrivacyAuditEntry.objects.get(action=AuditAction.KEY_ROTATION)
    assert entry.detail["rows"]["corpus.CustomerText"] == CustomerText.objects.count()


def test_the_data_migration_encrypts_existing_plaintext_rows(owner):
    from importlib import import_module

    migration = import_module("apps.corpus.migrations.0002_encrypt_personal_data")
    text_import = import_now(owner, "reviews.csv", corpus_csv())
    pk = CustomerText.objects.filter(workspace=owner.workspace).first().pk
    with connection.cursor() as cursor:  # as rows were before the migration
        cursor.execute("UPDATE corpus_customertext SET original_text = %s, author = %s, author_digest = '' "
                       "WHERE id = %s", [f"write to {EMAIL}", CUSTOMER, pk])
        cursor.execute("UPDATE corpus_textimport SET payload = %s, status = 'pending' WHERE id = %s",
                       [b"text\nplain file", text_import.pk])
    migration.encrypt_existing(None, SimpleNamespace(connection=connection))
    original, author = _raw("SELECT original_text, author FROM corpus_customertext WHERE id = %s", [pk])[0]
    assert original.startswith(crypto.TOKEN_PREFIX) and author.startswith(crypto.TOKEN_PREFIX)
    text = CustomerText.objects.get(pk=pk)
    assert (text.original_text, text.author) == (f"write to {EMAIL}", CUSTOMER)
    assert bytes(TextImport.objects.get(pk=text_import.pk).payload) == b"text\nplain file"
    # 0002 wrote the unscoped index of its day (its formula is frozen in it); 0004 turns it into today's.
    assert text.author_digest and text.author_digest != crypto.blind_index(CUSTOMER, owner.workspace.pk)
    import_module("apps.corpus.migrations.0004_keyed_digests").key_digests(
        None, SimpleNamespace(connection=connection))
    assert CustomerText.objects.get(pk=pk).author_digest == crypto.blind_index(CUSTOMER, owner.workspace.pk)


def _start(env_changes: dict[str, str | None], *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "MURMUR_ENCRYPTION_KEYS"}
    env.update({k: v for k, v in env_changes.items() if v is not None})
    return subprocess.run([sys.executable, "manage.py", *args], env=env, cwd=REPO, capture_output=True, text=True,
                          timeout=120)


def test_a_missing_or_malformed_key_stops_start_up_with_instructions(tmp_path):
    missing = _start({"MURMUR_DATA_DIR": str(tmp_path)}, "check")
    assert missing.returncode != 0
    assert "MURMUR_ENCRYPTION_KEYS is empty or not set" in missing.stderr and "Fernet.generate_key" in missing.stderr
    malformed = _start({"MURMUR_DATA_DIR": str(tmp_path), "MURMUR_ENCRYPTION_KEYS": "not-a-key"}, "check")
    assert malformed.returncode != 0 and "Key 1 in MURMUR_ENCRYPTION_KEYS is not a valid Fernet key" in malformed.stderr


@pytest.mark.django_db(transaction=True)  # the other process must see the committed check value
def test_a_process_started_with_the_wrong_key_refuses_to_run(settings):
    services.check_encryption_key(create=True)  # written by the migration, unless a flush removed it since
    database = {"DATABASE_URL": database_url()}
    wrong = _start({**database, "MURMUR_ENCRYPTION_KEYS": Fernet.generate_key().decode()}, "check_encryption_key")
    assert wrong.returncode != 0 and "cannot be decrypted" in wrong.stderr
    checked = _start({**database, "MURMUR_ENCRYPTION_KEYS": Fernet.generate_key().decode()},
                     "check", "--database", "default")
    assert checked.returncode != 0 and "privacy.E001" in checked.stderr
    right = _start({**database, "MURMUR_ENCRYPTION_KEYS": ",".join(settings.MURMUR_ENCRYPTION_KEYS)},
                   "check_encryption_key")
    assert right.returncode == 0 and "verified" in right.stdout


def test_make_run_generates_one_key_and_keeps_it(tmp_path, monkeypatch):
    monkeypatch.delenv("MURMUR_ENCRYPTION_KEYS", raising=False)
    env = launcher.encryption_env(tmp_path)
    path = tmp_path / "secrets" / "encryption.key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    Fernet(env["MURMUR_ENCRYPTION_KEYS"])  # a valid key
    assert launcher.encryption_env(tmp_path) == env  # the same key on every start
    assert crypto.load_keys(None, crypto.key_file(Path(tmp_path))) == [env["MURMUR_ENCRYPTION_KEYS"]]
    monkeypatch.setenv("MURMUR_ENCRYPTION_KEYS", Fernet.generate_key().decode())
    assert launcher.encryption_env(tmp_path) == {}  # an explicit key wins

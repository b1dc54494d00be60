"""Keyed hashes (issue #15): a text's content hash, an upload's file hash and the author index are HMACs under a
key derived from the encryption key, bound to the workspace. Without the key a database reader cannot confirm a
guessed text, author or file, and one author or text cannot be linked across workspaces; re-uploads are still
recognised, and erasure still finds the author, before, during and after a key rotation."""

from __future__ import annotations

import hashlib
from importlib import import_module
from types import SimpleNamespace

from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection

from apps.core import crypto
from apps.corpus.models import CustomerText, ImportStatus, TextImport, content_hash
from apps.corpus.services import Upload, process_import, start_import
from apps.privacy.services.erasure import criterion_hash, find_matches, preview_erasure

from .helpers import CUSTOMER, corpus_csv

ONE_MORE = b'text,rating,date,author\n"A brand new review about the strap",3,2026-11-02,Someone New\n'


def _import(member, data: bytes, name: str = "reviews.csv") -> TextImport:
    text_import = start_import(member.ctx, Upload(name, data, {}))
    process_import(text_import.pk)
    text_import.refresh_from_db()
    return text_import


def _by_original(workspace) -> dict[str, CustomerText]:
    return {t.original_text: t for t in CustomerText.objects.filter(workspace=workspace)}


def _plain_identity(text: CustomerText) -> str:
    """The identity the unkeyed hash was computed from (the former `content_hash`)."""
    return "\x1f".join([text.original_text, text.author, text.posted_at.isoformat() if text.posted_at else "",
                        text.source])


def _sha256(value: str | bytes) -> str:
    return hashlib.sha256(value.encode() if isinstance(value, str) else value).hexdigest()


def test_one_text_author_and_file_in_two_workspaces_get_unrelated_digests(make_member):
    acme, globex = make_member("owner"), make_member("owner", workspace="Globex")
    imports = [_import(acme, corpus_csv()), _import(globex, corpus_csv())]
    ours, theirs = _by_original(acme.workspace), _by_original(globex.workspace)
    assert len(ours) == len(theirs) > 10 and ours.keys() == theirs.keys()
    assert all(ours[o].content_hash != theirs[o].content_hash for o in ours)
    customer = [o for o in ours if ours[o].author == CUSTOMER]
    assert len(customer) == 2 and ours[customer[0]].author_digest == ours[customer[1]].author_digest != ""
    assert ours[customer[0]].author_digest != theirs[customer[0]].author_digest
    assert imports[0].file_sha256 != imports[1].file_sha256
    # The author index of one workspace finds nothing in another.
    acme_index = crypto.blind_indexes(CUSTOMER, acme.workspace.pk)
    assert CustomerText.objects.filter(author_digest__in=acme_index).count() == 2
    assert not CustomerText.objects.filter(workspace=globex.workspace, author_digest__in=acme_index).exists()
    # Nor does an erasure's logged criterion link one customer's erasures across workspaces.
    assert criterion_hash(acme.workspace, "author", CUSTOMER) != criterion_hash(globex.workspace, "author", CUSTOMER)


def test_a_plain_sha256_guess_matches_no_stored_hash(owner):
    text_import = _import(owner, corpus_csv())
    stored = set()
    for text in CustomerText.objects.filter(workspace=owner.workspace):
        stored |= {text.content_hash, text.author_digest}
        guesses = {_sha256(text.original_text), _sha256(_plain_identity(text)), _sha256(text.author),
                   _sha256(crypto.normalise(text.author))}
        assert text.content_hash not in guesses and text.author_digest not in guesses
        # It is the keyed digest: with the key it can be recomputed, with any other key it cannot.
        fields = (text.original_text, text.author, text.posted_at, text.source)
        assert text.content_hash == content_hash(owner.workspace.pk, *fields)
        assert text.content_hash != content_hash(owner.workspace.pk, *fields, key=Fernet.generate_key().decode())
    assert text_import.file_sha256 not in {_sha256(corpus_csv())} | stored
    assert text_import.file_sha256 == crypto.workspace_digest(owner.workspace.pk, crypto.FILE, corpus_csv())


def test_re_uploads_are_recognised_and_authors_found_across_a_key_rotation(owner, settings):
    old, new = settings.MURMUR_ENCRYPTION_KEYS[0], Fernet.generate_key().decode()
    first = _import(owner, corpus_csv())
    total = first.rows_new
    customer = sorted(pk for pk, author in CustomerText.objects.values_list("pk", "author") if author == CUSTOMER)
    assert total > 10 and len(customer) == 2

    settings.MURMUR_ENCRYPTION_KEYS = [new, old]  # every process runs with the new key first: rows still old
    pending = start_import(owner.ctx, Upload("pending.csv", ONE_MORE, {}))
    again = _import(owner, corpus_csv(), "again.csv")
    assert (again.rows_new, again.rows_duplicate) == (0, total)
    assert find_matches(owner.workspace, "author", CUSTOMER) == customer

    call_command("rotate_encryption_key")
    for text in CustomerText.objects.filter(workspace=owner.workspace):
        fields = (text.original_text, text.author, text.posted_at, text.source)
        assert text.content_hash == content_hash(owner.workspace.pk, *fields, key=new)
        assert text.author_digest == crypto.blind_index(text.author, owner.workspace.pk, new)
    assert TextImport.objects.get(pk=pending.pk).file_sha256 == \
        crypto.workspace_digest(owner.workspace.pk, crypto.FILE, ONE_MORE, new)

    settings.MURMUR_ENCRYPTION_KEYS = [new]  # the old key is gone
    third = _import(owner, corpus_csv(), "third.csv")
    assert (third.rows_new, third.rows_duplicate) == (0, total)
    assert _import(owner, ONE_MORE, "new.csv").rows_new == 1  # a text it has not seen is still imported
    assert find_matches(owner.workspace, "author", CUSTOMER) == customer
    request = preview_erasure(owner.ctx, "author", " zelda  QUINTRELL")
    assert request.text_ids == customer
    assert request.criterion_hash == criterion_hash(owner.workspace, "author", CUSTOMER)


def test_the_data_migration_rekeys_plain_hashes(owner):
    migration = import_module("apps.corpus.migrations.0004_keyed_digests")
    ws = owner.workspace.pk
    committed = _import(owner, corpus_csv())
    pending = start_import(owner.ctx, Upload("pending.csv", ONE_MORE, {}))
    texts = list(CustomerText.objects.filter(workspace=owner.workspace).order_by("pk"))
    purged, twin_of = texts[0], texts[1]
    twin = CustomerText.objects.create(  # the same text as twin_of, once stored apart (another UTC offset)
        workspace=owner.workspace, text=twin_of.text, original_text=twin_of.original_text, author=twin_of.author,
        posted_at=twin_of.posted_at, source=twin_of.source, content_hash="f" * 64, is_live=True)
    with connection.cursor() as cursor:  # the rows as they were: plain SHA-256, one author index for all
        for text in texts:
            cursor.execute("UPDATE corpus_customertext SET content_hash = %s, author_digest = %s WHERE id = %s",
                           [_sha256(_plain_identity(text)), _sha256(text.author), text.pk])
        cursor.execute("UPDATE corpus_customertext SET original_text = '', author = '', author_digest = '' "
                       "WHERE id = %s", [purged.pk])  # retention purged this original
        cursor.execute("UPDATE corpus_textimport SET file_sha256 = %s WHERE id = %s",
                       [_sha256(corpus_csv()), committed.pk])
        cursor.execute("UPDATE corpus_textimport SET file_sha256 = %s WHERE id = %s", [_sha256(ONE_MORE), pending.pk])

    migration.key_digests(None, SimpleNamespace(connection=connection))

    for text in texts[1:]:
        row = CustomerText.objects.get(pk=text.pk)
        assert row.content_hash == content_hash(ws, text.original_text, text.author, text.posted_at, text.source)
        assert row.author_digest == crypto.blind_index(text.author, ws)
    row = CustomerText.objects.get(pk=purged.pk)
    plain = _sha256(_plain_identity(purged))
    assert row.content_hash == crypto.workspace_digest(ws, migration.LEGACY + crypto.TEXT, plain) != plain
    assert CustomerText.objects.get(pk=twin.pk).content_hash == \
        crypto.workspace_digest(ws, migration.LEGACY + crypto.TEXT, "f" * 64)
    imports = {i.pk: i for i in TextImport.objects.filter(pk__in=[committed.pk, pending.pk])}
    assert imports[committed.pk].status == ImportStatus.COMMITTED and bytes(imports[committed.pk].payload) == b""
    assert imports[committed.pk].file_sha256 == \
        crypto.workspace_digest(ws, migration.LEGACY + crypto.FILE, _sha256(corpus_csv()))
    assert imports[pending.pk].file_sha256 == crypto.workspace_digest(ws, crypto.FILE, ONE_MORE)
    # Re-uploads are recognised, but not the purged text: its words are gone, so it is imported anew.
    CustomerText.objects.filter(pk=twin.pk).delete()
    assert _import(owner, corpus_csv(), "again.csv").rows_new == 1

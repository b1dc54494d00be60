"""Malformed uploads that used to crash the importer (500) get a 400 with the shared error body."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.corpus.models import CustomerText, TextImport

DEEP = 100_000  # far past Python's recursion limit


def _post(member, filename: str, data: bytes, mapping: str | None = None):
    payload = {"file": SimpleUploadedFile(filename, data)}
    if mapping is not None:
        payload["mapping"] = mapping
    return member.api().post("/api/v1/imports", payload)


def _assert_clean_400(response, words: str):
    assert response.status_code == 400, response.content
    body = response.json()
    assert isinstance(body["error"], str) and words in body["error"].lower()
    assert TextImport.objects.count() == 0 and CustomerText.objects.count() == 0


@pytest.mark.parametrize(("filename", "data"), [
    ("deep.json", b"[" * DEEP + b"]" * DEEP),
    ("deep-array.json", b"[" + b"[" * DEEP + b"]" * DEEP + b"]"),
    ("deep-object.json", b'{"reviews": ' + b"[" * DEEP + b"]" * DEEP + b"}"),
    ("deep.jsonl", b'{"text": "fine"}\n' + b"[" * DEEP + b"]" * DEEP + b"\n"),
])
def test_deeply_nested_json_file_is_400(owner, filename, data):
    _assert_clean_400(_post(owner, filename, data), "nested")


def test_deeply_nested_mapping_is_400(owner):
    response = _post(owner, "r.csv", b"text\nhello\n", mapping='{"text": ' + "[" * DEEP + "]" * DEEP + "}")
    _assert_clean_400(response, "mapping")


@pytest.mark.parametrize("mapping", [{"text": 1}, {"text": ["review"]}, {"text": {"a": "b"}}])
def test_mapping_to_a_non_string_is_400(owner, mapping):
    _assert_clean_400(_post(owner, "r.csv", b"text\nhello\n", mapping=json.dumps(mapping)), "mapping")


def test_huge_rating_is_a_row_error_not_a_crash(owner):
    response = _post(owner, "r.csv", b"text,rating\nhello," + b"9" * 400 + b"\n")
    _assert_clean_400(response, "nothing was imported")
    assert "rating" in response.json()["details"][0]["error"]


def test_huge_rating_row_is_skipped_with_skip_invalid_rows(owner):
    data = b"text,rating\nfine,5\nhello," + b"9" * 400 + b".5\n"
    response = owner.api().post("/api/v1/imports", {"file": SimpleUploadedFile("r.csv", data),
                                                    "skip_invalid_rows": "true"})
    assert response.status_code == 202, response.content
    assert response.json()["rows"] == 1 and response.json()["skipped"] == 1

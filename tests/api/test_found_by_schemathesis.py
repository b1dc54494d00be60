"""Bugs Schemathesis found (tests/api/test_schemathesis.py), each pinned by a plain request."""

import pytest

from apps.jobs.models import Job


@pytest.mark.parametrize("question", ["a\x00b", "\ud835 lone surrogate"])
def test_a_question_batch_postgres_cannot_store_is_400(owner, question):
    """A NUL (or a lone surrogate) in a question reached the job's JSON params: Postgres refused it, a 500."""
    response = owner.api().post("/api/v1/llm/batch", {"questions": ["Fine?", question]},
                                content_type="application/json")
    assert response.status_code == 400, response.content
    assert "NUL" in response.json()["error"]
    assert not Job.objects.filter(kind="llm_batch").exists()


@pytest.mark.parametrize("body", ["[null, null]", "null", "3", '"text"'])
def test_a_body_that_is_not_an_object_is_400(owner, body):
    """An all-optional body schema took an array or a scalar as its defaults (ninja reads fields as attributes)."""
    response = owner.api().put("/api/v1/moderation/policy", body, content_type="application/json")
    assert response.status_code == 400, response.content
    assert response.json()["error"]

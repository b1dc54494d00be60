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

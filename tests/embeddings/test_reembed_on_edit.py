"""A moderator's "edit and approve" rewrites a customer text; its vector follows, so search finds the new
words and no longer the old ones (real worker, real model)."""

import time

import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.corpus.models import CustomerText
from apps.embeddings.backends import get_backend
from apps.embeddings.models import TextEmbedding
from apps.jobs.models import Job
from apps.moderation import services
from tests.conftest import wait_for_job
from tests.moderation.helpers import SMALL_CSV, case_for, without_judge

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_an_edited_text_is_embedded_again(make_member, celery_worker):
    owner = make_member("owner", "Reembed")
    without_judge(owner.workspace)
    api = owner.api()
    upload = api.post("/api/v1/imports", {"file": SimpleUploadedFile("small.csv", SMALL_CSV)})
    assert wait_for_job(api, upload.json()["job_id"])["status"] == "succeeded"
    screening = Job.objects.get(workspace=owner.workspace, kind="moderation")
    assert wait_for_job(api, str(screening.pk))["status"] == "succeeded"
    case = case_for(owner.workspace, "absolute idiots")
    text = CustomerText.objects.get(pk=int(case.subject_id))
    model = owner.workspace.embedding_model
    before = np.asarray(TextEmbedding.objects.get(text=text, model=model).embedding)

    services.decide(make_member("moderator", "Reembed").ctx, case.pk, "edit", text="Support replies slowly.")
    expected = get_backend(model).encode(["Support replies slowly."])[0]
    deadline = time.monotonic() + 120
    while True:
        row = TextEmbedding.objects.filter(text=text, model=model).first()
        vector = np.asarray(row.embedding) if row else None
        if vector is not None and not np.allclose(vector, before, atol=1e-4):
            break
        assert time.monotonic() < deadline, "the edited text was not embedded again"
        time.sleep(0.2)
    assert np.allclose(vector, expected, atol=1e-3)
    assert TextEmbedding.objects.filter(text=text).count() == 1

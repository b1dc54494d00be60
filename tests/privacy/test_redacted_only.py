"""The LLM and embedding stages only ever see redacted text: personal data is planted in an import, the whole
pipeline runs (embedding, moderation with its LLM judge, analysis, copy) and everything that reached the model
scripted model server (tests/fakes.py) and the embedding backend's encode() is inspected."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from apps.copy import services as copy
from apps.corpus.models import CustomerText
from apps.embeddings import backends
from apps.insights import services as insights
from apps.moderation import services as moderation
from tests.conftest import import_now
from tests.factories import BRIEF
from tests.fakes import AnalysisScript, CopyScript

from .helpers import PII, corpus_csv


class RecordingBackend:
    def __init__(self, inner) -> None:
        self.inner, self.name, self.dim = inner, inner.name, inner.dim
        self.seen: list[str] = []

    def encode(self, texts: list[str]) -> np.ndarray:
        self.seen.extend(texts)
        return self.inner.encode(texts)


@pytest.fixture
def recorders(monkeypatch, fake_llm):
    """The model: the insights and copy scripts (fake_llm keeps every request). The embedding backends: wrapped."""
    scripts = fake_llm.use(AnalysisScript()), fake_llm.use(CopyScript())
    wrapped: dict[str, RecordingBackend] = {}

    def get_backend(name: str) -> RecordingBackend:
        if name not in wrapped:
            wrapped[name] = RecordingBackend(backends.get_backend(name))
        return wrapped[name]

    # Every module that imported the embedding interface gets the recording one.
    for module in [m for name, m in sys.modules.items() if name.startswith("apps.") and m is not None]:
        if hasattr(module, "get_backend") and module is not backends:
            monkeypatch.setattr(module, "get_backend", get_backend)
    return fake_llm, scripts, wrapped


def test_pii_never_reaches_the_model_or_the_embedding_backend(owner, recorders):
    model, (analysis_script, copy_script), backends_used = recorders
    text_import = import_now(owner, "reviews.csv", corpus_csv())
    originals = " ".join(CustomerText.objects.filter(workspace=owner.workspace).values_list("original_text",
                                                                                             flat=True))
    assert all(p in originals for p in PII[:2])  # the personal data is there, in the originals

    job = moderation.start_import_screening(owner.workspace.pk, text_import.pk)  # with the LLM judge
    moderation.screen_texts(str(job.pk))
    cases = owner.workspace.moderation_cases.filter(subject_type="customer_text")
    cases.update(status="screening")  # every text goes before the LLM judge, not only the doubtful ones
    moderation.judge_cases(list(cases.values_list("pk", flat=True)), str(job.pk))
    CustomerText.objects.filter(workspace=owner.workspace).update(moderation_status="approved")
    run = insights.start_analysis(owner.ctx)
    insights.run_analysis(run.pk)
    request = copy.start_copy(owner.ctx, BRIEF)
    copy.run_copy(request.pk)
    owner.api().get("/api/v1/search?q=battery+dies")

    seen_by_model = "\n".join(asked.raw for asked in model.asked)
    seen_by_embedder = "\n".join(t for b in backends_used.values() for t in b.seen)
    assert analysis_script.calls >= 2 and copy_script.copy_calls >= 1 and copy_script.judge_calls >= cases.count()
    assert "[NAME]" in seen_by_model or "[EMAIL]" in seen_by_model  # the customer's texts did go, redacted
    assert "[EMAIL]" in seen_by_embedder and "[PHONE]" in seen_by_embedder and "[CARD]" in seen_by_embedder
    for secret in PII:
        assert secret.lower() not in seen_by_model.lower(), f"{secret!r} reached the model"
        assert secret.lower() not in seen_by_embedder.lower(), f"{secret!r} reached the embedding backend"

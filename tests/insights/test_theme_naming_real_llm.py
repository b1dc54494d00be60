"""Theme naming with the real model (SmolLM2 in tests): whatever it answers, every label that reaches the
report passes the grounding check; where the small model fails, the keyword fallback names the theme."""

import numpy as np
import pytest

from apps.embeddings.backends import get_backend
from apps.insights import services
from apps.insights import theme_naming as tn
from apps.insights.models import TextAnalysis
from tests.conftest import import_now
from tests.insights.test_theme_naming import BIKE, COFFEE, HOTEL, tn_all_prompts

pytestmark = [pytest.mark.llm, pytest.mark.django_db]


def test_every_label_from_the_real_model_is_grounded(owner, llm_base_url):
    lines = ["text,rating,date", *(f'"{t}",3,2026-10-{1 + i % 28:02d}' for i, t in enumerate(COFFEE + BIKE + HOTEL))]
    import_now(owner, "r.csv", ("\n".join(lines) + "\n").encode())
    run = services.start_analysis(owner.ctx)
    services.run_analysis(run.pk)
    run.refresh_from_db()
    assert run.status == "succeeded", run.notes
    snapshots = list(run.snapshots.select_related("theme"))
    assert len(snapshots) >= 2
    themes = [tn.ThemeFacts(keywords=s.theme.keywords, centroid=np.asarray(s.theme.centroid, dtype=np.float32),
                            texts=list(TextAnalysis.objects.filter(theme=s.theme).values_list("text__text", flat=True)))
              for s in snapshots]
    embed = get_backend(owner.workspace.embedding_model).encode
    labels = [s.label for s in snapshots]
    assert all(tn.grounded(label, i, themes, embed) for i, label in enumerate(labels)), (labels, run.notes)
    assert not any(tn.copies_prompt(label, tn_all_prompts()) for label in labels), labels
    assert len(set(labels)) == len(labels)
    assert any(note.startswith("theme labels:") for note in run.notes), run.notes
    for s in snapshots:  # summaries end at a sentence's end, or are empty
        assert s.theme.summary == tn.complete_sentences(s.theme.summary)

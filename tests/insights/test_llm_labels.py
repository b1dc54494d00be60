"""The model labels the classifier's least confident texts: flow with a scripted model, then the real one."""

import pytest

from apps.insights import llm_labels
from apps.insights.corrections import correct_text
from apps.insights.models import TextAnalysis
from tests.conftest import import_now
from tests.factories import customer_texts
from tests.fakes import SaysNegative

TEXTS = ["The lamp arrived on Tuesday", "Battery drains overnight", "Light is soft and warm",
         "It is a lamp", "Box was open when it came", "Works, I guess", "Colour is nice but app crashes",
         "Shipping took three weeks"]


def csv_bytes() -> bytes:
    return ("text\n" + "\n".join(f'"{t}"' for t in TEXTS) + "\n").encode()


def unsure(workspace, count: int) -> list[int]:
    """Make the first `count` texts low-confidence classifier verdicts, the rest confident."""
    rows = list(TextAnalysis.objects.filter(workspace=workspace).order_by("text_id"))
    for i, row in enumerate(rows):
        row.sentiment, row.sentiment_method = "positive", "classifier"
        row.sentiment_confidence = 0.3 + i * 0.01 if i < count else 0.95
        row.save()
    return [r.text_id for r in rows]


def test_only_the_least_confident_within_budget_are_asked_and_corrections_are_kept(owner, fake_llm):
    customer_texts(owner.workspace, TEXTS)  # rows are enough: `unsure` sets the verdicts
    ids = unsure(owner.workspace, 5)
    correct_text(owner.ctx, ids[0], sentiment="positive")  # a person's word is final
    model = fake_llm.use(SaysNegative())

    counts = llm_labels.label_uncertain(owner.workspace, ids, budget=3)

    assert counts["asked"] == 3 and counts["changed"] == 3 and counts["calls"] == 1
    assert sorted(model.shown) == ids[1:4]  # lowest confidence first, corrected text skipped
    changed = TextAnalysis.objects.filter(text_id__in=ids[1:4])
    assert {(a.sentiment, a.sentiment_method) for a in changed} == {("negative", "llm")}
    assert TextAnalysis.objects.get(text_id=ids[0]).sentiment == "positive"
    assert TextAnalysis.objects.get(text_id=ids[4]).sentiment_method == "classifier"  # over budget
    assert set(TextAnalysis.objects.filter(text_id__in=ids[5:]).values_list("sentiment", flat=True)) == {"positive"}


def test_budget_zero_asks_nothing(owner, fake_llm):
    customer_texts(owner.workspace, TEXTS)  # rows are enough: `unsure` sets the verdicts
    ids = unsure(owner.workspace, 5)
    assert llm_labels.label_uncertain(owner.workspace, ids, budget=0)["asked"] == 0
    assert not fake_llm.asked  # the model was not asked


@pytest.mark.llm
def test_the_real_model_labels_unsure_texts(owner):
    import_now(owner, "t.csv", csv_bytes())
    ids = unsure(owner.workspace, 6)
    counts = llm_labels.label_uncertain(owner.workspace, ids, budget=6)
    assert counts["asked"] == 6 and counts["calls"] >= 1
    rows = TextAnalysis.objects.filter(text_id__in=ids[:6])
    answered = [r for r in rows if r.sentiment_method in ("llm", "classifier+llm")]
    assert len(answered) == 6 - counts["unanswered"]
    assert all(r.sentiment in ("positive", "negative", "neutral", "mixed") for r in rows)

"""An analyst's corrections: through the API and the text page, kept across re-runs, and ground truth for
the workspace's classifier."""

from apps.insights import selectors
from apps.insights.corrections import correct_text
from apps.insights.models import TextAnalysis, Theme
from tests.conftest import import_now
from tests.factories import corpus_csv, customer_text, run_now
from tests.fakes import AnalysisScript


def first_text(member) -> int:
    return member.workspace.texts.order_by("pk").values_list("pk", flat=True).first()


def test_api_correction_then_rerun_keeps_it(owner, make_member, fake_llm):
    fake_llm.use(AnalysisScript())
    import_now(owner, "r.csv", corpus_csv())
    run_now(owner)
    text_id = first_text(owner)
    light = Theme.objects.get(workspace=owner.workspace, label="Light theme")
    response = owner.api().post(f"/api/v1/texts/{text_id}/correction",
                                {"sentiment": "neutral", "intent": "question", "theme_id": light.pk},
                                content_type="application/json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["sentiment"]["label"] == "neutral" and body["sentiment"]["method"] == "corrected"
    assert body["intent"] == "question" and body["themes"][0]["id"] == light.pk
    assert body["corrected"] == ["intent", "sentiment", "theme"]

    run_now(owner)  # a re-run reassigns every other text's theme, not this one
    analysis = TextAnalysis.objects.get(text_id=text_id)
    assert (analysis.sentiment, analysis.intent, analysis.theme_id) == ("neutral", "question", light.pk)


def test_bad_corrections_are_clear_errors(owner, make_member, fake_llm):
    text_id = customer_text(owner.workspace, "The battery dies after two hours", sentiment="negative").pk
    api = owner.api()
    assert api.post(f"/api/v1/texts/{text_id}/correction", {"sentiment": "great"},
                    content_type="application/json").status_code == 400
    assert api.post(f"/api/v1/texts/{text_id}/correction", {}, content_type="application/json").status_code == 400
    assert api.post("/api/v1/texts/999999/correction", {"sentiment": "positive"},
                    content_type="application/json").status_code == 404
    viewer = make_member("viewer")
    assert viewer.api().post(f"/api/v1/texts/{text_id}/correction", {"sentiment": "positive"},
                             content_type="application/json").status_code == 403
    other = make_member("owner", workspace="Other")
    assert other.api().post(f"/api/v1/texts/{text_id}/correction", {"sentiment": "positive"},
                            content_type="application/json").status_code == 404


def test_text_page_shows_signals_and_corrects(owner, make_member):
    import_now(owner, "r.csv", corpus_csv())
    text_id = first_text(owner)
    page = owner.browser().get(f"/texts/{text_id}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Save correction" in html and "confidence" in html
    response = owner.browser().post(f"/texts/{text_id}/correct/", {"sentiment": "mixed", "intent": "", "theme_id": ""})
    assert response.status_code == 302
    assert TextAnalysis.objects.get(text_id=text_id).sentiment == "mixed"
    viewer = make_member("viewer")
    assert "Save correction" not in viewer.browser().get(f"/texts/{text_id}/").content.decode()


def test_corrections_train_the_workspace_model(owner):
    import_now(owner, "r.csv", corpus_csv())
    base_size = selectors.sentiment_model_for(owner.workspace).size
    for text_id in owner.workspace.texts.order_by("pk").values_list("pk", flat=True)[:3]:
        correct_text(owner.ctx, text_id, sentiment="negative")
    assert selectors.sentiment_model_for(owner.workspace).size == base_size + 3


def test_retrained_models_are_cached_for_a_bounded_number_of_workspaces(owner, make_member, monkeypatch):
    """One retrained classifier per workspace is kept per process, at most MAX_CACHED_WORKSPACE_MODELS."""
    monkeypatch.setattr(selectors, "MAX_CACHED_WORKSPACE_MODELS", 1)
    monkeypatch.setattr(selectors, "_workspace_models", type(selectors._workspace_models)())
    other = make_member("analyst", workspace="Second")
    for member in (owner, other):
        text = customer_text(member.workspace, "The strap broke on day two.", sentiment="positive")
        correct_text(member.ctx, text.pk, sentiment="negative")
        selectors.sentiment_model_for(member.workspace)
    assert list(selectors._workspace_models) == [other.workspace.pk]

"""The analysis run end to end in-process, with a scripted double of the model server (flow, evidence
checks, theme identity); test_analysis_real_llm.py runs it against the real vLLM server."""

import json
import re

import httpx
import pytest

from apps.insights import services
from apps.insights.models import AnalysisRun, Insight, TextAnalysis, Theme, ThemeStatus
from apps.llm.gateway import Gateway
from tests.conftest import import_now

BATTERY = ["The battery dies after two hours", "Battery drains overnight since the update",
           "Charge does not last a day anymore", "Battery life got much worse after firmware 2.3",
           "The battery runs out far too fast", "My lamp battery is empty every morning"]
SHIPPING = ["The parcel arrived late and the box was crushed", "Shipping took three weeks",
            "Box was damaged in transit", "Delivery was very slow", "Courier lost my package for a week",
            "Package arrived dented and late"]
LIGHT = ["Beautiful warm light for reading", "The colour of the light is gorgeous", "Soft light, easy on the eyes",
         "Bright and even lighting on my desk", "Love the warm glow in the evening", "Perfect reading light"]


def corpus_csv(extra: list[str] = ()) -> bytes:
    lines = ["text,rating,date"]
    for i, text in enumerate(BATTERY + SHIPPING + LIGHT + list(extra)):
        rating = 1 if text in BATTERY else 2 if text in SHIPPING else 5
        lines.append(f'"{text}",{rating},2026-10-{1 + i % 28:02d}')
    return ("\n".join(lines) + "\n").encode()


class FakeModel:
    """Answers theme and report prompts, citing the first ids it was shown (or a bogus one when told)."""

    def __init__(self, bogus_first: int = 0):
        self.calls = 0
        self.bogus_left = bogus_first

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.calls += 1
        body = json.loads(request.content)
        user = body["messages"][1]["content"]
        ids = [int(i) for i in re.findall(r'"id": (\d+)', user)]
        cite = ids[:2]
        if self.bogus_left:
            self.bogus_left -= 1
            cite = [999999]
        if "product strategist" in body["messages"][0]["content"]:
            content = {"summary": "Battery complaints dominate.", "competitors": [],
                       "opportunities": [{"title": "Fix the battery", "detail": "d", "evidence": cite}],
                       "product_ideas": [{"title": "Battery saver mode", "detail": "d", "evidence": cite}]}
        else:
            data = user.split('name="customer_texts"')[1].lower()
            word = "Battery" if "battery" in data else "Shipping" if ("ship" in data or "deliver" in data) else "Light"
            finding = {"title": f"{word} finding", "detail": "d", "evidence": cite}
            content = {"label": f"{word} theme", "summary": f"About {word.lower()}.", "pain_points": [finding],
                       "feature_requests": [], "praise": []}
        return httpx.Response(200, json={"model": "m", "choices": [{"message": {"content": json.dumps(content)}}],
                                         "usage": {"prompt_tokens": 100, "completion_tokens": 50}})


@pytest.fixture
def fake_model(monkeypatch):
    model = FakeModel()
    gateway = Gateway(["http://fake/v1"], "m", transport=httpx.MockTransport(model), backoff_s=0)
    monkeypatch.setattr(services, "get_gateway", lambda: gateway)
    return model


def run_now(member) -> AnalysisRun:
    run = services.start_analysis(member.ctx)
    services.run_analysis(run.pk)
    run.refresh_from_db()
    return run


def test_analysis_builds_themes_insights_and_evidence(owner, fake_model):
    import_now(owner, "r.csv", corpus_csv())
    run = run_now(owner)
    assert run.status == "succeeded" and run.text_count == 18 and run.job.status == "succeeded"
    labels = set(run.snapshots.values_list("label", flat=True))
    assert {"Battery theme", "Shipping theme", "Light theme"} <= labels
    assert run.llm_calls == fake_model.calls == len(labels) + 1  # bounded by themes, not texts
    battery = run.snapshots.get(label="Battery theme")
    assert battery.size == 6 and battery.negative == 6 and battery.net_sentiment == -100.0
    workspace_ids = set(owner.workspace.texts.values_list("pk", flat=True))
    for insight in Insight.objects.filter(run=run):
        assert insight.evidence and set(insight.evidence) <= workspace_ids
    # The summary leads with the computed facts; the model's checked sentences follow.
    first = run.summary.split(". ")[0]  # Battery and Shipping tie (6 negative of 6): both are in the lead
    assert first.startswith("Most negative feedback is about") and '"Battery theme"' in first
    assert run.summary.endswith("Battery complaints dominate.")
    assert TextAnalysis.objects.filter(workspace=owner.workspace, theme__isnull=False).count() >= 15


def test_a_report_citing_unknown_texts_is_retried(owner, monkeypatch):
    import_now(owner, "r.csv", corpus_csv())
    model = FakeModel(bogus_first=2)
    gateway = Gateway(["http://fake/v1"], "m", transport=httpx.MockTransport(model), backoff_s=0)
    monkeypatch.setattr(services, "get_gateway", lambda: gateway)
    run = run_now(owner)
    assert model.calls > 4  # the two answers with a bogus id were asked again
    workspace_ids = set(owner.workspace.texts.values_list("pk", flat=True))
    assert all(set(i.evidence) <= workspace_ids for i in run.insights.all())
    assert 999999 not in {e for i in run.insights.all() for e in i.evidence}


def test_theme_identity_and_user_edits_survive_reruns(owner, fake_model):
    import_now(owner, "r.csv", corpus_csv())
    first = run_now(owner)
    battery = Theme.objects.get(workspace=owner.workspace, label="Battery theme")
    services.rename_theme(owner.ctx, battery.pk, "Battery drain")
    shipping = Theme.objects.get(workspace=owner.workspace, label="Shipping theme")
    services.delete_theme(owner.ctx, shipping.pk)
    import_now(owner, "more.csv", corpus_csv(["The battery barely lasts an evening now"]))
    second = run_now(owner)
    assert second.version == first.version + 1 and second.previous_id == first.pk
    assert second.new_text_count == 1  # only the new text was classified again
    labels = set(second.snapshots.values_list("label", flat=True))
    assert "Battery drain" in labels and "Shipping theme" not in labels
    assert second.snapshots.get(label="Battery drain").theme_id == battery.pk
    shipping.refresh_from_db()
    assert shipping.status == ThemeStatus.DELETED


def test_merge_and_split(owner, fake_model):
    import_now(owner, "r.csv", corpus_csv())
    run_now(owner)
    light = Theme.objects.get(workspace=owner.workspace, label="Light theme")
    shipping = Theme.objects.get(workspace=owner.workspace, label="Shipping theme")
    services.merge_themes(owner.ctx, shipping.pk, light.pk)
    assert TextAnalysis.objects.filter(theme=light).count() == 12
    rerun = run_now(owner)
    assert rerun.snapshots.get(theme=light).size == 12  # the merged cluster still counts for the target
    parts = services.split_theme(owner.ctx, light.pk)
    assert len(parts) == 2 and TextAnalysis.objects.filter(theme=parts[1]).exists()


def test_one_run_at_a_time(owner, fake_model):
    import_now(owner, "r.csv", corpus_csv())
    services.start_analysis(owner.ctx)
    with pytest.raises(services.AnalysisAlreadyRunning):
        services.start_analysis(owner.ctx)


def test_schedule_is_a_beat_row_and_skips_when_nothing_changed(owner, fake_model):
    from django_celery_beat.models import PeriodicTask

    settings = services.update_settings(owner.ctx, frequency="weekly", competitors=["BenQ"])
    task = PeriodicTask.objects.get(pk=settings.periodic_task_id)
    assert task.task == "apps.insights.tasks.run_scheduled_analysis" and task.crontab.day_of_week == "1"
    services.update_settings(owner.ctx, frequency="daily")
    assert PeriodicTask.objects.filter(task="apps.insights.tasks.run_scheduled_analysis").count() == 1
    import_now(owner, "r.csv", corpus_csv())
    scheduled = services.run_scheduled(owner.workspace.pk)
    assert scheduled is not None and scheduled.trigger == "schedule"
    services.run_analysis(scheduled.pk)
    assert services.run_scheduled(owner.workspace.pk) is None  # nothing changed since


def test_analysis_api_and_texts_carry_sentiment_and_themes(owner, fake_model):
    import_now(owner, "r.csv", corpus_csv())
    api = owner.api()
    response = api.post("/api/v1/analyses")
    assert response.status_code == 202
    analysis_id = response.json()["analysis_id"]
    assert api.post("/api/v1/analyses").status_code == 409
    services.run_analysis(analysis_id)
    body = api.get(f"/api/v1/analyses/{analysis_id}").json()
    assert body["summary"] and body["themes"] and body["insights"]
    theme = body["themes"][0]
    assert {"label", "size", "sentiment", "evidence"} <= set(theme) and theme["sentiment"]["net"] <= 100
    assert {"kind", "title", "detail", "evidence"} <= set(body["insights"][0])
    text = api.get("/api/v1/texts?limit=1").json()["results"][0]
    assert text["sentiment"]["label"] in ("positive", "neutral", "negative") and text["themes"]
    csv_body = api.get(f"/api/v1/analyses/{analysis_id}/export.csv").content.decode("utf-8-sig")
    assert csv_body.startswith("section,kind,title") and "Battery theme" in csv_body


def test_viewer_cannot_start_an_analysis(make_member, fake_model):
    viewer = make_member("viewer")
    assert viewer.api().post("/api/v1/analyses").status_code == 403


def test_statements_that_stay_unsupported_are_dropped_not_stored(owner, monkeypatch):
    import_now(owner, "r.csv", corpus_csv())
    model = FakeModel(bogus_first=1000)  # always cites a text it was not shown
    gateway = Gateway(["http://fake/v1"], "m", transport=httpx.MockTransport(model), backoff_s=0)
    monkeypatch.setattr(services, "get_gateway", lambda: gateway)
    run = run_now(owner)
    assert run.status == "succeeded"
    assert not run.insights.exclude(kind__in=["emerging_theme", "fading_theme", "anomaly"]).exists()
    assert any("cited texts it was not shown" in note for note in run.notes)

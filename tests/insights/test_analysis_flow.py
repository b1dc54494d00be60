"""The analysis run end to end in-process, with a scripted double of the model server (flow, evidence
checks, theme identity); test_analysis_real_llm.py runs it against the real vLLM server."""

import pytest

from apps.insights import services
from apps.insights.models import Insight, TextAnalysis, Theme, ThemeStatus
from tests.conftest import import_now
from tests.factories import BATTERY, corpus_csv, customer_texts, run_now
from tests.fakes import AnalysisScript


@pytest.fixture
def fake_model(fake_llm) -> AnalysisScript:
    return fake_llm.use(AnalysisScript())


def test_analysis_builds_themes_insights_and_evidence(owner, fake_model):
    import_now(owner, "r.csv", corpus_csv())
    run = run_now(owner)
    assert run.status == "succeeded" and run.text_count == 18 and run.job.status == "succeeded"
    # Where the run's time went, stage by stage, in the job's result (make quality prints it for the demo).
    stages = run.job.result["stage_seconds"]
    assert set(stages) == {"embedding", "sentiment", "themes", "describing themes", "report", "saving"}
    assert all(isinstance(seconds, float) and seconds >= 0 for seconds in stages.values())
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


def test_a_report_citing_unknown_texts_is_retried(owner, fake_llm):
    import_now(owner, "r.csv", corpus_csv())
    model = fake_llm.use(AnalysisScript(bogus_first=2))
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


def test_one_run_at_a_time(owner, fake_llm):
    customer_texts(owner.workspace, BATTERY, sentiment="negative")  # rows are enough: nothing runs
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


def test_viewer_cannot_start_an_analysis(make_member, fake_llm):
    viewer = make_member("viewer")
    assert viewer.api().post("/api/v1/analyses").status_code == 403


def test_statements_that_stay_unsupported_are_dropped_not_stored(owner, fake_llm):
    import_now(owner, "r.csv", corpus_csv())
    fake_llm.use(AnalysisScript(bogus_first=1000))  # always cites a text it was not shown
    run = run_now(owner)
    assert run.status == "succeeded"
    assert not run.insights.exclude(kind__in=["emerging_theme", "fading_theme", "anomaly"]).exists()
    assert any("cited texts it was not shown" in note for note in run.notes)

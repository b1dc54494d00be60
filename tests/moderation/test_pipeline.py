"""The automatic pipeline on import: fast detectors, the policy, statuses of texts, the job."""

from apps.corpus.models import CustomerText, TextImport
from apps.corpus.signals import texts_committed
from apps.jobs.models import Job
from apps.moderation import selectors, services
from apps.moderation.models import ModerationCase

from .helpers import DEMO, case_for, import_and_screen, status_of, without_judge


def test_demo_import_fills_the_queue_with_real_cases(owner):
    without_judge(owner.workspace)
    text_import, job = import_and_screen(owner, "demo_texts.jsonl", DEMO)
    ws = owner.workspace
    assert job.status == "succeeded", job.error
    assert job.result["cases"] == text_import.rows_new == ModerationCase.objects.filter(workspace=ws).count()
    assert job.result["llm"] == 0  # the judge is off in this workspace

    pending = ModerationCase.objects.filter(workspace=ws, status="pending")
    flagged = set().union(*pending.values_list("categories", flat=True))
    assert {"spam", "harassment", "violence", "prompt_injection", "personal_data", "off_topic"} <= flagged
    # Most of the demo is ordinary feedback, settled as approved by the fast stage alone.
    approved = ModerationCase.objects.filter(workspace=ws, status="approved", stage="fast").count()
    assert approved > 0.85 * text_import.rows_new

    assert status_of(ws, "Buy Instagram followers") == "hidden"
    assert status_of(ws, "加V信") == "hidden"
    assert status_of(ws, "developer mode") == "hidden"
    assert status_of(ws, "I know where your office is") == "hidden"
    assert status_of(ws, "absolute idiots") == "pending"
    assert status_of(ws, "客服就是一群废物") == "pending"
    assert status_of(ws, "My address is [ADDRESS]") == "pending"  # the address itself is redacted on import
    assert status_of(ws, "coffee grinder") == "pending"
    assert status_of(ws, "Setup took 2 minutes") == "approved"

    spam = case_for(ws, "Buy Instagram followers")
    assert spam.stage == "fast" and spam.auto_action == "hide" and spam.severity == 3
    assert spam.text[spam.span_start:spam.span_end] == spam.offending_span
    assert "Spam" in spam.rationale and spam.signals
    assert spam.source == "app_store" and spam.language == "en"


def test_pending_and_hidden_texts_are_left_out_of_analysis(owner):
    without_judge(owner.workspace)
    import_and_screen(owner, "demo_texts.jsonl", DEMO)
    ws = owner.workspace
    usable = selectors.analysable_texts(ws)
    statuses = set(usable.values_list("moderation_status", flat=True))
    assert statuses == {"approved"}
    assert not usable.filter(text__contains="Buy Instagram followers").exists()
    assert not usable.filter(text__contains="absolute idiots").exists()
    # The workspace may let pending texts in; hidden ones stay out.
    services.update_policy(owner.ctx, exclude_pending_from_analysis=False)
    usable = selectors.analysable_texts(ws)
    assert usable.filter(text__contains="absolute idiots").exists()
    assert not usable.filter(text__contains="Buy Instagram followers").exists()


def test_candidates_wait_for_the_judge(owner, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        text_import, job = import_and_screen(owner, "demo_texts.jsonl", DEMO)
    ws = owner.workspace
    screening = ModerationCase.objects.filter(workspace=ws, status="screening")
    assert screening.exists()
    assert screening.count() / text_import.rows_new < 0.05  # the share that needs the LLM is small
    assert job.status == "running" and "waiting for the LLM judge" in job.message
    assert set(screening.values_list("stage", flat=True)) == {"fast"}
    # Their texts wait as pending (out of analysis) until the judge speaks.
    ids = [int(i) for i in screening.values_list("subject_id", flat=True)]
    assert set(CustomerText.objects.filter(pk__in=ids).values_list("moderation_status", flat=True)) == {"pending"}
    assert callbacks, "judge tasks are queued once the cases are committed"


def test_screening_is_idempotent(owner):
    without_judge(owner.workspace)
    text_import, job = import_and_screen(owner, "demo_texts.jsonl", DEMO)
    before = ModerationCase.objects.filter(workspace=owner.workspace).count()
    Job.objects.filter(pk=job.pk).update(status="running")
    services.screen_texts(str(job.pk))
    assert ModerationCase.objects.filter(workspace=owner.workspace).count() == before


def test_texts_committed_starts_one_moderation_job_per_import(owner):
    without_judge(owner.workspace)
    from tests.conftest import import_now

    text_import = import_now(owner, "a.csv", b"text\nLovely lamp\nBright and even light\n")
    for _ in range(2):  # a re-run of the import re-sends the signal
        texts_committed.send(sender=TextImport, workspace_id=owner.workspace.pk, text_import_id=text_import.pk,
                             job_id=str(text_import.job_id))
    jobs = Job.objects.filter(workspace=owner.workspace, kind="moderation")
    assert jobs.count() == 1
    assert jobs.get().params["text_import_id"] == text_import.pk


def test_texts_api_carries_the_moderation_status(owner):
    without_judge(owner.workspace)
    import_and_screen(owner, "demo_texts.jsonl", DEMO)
    results = owner.api().get("/api/v1/texts?limit=500").json()["results"]
    by_status = {r["moderation"] for r in results}
    assert {"approved", "pending", "hidden"} <= by_status


def test_backlog_of_unchecked_texts_can_be_screened(owner):
    from tests.conftest import import_now

    without_judge(owner.workspace)
    import_now(owner, "old.csv", b"text\nBuy followers cheap at www.spam.example now!!! use code X\nNice lamp\n")
    assert CustomerText.objects.filter(workspace=owner.workspace, moderation_status="unchecked").count() == 2
    job = services.start_backlog_screening(owner.ctx)
    services.screen_texts(str(job.pk))
    job.refresh_from_db()
    assert job.status == "succeeded"
    assert not CustomerText.objects.filter(workspace=owner.workspace, moderation_status="unchecked").exists()

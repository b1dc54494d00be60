"""The LLM judge against the real vLLM server. The test model (SmolLM2-135M) is weak: these tests check the
structure and the flow of verdicts, not their quality (that is on the fast detectors)."""

import pytest

from apps.jobs.models import Job
from apps.moderation import services
from apps.moderation.models import ModerationCase
from apps.moderation.schemas import JudgeVerdict
from tests.conftest import wait_for_job

from .helpers import DEMO, import_and_screen

pytestmark = pytest.mark.llm


def test_the_judge_returns_a_schema_valid_verdict(owner, llm_base_url):
    from apps.llm.gateway import get_gateway

    case = ModerationCase(text="honestly this app makes me want to die, the sync is broken again",
                          signals=[{"category": "self_harm", "severity": 2, "certain": False,
                                    "detector": "self_harm.candidate", "reason": "mentions self-harm",
                                    "start": None, "end": None}])
    result = get_gateway().run(services.judge_request(case), workspace=owner.workspace, feature="moderation")
    verdict = JudgeVerdict.model_validate(result.output.model_dump())
    assert 0 <= verdict.severity <= 3 and isinstance(verdict.rationale, str)
    assert set(verdict.categories) <= {"harassment", "violence", "sexual", "self_harm", "spam", "personal_data",
                                       "prompt_injection", "off_topic"}


def test_an_ambiguous_text_is_decided_by_the_llm_stage(owner, llm_base_url):
    text = "Watch your back, the battery died in a day and I don't forget faces"
    verdict = services.moderate_generated(owner.workspace, "reply_draft", "amb-1", text, wait_for_llm=True)
    case = ModerationCase.objects.get(pk=verdict.case_id)
    assert case.stage == verdict.stage == "llm"
    # A threat hit is never approved by the judge alone, and the judge alone never hides: a person decides.
    assert case.status == "pending" and verdict.status == "pending" and case.llm_error == ""
    assert case.rationale
    # A span the judge quotes must occur in the text; anything else was cleared.
    if case.offending_span:
        assert case.text[case.span_start:case.span_end].lower() == case.offending_span.lower()
    assert case.signals[0]["detector"] == "threat.weak"  # what sent it to the judge is kept


def test_import_candidates_are_judged_in_batches(owner, llm_base_url):
    text_import, job = import_and_screen(owner, "demo_texts.jsonl", DEMO)
    waiting = list(ModerationCase.objects.filter(workspace=owner.workspace, status="screening")
                   .values_list("pk", flat=True))
    assert waiting and job.status == "running"
    services.judge_cases(waiting, str(job.pk))  # the llm task's body, in this process
    job.refresh_from_db()
    assert job.status == "succeeded", job.error
    judged = ModerationCase.objects.filter(pk__in=waiting)
    assert set(judged.values_list("stage", flat=True)) == {"llm"}
    assert not judged.filter(status="screening").exists()
    assert job.result["llm"] == len(waiting) and job.result["cases"] == text_import.rows_new


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_upload_to_verdicts_through_the_workers(make_member, celery_worker, llm_base_url):
    owner = make_member("owner", "Moderated Co")
    api = owner.api()
    upload = api.post("/api/v1/imports", {"file": _file("demo_texts.jsonl", DEMO)})
    assert upload.status_code == 202, upload.content
    assert wait_for_job(api, upload.json()["job_id"], timeout=300)["status"] == "succeeded"
    moderation = Job.objects.get(workspace=owner.workspace, kind="moderation",
                                 params__text_import_id=upload.json()["import_id"])
    done = wait_for_job(api, str(moderation.pk), timeout=600)
    assert done["status"] == "succeeded", done
    assert done["result"]["llm"] >= 1 and done["result"]["hidden"] >= 5
    pending = api.get("/api/v1/moderation/cases?status=pending&limit=200").json()
    assert pending["count"] >= 8
    assert {"spam", "harassment", "violence"} <= {c for case in pending["results"] for c in case["categories"]}


def _file(name: str, data: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data)


def test_the_judge_reads_a_long_text_around_its_flagged_passage(owner, llm_base_url):
    """Flow with the real model: a veiled threat deep in a long ticket reaches the judge (as a window around
    it), the judge answers within the schema, and the threat hit leaves the decision to a person."""
    filler = "The lamp arrived on time, the light is warm and the app pairs quickly. " * 40  # ~2,900 characters
    text = f"{filler}Fix my order or else, I know your face. {filler}"
    case = ModerationCase(text=text, signals=[{"category": "violence", "severity": 2, "certain": False,
                                               "detector": "threat.weak", "reason": "wording that may be a threat",
                                               "start": len(filler), "end": len(filler) + 20}])
    assert "or else" in services.judge_request(case).variables["text"]
    verdict = services.moderate_generated(owner.workspace, "reply_draft", "long-1", text, wait_for_llm=True)
    stored = ModerationCase.objects.get(pk=verdict.case_id)
    assert stored.stage == "llm" and stored.llm_error == "" and stored.rationale
    assert verdict.status == "pending" and "violence" in verdict.categories

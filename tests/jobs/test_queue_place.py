"""Issue #16: a waiting LLM job shows its place in the model's line and an estimate from recent jobs."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.jobs.models import WAITING_FOR_MODEL
from apps.jobs.registry import llm_kinds
from apps.jobs.selectors import duration_words, ordinal, queue_place, typical_durations
from tests.factories import job

pytestmark = pytest.mark.django_db


def _line(ws, *kinds, start=None):
    """Queued jobs of `kinds`, one a second apart, oldest first."""
    start = start or timezone.now() - timedelta(minutes=10)
    return [job(ws, kind, created_at=start + timedelta(seconds=i)) for i, kind in enumerate(kinds)]


def test_the_model_line_holds_the_kinds_each_app_registers_as_asking_the_model():
    # Every kind whose task runs on the llm queue (workers/routing.py) and none other: moderation's judge runs
    # inside a job that starts on the ingest queue, imports and exports never ask the model.
    assert llm_kinds() == {"analysis", "copy", "copy_regenerate", "copy_ideas", "reply_drafts", "translations",
                           "llm_batch"}


def test_position_counts_the_unfinished_llm_jobs_queued_before_it_in_every_workspace(owner, make_member):
    other = make_member("owner", workspace="Other Co").workspace
    ws = owner.workspace
    first, second = _line(ws, "copy", "reply_drafts")
    third = job(other, "analysis", created_at=second.created_at + timedelta(seconds=1))  # the same model servers
    mine = job(ws, "copy", created_at=third.created_at + timedelta(seconds=1))
    job(ws, "copy", created_at=mine.created_at + timedelta(seconds=1))  # behind it: not counted
    job(ws, "import", created_at=first.created_at)  # not an LLM job
    job(ws, "copy", status="failed", created_at=first.created_at)  # finished
    job(ws, "copy", created_at=timezone.now() - timedelta(days=2))  # stuck for days: not in line

    place = queue_place(mine)
    assert (place.position, place.ahead) == (4, 3)
    assert queue_place(first).position == 1 and queue_place(first).summary == "Next in line."


def test_estimate_adds_the_median_duration_of_each_job_ahead_by_its_kind(owner):
    ws = owner.workspace
    for seconds in (50, 60, 70, 600):  # one slow outlier: the median ignores it
        job(ws, "copy", took_s=seconds)
    for seconds in (100, 140):
        job(ws, "reply_drafts", took_s=seconds)
    _, _, mine = _line(ws, "copy", "reply_drafts", "copy")

    place = queue_place(mine)
    assert place.position == 3
    assert place.wait_s == pytest.approx(65 + 120)
    assert place.basis == 6
    assert place.summary == "3rd in line (2 ahead); starts in about 3 minutes (from the last 6 finished AI jobs)."
    assert place.as_dict()["wait_s"] == 185


def test_estimate_uses_only_the_last_finished_jobs_of_a_kind(owner):
    ws = owner.workspace
    for seconds in (1000, 1000, 1000):
        job(ws, "copy", took_s=seconds)
    for seconds in (30, 30):  # the newest
        job(ws, "copy", took_s=seconds)
    assert typical_durations(["copy"], last=2) == {"copy": (30.0, 2)}
    assert typical_durations(["analysis"]) == {}


def test_no_estimate_without_history(owner):
    ws = owner.workspace
    job(ws, "copy", took_s=60)  # copy has history, analysis (ahead) has none
    _, mine = _line(ws, "analysis", "copy")
    place = queue_place(mine)
    assert (place.position, place.wait_s) == (2, None)
    assert place.summary == "2nd in line (1 ahead); no estimate yet."
    assert place.as_dict()["wait_s"] is None


def test_only_waiting_llm_jobs_have_a_place(owner):
    ws = owner.workspace
    assert queue_place(job(ws, "import")) is None
    assert queue_place(job(ws, "copy", status="succeeded")) is None
    assert queue_place(job(ws, "copy", status="running", message="Writing variant 2 of 3")) is None
    waiting = job(ws, "copy", status="running", message=f"{WAITING_FOR_MODEL} (attempt 3): no server answered")
    assert queue_place(waiting) is not None


def test_words():
    assert [ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22, 101, 111)] == [
        "1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "101st", "111th"]
    assert duration_words(40) == "1 minute"
    assert duration_words(185) == "3 minutes"
    assert duration_words(4 * 3600) == "4.0 hours"


def test_job_status_api_shows_the_place_in_line(owner):
    ws = owner.workspace
    job(ws, "copy", took_s=90)
    _, mine = _line(ws, "copy", "copy")
    body = owner.api().get(f"/api/v1/jobs/{mine.pk}").json()
    assert body["queue"] == {"position": 2, "ahead": 1, "wait_s": 90, "basis": 1,
                             "summary": "2nd in line (1 ahead); starts in about 2 minutes "
                                        "(from the last finished AI job)."}
    done = job(ws, "copy", took_s=5)
    assert owner.api().get(f"/api/v1/jobs/{done.pk}").json()["queue"] is None

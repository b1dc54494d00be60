"""Issue #16, waiting without knowing why, in a real browser: while the language model loads, every page says so
and that AI jobs will start by themselves; a waiting copy job shows its place in line and an estimate from
recent jobs; once the model answers, the banner goes without a reload."""

import os
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from apps.accounts.services import ensure_member
from tests.factories import job

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "model-loading-pass-123"
UP = [{"url": "http://vllm/v1", "ok": True, "detail": "ok", "circuit_open": False}]
DOWN = [{"url": "http://vllm/v1", "ok": False, "detail": "unreachable (ConnectError)", "circuit_open": False}]


def test_banner_while_the_model_loads_and_a_waiting_job_shows_its_place(person, live_server, monkeypatch,
                                                                           tmp_path):
    owner = ensure_member("loading-owner", "Loading Co", "owner", password=PASSWORD)
    ws = owner.workspace
    servers = {"now": DOWN}
    monkeypatch.setattr("apps.llm.gateway.Gateway.health", lambda self: servers["now"])
    state = tmp_path / "vllm.state"  # what `make run`'s launcher writes while its vLLM starts
    state.write_text("starting")
    three_minutes_ago = time.time() - 180
    os.utime(state, (three_minutes_ago, three_minutes_ago))
    monkeypatch.setenv("MURMUR_VLLM_STATE", str(state))

    for seconds in (55, 62, 70):  # recent copy jobs took about a minute
        job(ws, "copy", took_s=seconds)
    start = timezone.now() - timedelta(minutes=2)
    job(ws, "copy", created_at=start)
    job(ws, "reply_drafts", created_at=start + timedelta(seconds=1))  # no finished drafting job yet
    mine = job(ws, "copy", created_at=start + timedelta(seconds=2))
    ahead = job(ws, "copy", created_at=start - timedelta(seconds=1))

    person.login("loading-owner", PASSWORD)
    banner = person.page.inner_text("#llm-banner")
    assert "The language model is still loading (started 3 minutes ago" in banner
    assert "AI jobs you start now will wait and start by themselves." in banner
    person.shot("1-dashboard-model-loading")

    person.go(f"/jobs/{mine.pk}/")
    place = person.page.locator(f".job[data-job-id='{mine.pk}'] .job-queue")
    place.filter(has_text="in line").wait_for()
    assert place.inner_text() == "4th in line (3 ahead); no estimate yet."  # a drafting job ahead has no history
    assert "still loading" in person.page.inner_text("#llm-banner")

    person.go(f"/jobs/{ahead.pk}/")
    place = person.page.locator(f".job[data-job-id='{ahead.pk}'] .job-queue")
    place.filter(has_text="in line").wait_for()
    assert place.inner_text() == "Next in line."
    person.go(f"/jobs/{job(ws, 'copy', created_at=start + timedelta(seconds=3)).pk}/")
    person.page.locator(".job-queue").filter(has_text="in line").wait_for()
    person.shot("2-job-place-in-line")

    # The drafting job is done: the line ahead is all copy jobs, whose median is 62 s.
    from apps.jobs.models import Job

    Job.objects.filter(kind="reply_drafts").update(status="succeeded", started_at=start, finished_at=start)
    person.go(f"/jobs/{mine.pk}/")
    place = person.page.locator(f".job[data-job-id='{mine.pk}'] .job-queue")
    place.filter(has_text="starts in about").wait_for()
    assert place.inner_text() == ("3rd in line (2 ahead); starts in about 2 minutes "
                                  "(from the last 3 finished AI jobs).")
    person.shot("3-job-estimate")

    # The model answers: the open page drops the banner by itself (it asks every 15 s; the check is cached 10 s).
    servers["now"] = UP
    state.write_text("ready")
    person.page.locator("#llm-banner").wait_for(state="detached", timeout=40_000)
    person.shot("4-model-ready-no-banner")
    person.go("/")
    assert not person.page.locator("#llm-banner").count()

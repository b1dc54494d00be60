"""Workers die at any point; nothing is lost or done twice. The worker is SIGKILLed mid-job and started
again: the broker hands the unacknowledged task to the new worker, which finishes the job. The broker
restarts and the database goes away for a few seconds in the middle of a job: the job waits and finishes."""

import json
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from apps.core import health
from apps.corpus.models import CustomerText
from apps.embeddings.models import TextEmbedding
from bench.corpus import demo_rows
from tests.conftest import restart_broker, wait_for_job

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]
ROWS = 1500


def _upload(api, seed: int) -> tuple[str, int]:
    rows = demo_rows(ROWS, seed=seed)
    payload = "\n".join(json.dumps(r, ensure_ascii=False) for r in rows).encode()
    response = api.post("/api/v1/imports", {"file": SimpleUploadedFile("big.jsonl", payload)})
    assert response.status_code == 202, response.content
    return response.json()["job_id"], response.json()["rows"]


def _wait_for_phase(api, job_id: str, rows: int, phase: str) -> dict:
    deadline = time.monotonic() + 300
    while True:  # wait for the job to be in the phase we want the fault in
        job = api.get(f"/api/v1/jobs/{job_id}").json()
        in_phase = (0 < job["done"] < rows) if phase == "storing" else (rows < job["done"] < job["total"])
        if in_phase or job["status"] in ("succeeded", "failed"):
            break
        assert time.monotonic() < deadline, job
        time.sleep(0.05)
    assert job["status"] == "running", f"the job finished before the fault: {job}"
    return job


def _assert_imported_exactly_once(member, job: dict, seed: int) -> None:
    assert job["status"] == "succeeded", job
    texts = CustomerText.objects.filter(workspace=member.workspace)
    distinct = len({r["text"] for r in demo_rows(ROWS, seed=seed)})
    assert texts.count() == job["result"]["imported"] <= ROWS
    assert texts.values("content_hash").distinct().count() == texts.count()  # every text exactly once
    assert texts.count() >= distinct  # nothing lost
    embeddings = TextEmbedding.objects.filter(workspace=member.workspace)
    assert embeddings.count() == texts.count()  # one vector each, none twice


@pytest.mark.parametrize("phase", ["storing", "embedding"])
def test_worker_killed_mid_import_then_job_completes_exactly_once(make_member, celery_worker, phase):
    member = make_member("owner", f"Crash {phase}")
    api = member.api()
    seed = 5 if phase == "storing" else 6
    job_id, rows = _upload(api, seed=seed)
    _wait_for_phase(api, job_id, rows, phase)
    celery_worker.kill()
    assert api.get(f"/api/v1/jobs/{job_id}").json()["status"] == "running"
    celery_worker.start()
    _assert_imported_exactly_once(member, wait_for_job(api, job_id, timeout=600), seed)


def test_broker_restarted_mid_import_then_job_completes_exactly_once(make_member, celery_worker):
    member = make_member("owner", "Broker restart")
    api = member.api()
    job_id, rows = _upload(api, seed=7)
    _wait_for_phase(api, job_id, rows, "storing")
    seen_while_down: list[str] = []

    def look_at_the_job() -> None:
        health._broker_cache["value"] = None  # this process checked a moment ago, when the broker was up
        seen_while_down.append(api.get(f"/api/v1/jobs/{job_id}").json()["waiting_on"])

    restart_broker(down_for_s=3, while_down=look_at_the_job)  # queued batches survive in the append-only file
    assert "task queue" in seen_while_down[0]  # the job page says why nothing moves
    assert api.get("/healthz").status_code in (200, 503)  # the web reconnects by itself
    _assert_imported_exactly_once(member, wait_for_job(api, job_id, timeout=600), seed=7)
    assert api.get("/healthz").json()["components"]["broker"]["state"] == "up"


def test_database_unreachable_mid_import_then_job_completes_exactly_once(make_member, celery_worker, db_proxy):
    member = make_member("owner", "Database outage")
    api = member.api()
    job_id, rows = _upload(api, seed=8)
    _wait_for_phase(api, job_id, rows, "storing")
    db_proxy.down()  # the worker's connections drop and new ones are refused
    try:
        time.sleep(5)
    finally:
        db_proxy.up()
    _assert_imported_exactly_once(member, wait_for_job(api, job_id, timeout=600), seed=8)


def test_pages_and_healthz_say_when_the_database_is_unreachable(make_member, db_proxy):
    """Web requests during a database outage get a 503 that says what is wrong, never a stack trace."""
    from django.db import connection

    member = make_member("owner", "Database outage pages")
    # As a real server does: the error goes to the error handler instead of up into the test.
    browser = Client(raise_request_exception=False)
    browser.force_login(member.user)
    api = Client(raise_request_exception=False, headers={"Authorization": f"Bearer {member.token}"})
    original = dict(connection.settings_dict)
    connection.close()
    connection.settings_dict.update(HOST="127.0.0.1", PORT=str(db_proxy.port))  # this process, via the proxy
    db_proxy.down()
    try:
        page = browser.get("/")
        assert page.status_code == 503 and b"database" in page.content.lower()
        assert b"Traceback" not in page.content
        listed = api.get("/api/v1/texts")
        assert listed.status_code == 503 and "database" in listed.json()["error"].lower()
        health = api.get("/healthz")
        assert health.status_code == 503 and health.json()["components"]["database"]["state"] == "down"
    finally:
        db_proxy.up()
        connection.close()
        connection.settings_dict.update(HOST=original["HOST"], PORT=original["PORT"])
    assert browser.get("/").status_code == 200  # back without a restart


def test_a_job_that_fails_for_good_says_what_to_do(make_member, celery_worker):
    from django.db import transaction

    from apps.corpus.models import TextImport
    from apps.corpus.services import Upload, start_import

    member = make_member("owner", "Broken file")
    with transaction.atomic():  # the task is published on commit, after the stored file is damaged
        text_import = start_import(member.ctx, Upload("r2.csv", b"text\nanother\n", {}))
        TextImport.objects.filter(pk=text_import.pk).update(payload=b"\x00\x01binary")
    failed = wait_for_job(member.api(), str(text_import.job_id))
    assert failed["status"] == "failed" and "binary" in failed["error"]
    assert not CustomerText.objects.filter(text_import=text_import).exists()

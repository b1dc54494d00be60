from apps.core import health
from apps.dashboard import health as components


def test_healthz_is_503_when_a_component_is_down(db, client, monkeypatch):
    monkeypatch.setattr(health, "check_workers", lambda: {"ok": True, "detail": "stub"})
    monkeypatch.setattr(components, "check_llm", lambda: {"ok": True, "detail": "stub"})
    monkeypatch.setattr(health, "check_broker", lambda: {"ok": False, "detail": "unreachable"})
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "degraded" and body["components"]["broker"]["state"] == "down"
    assert body["components"]["database"]["state"] == "up"


def test_broker_check_detects_a_dead_redis(db, settings, monkeypatch):
    from config.celery import app

    monkeypatch.setattr(app.conf, "broker_url", "redis://127.0.0.1:1/0")
    assert health.check_broker()["ok"] is False


def test_a_waiting_job_says_the_task_queue_is_down(make_member, monkeypatch):
    from apps.jobs.services import create_job

    monkeypatch.setattr(health, "_broker_cache", {"at": 0.0, "value": None})
    monkeypatch.setattr(health, "check_broker", lambda: {"ok": False, "detail": "unreachable"})
    member = make_member("owner", "Paused")
    job = create_job(member.workspace, "import", total=10)
    body = member.api().get(f"/api/v1/jobs/{job.pk}").json()
    assert "task queue" in body["waiting_on"] and "Nothing is lost" in body["waiting_on"]

    monkeypatch.setattr(health, "_broker_cache", {"at": 0.0, "value": None})
    monkeypatch.setattr(health, "check_broker", lambda: {"ok": True, "detail": "redis ok"})
    assert member.api().get(f"/api/v1/jobs/{job.pk}").json()["waiting_on"] == ""

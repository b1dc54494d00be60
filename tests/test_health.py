from apps.dashboard import health


def test_healthz_is_503_when_a_component_is_down(db, client, monkeypatch):
    monkeypatch.setattr(health, "check_workers", lambda: {"ok": True, "detail": "stub"})
    monkeypatch.setattr(health, "check_llm", lambda: {"ok": True, "detail": "stub"})
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

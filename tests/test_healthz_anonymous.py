"""/healthz is public: anonymous callers learn the status and each component's up/down, never the server URLs,
model names or worker layout, and the checks behind it (an outbound call to every vLLM server) are cached."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from apps.core import health
from apps.dashboard import health as components

VLLM_URL = "http://10.1.2.3:8100/v1"
WORKER = "celery@ingest-7"


@pytest.fixture
def checks(monkeypatch) -> list[str]:
    """Every check answers with details a stranger should not see; the list records each check that ran."""
    ran: list[str] = []

    def check(name: str, ok: bool = True, **extra):
        def run():
            ran.append(name)
            return {"ok": ok, "detail": f"{name} via {VLLM_URL} on {WORKER}", **extra}
        return run

    monkeypatch.setattr(health, "check_database", check("database"))
    monkeypatch.setattr(health, "check_broker", check("broker"))
    monkeypatch.setattr(health, "check_workers", check("workers", workers=[WORKER]))
    monkeypatch.setattr(components, "check_embeddings", check("embeddings"))
    monkeypatch.setattr(components, "check_llm", check("llm", ok=False, servers=[{"url": VLLM_URL, "ok": False}]))
    return ran


def test_anonymous_caller_gets_states_only(db, checks, settings):
    response = Client().get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body == {"status": "degraded", "components": {
        "database": {"state": "up"}, "broker": {"state": "up"}, "workers": {"state": "up"},
        "embeddings": {"state": "up"}, "llm": {"state": "down"}}}
    raw = response.content.decode()
    for secret in (VLLM_URL, "10.1.2.3", WORKER, settings.MURMUR_LLM_MODEL):
        assert secret not in raw


@pytest.mark.parametrize("role", ["viewer", "analyst", "moderator"])
def test_members_below_owner_get_states_only(make_member, checks, role):
    member = make_member(role)
    for client in (member.api(), member.browser()):
        body = client.get("/healthz").json()
        assert body["components"]["llm"] == {"state": "down"}
        assert VLLM_URL not in json.dumps(body)


def test_owner_keeps_the_detail_by_token_and_by_session(owner, checks):
    for client in (owner.api(), owner.browser()):
        body = client.get("/healthz").json()
        assert body["components"]["llm"]["servers"] == [{"url": VLLM_URL, "ok": False}]
        assert body["components"]["workers"]["workers"] == [WORKER]
        assert body["components"]["database"]["state"] == "up"


def test_a_junk_token_is_anonymous(db, checks):
    body = Client(headers={"Authorization": "Bearer not-a-token"}).get("/healthz").json()
    assert body["components"]["llm"] == {"state": "down"}


def test_checks_are_cached_for_a_few_seconds(db, checks):
    client = Client()
    for _ in range(5):
        assert client.get("/healthz").status_code == 503
    assert sorted(checks) == ["broker", "database", "embeddings", "llm", "workers"]
    from django.core.cache import cache

    cache.delete(components.HEALTH_CACHE_KEY)  # what the expiry after HEALTH_CACHE_S does
    client.get("/healthz")
    assert len(checks) == 10
    assert 1 <= components.HEALTH_CACHE_S <= 30

"""Issue #16: while the language model loads (or is down) every page says so, from the cached health check; the
banner goes once the model answers."""

import os
import time

import pytest

from apps.dashboard import health
from apps.dashboard.context_processors import llm_banner_text

pytestmark = pytest.mark.django_db

UP = [{"url": "http://vllm/v1", "ok": True, "detail": "ok", "circuit_open": False}]
DOWN = [{"url": "http://vllm/v1", "ok": False, "detail": "unreachable (ConnectError)", "circuit_open": False}]


@pytest.fixture
def servers(monkeypatch):
    """What the model servers answer to the health check; counts the checks."""
    state = {"servers": DOWN, "checks": 0}

    def fake_health(self):
        state["checks"] += 1
        return state["servers"]

    monkeypatch.setattr("apps.llm.gateway.Gateway.health", fake_health)
    return state


@pytest.fixture
def launcher_says(monkeypatch, tmp_path):
    """launcher_says("starting", minutes_ago=3): the state file `make run`'s launcher writes for its vLLM."""
    def say(text: str, minutes_ago: float = 0) -> None:
        path = tmp_path / "vllm.state"
        path.write_text(text)
        then = time.time() - 60 * minutes_ago
        os.utime(path, (then, then))
        monkeypatch.setenv("MURMUR_VLLM_STATE", str(path))
    monkeypatch.delenv("MURMUR_VLLM_STATE", raising=False)
    return say


def test_banner_while_the_model_loads(owner, servers, launcher_says):
    launcher_says("starting", minutes_ago=3)
    body = owner.browser().get("/").content.decode()
    assert 'id="llm-banner"' in body
    assert ("The language model is still loading (started 3 minutes ago; it is usually ready about 9 minutes "
            "after start). AI jobs you start now will wait and start by themselves.") in body
    status = owner.browser().get("/status/").content.decode()
    assert ">loading<" in status and "started 3 min ago" in status  # not "down"


def test_banner_when_the_server_is_down_not_loading(owner, servers, launcher_says):
    launcher_says("ready")  # it had started, and no longer answers
    body = owner.browser().get("/texts/").content.decode()
    assert "The language model server is down: it does not answer." in body
    assert "still loading" not in body

    launcher_says("failed: vLLM not ready after 900 s")
    from django.core.cache import cache

    cache.clear()
    assert "could not start" in owner.browser().get("/").content.decode()


def test_no_banner_once_the_model_answers(owner, servers, launcher_says):
    launcher_says("starting", minutes_ago=8)  # the state file lags: the server's answer wins
    servers["servers"] = UP
    body = owner.browser().get("/").content.decode()
    assert 'id="llm-banner"' not in body and "still loading" not in body
    assert owner.browser().get("/status/llm/").json() == {"ready": True, "state": "ready", "banner": ""}


def test_banner_uses_the_cached_check_not_a_call_per_page(owner, servers, launcher_says):
    launcher_says("starting", minutes_ago=1)
    client = owner.browser()
    for path in ("/", "/texts/", "/search/", "/status/llm/"):
        assert client.get(path).status_code == 200
    assert servers["checks"] == 1
    assert client.get("/status/llm/").json()["state"] == "loading"


def test_no_banner_for_anonymous_visitors(client, servers):
    assert 'id="llm-banner"' not in client.get("/login/").content.decode()
    assert servers["checks"] == 0


def test_banner_text_for_each_state():
    assert llm_banner_text({"ok": True, "state": "ready"}) == ""
    assert "started just now" in llm_banner_text({"ok": False, "state": "loading", "loading_minutes": 0})
    assert "started 1 minute ago" in llm_banner_text({"ok": False, "state": "loading", "loading_minutes": 1})
    assert "is down" in llm_banner_text({"ok": False, "state": "down"})
    assert "could not start" in llm_banner_text({"ok": False, "state": "down", "failed_to_start": True})


def test_check_llm_says_loading_only_while_the_launcher_starts_it(servers, launcher_says):
    assert health.check_llm()["state"] == "down"  # no launcher (production servers): down
    launcher_says("starting", minutes_ago=4)
    loading = health.check_llm()
    assert (loading["ok"], loading["state"], loading["loading_minutes"]) == (False, "loading", 4)
    servers["servers"] = UP
    assert health.check_llm()["state"] == "ready"

"""Model calls a web request waits on are bounded (issue #15, "Synchronous LLM calls"): the playground needs the
analyst role; the playground, a text's translation and the judge of a reply edit wait at most LLM_SYNC_TIMEOUT_S
with one attempt, then answer 503 with a sentence (an edit goes to a person instead); each user may make
MURMUR_LLM_SYNC_CALLS_PER_MINUTE such calls a minute (cache hits are free), then 429 with a sentence.

The model server is a real gateway in front of: a scripted double (httpx.MockTransport), a real socket that
accepts and never answers, or nothing at all (a dead VLLM_BASE_URL)."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time

import httpx
import pytest
from django.conf import settings

from apps.llm import gateway as gateway_module
from apps.llm.gateway import Gateway
from apps.replies.models import ReplyDraft
from tests.conftest import import_now

CSV = ("text,rating,source\n"
       '"The battery dies after one night, very disappointing.",1,survey\n'
       '"电池一晚上就没电了，太失望了",1,survey\n').encode()


@contextlib.contextmanager
def serving(gateway: Gateway):
    """Every `get_gateway()` of this process returns `gateway` (its cache is emptied, filled, then emptied)."""
    gateway_module.get_gateway.cache_clear()
    real = gateway_module.Gateway
    gateway_module.Gateway = lambda *args, **kwargs: gateway
    try:
        assert gateway_module.get_gateway() is gateway
    finally:
        gateway_module.Gateway = real
    try:
        yield gateway
    finally:
        gateway_module.get_gateway.cache_clear()


def _answer(request: httpx.Request) -> httpx.Response:
    body = json.loads(request.content)
    system = body["messages"][0]["content"]
    if "content moderator" in system:
        content = {"categories": [], "severity": 0, "rationale": "Fine.", "offending_span": ""}
    elif "translat" in system.lower():
        content = {"translation": "The battery died after one night; very disappointing."}
    else:
        content = {"answer": f"Because they say what to fix ({len(body['messages'][1]['content'])})."}
    return httpx.Response(200, json={"model": "m", "choices": [{"message": {"content": json.dumps(content)}}],
                                     "usage": {"prompt_tokens": 10, "completion_tokens": 10}})


class SilentServer:
    """A real TCP server that accepts connections and never answers: a model server that hangs."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.connections: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        with contextlib.suppress(OSError):
            while True:
                self.connections.append(self.sock.accept()[0])

    def url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}/v1"

    def close(self) -> None:
        for s in [*self.connections, self.sock]:
            with contextlib.suppress(OSError):
                s.close()


def _dead_url() -> str:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there now
    return f"http://127.0.0.1:{port}/v1"


@pytest.fixture
def texts(make_member):
    owner = make_member("owner", "Bounds")
    import_now(owner, "bounds.csv", CSV)
    from apps.corpus.models import CustomerText

    return owner, CustomerText.objects.get(workspace=owner.workspace, language="zh")


@pytest.fixture
def job_sized_gateway_settings(settings):
    """The gateway's own limits stay job-sized: what bounds a web request is the interactive bound."""
    settings.LLM_SYNC_TIMEOUT_S = 2
    settings.MURMUR_LLM_SYNC_CALLS_PER_MINUTE = 10
    return settings


def test_the_playground_needs_an_analyst(make_member, job_sized_gateway_settings):
    with serving(Gateway(["http://fake/v1"], "m", transport=httpx.MockTransport(_answer), backoff_s=0)):
        viewer, moderator = make_member("viewer", "Bounds"), make_member("moderator", "Bounds")
        for member in (viewer, moderator):
            response = member.api().post("/api/v1/llm/test", {"question": "Why?"}, content_type="application/json")
            assert response.status_code == 403 and "does not allow" in response.json()["error"]
        analyst = make_member("analyst", "Bounds")
        response = analyst.api().post("/api/v1/llm/test", {"question": "Why?"}, content_type="application/json")
        assert response.status_code == 200 and response.json()["answer"].startswith("Because")


def test_a_user_gets_ten_model_calls_a_minute_then_429(make_member, job_sized_gateway_settings):
    with serving(Gateway(["http://fake/v1"], "m", transport=httpx.MockTransport(_answer), backoff_s=0)):
        analyst, other = make_member("analyst", "Bounds"), make_member("analyst", "Bounds", username="other")
        api = analyst.api()

        def ask(client, question):
            return client.post("/api/v1/llm/test", {"question": question}, content_type="application/json")

        assert all(ask(api, f"Question {i}?").status_code == 200 for i in range(10))
        refused = ask(api, "Question 10?")
        assert refused.status_code == 429
        assert "more than 10 times in a minute" in refused.json()["error"]
        assert ask(api, "Question 3?").json()["cached"]  # a cache hit asks nobody, so it is not counted
        assert ask(other.api(), "Question 10?").status_code == 200  # the limit is per user


def test_a_hanging_model_server_gets_a_clear_503_within_the_bound(texts, job_sized_gateway_settings):
    owner, chinese = texts
    server = SilentServer()
    # The gateway as jobs use it (long timeout, three attempts): the request still waits about 2 s, once.
    try:
        with serving(Gateway([server.url()], "m", timeout_s=900, max_attempts=3, backoff_s=0)):
            started = time.monotonic()
            response = owner.api().get(f"/api/v1/texts/{chinese.pk}/translation?lang=en")
            waited = time.monotonic() - started
            assert response.status_code == 503, response.content
            assert "not answering" in response.json()["error"] and "at most 2 s" in response.json()["error"]
            assert 1.5 < waited < 6 and len(server.connections) == 1  # one attempt, no retries

            started = time.monotonic()
            response = owner.api().post("/api/v1/llm/test", {"question": "Why?"}, content_type="application/json")
            assert response.status_code == 503 and time.monotonic() - started < 6
    finally:
        server.close()


def test_a_reply_edit_whose_judge_hangs_goes_to_a_person(texts, job_sized_gateway_settings):
    owner, chinese = texts
    english = chinese.__class__.objects.get(workspace=owner.workspace, language="en")
    draft = ReplyDraft.objects.create(workspace=owner.workspace, text=english, body="Sorry about the battery.",
                                      language="en")
    server = SilentServer()
    try:
        with serving(Gateway([server.url()], "m", timeout_s=900, max_attempts=3, backoff_s=0)):
            started = time.monotonic()
            response = owner.api().patch(f"/api/v1/replies/{draft.pk}",
                                         {"text": "Sorry, the idiots in our warehouse dropped it."},
                                         content_type="application/json")
            assert response.status_code == 200 and time.monotonic() - started < 6
    finally:
        server.close()
    draft.refresh_from_db()
    assert len(server.connections) == 1  # the fast stage asked the judge once; it did not answer in time
    assert draft.edited and draft.moderation_status == "pending"  # so a person decides


def test_a_dead_model_url_answers_quickly_and_clearly(texts, job_sized_gateway_settings):
    owner, chinese = texts
    job_sized_gateway_settings.VLLM_BASE_URLS = [_dead_url()]
    job_sized_gateway_settings.LLM_SYNC_TIMEOUT_S = 30
    gateway_module.get_gateway.cache_clear()  # the real gateway, built from these settings
    try:
        started = time.monotonic()
        response = owner.api().get(f"/api/v1/texts/{chinese.pk}/translation?lang=en")
        assert response.status_code == 503 and time.monotonic() - started < 5
        error = response.json()["error"]
        assert "not answering" in error and "ConnectError" in error and "start a job" in error
    finally:
        gateway_module.get_gateway.cache_clear()
    assert settings.LLM_REQUEST_TIMEOUT_S >= 30  # the jobs' own timeout is untouched

"""Fixtures for the whole suite. Everything is real: PostgreSQL+pgvector and Redis started by
`python -m workers.launcher test`, real Celery worker processes, a real vLLM server and real models."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote, urlparse

import httpx
import pytest
from django.conf import settings
from django.test import Client

from tests.factories import Member, member
from tests.fakes import FakeLLM

REPO = Path(__file__).resolve().parent.parent


def pytest_collection_modifyitems(config, items):
    # Tests that need the vLLM server go last: the server loads while everything else runs.
    items.sort(key=lambda item: item.get_closest_marker("llm") is not None)


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Throttle counters live in the shared Redis cache: each test starts from zero."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def make_member(db) -> Callable[..., Member]:
    """make_member(role="owner", workspace="Acme", username=None): tests.factories.member."""
    return member


@pytest.fixture
def fake_llm():
    """The scripted model server (tests/fakes.py), behind every `get_gateway()` of this process for the test.
    Give it scripts: `fake_llm.use(AnalysisScript())`; a prompt no script answers fails the test."""
    fake = FakeLLM().serve()
    yield fake
    fake.stop()


@pytest.fixture
def owner(make_member) -> Member:
    return make_member("owner")


def _database_target() -> tuple[str, int] | str:
    db = settings.DATABASES["default"]
    port = int(db.get("PORT") or 5432)
    return f"{db['HOST']}/.s.PGSQL.{port}" if db["HOST"].startswith("/") else (db["HOST"], port)


def database_url(proxy: Proxy | None = None) -> str:
    """The test database's URL for other processes: directly, or through `proxy` (the test worker's)."""
    db = settings.DATABASES["default"]
    password = f":{quote(db['PASSWORD'], safe='')}" if db.get("PASSWORD") else ""
    if proxy is not None:
        host, port = "127.0.0.1", proxy.port
    else:
        host, port = (quote(db["HOST"], safe="") if db["HOST"].startswith("/") else db["HOST"]), db["PORT"]
    return f"postgresql://{quote(db['USER'], safe='')}{password}@{host}:{port}/{db['NAME']}"


class Proxy:
    """A TCP forwarder that tests switch off and on to stage an outage of what is behind it (the vLLM
    server, the database). `target` is (host, port) or the path of a Unix socket."""

    def __init__(self, target: tuple[str, int] | str):
        self.target = target
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(128)
        self.port = self.sock.getsockname()[1]
        self.is_up = True
        self.open: set[socket.socket] = set()
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def down(self) -> None:
        with self.lock:
            self.is_up = False
            for s in self.open:
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
            self.open.clear()

    def up(self) -> None:
        with self.lock:
            self.is_up = True

    def _accept(self) -> None:
        while True:
            client, _ = self.sock.accept()
            try:
                if not self.is_up:
                    raise OSError("down")
                if isinstance(self.target, str):
                    upstream = socket.socket(socket.AF_UNIX)
                    upstream.settimeout(5)
                    upstream.connect(self.target)
                else:
                    upstream = socket.create_connection(self.target, timeout=5)
                upstream.settimeout(None)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.open.update((client, upstream))
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    def _pipe(self, a: socket.socket, b: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := a.recv(65536):
                b.sendall(data)
        for s in (a, b):
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)


@pytest.fixture(scope="session")
def db_proxy(django_db_setup) -> Proxy:
    """The test worker reaches PostgreSQL through this proxy, so a test can make the database unreachable."""
    return Proxy(_database_target())


@pytest.fixture(scope="session")
def llm_proxy() -> Proxy:
    """Workers reach vLLM through this proxy, so a test can take the model server away and bring it back."""
    parsed = urlparse(settings.VLLM_BASE_URLS[0])
    return Proxy((parsed.hostname or "127.0.0.1", parsed.port or 80))


class WorkerProcess:
    """The test suite's real Celery worker (every queue, test database, real broker). Tests of crashes
    kill it with SIGKILL and start it again; its short visibility timeout makes the broker hand a task
    lost with a killed worker to the next one within a minute (production: just above the task limit)."""

    VISIBILITY_TIMEOUT_S = 45

    def __init__(self, env: dict[str, str], log_path: Path):
        # Small import batches: more progress updates, and a crash lands mid-import rather than after it.
        self.env = {**env, "CELERY_VISIBILITY_TIMEOUT": str(self.VISIBILITY_TIMEOUT_S),
                    "MURMUR_IMPORT_BATCH_SIZE": "250"}
        self.log_path = log_path
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        from config.celery import app

        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", "ingest,embed,llm,default", "-c",
                 "2", "-n", f"test-{os.getpid()}-{time.monotonic_ns()}@%h", "-l", "INFO"],
                env=self.env, cwd=REPO, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 120
        while not app.control.inspect(timeout=1).ping():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"The test worker did not start; see {self.log_path}")

    def kill(self) -> None:
        """SIGKILL the worker and its pool processes at once: no clean shutdown, no acks. Then do at once
        what the broker does after the visibility timeout: put the dead worker's unacknowledged tasks back
        in their queues (the test worker is the only consumer, so nothing else is unacknowledged)."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(30)
        from config.celery import app

        with app.connection_for_write(transport_options={"visibility_timeout": 0}) as connection:
            connection.default_channel.qos.restore_visible(num=10_000)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture(scope="session")
def celery_worker(django_db_setup, django_db_blocker, llm_proxy, db_proxy):
    env = {**os.environ, "DATABASE_URL": database_url(db_proxy),
           "DJANGO_SETTINGS_MODULE": "config.settings.test",
           "VLLM_BASE_URL": llm_proxy.url()}
    worker = WorkerProcess(env, Path(os.environ.get("MURMUR_DATA_DIR", REPO / ".data")) / "test-worker.log")
    # The worker's first import would encode the sentiment seeds and fit the classifier (half a minute, more
    # on busy cores), past its short visibility timeout, and the import would be delivered twice: do it here
    # once; the worker then loads both from the data directory's cache.
    from apps.insights.sentiment import base_model

    base_model()
    worker.start()
    yield worker
    worker.stop()


def restart_broker(down_for_s: float, while_down: Callable[[], object] | None = None) -> None:
    """Stop the broker and start it again `down_for_s` later. The embedded Redis writes its append-only
    file on shutdown and reads it back on start, as a production Redis with AOF does; an external Redis
    (REDIS_URL) is not ours to restart, so every client connection is dropped and new ones wait instead."""
    import redis

    from workers.embedded.redis import EmbeddedRedis

    url = settings.CELERY_BROKER_URL
    if url.startswith("redis+socket://"):
        socket_path = Path(urlparse(url).path)
        client = redis.Redis(unix_socket_path=str(socket_path))
        with contextlib.suppress(redis.ConnectionError):  # the server closes the connection as it exits
            client.shutdown()
        while socket_path.exists() and (socket_path.parent / "redis.pid").exists():
            time.sleep(0.05)
        try:
            if while_down is not None:
                while_down()
            time.sleep(down_for_s)
        finally:  # the rest of the session needs its broker, whatever the test saw
            EmbeddedRedis(socket_path.parent).start(persist=True)
    else:
        client = redis.Redis.from_url(url)
        client.client_pause(int(1000 * down_for_s), all=True)
        client.client_kill_filter(_type="normal", skipme=True)
        if while_down is not None:
            while_down()


def wait_for_job(client: Client, job_id: str, timeout: float = 180) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = client.get(f"/api/v1/jobs/{job_id}").json()
        if job["status"] in ("succeeded", "failed"):
            return job
        time.sleep(0.3)
    raise AssertionError(f"job {job_id} did not finish in {timeout}s: {job}")


@pytest.fixture(scope="session")
def llm_base_url() -> str:
    """The real vLLM server's URL, once it answers. Fails (never skips) if it cannot start."""
    url = settings.VLLM_BASE_URLS[0]
    state_file = os.environ.get("MURMUR_VLLM_STATE")
    deadline = time.monotonic() + 1500
    while time.monotonic() < deadline:
        if state_file and Path(state_file).exists() and Path(state_file).read_text().startswith("failed"):
            pytest.fail(f"The vLLM server could not start: {Path(state_file).read_text()}")
        try:
            if httpx.get(f"{url}/models", timeout=2).is_success:
                return url
        except httpx.HTTPError:
            pass
        time.sleep(2)
    pytest.fail(f"The vLLM server at {url} did not become ready in time.")


def import_now(member: Member, filename: str, data: bytes, mapping: dict | None = None):
    """Run an import in this process (no worker): validate, store, embed. For tests of the services."""
    from apps.corpus.services import Upload, process_import, start_import
    from apps.embeddings.services import embed_import, embed_texts, refresh_job

    text_import = start_import(member.ctx, Upload(filename, data, mapping or {}))
    process_import(text_import.pk)
    text_import.refresh_from_db()
    embed_import(member.workspace.pk, text_import.pk, str(text_import.job_id))  # queues batches on commit…
    ids = list(text_import.texts.values_list("pk", flat=True))
    embed_texts(member.workspace.pk, member.workspace.embedding_model, ids)  # …which we run right here
    refresh_job(str(text_import.job_id))
    from apps.insights.services import classify_import  # the other receiver of texts_committed

    classify_import(member.workspace.pk, text_import.pk)
    return text_import

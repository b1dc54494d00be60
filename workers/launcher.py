"""Starts and stops every process of `make run` and `make test`.

    python -m workers.launcher run     # embedded services, workers, beat, web; Ctrl-C stops everything
    python -m workers.launcher test    # fresh embedded services for one pytest session, then pytest

Each external service is embedded unless its URL is set: DATABASE_URL (PostgreSQL with pgvector),
REDIS_URL (Redis), VLLM_BASE_URL (OpenAI-compatible vLLM). Everything lives under MURMUR_DATA_DIR.
Personal data is encrypted with MURMUR_ENCRYPTION_KEYS; when it is unset, `run` generates a key once into
MURMUR_DATA_DIR/secrets/encryption.key and `test` uses a fresh key per session. DJANGO_SECRET_KEY likewise: the
settings refuse to start without one while DEBUG is off, so `run` generates one once into
MURMUR_DATA_DIR/secrets/django-secret.key and `bench` and `quality` use a fresh one per session.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from workers.embedded import vllm
from workers.embedded.postgres import EmbeddedPostgres
from workers.embedded.redis import EmbeddedRedis

REPO = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
# Worker pools: one per kind of load, so a long LLM batch never blocks an import. On a bigger machine,
# run more of these (or the same commands on other machines against the same broker).
WORKER_POOLS = {
    "ingest": ("ingest,default", 1),
    "embed": ("embed", 1),
    "llm": ("llm", 2),
}


def say(message: str) -> None:
    print(f"[murmur] {message}", file=sys.stderr, flush=True)


def data_dir() -> Path:
    path = Path(os.environ.get("MURMUR_DATA_DIR", REPO / ".data")).resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


def new_encryption_key() -> str:
    """A Fernet key (32 random bytes, url-safe base64), made without importing the app."""
    return base64.urlsafe_b64encode(os.urandom(32)).decode()


def new_secret_key() -> str:
    """A Django SECRET_KEY (50 random bytes, url-safe base64)."""
    return base64.urlsafe_b64encode(os.urandom(50)).decode().rstrip("=")


def _generated_once(path: Path, make: Callable[[], str]) -> tuple[str, bool]:
    """The value kept in PATH, written there first (mode 0600, directory 0700) if it is missing; and whether it
    was just made. O_EXCL: two launchers starting at once never overwrite each other's key."""
    made = not path.exists()
    if made:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as out:
            out.write(make() + "\n")
    return path.read_text().strip(), made


def encryption_env(root: Path) -> dict[str, str]:
    """MURMUR_ENCRYPTION_KEYS for every process `run` starts: the environment's, else the key generated once into
    ROOT/secrets/encryption.key (mode 0600; settings read the same file when the variable is unset)."""
    if os.environ.get("MURMUR_ENCRYPTION_KEYS"):
        return {}
    path = root / "secrets" / "encryption.key"
    key, made = _generated_once(path, new_encryption_key)
    if made:
        say(f"generated the encryption key for personal data: {path} (back it up; without it the originals "
            "cannot be read)")
    return {"MURMUR_ENCRYPTION_KEYS": key}


def secret_key_env(root: Path) -> dict[str, str]:
    """DJANGO_SECRET_KEY for every process `run` starts: the environment's, else the key generated once into
    ROOT/secrets/django-secret.key (mode 0600; settings read the same file when the variable is unset). Kept
    across restarts so logins survive them; losing it only logs everyone out."""
    if os.environ.get("DJANGO_SECRET_KEY"):
        return {}
    key, made = _generated_once(root / "secrets" / "django-secret.key", new_secret_key)
    if made:
        say(f"generated the Django SECRET_KEY: {root / 'secrets' / 'django-secret.key'}")
    return {"DJANGO_SECRET_KEY": key}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Supervisor:
    """Owns child processes: each in its own process group, all stopped together."""

    children: dict[str, subprocess.Popen] = field(default_factory=dict)
    commands: dict[str, list[str]] = field(default_factory=dict)
    stopping: bool = False

    def spawn(self, name: str, args: list[str], env: dict[str, str], log: Path | None = None) -> None:
        self.commands[name] = args
        out = open(log, "ab") if log else None  # noqa: SIM115  (kept open for the child's lifetime)
        self.children[name] = subprocess.Popen(args, env=env, cwd=REPO, stdout=out, stderr=subprocess.STDOUT if out
                                               else None, start_new_session=True)

    def restart_dead(self, env: dict[str, str], logs: Path) -> None:
        for name, proc in list(self.children.items()):
            if proc.poll() is not None and not self.stopping:
                say(f"{name} exited with {proc.returncode}; restarting it (log: {logs / (name + '.log')})")
                self.spawn(name, self.commands[name], env, logs / f"{name}.log")

    def stop_all(self, timeout: float = 20) -> None:
        self.stopping = True
        for proc in self.children.values():
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for proc in self.children.values():
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)


class Services:
    """The embedded PostgreSQL, Redis and vLLM, started only where no URL points elsewhere."""

    def __init__(self, root: Path, *, persist: bool, llm_model: str, vllm_port: int | None = None):
        self.root = root
        self.postgres = None if os.environ.get("DATABASE_URL") else EmbeddedPostgres(
            root / "postgres", port=int(os.environ.get("MURMUR_PG_PORT", "5544")))
        self.redis = None if os.environ.get("REDIS_URL") else EmbeddedRedis(root / "redis")
        self.persist = persist
        self.llm_model = llm_model
        self.vllm_process: subprocess.Popen | None = None
        self.vllm_state = root / "vllm.state"
        self.vllm_thread: threading.Thread | None = None
        self.vllm_port = vllm_port

    def start(self) -> dict[str, str]:
        env: dict[str, str] = {}
        if self.postgres:
            say("starting embedded PostgreSQL with pgvector")
            self.postgres.start()
            env["DATABASE_URL"] = self.postgres.url()
        if self.redis:
            say("starting embedded Redis")
            self.redis.start(persist=self.persist)
            env["REDIS_URL"] = self.redis.url()
        if not os.environ.get("VLLM_BASE_URL"):
            port = int(os.environ.get("MURMUR_VLLM_PORT") or self.vllm_port or free_port())
            env["VLLM_BASE_URL"] = f"http://127.0.0.1:{port}/v1"
            env["MURMUR_VLLM_STATE"] = str(self.vllm_state)
            self.vllm_state.write_text("starting")
            # Installing vLLM and converting the model take minutes the first time: do it beside the rest.
            self.vllm_thread = threading.Thread(target=self._start_vllm, args=(port,), daemon=True)
            self.vllm_thread.start()
        env["MURMUR_LLM_MODEL"] = self.llm_model
        return env

    def _start_vllm(self, port: int) -> None:
        try:
            venv = Path(os.environ.get("MURMUR_VLLM_VENV", REPO / ".venv-vllm"))
            vllm.ensure_vllm_venv(venv)
            model_dir = vllm.prepare_model(self.llm_model, data_dir(), venv)
            say(f"starting vLLM ({self.llm_model}) on 127.0.0.1:{port}")
            self.vllm_process = vllm.start_vllm(model_dir, self.llm_model, port, venv, self.root / "vllm.log",
                                                max_model_len=int(os.environ.get("MURMUR_LLM_MAX_LEN", "4096")))
            vllm.wait_ready(f"http://127.0.0.1:{port}/v1", 900, self.vllm_process)
            self.vllm_state.write_text("ready")
            say(f"vLLM ready: http://127.0.0.1:{port}/v1 serves {self.llm_model}")
        except Exception as exc:  # reported to tests and the status page; the rest of the app runs on
            self.vllm_state.write_text(f"failed: {exc}")
            say(f"vLLM failed to start: {exc}")

    def stop(self) -> None:
        if self.vllm_process is not None:
            vllm.stop(self.vllm_process)
        if self.redis:
            self.redis.stop()
        if self.postgres:
            self.postgres.stop()


def manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([PYTHON, "manage.py", *args], env=env, cwd=REPO, check=True)


def run() -> int:
    root = data_dir()
    logs = root / "logs"
    logs.mkdir(exist_ok=True)
    # The same port as the settings' default, so manage.py commands run beside `make run` find the model.
    services = Services(root, persist=True, llm_model=os.environ.get("MURMUR_LLM_MODEL", "qwen2.5-coder-1.5b"),
                        vllm_port=8100)
    supervisor = Supervisor()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    try:
        env = {**os.environ, **services.start(), **encryption_env(root), **secret_key_env(root),
               "PYTHONUNBUFFERED": "1"}
        say("applying database migrations")
        try:
            manage(env, "migrate", "--noinput", "-v", "0")
            manage(env, "check_encryption_key")  # a wrong key stops here, before any process writes data
            manage(env, "setup_schedules")
        except subprocess.CalledProcessError as exc:
            say(f"`manage.py {exc.cmd[2]}` failed (the reason is above); nothing else was started.")
            return 1
        manage(env, "load_demo")
        port = os.environ.get("PORT", "8000")
        for name, (queues, concurrency) in WORKER_POOLS.items():
            supervisor.spawn(f"worker-{name}", [PYTHON, "-m", "celery", "-A", "config", "worker", "-n",
                                                f"{name}@%h", "-Q", queues, "-c", str(concurrency), "-l", "INFO"],
                             env, logs / f"worker-{name}.log")
        supervisor.spawn("beat", [PYTHON, "-m", "celery", "-A", "config", "beat", "-l", "INFO",
                                  "--schedule", str(root / "celerybeat-schedule")], env, logs / "beat.log")
        supervisor.spawn("web", [PYTHON, "-m", "gunicorn", "config.wsgi", "-b", f"127.0.0.1:{port}",
                                 "--workers", "2", "--threads", "4", "--timeout", "180",
                                 "--access-logfile", "-"], env, logs / "web.log")
        say(f"logs: {logs}")
        print(f"\n  Murmur is running at http://127.0.0.1:{port}/\n"
              "  Log in as demo / murmur-demo (owner of the 'Lumo (demo)' workspace).\n"
              "  The language model is still loading while the status page says so. Ctrl-C stops everything.\n",
              flush=True)
        while not stop.wait(2):
            supervisor.restart_dead(env, logs)
        return 0
    finally:
        say("stopping")
        supervisor.stop_all()
        services.stop()


def test(pytest_args: list[str]) -> int:
    """One fresh PostgreSQL and Redis for the session, one vLLM server (SmolLM2) started alongside."""
    root = data_dir() / f"test-{os.getpid()}"  # concurrent runs (several checkouts) never share state
    root.mkdir(parents=True)
    os.environ.setdefault("MURMUR_PG_PORT", str(free_port()))
    # The broker keeps its append-only file in tests too: a test restarts it in the middle of a job.
    services = Services(root, persist=True, llm_model=os.environ.get("MURMUR_TEST_LLM_MODEL", "smollm2-135m"))
    try:
        env = {**os.environ, **services.start(), "DJANGO_SETTINGS_MODULE": "config.settings.test",
               "MURMUR_DATA_DIR": str(root), "PYTHONUNBUFFERED": "1",
               "MURMUR_ENCRYPTION_KEYS": os.environ.get("MURMUR_ENCRYPTION_KEYS") or new_encryption_key()}
        return subprocess.run([PYTHON, "-m", "pytest", *pytest_args], env=env, cwd=REPO).returncode
    finally:
        services.stop()
        shutil.rmtree(root, ignore_errors=True)


def bench(args: list[str]) -> int:
    """`bench NAME [ARGS]`: one benchmark from bench/ on fresh embedded services (vLLM only for llm and
    moderation)."""
    name, *rest = args or ["ingest"]
    root = data_dir() / f"bench-{os.getpid()}"
    root.mkdir(parents=True)
    os.environ.setdefault("MURMUR_PG_PORT", str(free_port()))
    if name not in ("llm", "moderation") and not os.environ.get("VLLM_BASE_URL"):
        os.environ["VLLM_BASE_URL"] = "http://127.0.0.1:9/v1"  # not needed: don't start one
    services = Services(root, persist=False, llm_model=os.environ.get("MURMUR_LLM_MODEL", "smollm2-135m"))
    try:
        env = {**os.environ, **services.start(), "MURMUR_DATA_DIR": str(root), "PYTHONUNBUFFERED": "1",
               "MURMUR_ENCRYPTION_KEYS": os.environ.get("MURMUR_ENCRYPTION_KEYS") or new_encryption_key(),
               "DJANGO_SECRET_KEY": os.environ.get("DJANGO_SECRET_KEY") or new_secret_key()}
        if services.vllm_thread is not None:
            services.vllm_thread.join()
        return subprocess.run([PYTHON, "-m", f"bench.{name}", *rest], env=env, cwd=REPO).returncode
    finally:
        services.stop()
        shutil.rmtree(root, ignore_errors=True)


def quality(args: list[str]) -> int:
    """`quality [--fast] [--no-llm] [--only ...]`: bench/quality on fresh embedded services and the default
    model (Qwen2.5-Coder-1.5B on the CPU), or the server VLLM_BASE_URL names, with real Celery workers."""
    root = data_dir() / f"quality-{os.getpid()}"
    root.mkdir(parents=True)
    os.environ.setdefault("MURMUR_PG_PORT", str(free_port()))
    if "--no-llm" in args and not os.environ.get("VLLM_BASE_URL"):
        os.environ["VLLM_BASE_URL"] = "http://127.0.0.1:9/v1"  # not needed: don't start one
    services = Services(root, persist=False, llm_model=os.environ.get("MURMUR_LLM_MODEL", "qwen2.5-coder-1.5b"))
    supervisor = Supervisor()
    try:
        env = {**os.environ, **services.start(), "MURMUR_DATA_DIR": str(root), "PYTHONUNBUFFERED": "1",
               "MURMUR_ENCRYPTION_KEYS": os.environ.get("MURMUR_ENCRYPTION_KEYS") or new_encryption_key(),
               "DJANGO_SECRET_KEY": os.environ.get("DJANGO_SECRET_KEY") or new_secret_key()}
        manage(env, "migrate", "--noinput", "-v", "0")
        logs = root / "logs"
        logs.mkdir(exist_ok=True)
        for name, (queues, concurrency) in WORKER_POOLS.items():
            supervisor.spawn(f"worker-{name}", [PYTHON, "-m", "celery", "-A", "config", "worker", "-n",
                                                f"quality-{name}@%h", "-Q", queues, "-c", str(concurrency),
                                                "-l", "WARNING"], env, logs / f"worker-{name}.log")
        if services.vllm_thread is not None:
            say("waiting for the model server (the first time: install and conversion, several minutes)")
            services.vllm_thread.join()
        return subprocess.run([PYTHON, "-m", "bench.quality", *args], env=env, cwd=REPO).returncode
    finally:
        supervisor.stop_all()
        services.stop()
        shutil.rmtree(root, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m workers.launcher")
    parser.add_argument("command", choices=["run", "test", "bench", "quality"])
    parser.add_argument("args", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    if args.command == "run":
        return run()
    # A SIGTERM (a CI timeout, a kill) unwinds like Ctrl-C, so the embedded services are stopped too.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if args.command == "bench":
        return bench(args.args)
    if args.command == "quality":
        return quality(args.args)
    return test(args.args)


if __name__ == "__main__":
    sys.exit(main())

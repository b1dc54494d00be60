"""Shared set-up for benchmarks: Django against the services `python -m workers.launcher bench` started,
real worker processes, and JSON output."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", "--noinput", verbosity=0)


@contextmanager
def workers(pools: dict[str, tuple[str, int]], env: dict[str, str] | None = None):
    """Start Celery workers as `make run` does (one pool per kind of load); stop them afterwards."""
    procs = []
    log_dir = Path(os.environ.get("MURMUR_DATA_DIR", REPO / ".data")) / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    for name, (queues, concurrency) in pools.items():
        out = open(log_dir / f"bench-{name}.log", "ab")  # noqa: SIM115
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", queues, "-c", str(concurrency),
             "-n", f"bench-{name}@%h", "-l", "WARNING"],
            env={**os.environ, **(env or {})}, cwd=REPO, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True))
    from config.celery import app

    deadline = time.monotonic() + 120
    while len(app.control.inspect(timeout=1).ping() or {}) < len(pools):
        if time.monotonic() > deadline:
            raise RuntimeError(f"workers did not start; see {log_dir}")
    try:
        yield
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(60)


def wait_job(job_id, timeout: float = 3600) -> dict:
    from apps.jobs.models import Job

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = Job.objects.get(pk=job_id)
        if job.is_finished:
            if job.status != "succeeded":
                raise RuntimeError(f"job failed: {job.error}")
            return job.result
        time.sleep(0.2)
    raise TimeoutError(f"job {job_id} did not finish")


def report(result: dict) -> None:
    print(json.dumps(result, indent=2))

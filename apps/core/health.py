"""Health of the infrastructure every job needs (database, broker, workers), for /healthz and for telling
the people watching a job why it is not moving. Each check is cheap and bounded in time.

The checks ask the Celery app this process configured (`config/celery.py` makes it current when Django
starts) for its broker and its queues, so core imports neither `config` nor `workers`."""

from __future__ import annotations

import time
from typing import Any

from celery import current_app
from django.db import connection

_worker_cache: dict[str, Any] = {"at": 0.0, "value": None}


def check_database() -> dict[str, Any]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT extversion FROM pg_extension WHERE extname = 'vector'")
            row = cursor.fetchone()
        if row is None:
            return {"ok": False, "detail": "pgvector extension missing"}
        return {"ok": True, "detail": f"pgvector {row[0]}"}
    except Exception as exc:  # any driver error means down
        return {"ok": False, "detail": f"unreachable ({type(exc).__name__})"}


def queue_names() -> list[str]:
    """The queues this process's workers are meant to consume (workers/routing.py declares them)."""
    return [queue.name for queue in current_app.conf.task_queues or ()]


def check_broker() -> dict[str, Any]:
    try:
        with current_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
            conn.default_channel.client.ping()
        return {"ok": True, "detail": "redis ok"}
    except Exception as exc:
        return {"ok": False, "detail": f"unreachable ({type(exc).__name__})"}


def check_workers() -> dict[str, Any]:
    """Which queues have a live consumer. Cached a few seconds: the broadcast waits for replies."""
    if time.monotonic() - _worker_cache["at"] < 5 and _worker_cache["value"] is not None:
        return _worker_cache["value"]
    try:
        replies = current_app.control.inspect(timeout=1.0).active_queues() or {}
    except Exception as exc:
        value = {"ok": False, "detail": f"unreachable ({type(exc).__name__})", "queues": {}}
    else:
        consumers = {name: 0 for name in queue_names()}
        for queues in replies.values():
            for queue in queues:
                if queue["name"] in consumers:
                    consumers[queue["name"]] += 1
        missing = [name for name, n in consumers.items() if n == 0]
        value = {"ok": not missing, "detail": f"no worker for {', '.join(missing)}" if missing else
                 f"{len(replies)} workers", "queues": consumers}
    _worker_cache.update(at=time.monotonic(), value=value)
    return value


_broker_cache: dict[str, Any] = {"at": 0.0, "value": None}


def paused_work() -> str:
    """Why an unfinished job is not moving, in a sentence for the people watching it ("" when nothing is
    known to be wrong). Job pages poll every second, so this is only the broker's ping, cached a few seconds
    (the workers' broadcast waits for replies and stays on the status page)."""
    if time.monotonic() - _broker_cache["at"] > 5 or _broker_cache["value"] is None:
        _broker_cache.update(at=time.monotonic(), value=check_broker())
    if not _broker_cache["value"]["ok"]:
        return "Waiting: the task queue (Redis) is not reachable. Nothing is lost; the job continues when it is back."
    return ""

"""Queues and routing. One queue per kind of load so a slow LLM batch never blocks an import.

- ingest: parsing and storing uploaded files
- embed: embedding batches (CPU/GPU heavy, model kept loaded in the worker)
- llm: anything that calls the LLM gateway (long, I/O bound on the vLLM server)
- default: small bookkeeping tasks and scheduled fan-out
"""

from celery import Celery
from kombu import Queue

QUEUE_NAMES = ("ingest", "embed", "llm", "default")

# Route by the module a task is defined in: apps/<domain>/tasks.py.
TASK_ROUTES = {
    "apps.corpus.tasks.*": {"queue": "ingest"},
    "apps.embeddings.tasks.*": {"queue": "embed"},
    "apps.llm.tasks.*": {"queue": "llm"},
    "apps.insights.tasks.*": {"queue": "llm"},
    # Moderation's fast stage is part of the import pipeline and bulk decisions are database work: only the
    # LLM judge belongs on the llm queue (exact names win over the patterns).
    "apps.moderation.tasks.screen_texts": {"queue": "ingest"},
    "apps.moderation.tasks.apply_bulk_decision": {"queue": "default"},
    "apps.moderation.tasks.*": {"queue": "llm"},
    "apps.copy.tasks.*": {"queue": "llm"},
    "apps.replies.tasks.*": {"queue": "llm"},  # translation's task too: it kept its name (apps/translation/tasks.py)
    "apps.translation.tasks.*": {"queue": "llm"},
}


def configure(app: Celery) -> None:
    app.conf.task_queues = [Queue(name) for name in QUEUE_NAMES]
    app.conf.task_default_queue = "default"
    app.conf.task_routes = TASK_ROUTES

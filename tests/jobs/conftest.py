from __future__ import annotations

import contextlib

import pytest


@pytest.fixture
def broker_down():
    """`with broker_down():` tasks published from this process go to a port nothing listens on and give up at
    once instead of waiting out CELERY_TASK_PUBLISH_RETRY_POLICY. The worker process keeps the real broker."""
    from config.celery import app

    @contextlib.contextmanager
    def down():
        dead = app.connection_for_write("redis://127.0.0.1:1/0")
        try:
            with pytest.MonkeyPatch.context() as patch:
                patch.setattr(app, "producer_or_acquire", lambda producer=None: dead.Producer())
                # The task sender keeps this dict (not a copy) from its first use: change it in place.
                patch.setitem(app.conf.task_publish_retry_policy, "max_retries", 0)
                yield
        finally:
            dead.release()

    return down


@pytest.fixture
def tasks_run_here():
    """Published tasks run in this process, when the on-commit callbacks run (so a scripted model double
    monkeypatched here answers them)."""
    from config.celery import app

    eager = app.conf.task_always_eager
    app.conf.task_always_eager = True
    try:
        yield
    finally:
        app.conf.task_always_eager = eager

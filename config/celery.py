"""The Celery application. Queues, routing and the beat schedule live in `workers/`."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")

app = Celery("murmur")
app.config_from_object("django.conf:settings", namespace="CELERY")

from workers.routing import configure  # noqa: E402  (needs the app above)

configure(app)
app.autodiscover_tasks()

"""The Celery application. Queues, routing and the beat schedule live in `workers/`."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")


def _survive_broker_connection_loss() -> None:
    """After losing the broker, Celery 5.7 closes the broken connection, which detaches its Redis channels.
    kombu 5.7 then still uses those channels (to restore unacked messages on close, to ack a task that
    was running during the outage) and fails with AttributeError, which Celery treats as fatal: the
    worker exits instead of reconnecting (found by tests/test_faults.py restarting Redis). Raising the
    connection error kombu expects lets it carry on; those messages stay in the broker's unacked set and
    are redelivered after the visibility timeout, and every task is idempotent."""
    import redis
    from kombu.transport import redis as kombu_redis

    connparams = kombu_redis.Channel._connparams

    def connparams_of_attached_channel(self, asynchronous=False):
        if self.connection.client is None:
            raise redis.exceptions.ConnectionError("this channel's broker connection was closed")
        return connparams(self, asynchronous)

    kombu_redis.Channel._connparams = connparams_of_attached_channel


_survive_broker_connection_loss()
app = Celery("murmur")
app.config_from_object("django.conf:settings", namespace="CELERY")

from workers.routing import configure  # noqa: E402  (needs the app above)

configure(app)
app.autodiscover_tasks()

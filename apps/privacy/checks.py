"""Start-up checks of the encryption key: a process given the wrong key must stop, not write unreadable data.

- `manage.py migrate` and `manage.py check --database default` run the system check below (Error privacy.E001);
- the launcher runs `manage.py check_encryption_key` before it starts any worker or web process;
- every Celery worker checks once when it starts (worker_init) and exits with the message.
"""

from __future__ import annotations

import logging

from celery.signals import worker_init
from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.db import DatabaseError, connections

from apps.core import crypto

from . import services

logger = logging.getLogger(__name__)


@register(Tags.database)
def encryption_key_matches(app_configs=None, databases=None, **kwargs) -> list[CheckMessage]:
    if not databases or "default" not in databases:
        return []
    try:
        state = services.check_encryption_key(create=False)
    except services.KeyMismatch as exc:
        return [Error(str(exc), hint=crypto.HOW_TO, id="privacy.E001")]
    except DatabaseError:
        return []  # no table yet: `migrate` checks before it migrates, and its migration writes the canary
    if state == services.KEY_OLD:
        return [Warning("Some personal data is still encrypted under an older key.",
                        hint="Run `python manage.py rotate_encryption_key`, then drop the old key.", id="privacy.W001")]
    return []


@worker_init.connect(weak=False, dispatch_uid="privacy-key-check")
def check_key_at_worker_start(**kwargs) -> None:
    try:
        services.check_encryption_key(create=False)
    except services.KeyMismatch as exc:
        logger.critical("worker not started: %s", exc)
        raise SystemExit(f"Murmur worker not started: {exc}") from None
    except DatabaseError:
        logger.warning("could not check the encryption key at worker start: the database is not reachable")
    finally:
        connections.close_all()  # the pool forks after this: children must not share the connection

"""The errors of the copy studio: each message says what to do instead."""

from __future__ import annotations

from apps.core.errors import Conflict, InvalidRequest


class CopyError(InvalidRequest):
    """Something the user asked for that cannot be done; the message says what to do instead."""


class CopyConflict(CopyError, Conflict):
    """Refused because of where things stand (moderation not done yet, a job still running)."""

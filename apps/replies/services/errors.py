"""The errors of replies: each message says what to do instead (translation's: apps/translation/services)."""

from __future__ import annotations

from apps.core.errors import Conflict, InvalidRequest


class ReplyError(InvalidRequest):
    """Something the user asked for that cannot be done; the message says what to do instead."""


class ReplyConflict(ReplyError, Conflict):
    """Refused because of where things stand (moderation not done, policy flags left)."""


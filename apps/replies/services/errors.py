"""The errors of replies and translation: each message says what to do instead."""

from __future__ import annotations

from apps.core.errors import Conflict, InvalidRequest, UpstreamFailed


class ReplyError(InvalidRequest):
    """Something the user asked for that cannot be done; the message says what to do instead."""


class ReplyConflict(ReplyError, Conflict):
    """Refused because of where things stand (moderation not done, policy flags left)."""


class TranslationFailed(UpstreamFailed):
    """The model could not produce a usable translation; the message says so in words a reader can act on."""

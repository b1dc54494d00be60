"""The errors moderation raises for its callers (apps/core/errors: 400, 404 and 409 in the API)."""

from __future__ import annotations

from apps.core.errors import Conflict, InvalidRequest, NotFound


class ModerationError(InvalidRequest):
    """A request the user can fix; the message says how (400 in the API)."""


class CaseNotFound(NotFound, ModerationError):
    """No such case in this workspace (404 in the API); still a ModerationError for the pages that catch those."""


class UndoRefused(Conflict, ModerationError):
    """The case's latest decision cannot be undone where things stand (409 in the API); the message says why
    and what to do instead. A ModerationError for the pages that catch those."""

"""The errors moderation raises for its callers (apps/core/errors: 400 and 404 in the API)."""

from __future__ import annotations

from apps.core.errors import InvalidRequest, NotFound


class ModerationError(InvalidRequest):
    """A request the user can fix; the message says how (400 in the API)."""


class CaseNotFound(NotFound, ModerationError):
    """No such case in this workspace (404 in the API); still a ModerationError for the pages that catch those."""

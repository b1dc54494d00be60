"""The errors privacy raises for its callers (apps/core/errors: 400 and 404 in the API)."""

from __future__ import annotations

from apps.core import errors


class PrivacyError(errors.InvalidRequest):
    """Something the owner asked for cannot be done; the message says what to do instead (400 in the API)."""


class NotFound(errors.NotFound, PrivacyError):
    """No such erasure request or export in this workspace (404 in the API); still a PrivacyError for the pages."""

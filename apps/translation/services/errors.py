"""The errors of translation: each message says what to do instead."""

from __future__ import annotations

from apps.core.errors import InvalidRequest, UpstreamFailed


class TranslationError(InvalidRequest):
    """Something the user asked for that cannot be done (a language, a choice of texts); the message says what
    to do instead."""


class TranslationFailed(UpstreamFailed):
    """The model could not produce a usable translation; the message says so in words a reader can act on."""

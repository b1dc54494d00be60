"""Errors that services raise for the caller to show as they are: the message says what to do instead.
The JSON API maps each to one status code (handlers in config/api.py); views show the message. Apps subclass
them for names that read well in their own code (CopyConflict, ReplyError, ModerationError, PrivacyError, ...).
An error may set `payload`, a dict of fields the JSON body carries next to "error" (a 409 naming what is running)."""


class InvalidRequest(ValueError):
    """The request cannot be done as asked (400)."""


class Conflict(InvalidRequest):
    """Refused because of where things stand: moderation not done yet, a job still running (409)."""


class NotFound(LookupError):
    """No such thing in this workspace (404)."""


class UpstreamFailed(Exception):
    """A model answered, but not with something usable (502)."""

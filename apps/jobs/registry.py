"""The kinds of job: how each is retried, and whether it waits in the model's line. Each app registers the kinds
it starts (in its AppConfig.ready), so jobs never imports the apps above it: the same pattern as
`corpus.apis.TEXT_ENRICHERS`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from apps.core.errors import Conflict

from .models import Job


class NotRetryable(Conflict):
    """The job cannot be retried as things stand; the message says why and what to do instead (409 in the API)."""


@dataclass(frozen=True)
class Resender:
    permission: str  # what the kind's start function requires (apps.accounts.permissions)
    # Resets the app's own rows for the job (inside retry's transaction) and publishes the same task again
    # for the same job through jobs.services.publish_on_commit. May raise NotRetryable.
    resend: Callable[[Job], None]
    # Why a failed job of this kind cannot be retried now (e.g. a newer run replaced it), or None.
    refusal: Callable[[Job], str | None] | None = None
    # Whether the kind's task asks the model servers (runs on the `llm` queue, workers/routing.py): such jobs wait
    # in one line shared by every workspace, and the job widget shows their place in it.
    uses_llm: bool = False


RESENDERS: dict[str, Resender] = {}


def register(kind: str, *, permission: str, resend: Callable[[Job], None],
             refusal: Callable[[Job], str | None] | None = None, uses_llm: bool = False) -> None:
    RESENDERS[kind] = Resender(permission=permission, resend=resend, refusal=refusal, uses_llm=uses_llm)


def llm_kinds() -> frozenset[str]:
    """The kinds that wait in the model's line."""
    return frozenset(kind for kind, resender in RESENDERS.items() if resender.uses_llm)

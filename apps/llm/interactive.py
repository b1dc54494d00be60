"""Model calls a web request waits on (the playground, a text's translation, the judge of a reply or copy edit):
bounded in time and counted per user, so no request holds a web thread for the gateway's job-sized timeouts
(LLM_REQUEST_TIMEOUT_S × LLM_MAX_ATTEMPTS) and no user can keep the model servers busy from the browser.

    with interactive_llm(request.auth.user):
        outcome = services.translate_text(request.auth, text_id, lang)

Inside, every gateway call gets one attempt and all of them together wait at most `LLM_SYNC_TIMEOUT_S`
(default 30 s); then LLMUnavailable (503) says so. Each call that sends requests (cache hits send none) counts
against the user's `MURMUR_LLM_SYNC_CALLS_PER_MINUTE` (default 10); beyond it LLMRateLimited (429). Both are
LLMUnavailable, so moderation's judge inside an edit sends the edit to a person instead of failing it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser

from apps.accounts.middleware import over_rate

from .gateway import LLMUnavailable, bounded_calls


class LLMRateLimited(LLMUnavailable):
    """The user asked the model from the browser more often than the per-minute limit allows (429)."""


@contextmanager
def interactive_llm(user: AbstractBaseUser) -> Iterator[None]:
    limit = settings.MURMUR_LLM_SYNC_CALLS_PER_MINUTE

    def count(requests: int) -> None:
        if over_rate(f"llm-sync:{user.pk}", limit):
            raise LLMRateLimited(f"You asked the language model more than {limit} times in a minute from here. "
                                 "Wait a minute and try again; for many texts, start a job instead.")

    with bounded_calls(settings.LLM_SYNC_TIMEOUT_S, before_send=count):
        yield

"""The site-wide banner while the language model is not ready (issue #16): on every page a signed-in person
sees, from the cached health check (apps.dashboard.health.cached_llm_health), never a call of its own."""

from __future__ import annotations

from typing import Any

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest

from .health import TYPICAL_LOAD_MINUTES, cached_llm_health

JOBS_WAIT = "AI jobs you start now will wait and start by themselves."


def llm_banner_text(llm: dict[str, Any]) -> str:
    """What the banner says for the llm health entry; "" once the model answers."""
    if llm.get("ok"):
        return ""
    if llm.get("state") == "loading":
        minutes = llm.get("loading_minutes", 0)
        started = "just now" if minutes < 1 else ("1 minute ago" if minutes == 1 else f"{minutes} minutes ago")
        return (f"The language model is still loading (started {started}; it is usually ready about "
                f"{TYPICAL_LOAD_MINUTES} minutes after start). {JOBS_WAIT}")
    if llm.get("failed_to_start"):
        return ("The language model server could not start, so AI jobs (analyses, copy, replies, translations) "
                "wait until an administrator starts it; the Status page has the details.")
    return ("The language model server is down: it does not answer. AI jobs (analyses, copy, replies, "
            "translations) you start now will wait and start by themselves once it is back; the Status page "
            "has the details.")


def llm_banner(request: HttpRequest) -> dict[str, str]:
    user = getattr(request, "user", None)
    try:
        if user is None or not user.is_authenticated:
            return {"llm_banner": ""}
    except (OperationalError, InterfaceError):  # the database is down: its own 503 page says so
        return {"llm_banner": ""}
    return {"llm_banner": llm_banner_text(cached_llm_health())}

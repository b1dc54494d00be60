"""Component health for /healthz and the status page: the infrastructure checks of apps.core.health plus
the models the features need."""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.cache import cache
from redis.exceptions import RedisError

from apps.core import health as infrastructure

logger = logging.getLogger(__name__)
HEALTH_CACHE_KEY = "health:components"
HEALTH_CACHE_S = 5
LLM_CACHE_KEY = "health:llm"
LLM_CACHE_S = 10
# From start to ready, the embedded CPU vLLM of `make run` (Qwen2.5-Coder-1.5B) took about 9 minutes (issue #16).
TYPICAL_LOAD_MINUTES = 9


def check_embeddings() -> dict[str, Any]:
    from apps.embeddings.backends import get_backend

    name = settings.MURMUR_DEFAULT_EMBEDDING_MODEL
    try:
        backend = get_backend(name)
        return {"ok": True, "detail": f"default model {name} ({backend.dim} dims) loaded"}
    except Exception as exc:
        return {"ok": False, "detail": f"{name} failed to load ({type(exc).__name__})"}


def launch_state() -> tuple[str, float | None]:
    """What `make run`'s launcher says of the vLLM it starts (the file MURMUR_VLLM_STATE names: "starting",
    "ready" or "failed: …") and when it said so (epoch seconds); ("", None) for servers started elsewhere."""
    path = os.environ.get("MURMUR_VLLM_STATE")
    if not path:
        return "", None
    try:
        file = Path(path)
        return file.read_text().strip(), file.stat().st_mtime
    except OSError:
        return "", None


def check_llm() -> dict[str, Any]:
    """`state` is "ready" when a server answers, "loading" while the launcher's vLLM is still starting (with
    `loading_minutes` since it began), else "down"."""
    from apps.llm.gateway import get_gateway

    servers = get_gateway().health()
    healthy = [s for s in servers if s["ok"]]
    detail = f"{len(healthy)} of {len(servers)} servers ready ({settings.MURMUR_LLM_MODEL})"
    value: dict[str, Any] = {"ok": bool(healthy), "state": "ready", "detail": detail, "servers": servers}
    if healthy:
        return value
    said, since = launch_state()
    if said == "starting":
        minutes = max(0, int((time.time() - (since or time.time())) // 60))
        value.update(state="loading", loading_minutes=minutes,
                     detail=f"loading, started {minutes} min ago (usually ready about {TYPICAL_LOAD_MINUTES} min "
                            f"after start): {detail}")
    else:
        value.update(state="down", failed_to_start=said.startswith("failed"))
    return value


def cached_llm_health() -> dict[str, Any]:
    """The llm entry of the health check, for the banner every page shows: from the components' cache while it
    is fresh, else the llm check alone, shared by every web process for LLM_CACHE_S (a page makes at most one
    call to the model servers every few seconds, none while Redis is down: the model is then taken as ready)."""
    try:
        components = cache.get(HEALTH_CACHE_KEY)
        if components is not None:
            return components["llm"]
        cached = cache.get(LLM_CACHE_KEY)
        if cached is not None:
            return cached
        value = check_llm()
        cache.set(LLM_CACHE_KEY, value, LLM_CACHE_S)
        return value
    except (RedisError, OSError):
        return {"ok": True, "state": "ready", "detail": "not checked (cache unreachable)"}


def component_health() -> dict[str, dict[str, Any]]:
    return {
        "database": infrastructure.check_database(),
        "broker": infrastructure.check_broker(),
        "workers": infrastructure.check_workers(),
        "embeddings": check_embeddings(),
        "llm": check_llm(),
    }


def cached_component_health() -> dict[str, dict[str, Any]]:
    """component_health(), shared by every web process for HEALTH_CACHE_S: /healthz is public, and a fresh
    check calls every vLLM server and loads the embedding model. Checked afresh while Redis is unreachable."""
    try:
        cached = cache.get(HEALTH_CACHE_KEY)
    except (RedisError, OSError):
        return component_health()
    if cached is not None:
        return cached
    value = component_health()
    try:
        cache.set(HEALTH_CACHE_KEY, value, HEALTH_CACHE_S)
    except (RedisError, OSError):
        logger.warning("health cache unavailable (Redis unreachable)")
    return value



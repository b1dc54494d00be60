"""Component health for /healthz and the status page: the infrastructure checks of apps.core.health plus
the models the features need."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.cache import cache
from redis.exceptions import RedisError

from apps.core import health as infrastructure

logger = logging.getLogger(__name__)
HEALTH_CACHE_KEY = "health:components"
HEALTH_CACHE_S = 5


def check_embeddings() -> dict[str, Any]:
    from apps.embeddings.backends import get_backend

    name = settings.MURMUR_DEFAULT_EMBEDDING_MODEL
    try:
        backend = get_backend(name)
        return {"ok": True, "detail": f"{name} ({backend.dim} dims) loaded"}
    except Exception as exc:
        return {"ok": False, "detail": f"{name} failed to load ({type(exc).__name__})"}


def check_llm() -> dict[str, Any]:
    from apps.llm.gateway import get_gateway

    servers = get_gateway().health()
    healthy = [s for s in servers if s["ok"]]
    return {"ok": bool(healthy), "detail": f"{len(healthy)} of {len(servers)} servers ready "
                                           f"({settings.MURMUR_LLM_MODEL})", "servers": servers}


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



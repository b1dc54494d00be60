"""Component health for /healthz and the status page: the infrastructure checks of apps.core.health plus
the models the features need."""

from __future__ import annotations

from typing import Any

from django.conf import settings

from apps.core import health as infrastructure


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



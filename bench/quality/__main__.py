"""`make quality`: every AI output measured on the dev sets; prints one JSON object.

    python -m workers.launcher quality [--fast] [--no-llm] [--only sentiment,moderation,...] [--language zh]

The launcher starts fresh embedded PostgreSQL and Redis and the default vLLM model (Qwen2.5-Coder-1.5B on
the CPU) unless VLLM_BASE_URL points at another server, a GPU one say. Each task's figures come from
`bench/quality/<task>.py`; the run adds the wall time per task and the LLM calls and tokens it used.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
import time
import traceback
from typing import Any

from bench.common import setup_django
from bench.quality.common import QualityContext

TASKS = ("sentiment", "redaction", "moderation", "themes", "reports", "copy_replies", "demo_analysis", "search")


def _llm_usage(since) -> dict[str, Any]:
    from django.db.models import Count, Sum

    from apps.llm.models import LLMCall

    usage = LLMCall.objects.filter(created_at__gte=since).aggregate(
        calls=Count("pk"), tokens_in=Sum("tokens_in"), tokens_out=Sum("tokens_out"))
    return {k: v or 0 for k, v in usage.items()}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.quality")
    parser.add_argument("--fast", action="store_true", help="the regression subset make test uses")
    parser.add_argument("--no-llm", action="store_true", help="deterministic stages only")
    parser.add_argument("--only", default="", help="comma-separated tasks (default: all)")
    parser.add_argument("--language", default=None, help="only the rows in this language (copy_replies)")
    args = parser.parse_args(argv)
    setup_django()
    from django.conf import settings
    from django.utils import timezone

    ctx = QualityContext(fast=args.fast, use_llm=not args.no_llm, language=args.language)
    tasks = [t for t in args.only.split(",") if t] or list(TASKS)
    result: dict[str, Any] = {"model": settings.MURMUR_LLM_MODEL if ctx.use_llm else None,
                              "llm_servers": os.environ.get("VLLM_BASE_URL", "") if ctx.use_llm else None,
                              "fast": ctx.fast, "language": ctx.language}
    started, since = time.perf_counter(), timezone.now()
    for name in tasks:
        task_started, task_since = time.perf_counter(), timezone.now()
        print(f"[quality] {name}...", file=sys.stderr, flush=True)
        try:
            figures = importlib.import_module(f"bench.quality.{name}").evaluate(ctx)
        except Exception as exc:  # one broken task must not hide the others' figures
            traceback.print_exc()
            figures = {"error": f"{type(exc).__name__}: {exc}"}
        figures["wall_s"] = round(time.perf_counter() - task_started, 1)
        figures["llm"] = _llm_usage(task_since)
        result[name] = figures
        print(json.dumps({name: figures}, ensure_ascii=False), file=sys.stderr, flush=True)
    result["wall_s"] = round(time.perf_counter() - started, 1)
    result["llm"] = _llm_usage(since)
    print(json.dumps(result, ensure_ascii=False, indent=1))
    return 1 if any(isinstance(v, dict) and "error" in v for v in result.values()) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""LLM throughput: through the gateway (one Celery task over N items) vs. the same requests sent straight
to the server with full concurrency, vs. one at a time.

    python -m workers.launcher bench llm [N]         (default N = 32; embedded SmolLM2 unless VLLM_BASE_URL)

Prints JSON with output tokens/s of each mode; targets: gateway >= 0.9 of direct; batching gain reported.
"""

from __future__ import annotations

import sys
import time
from concurrent.futures import ThreadPoolExecutor

import httpx

from bench.common import report, setup_django, wait_job, workers


def main(n: int) -> None:
    setup_django()
    from django.conf import settings

    from apps.accounts.context import WorkspaceContext
    from apps.accounts.services import ensure_member
    from apps.llm.gateway import LLMRequest, get_gateway
    from apps.llm.schemas import PlaygroundAnswer
    from apps.llm.services import start_question_batch

    topics = ["battery life", "Bluetooth pairing", "warm light", "shipping", "price", "support", "setup",
              "app sync", "brightness", "colour", "USB-C", "timer", "alarm", "design", "noise", "warranty"]
    questions = [f"In two sentences, what do customers usually say about the {topics[i % len(topics)]} "
                 f"of a smart desk lamp? (variant {i})" for i in range(n)]
    gateway = get_gateway()
    bodies = [gateway._prepare(LLMRequest("llm/playground", 1, {"question": q}, PlaygroundAnswer,
                                          max_tokens=120)).body for q in questions]
    url = settings.VLLM_BASE_URLS[0] + "/chat/completions"
    headers = {"Authorization": f"Bearer {settings.VLLM_API_KEY}"} if settings.VLLM_API_KEY else {}
    client = httpx.Client(timeout=600, headers=headers)

    def send(body: dict) -> int:
        response = client.post(url, json=body)
        response.raise_for_status()
        return int(response.json()["usage"]["completion_tokens"])

    send(bodies[0])  # warm up the server
    started = time.perf_counter()
    one_tokens = sum(send(b) for b in bodies[: max(4, n // 4)])  # a quarter is enough to measure
    one_s = time.perf_counter() - started
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=n) as pool:
        direct_tokens = sum(pool.map(send, bodies))
    direct_s = time.perf_counter() - started

    membership = ensure_member("bench", f"bench-llm-{int(time.time())}", "analyst")
    ctx = WorkspaceContext(workspace=membership.workspace, user=membership.user, role="analyst")
    with workers({"llm": ("llm", 1)}, env={"LLM_MAX_CONCURRENCY_PER_SERVER": str(n)}):
        started = time.perf_counter()
        job = start_question_batch(ctx, questions)
        result = wait_job(job.pk)
        gateway_s = time.perf_counter() - started
    gateway_tokens = int(result["tokens_out"])
    from apps.jobs.models import Job

    timing = Job.objects.get(pk=job.pk)
    direct_rate, gateway_rate, one_rate = direct_tokens / direct_s, gateway_tokens / gateway_s, one_tokens / one_s
    report({
        "benchmark": "llm", "server": settings.VLLM_BASE_URLS, "model": settings.MURMUR_LLM_MODEL, "requests": n,
        "one_at_a_time_tokens_per_s": round(one_rate, 1),
        "direct_concurrent_tokens_per_s": round(direct_rate, 1),
        "gateway_celery_tokens_per_s": round(gateway_rate, 1),
        "ratio_gateway_to_direct": round(gateway_rate / direct_rate, 3),
        "batching_gain_direct_vs_one_at_a_time": round(direct_rate / one_rate, 2),
        "gateway_errors": len(result["errors"]), "target_ratio": 0.9,
        # Where the gateway's time goes: from the job's creation to the worker starting it (publishing and
        # pickup), the worker's run (the requests, then recording them), and the rest (the poll seeing the end).
        "gateway_seconds": {"total": round(gateway_s, 2),
                            "pickup": round((timing.started_at - timing.created_at).total_seconds(), 2),
                            "worker": round((timing.finished_at - timing.started_at).total_seconds(), 2)},
        "direct_seconds": round(direct_s, 2),
    })


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 32)

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
    def questions(first: int, count: int) -> list[str]:
        # Each mode gets its own variants: a prompt the server has seen is cheaper (prefix caching), and the
        # mode measured second must not profit from the first.
        return [f"In two sentences, what do customers usually say about the {topics[i % len(topics)]} "
                f"of a smart desk lamp? (variant {i})" for i in range(first, first + count)]

    gateway = get_gateway()

    def bodies(asked: list[str]) -> list[dict]:
        return [gateway._prepare(LLMRequest("llm/playground", 1, {"question": q}, PlaygroundAnswer,
                                            max_tokens=120)).body for q in asked]
    url = settings.VLLM_BASE_URLS[0] + "/chat/completions"
    headers = {"Authorization": f"Bearer {settings.VLLM_API_KEY}"} if settings.VLLM_API_KEY else {}
    client = httpx.Client(timeout=600, headers=headers)

    def send(body: dict) -> int:
        response = client.post(url, json=body)
        response.raise_for_status()
        return int(response.json()["usage"]["completion_tokens"])

    send(bodies(questions(10 * n, 1))[0])  # warm up the server
    alone = bodies(questions(2 * n, max(4, n // 4)))  # a quarter is enough to measure
    started = time.perf_counter()
    one_tokens = sum(send(b) for b in alone)
    one_s = time.perf_counter() - started
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=n) as pool:
        direct_tokens = sum(pool.map(send, bodies(questions(0, n))))
    direct_s = time.perf_counter() - started

    membership = ensure_member("bench", f"bench-llm-{int(time.time())}", "analyst")
    ctx = WorkspaceContext(workspace=membership.workspace, user=membership.user, role="analyst")
    with workers({"llm": ("llm", 1)}, env={"LLM_MAX_CONCURRENCY_PER_SERVER": str(n)}):
        started = time.perf_counter()
        job = start_question_batch(ctx, questions(n, n))
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
        # The same number of requests, each answered: a second view that does not depend on answer lengths.
        "ratio_gateway_to_direct_requests_per_s": round(direct_s / gateway_s, 3),
        "output_tokens": {"direct": direct_tokens, "gateway": gateway_tokens},
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

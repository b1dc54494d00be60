"""LLM throughput: through the gateway (one Celery task over N items) vs. the same kind of requests sent straight
to the server with full concurrency, vs. one at a time.

    python -m workers.launcher bench llm [N] [ROUNDS]   (default N = 32, ROUNDS = 2; embedded SmolLM2 unless
                                                          VLLM_BASE_URL)

The two concurrent modes alternate in ABBA order (direct, gateway, gateway, direct, ...): on a shared CPU the
server's speed drifts, and whichever mode always ran first would be favoured. Each batch asks questions the
server has not seen (prefix caching would favour the mode asked second). Prints JSON with output tokens/s of
each mode; target: gateway >= 0.9 of direct; the batching gain is reported.
"""

from __future__ import annotations

import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from itertools import count

import httpx
from pydantic import ValidationError

from bench.common import report, setup_django, wait_job, workers

TOPICS = ["battery life", "Bluetooth pairing", "warm light", "shipping", "price", "support", "setup", "app sync",
          "brightness", "colour", "USB-C", "timer", "alarm", "design", "noise", "warranty"]
_variants = count()


def questions(how_many: int) -> list[str]:
    """Questions no earlier batch of this run asked: the variant number makes every prompt new to the server."""
    return [f"In two sentences, what do customers usually say about the {TOPICS[i % len(TOPICS)]} of a smart "
            f"desk lamp? (variant {i})" for i in (next(_variants) for _ in range(how_many))]


def main(n: int, rounds: int) -> None:
    setup_django()
    from django.conf import settings
    from django.db.models import Max

    from apps.accounts.context import WorkspaceContext
    from apps.accounts.services import ensure_member
    from apps.jobs.models import Job
    from apps.llm.gateway import get_gateway
    from apps.llm.models import LLMCall
    from apps.llm.schemas import PlaygroundAnswer
    from apps.llm.services import question_request, start_question_batch

    gateway = get_gateway()

    def bodies(asked: list[str]) -> list[dict]:
        return [gateway._prepare(question_request(q)).body for q in asked]  # the requests the gateway sends
    url = settings.VLLM_BASE_URLS[0] + "/chat/completions"
    headers = {"Authorization": f"Bearer {settings.VLLM_API_KEY}"} if settings.VLLM_API_KEY else {}
    client = httpx.Client(timeout=600, headers=headers, limits=httpx.Limits(max_connections=4 * n))

    def send(body: dict) -> tuple[int, bool, bool, float]:
        """Output tokens; whether the answer is one the gateway would accept; whether it was cut at max_tokens;
        seconds from sending to the answer."""
        started = time.perf_counter()
        response = client.post(url, json=body)
        response.raise_for_status()
        data = response.json()
        try:
            PlaygroundAnswer.model_validate_json(data["choices"][0]["message"]["content"] or "")
            valid = True
        except ValidationError:
            valid = False
        return (int(data["usage"]["completion_tokens"]), valid, data["choices"][0]["finish_reason"] == "length",
                time.perf_counter() - started)

    def direct() -> dict:
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=n) as pool:
            answers = list(pool.map(send, bodies(questions(n))))
        return {"seconds": time.perf_counter() - started, "tokens": sum(a[0] for a in answers),
                "invalid": sum(not a[1] for a in answers), "cut_at_max_tokens": sum(a[2] for a in answers),
                "slowest_request_s": max(a[3] for a in answers)}

    membership = ensure_member("bench", f"bench-llm-{int(time.time())}", "analyst")
    ctx = WorkspaceContext(workspace=membership.workspace, user=membership.user, role="analyst")

    def through_gateway() -> dict:
        started = time.perf_counter()
        job = start_question_batch(ctx, questions(n))
        result = wait_job(job.pk)
        seconds = time.perf_counter() - started
        timing = Job.objects.get(pk=job.pk)
        slowest_ms = LLMCall.objects.filter(workspace=ctx.workspace, created_at__gte=timing.created_at
                                            ).aggregate(slowest=Max("latency_ms"))["slowest"]
        return {"seconds": seconds, "slowest_request_s": slowest_ms / 1000, "tokens": int(result["tokens_out"]),
                "errors": len(result["errors"]),
                "asked_again": result["asked_again"],
                "pickup_s": (timing.started_at - timing.created_at).total_seconds(),
                "worker_s": (timing.finished_at - timing.started_at).total_seconds()}

    send(bodies(questions(1))[0])  # warm up the server
    started = time.perf_counter()
    one_tokens = sum(send(b)[0] for b in bodies(questions(max(4, n // 4))))  # a quarter is enough to measure
    one_rate = one_tokens / (time.perf_counter() - started)

    runs: dict[str, list[dict]] = {"direct": [], "gateway": []}
    with workers({"llm": ("llm", 1)}, env={"LLM_MAX_CONCURRENCY_PER_SERVER": str(n)}):
        through_gateway()  # the worker's first task imports and connects: not what is measured
        for round_ in range(rounds):
            order = ("direct", "gateway") if round_ % 2 == 0 else ("gateway", "direct")
            for mode in order:
                runs[mode].append(direct() if mode == "direct" else through_gateway())

    def rate(mode: str) -> float:
        return sum(r["tokens"] for r in runs[mode]) / sum(r["seconds"] for r in runs[mode])

    def requests_per_s(mode: str) -> float:
        return n * len(runs[mode]) / sum(r["seconds"] for r in runs[mode])

    report({
        "benchmark": "llm", "server": settings.VLLM_BASE_URLS, "model": settings.MURMUR_LLM_MODEL, "requests": n,
        "rounds": rounds, "order": "ABBA (direct, gateway, gateway, direct, ...)",
        "one_at_a_time_tokens_per_s": round(one_rate, 1),
        "direct_concurrent_tokens_per_s": round(rate("direct"), 1),
        "gateway_celery_tokens_per_s": round(rate("gateway"), 1),
        "ratio_gateway_to_direct": round(rate("gateway") / rate("direct"), 3),
        # The same number of requests, each answered: a second view that does not depend on answer lengths.
        "ratio_gateway_to_direct_requests_per_s": round(requests_per_s("gateway") / requests_per_s("direct"), 3),
        "batching_gain_direct_vs_one_at_a_time": round(rate("direct") / one_rate, 2),
        "gateway_errors": sum(r["errors"] for r in runs["gateway"]), "target_ratio": 0.9,
        # Each batch in the order it ran within its round. For the gateway: from the job's creation to the
        # worker starting it (publishing and pickup), and the worker's run (the requests, then recording them).
        # The slowest request of a batch, from its sending to its answer, against the batch's seconds: what is
        # spent outside the requests.
        "batches": {mode: [{k: round(v, 2) if isinstance(v, float) else v for k, v in r.items()} for r in rs]
                    for mode, rs in runs.items()},
        "median_seconds": {mode: round(statistics.median(r["seconds"] for r in rs), 2) for mode, rs in runs.items()},
    })


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 32, int(sys.argv[2]) if len(sys.argv) > 2 else 2)

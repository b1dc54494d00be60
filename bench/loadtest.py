"""A bounded load test on loopback: many API clients searching and uploading at once against the same
processes `make run` starts (gunicorn web, Celery workers, embedded PostgreSQL and Redis).

    make loadtest          (= python -m workers.launcher bench loadtest [CLIENTS] [SECONDS])

Prints JSON for two phases with the same clients: "saturated" (each client sends its next request as soon
as the last one answers: capacity) and "paced" (each client sends one request every LOADTEST_INTERVAL_S
seconds, 2 by default: latency under a steady load). Per phase: requests/s, p50/p95 latency per kind,
errors. Target: no errors; search p95 < 200 ms end to end at 50 concurrent clients on a 2-core machine.
Bounded: a fixed number of clients for fixed seconds.
"""

from __future__ import annotations

import json
import logging
import os
import random
import statistics
import subprocess
import sys
import threading
import time

import httpx

from bench.common import REPO, report, setup_django, workers
from bench.corpus import demo_rows, review_sentences

PORT = int(os.environ.get("LOADTEST_PORT", "8765"))
PACED_INTERVAL_S = float(os.environ.get("LOADTEST_INTERVAL_S", "2"))  # 50 clients -> 25 requests/s offered


def main(clients: int, seconds: int) -> None:
    os.environ["MURMUR_API_REQUESTS_PER_MINUTE"] = "100000"  # measure the app, not the rate limiter
    logging.getLogger("httpx").setLevel(logging.WARNING)  # a log line per request costs the load generator CPU
    setup_django()
    from apps.accounts.services import ensure_member, issue_token

    base = f"http://127.0.0.1:{PORT}"
    web = subprocess.Popen([sys.executable, "-m", "gunicorn", "config.wsgi", "-b", f"127.0.0.1:{PORT}",
                            "--workers", "2", "--threads", "8", "--timeout", "60"], cwd=REPO,
                           env=os.environ.copy(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           start_new_session=True)
    try:
        with workers({"ingest": ("ingest,default", 1), "embed": ("embed", 1)}):
            for _ in range(120):
                try:
                    if httpx.get(f"{base}/login/", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.5)
            tokens = [issue_token(ensure_member(f"load-{i % 5}", "Load test", "analyst")) for i in range(clients)]
            seed_rows = demo_rows(2000, seed=21)
            client = httpx.Client(base_url=base, timeout=60, headers={"Authorization": f"Bearer {tokens[0]}"})
            seeded = client.post("/api/v1/imports", files={"file": ("seed.jsonl", "\n".join(
                json.dumps(r) for r in seed_rows).encode())})
            if seeded.status_code != 202:
                raise SystemExit(f"could not seed the workspace: HTTP {seeded.status_code} {seeded.text[:300]}")
            job = seeded.json()["job_id"]
            while client.get(f"/api/v1/jobs/{job}").json()["status"] not in ("succeeded", "failed"):
                time.sleep(1)
            for _ in range(16):  # every gunicorn worker loads the embedding model on its first search
                client.get("/api/v1/search", params={"q": "warm up", "k": 1})
            # Two phases with the same 50 clients: back-to-back requests (the most the stack serves, and
            # what latency looks like when saturated), then each client pacing itself as a person or a
            # script does (latency at a steady load below capacity).
            saturated = _load(base, tokens, seconds, interval_s=0)
            paced = _load(base, tokens, seconds, interval_s=PACED_INTERVAL_S)
    finally:
        web.terminate()
        web.wait(30)
    report({"benchmark": "loadtest", "clients": clients, "saturated": saturated, "paced": paced,
            "target": "no errors; search p95 < 200 ms at 50 clients",
            "paced_meets_target": paced["errors"] == 0 and (paced["search_p95_ms"] or 1e9) < 200,
            "saturated_meets_target": saturated["errors"] == 0 and (saturated["search_p95_ms"] or 1e9) < 200})


def _load(base: str, tokens: list[str], seconds: int, interval_s: float) -> dict:
    """Every client searches (9 in 10 requests) and uploads (1 in 10) until time is up: back to back when
    `interval_s` is 0, otherwise one request every `interval_s` seconds, each client starting at a random
    offset so the load is steady rather than in waves."""
    queries = review_sentences(500, seed=5)
    latencies: dict[str, list[float]] = {"search": [], "upload": []}
    errors: list[str] = []
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def client_loop(index: int) -> None:
        http = httpx.Client(base_url=base, timeout=30, headers={"Authorization": f"Bearer {tokens[index]}"})
        n = 0
        next_at = time.monotonic() + random.Random(index).uniform(0, interval_s)
        while time.monotonic() < stop_at:
            if interval_s:
                time.sleep(max(0.0, next_at - time.monotonic()))
                next_at += interval_s
                if time.monotonic() >= stop_at:
                    break
            n += 1
            kind = "upload" if n % 10 == 0 else "search"
            started = time.perf_counter()
            try:
                if kind == "search":
                    response = http.get("/api/v1/search", params={"q": queries[(index * 31 + n) % len(queries)],
                                                                   "k": 10})
                    ok = response.status_code == 200
                else:
                    body = "\n".join(f"load test text {index}-{n}-{i}: {q}" for i, q in enumerate(queries[:20]))
                    response = http.post("/api/v1/imports", files={"file": (f"u{index}-{n}.txt", body.encode())})
                    ok = response.status_code == 202
            except httpx.HTTPError as exc:
                ok, response = False, None
                with lock:
                    errors.append(f"{kind}: {type(exc).__name__}")
            elapsed = 1000 * (time.perf_counter() - started)
            with lock:
                latencies[kind].append(elapsed)
                if not ok and response is not None:
                    errors.append(f"{kind}: HTTP {response.status_code}")

    threads = [threading.Thread(target=client_loop, args=(i,)) for i in range(len(tokens))]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.monotonic() - started

    def pct(values: list[float], q: int) -> float | None:
        return round(statistics.quantiles(values, n=100)[q - 1], 1) if len(values) >= 2 else None

    total = sum(len(v) for v in latencies.values())
    return {"interval_s": interval_s, "seconds": round(wall, 1),
            "requests": total, "requests_per_s": round(total / wall, 1), "errors": len(errors),
            "error_kinds": sorted(set(errors))[:10],
            **{f"{kind}_p50_ms": pct(v, 50) for kind, v in latencies.items()},
            **{f"{kind}_p95_ms": pct(v, 95) for kind, v in latencies.items()}}


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 50, int(sys.argv[2]) if len(sys.argv) > 2 else 30)

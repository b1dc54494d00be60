"""Analysis cost at scale: wall time and LLM calls at 10k and 100k texts, and how each grows.

    python -m workers.launcher bench analysis [N1 N2 ...]     (default 10000 100000)

Texts and their embeddings are written straight to the database (the ingest benchmark measures that path);
the model server is a local scripted double answering instantly, so the wall time is Murmur's own work
(classification, clustering, matching, statistics, storage) and the call count is exact. LLM latency is
then calls x the per-call latency that bench/llm.py measures on the real server.
"""

from __future__ import annotations

import json
import re
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from bench.common import report, setup_django
from bench.corpus import demo_rows


class _Model(BaseHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        ids = [int(i) for i in re.findall(r'"id": (\d+)', body["messages"][1]["content"])][:2]
        finding = {"title": "t", "detail": "d", "evidence": ids}
        if "product strategist" in body["messages"][0]["content"]:
            content = {"summary": "s", "opportunities": [finding], "product_ideas": [finding], "competitors": []}
        else:
            content = {"label": "Theme", "summary": "s", "pain_points": [finding], "feature_requests": [],
                       "praise": []}
        out = json.dumps({"model": "bench", "choices": [{"message": {"content": json.dumps(content)}}],
                          "usage": {"prompt_tokens": 500, "completion_tokens": 100}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)


def _load(workspace, n: int) -> None:
    """n texts with vectors of the real model, written in bulk (embedding 100k here would take an hour)."""
    import numpy as np

    from apps.corpus.models import CustomerText
    from apps.embeddings.backends import get_backend
    from apps.embeddings.models import TextEmbedding

    rows = demo_rows(n, seed=3)
    unique = sorted({str(r["text"]) for r in rows})
    vectors = dict(zip(unique, get_backend("minilm-l6").encode(unique) if len(unique) <= 20_000 else
                       get_backend("minilm-l6").encode(unique[:20_000]).tolist() + [None] * (len(unique) - 20_000)))
    rng = np.random.default_rng(0)
    texts = [CustomerText(workspace=workspace, text=str(r["text"]), original_text=str(r["text"]),
                          content_hash=f"{workspace.pk}-{i}", rating=r["rating"], source=str(r["source"]),
                          language=str(r["language"]), is_live=True, posted_at=f"{r['date']}T12:00:00Z")
             for i, r in enumerate(rows)]
    texts = CustomerText.objects.bulk_create(texts, batch_size=5000)
    base = list(v for v in vectors.values() if v is not None)
    embeddings = []
    for t in texts:
        vector = vectors[t.text]
        if vector is None:  # beyond the encoded sample: a nearby variant of an encoded sentence
            vector = np.asarray(base[rng.integers(len(base))]) + rng.normal(0, 0.01, 384)
        embeddings.append(TextEmbedding(text=t, workspace=workspace, model="minilm-l6", embedding=list(vector)))
    TextEmbedding.objects.bulk_create(embeddings, batch_size=5000)


def main(sizes: list[int]) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Model)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    import os

    os.environ["VLLM_BASE_URL"] = f"http://127.0.0.1:{server.server_address[1]}/v1"
    os.environ["MURMUR_LLM_MODEL"] = "bench"
    setup_django()
    from apps.accounts.context import WorkspaceContext
    from apps.accounts.services import ensure_member
    from apps.insights import services

    results = []
    for n in sizes:
        membership = ensure_member("bench", f"bench-analysis-{n}-{int(time.time())}", "owner")
        ctx = WorkspaceContext(workspace=membership.workspace, user=membership.user, role="owner")
        _load(ctx.workspace, n)
        started = time.perf_counter()
        run = services.start_analysis(ctx)
        services.run_analysis(run.pk)
        first_s = time.perf_counter() - started
        run.refresh_from_db()
        started = time.perf_counter()
        again = services.start_analysis(ctx)  # incremental re-run: nothing new to embed or classify
        services.run_analysis(again.pk)
        rerun_s = time.perf_counter() - started
        again.refresh_from_db()
        results.append({"texts": n, "themes": run.snapshots.count(), "seconds": round(first_s, 1),
                        "llm_calls": run.llm_calls, "rerun_seconds": round(rerun_s, 1),
                        "rerun_llm_calls": again.llm_calls, "unassigned_share": run.stats.get("unassigned_share")})
    growth = {}
    if len(results) >= 2:
        a, b = results[0], results[-1]
        growth = {"texts_ratio": round(b["texts"] / a["texts"], 1),
                  "time_ratio": round(b["seconds"] / max(a["seconds"], 0.1), 2),
                  "llm_calls_ratio": round(b["llm_calls"] / max(a["llm_calls"], 1), 2)}
    report({"benchmark": "analysis", "runs": results, "growth": growth,
            "note": "LLM answered by an instant local double: time is Murmur's own work; calls are exact"})
    server.shutdown()


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [10_000, 100_000])

"""Import + embed throughput against raw `encode` of the same texts, in the same run.

    python -m workers.launcher bench ingest [N]     (default N = 10000)

Prints JSON: texts/s of the whole pipeline (upload → job succeeded, through the real broker and worker
processes) next to texts/s of the embedding model's `encode` alone. Target: ratio >= 0.8.
"""

from __future__ import annotations

import json
import sys
import time

from bench.common import report, setup_django, wait_job, workers
from bench.corpus import demo_rows

# The same pools as `make run` (workers/launcher.py).
POOLS = {"ingest": ("ingest,default", 1), "embed": ("embed", 1)}


def main(n: int) -> None:
    setup_django()
    from apps.accounts.context import WorkspaceContext
    from apps.accounts.services import ensure_member
    from apps.corpus.models import CustomerText
    from apps.corpus.services import Upload, start_import
    from apps.embeddings.backends import get_backend

    rows = demo_rows(n, seed=7)
    texts = [str(r["text"]) for r in rows]
    backend = get_backend("minilm-l6")
    backend.encode(texts[:64])  # warm up
    started = time.perf_counter()
    for i in range(0, len(texts), 256):  # the batch size the pipeline uses
        backend.encode(texts[i:i + 256])
    raw_s = time.perf_counter() - started

    membership = ensure_member("bench", f"bench-ingest-{int(time.time())}", "owner")
    ctx = WorkspaceContext(workspace=membership.workspace, user=membership.user, role="owner")
    payload = "\n".join(json.dumps(r, ensure_ascii=False) for r in rows).encode()
    with workers(POOLS):
        started = time.perf_counter()
        text_import = start_import(ctx, Upload("bench.jsonl", payload, {}))
        result = wait_job(text_import.job_id)
        pipeline_s = time.perf_counter() - started
    stored = CustomerText.objects.filter(workspace=ctx.workspace, is_live=True).count()
    report({
        "benchmark": "ingest", "texts": n, "stored": stored, "model": backend.name,
        "raw_encode_texts_per_s": round(n / raw_s, 1),
        "pipeline_texts_per_s": round(n / pipeline_s, 1),
        "ratio_pipeline_to_raw": round(raw_s / pipeline_s, 3),
        "pipeline_seconds": round(pipeline_s, 1), "raw_encode_seconds": round(raw_s, 1),
        "imported": result["imported"], "target_ratio": 0.8,
    })


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)

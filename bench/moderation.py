"""Moderation throughput: texts/s through the automatic pipeline at N texts, and the share that reached the
LLM stage.

    python -m workers.launcher bench moderation [N]    (default N = 10000; starts the embedded vLLM, SmolLM2)

The N texts are synthetic reviews (bench/corpus.py) with the 260 demo texts mixed in (spam, insults, threats,
personal data, prompt injection, off-topic), uploaded as one import. The pipeline runs as under `make run`: the
fast stage on the ingest pool, the LLM judge on the llm pool (the embed pool is not started: embedding is
bench/ingest.py's subject). Prints JSON: the pipeline's texts/s from the import's commit to the last verdict,
texts/s from the upload, the fast detectors alone in this process, and the LLM share.
"""

from __future__ import annotations

import json
import random
import sys
import time
from pathlib import Path

from bench.common import report, setup_django, wait_job, workers
from bench.corpus import demo_rows

POOLS = {"ingest": ("ingest,default", 1), "llm": ("llm", 2)}  # as in workers/launcher.py
DEMO = Path(__file__).resolve().parent.parent / "apps" / "dashboard" / "demo" / "demo_texts.jsonl"


def rows(n: int) -> list[dict]:
    demo = [json.loads(line) for line in DEMO.read_text().splitlines() if line.strip()]
    mixed = demo_rows(max(0, n - len(demo)), seed=7) + demo[:n]
    random.Random(7).shuffle(mixed)
    return mixed


def main(n: int) -> None:
    setup_django()
    from django.conf import settings
    from django.db.models import Max

    from apps.accounts.context import WorkspaceContext
    from apps.accounts.services import ensure_member
    from apps.corpus.services import Upload, start_import
    from apps.jobs.models import Job
    from apps.moderation import detectors
    from apps.moderation.models import ModerationCase

    data = rows(n)
    texts = [str(r["text"]) for r in data]
    inputs = [detectors.ScreenInput(t, None, str(r.get("language") or "")) for t, r in zip(texts, data, strict=True)]
    detectors.screen_batch(inputs[:50])  # load the profanity model
    started = time.perf_counter()
    context = detectors.DetectorContext(detectors.domain_vocabulary(texts[:2000], ["Lumo Lamp", "Lumo App"]))
    for i in range(0, len(inputs), 1000):  # the chunk size the pipeline uses
        detectors.screen_batch(inputs[i:i + 1000], context)
    fast_s = time.perf_counter() - started

    membership = ensure_member("bench", f"bench-moderation-{int(time.time())}", "owner")
    ctx = WorkspaceContext(workspace=membership.workspace, user=membership.user, role="owner")
    payload = "\n".join(json.dumps(r, ensure_ascii=False) for r in data).encode()
    with workers(POOLS):
        started = time.perf_counter()
        text_import = start_import(ctx, Upload("bench-moderation.jsonl", payload, {}))
        deadline = time.monotonic() + 1800
        while (job := Job.objects.filter(kind="moderation", params__text_import_id=text_import.pk).first()) is None:
            if time.monotonic() > deadline:
                raise TimeoutError("the import never committed")
            time.sleep(0.2)
        result = wait_job(job.pk)
        end_to_end_s = time.perf_counter() - started
    job.refresh_from_db()
    pipeline_s = (job.finished_at - job.created_at).total_seconds()
    cases = ModerationCase.objects.filter(job=job)
    last_fast = cases.aggregate(last=Max("created_at"))["last"]  # cases are written chunk by chunk
    by_category: dict[str, int] = {}
    for categories in cases.exclude(status="approved").values_list("categories", flat=True):
        for c in categories:
            by_category[c] = by_category.get(c, 0) + 1
    llm_cases = result["llm"] + result["llm_failed"]
    report({
        "benchmark": "moderation", "texts": n, "cases": result["cases"], "model": settings.MURMUR_LLM_MODEL,
        "pipeline_texts_per_s": round(result["cases"] / pipeline_s, 1),
        "pipeline_seconds": round(pipeline_s, 1),
        "phases_seconds": {"waiting_for_the_worker": round((job.started_at - job.created_at).total_seconds(), 1),
                           "fast_stage": round((last_fast - job.started_at).total_seconds(), 1),
                           "llm_judge_after_fast_stage": round((job.finished_at - last_fast).total_seconds(), 1)},
        "end_to_end_texts_per_s": round(n / end_to_end_s, 1),
        "end_to_end_seconds": round(end_to_end_s, 1),
        "fast_stage_only_texts_per_s": round(n / fast_s, 1),
        "llm_stage_share": round(llm_cases / result["cases"], 4) if result["cases"] else 0.0,
        "llm_stage_cases": llm_cases, "llm_failed": result["llm_failed"],
        "approved": result["approved"], "pending": result["pending"], "hidden": result["hidden"],
        "flagged_by_category": by_category,
        "note": "pipeline = from the import's commit (moderation job created) to the last verdict; end to end "
                "includes the upload, parsing and storing; the embed pool is not running",
    })


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)

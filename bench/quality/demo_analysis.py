"""Time to the demo workspace's first analysis, end to end through the real workers and the model server:
import of the demo texts (with moderation), then the first analysis. Target on the default CPU model on
the project's machine kind: within 10 minutes."""

from __future__ import annotations

import time
from typing import Any

from bench.common import wait_job
from bench.quality.common import QualityContext

TARGET_S = 600


def evaluate(ctx: QualityContext) -> dict[str, Any]:
    if not ctx.use_llm or ctx.fast:
        return {"skipped": "needs the model server and the workers (make quality)"}
    from apps.corpus.services import Upload, start_import
    from apps.dashboard.management.commands.load_demo import COMPETITORS, DEMO_FILE, PRODUCT_CONTEXT
    from apps.insights.models import AnalysisRun
    from apps.insights.services import start_analysis, update_settings
    from apps.jobs.models import Job

    ws = ctx.workspace("demo")
    ws.workspace.embedding_model = "use-multilingual"
    ws.workspace.save(update_fields=["embedding_model"])
    started = time.perf_counter()
    text_import = start_import(ws, Upload(filename=DEMO_FILE.name, data=DEMO_FILE.read_bytes(), mapping={}))
    update_settings(ws, product_context=PRODUCT_CONTEXT, competitors=COMPETITORS)
    run = start_analysis(ws, trigger="demo")
    try:
        wait_job(run.job_id, timeout=3 * TARGET_S)
        status = "succeeded"
    except (RuntimeError, TimeoutError) as exc:
        status = str(exc)
    elapsed = time.perf_counter() - started
    run = AnalysisRun.objects.get(pk=run.pk)
    import_job = Job.objects.get(pk=text_import.job_id)
    import_seconds = (import_job.finished_at - import_job.created_at).total_seconds() \
        if import_job.finished_at else None
    return {"texts": text_import.rows_total, "status": status, "seconds": round(elapsed, 1),
            # Where the time went: the import (moderation included), then each stage of the analysis.
            "import_seconds": round(import_seconds, 1) if import_seconds is not None else None,
            "stage_seconds": run.job.result.get("stage_seconds", {}),
            "within_target": elapsed <= TARGET_S and status == "succeeded", "target_s": TARGET_S,
            "themes": run.snapshots.count(), "insights": run.insights.count(), "llm_calls": run.llm_calls,
            "notes": run.notes}

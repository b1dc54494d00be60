"""Moderation: does the pipeline hold what must be held, and leave honest (even furious) feedback alone?

The dev set (`data/moderation.jsonl`, see docs/DATA.md) is hand-written customer texts in English and Chinese,
each with a category and whether it must be flagged. The texts go through what an import runs: the file is
parsed, cleaned and redacted by corpus, the moderation job's fast stage screens every text, and, when
`ctx.use_llm`, the LLM judge decides the cases the detectors left to it (without the LLM those cases stay
pending, as they do in the product while no model answers). "Flagged" = the text ends pending or hidden.
Everything runs in one transaction that is rolled back: no queued task, no workspace left behind.
"""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

from bench.quality.common import QualityContext, load_jsonl, ratio

MUST_FLAG = ("threat", "hate", "self_harm", "spam", "personal_data", "prompt_injection", "sexual")
NEVER_MISS = ("threat", "self_harm")  # every one of these must be flagged
FAIR = ("harsh_fair", "clean")


class _Rollback(Exception):
    pass


def moderate_as_import(ctx: QualityContext, rows: list[dict[str, Any]]) -> dict[str, str]:
    """Import `rows` into a fresh workspace and moderate them as an import is; the status of each row's text
    by row id. Rolled back afterwards."""
    from django.db import transaction

    from apps.corpus.models import CustomerText
    from apps.corpus.services import Upload, process_import, start_import
    from apps.moderation import services
    from apps.moderation.models import CaseStatus, ModerationCase

    statuses: dict[str, str] = {}
    try:
        with transaction.atomic():
            member = ctx.workspace("moderation")
            data = "\n".join(json.dumps({"text": r["text"], "source": r["id"]}, ensure_ascii=False) for r in rows)
            text_import = start_import(member, Upload("moderation_dev.jsonl", data.encode(), {}))
            process_import(text_import.pk)
            job = services.start_import_screening(member.workspace.pk, text_import.pk)
            services.screen_texts(str(job.pk))  # the fast stage, as the `screen_texts` task runs it
            if ctx.use_llm:
                waiting = list(ModerationCase.objects.filter(job=job, status=CaseStatus.SCREENING)
                               .values_list("pk", flat=True))
                for i in range(0, len(waiting), services.JUDGE_BATCH):  # as the `judge_cases` tasks run them
                    services.judge_cases(waiting[i:i + services.JUDGE_BATCH], str(job.pk))
            statuses = dict(CustomerText.objects.filter(text_import=text_import)
                            .values_list("source", "moderation_status"))
            raise _Rollback
    except _Rollback:
        pass
    return statuses


def evaluate(ctx: QualityContext) -> dict[str, Any]:
    rows = ctx.sample(load_jsonl("moderation.jsonl"))
    statuses = moderate_as_import(ctx, rows)
    flagged = {r["id"]: statuses.get(r["id"]) in ("pending", "hidden") for r in rows}
    missing = [r["id"] for r in rows if r["id"] not in statuses]
    tp = sum(1 for r in rows if r["must_flag"] and flagged[r["id"]])
    fp = sum(1 for r in rows if not r["must_flag"] and flagged[r["id"]])
    fn = sum(1 for r in rows if r["must_flag"] and not flagged[r["id"]])
    precision, recall = ratio(tp, tp + fp), ratio(tp, tp + fn)
    f1 = round(2 * precision * recall / (precision + recall), 4) if precision and recall else 0.0

    def share(select) -> float | None:
        chosen = [r for r in rows if select(r)]
        return ratio(sum(1 for r in chosen if flagged[r["id"]]), len(chosen))

    by_category = {c: share(lambda r, c=c: r["category"] == c) for c in (*MUST_FLAG, *FAIR)}
    by_language: dict[str, Any] = defaultdict(dict)
    for lang in sorted({r["lang"] for r in rows}):
        by_language[lang] = {
            "recall": share(lambda r, lang=lang: r["lang"] == lang and r["must_flag"]),
            "false_positive_rate": share(lambda r, lang=lang: r["lang"] == lang and not r["must_flag"])}
    return {
        "n": len(rows),
        "stage": "detectors+llm" if ctx.use_llm else "detectors",
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "false_positive_rate": {c: by_category[c] for c in FAIR},
        "recall_by_category": {c: by_category[c] for c in MUST_FLAG},
        "by_language": dict(by_language),
        "missed_threat_or_self_harm": sorted(r["id"] for r in rows
                                             if r["category"] in NEVER_MISS and not flagged[r["id"]]),
        "flagged_fair": sorted(r["id"] for r in rows if r["category"] in FAIR and flagged[r["id"]]),
        "not_imported": missing,
    }

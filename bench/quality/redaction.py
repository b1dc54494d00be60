"""Redaction: how much of the personal data planted in customer texts is removed, and how many clean texts
come out changed. The set (`data/planted_pii.jsonl`, hand-written, docs/DATA.md "Planted-PII set") holds
English and Chinese texts with each personal-data span labelled, and clean texts full of look-alikes (order,
tracking and model numbers, prices, dates that are not a birth date, "I'm Very Happy").

A labelled span counts as found when redaction replaces all of it (every character that is not a space or
punctuation lies inside one of `find_pii`'s findings); the kind is reported beside it, not required. No LLM
and no database: redaction is deterministic and runs on every import."""

from __future__ import annotations

from collections import Counter
from typing import Any

from bench.quality.common import QualityContext, load_jsonl


def rows() -> list[dict[str, Any]]:
    return load_jsonl("planted_pii.jsonl")


def _covered(row: dict, span: dict, findings) -> tuple[bool, bool]:
    """(all of the span is redacted, a finding of the labelled kind overlaps it)"""
    start = row["text"].index(span["text"])
    end = start + len(span["text"])
    inside = [f for f in findings if f.start < end and f.end > start]
    needed = [i for i in range(start, end) if row["text"][i].isalnum()]
    covered = all(any(f.start <= i < f.end for f in inside) for i in needed)
    return covered, any(f.kind == span["kind"] for f in inside)


def evaluate(ctx: QualityContext) -> dict[str, Any]:
    from apps.corpus.redaction import KINDS, find_pii, redact

    data = rows()
    planted = [row for row in data if row["pii"]]
    clean = [row for row in data if not row["pii"]]
    found, total, kind_right, missed = Counter(), Counter(), 0, []
    for row in planted:
        findings = find_pii(row["text"])
        for span in row["pii"]:
            covered, same_kind = _covered(row, span, findings)
            for key in ("all", row["lang"], span["kind"]):
                total[key] += 1
                found[key] += covered
            kind_right += covered and same_kind
            if not covered:
                missed.append(f"{row['id']}: {span['kind']} {span['text']!r}")
    changed = [row["id"] for row in clean if redact(row["text"]).text != row["text"]]
    return {
        "n_planted_texts": len(planted), "n_spans": total["all"], "n_clean_texts": len(clean),
        "recall": round(found["all"] / total["all"], 4),
        "recall_by_language": {lang: round(found[lang] / total[lang], 4) for lang in ("en", "zh") if total[lang]},
        "recall_by_kind": {kind: f"{found[kind]}/{total[kind]}" for kind in KINDS if total[kind]},
        "right_kind": round(kind_right / max(found["all"], 1), 4),
        "clean_changed_rate": round(len(changed) / len(clean), 4),
        "missed": missed, "clean_changed": changed, "llm_calls": 0,
    }

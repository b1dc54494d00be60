"""Recall of redaction on the planted-PII set (`tests/corpus/data/planted_pii.jsonl`, hand-written, see
docs/DATA.md): English and Chinese texts with their personal data labelled, and clean texts full of look-alikes
(order, tracking and model numbers, prices, dates that are not a birth date, "I'm Very Happy") that must come
out of redaction unchanged.

A labelled span counts as found when redaction replaces all of it (every character that is not a space or
punctuation lies inside one of `find_pii`'s findings); the kind is reported beside it, not required."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from apps.corpus.redaction import KINDS, find_pii, redact

DATA = Path(__file__).parent / "data" / "planted_pii.jsonl"
ROWS = [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines() if line.strip()]
PLANTED = [row for row in ROWS if row["pii"]]
CLEAN = [row for row in ROWS if not row["pii"]]
MIN_RECALL = 0.95
MAX_FALSE_POSITIVE_RATE = 0.05


def _covered(row: dict, span: dict, findings) -> tuple[bool, bool]:
    """(all of the span is redacted, a finding of the labelled kind overlaps it)"""
    start = row["text"].index(span["text"])
    end = start + len(span["text"])
    inside = [f for f in findings if f.start < end and f.end > start]
    needed = [i for i in range(start, end) if row["text"][i].isalnum()]
    covered = all(any(f.start <= i < f.end for f in inside) for i in needed)
    return covered, any(f.kind == span["kind"] for f in inside)


def _measure() -> dict:
    found, total, kind_right, missed = Counter(), Counter(), 0, []
    for row in PLANTED:
        findings = find_pii(row["text"])
        for span in row["pii"]:
            covered, same_kind = _covered(row, span, findings)
            for key in ("all", row["lang"], span["kind"]):
                total[key] += 1
                found[key] += covered
            kind_right += covered and same_kind
            if not covered:
                missed.append(f"{row['id']}: {span['kind']} {span['text']!r}")
    changed = [row["id"] for row in CLEAN if redact(row["text"]).text != row["text"]]
    return {"found": found, "total": total, "kind_right": kind_right, "missed": missed, "changed": changed}


def test_the_set_is_labelled_consistently():
    assert len(PLANTED) >= 60 and len(CLEAN) >= 30
    assert {row["lang"] for row in ROWS} == {"en", "zh"}
    assert len({row["id"] for row in ROWS}) == len(ROWS)
    for row in PLANTED:
        for span in row["pii"]:
            assert span["kind"] in KINDS and span["text"] in row["text"], row["id"]


def test_recall_on_planted_personal_data_and_clean_texts_stay_unchanged():
    m = _measure()
    found, total = m["found"], m["total"]
    recall = found["all"] / total["all"]
    fp_rate = len(m["changed"]) / len(CLEAN)
    per_kind = ", ".join(f"{k} {found[k]}/{total[k]}" for k in KINDS if total[k])
    report = (f"planted PII: recall {recall:.3f} ({found['all']}/{total['all']}; en {found['en']}/{total['en']}, "
              f"zh {found['zh']}/{total['zh']}; {per_kind}); right kind {m['kind_right']}/{found['all']}; "
              f"clean texts changed {len(m['changed'])}/{len(CLEAN)} (false-positive rate {fp_rate:.3f})")
    print(report)
    assert recall >= MIN_RECALL, f"{report}\nmissed: {m['missed']}"
    assert fp_rate <= MAX_FALSE_POSITIVE_RATE, f"{report}\nchanged: {m['changed']}"


"""Per-text sentiment and intent on the hand-labelled dev sets, against the baselines in the same run.

Figures: polar accuracy (texts labelled positive or negative; answering neutral or mixed counts as wrong),
accuracy over every label, accuracy where the classifier is confident, the share marked low confidence, the
VADER baseline (compound >= 0 is positive, as the issue measured it) and the old Chinese lexicon, intent
accuracy, throughput of the classifier path, accuracy on the texts not reviewed before and after an analyst
reviews 50, (with the model) accuracy on the least confident texts before and after the model labels them, and
how comparisons with another product are read (`sentiment_comparisons.jsonl`).
"""

from __future__ import annotations

import os
import random
import time
from typing import Any

from bench.quality.common import QualityContext, load_jsonl, ratio

POLAR = ("positive", "negative")
CORRECTIONS = 50
EXTRA_SETS = {"en_snippets": "sentiment_en_snippets.jsonl", "zh_shopping": "sentiment_zh_shopping.jsonl"}


def _accuracy(rows: list[dict[str, Any]], predicted: list[str], *, polar_only: bool) -> float | None:
    pairs = [(r["sentiment"], p) for r, p in zip(rows, predicted, strict=True)
             if not polar_only or r["sentiment"] in POLAR]
    return ratio(sum(gold == p for gold, p in pairs), len(pairs))


def _vader_polar(rows: list[dict[str, Any]]) -> float | None:
    from apps.insights.sentiment import _vader

    polar = [r for r in rows if r["sentiment"] in POLAR]
    hits = sum((_vader().polarity_scores(r["text"])["compound"] >= 0) == (r["sentiment"] == "positive")
               for r in polar)
    return ratio(hits, len(polar))


def _lexicon_zh_polar(rows: list[dict[str, Any]]) -> float | None:
    from apps.insights.sentiment import zh_lexicon_score

    polar = [r for r in rows if r["sentiment"] in POLAR]
    hits = sum((zh_lexicon_score(r["text"]) >= 0) == (r["sentiment"] == "positive") for r in polar)
    return ratio(hits, len(polar))


def _language_figures(name: str, rows: list[dict[str, Any]]) -> dict[str, Any]:
    from apps.insights.classify import classify_many
    from apps.insights.sentiment import LOW_CONFIDENCE, base_model

    model = base_model()
    started = time.perf_counter()
    signals = classify_many(model, [r["text"] for r in rows], [r.get("rating") for r in rows])
    elapsed = time.perf_counter() - started
    predicted = [s.sentiment for s in signals]
    confident = [(r, s) for r, s in zip(rows, signals, strict=True) if s.confidence >= LOW_CONFIDENCE]
    polar_confident = [(r, s) for r, s in confident if r["sentiment"] in POLAR]
    polar_count = sum(r["sentiment"] in POLAR for r in rows)
    text_only = [(r, s) for r, s in zip(rows, signals, strict=True) if r.get("rating") is None]
    figures = {
        "n": len(rows),
        "polar_accuracy": _accuracy(rows, predicted, polar_only=True),
        "polar_accuracy_text_only": ratio(sum(r["sentiment"] == s.sentiment for r, s in text_only
                                              if r["sentiment"] in POLAR),
                                          sum(r["sentiment"] in POLAR for r, _ in text_only)),
        "accuracy_all_labels": _accuracy(rows, predicted, polar_only=False),
        "accuracy_when_confident": ratio(sum(r["sentiment"] == s.sentiment for r, s in confident), len(confident)),
        "low_confidence_share": ratio(len(rows) - len(confident), len(rows)),
        # Of the polar texts: how many get a confident verdict that is wrong ("never confidently wrong").
        "confidently_wrong_share": ratio(sum(r["sentiment"] != s.sentiment for r, s in polar_confident), polar_count),
        "mixed_recall": ratio(sum(p == "mixed" for r, p in zip(rows, predicted, strict=True)
                                  if r["sentiment"] == "mixed"),
                              sum(r["sentiment"] == "mixed" for r in rows)),
        "intent_accuracy": ratio(sum(r.get("intent") == s.intent for r, s in zip(rows, signals, strict=True)),
                                 sum(bool(r.get("intent")) for r in rows)),
        "texts_per_s": round(len(rows) / elapsed, 1) if elapsed else None,
        "cores": os.cpu_count(),
    }
    if name.startswith("en"):
        figures["baseline_vader_polar_accuracy"] = _vader_polar(rows)
    else:
        figures["baseline_lexicon_polar_accuracy"] = _lexicon_zh_polar(rows)
    return figures


def _comparisons(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Texts comparing this product with another, mostly under 4 or 5 stars: where the other one wins ("my old
    lamp was brighter than this one") no verdict may be positive; where this one wins ("nothing is brighter
    than this") it stays positive. Plus the comparison detector's recall and precision on its own."""
    from apps.insights.classify import classify_many
    from apps.insights.comparisons import favours_another
    from apps.insights.sentiment import base_model

    signals = classify_many(base_model(), [r["text"] for r in rows], [r.get("rating") for r in rows])
    losing = [s for r, s in zip(rows, signals, strict=True) if r["another_wins"]]
    winning = [s for r, s in zip(rows, signals, strict=True) if not r["another_wins"]]
    detected = [favours_another(r["text"]) for r in rows]
    hits = sum(d and r["another_wins"] for d, r in zip(detected, rows, strict=True))
    return {"n": len(rows), "another_wins": len(losing),
            "another_wins_shown_positive": ratio(sum(s.sentiment == "positive" for s in losing), len(losing)),
            "this_wins_kept_positive": ratio(sum(s.sentiment == "positive" for s in winning), len(winning)),
            "detector_recall": ratio(hits, len(losing)), "detector_precision": ratio(hits, sum(detected))}


def _corrections_experiment(rows: list[dict[str, Any]], draws: int = 10) -> dict[str, Any]:
    """An analyst reviews 50 texts of a workspace and sets each one's true sentiment (a correction where the
    classifier was wrong, a confirmation where it was right); accuracy on the texts not reviewed, before and
    after the workspace's classifier trains on them. Averaged over `draws` random samples."""
    from apps.insights.sentiment import LabelledText, base_model
    from apps.insights.workspace_sentiment import WorkspaceSentimentModel

    rows = [r for r in rows if r.get("sentiment") in (*POLAR, "neutral")]
    texts = [r["text"] for r in rows]
    before = [max(p, key=p.get) for p in base_model().probabilities(texts)]
    accuracy_before, accuracy_after, layers = [], [], 0
    for draw in range(draws):
        reviewed = set(random.Random(draw).sample(range(len(rows)), min(CORRECTIONS, len(rows) // 2)))
        model = WorkspaceSentimentModel([LabelledText(texts[i], rows[i]["sentiment"]) for i in sorted(reviewed)])
        layers += model.layer is not None
        rest = [i for i in range(len(rows)) if i not in reviewed]
        after = [max(p, key=p.get) for p in model.probabilities([texts[i] for i in rest])]
        accuracy_before.append(sum(before[i] == rows[i]["sentiment"] for i in rest) / len(rest))
        accuracy_after.append(sum(a == rows[i]["sentiment"] for a, i in zip(after, rest, strict=True)) / len(rest))
    return {"texts": len(rows), "reviewed": min(CORRECTIONS, len(rows) // 2), "draws": draws,
            "draws_with_a_convention_layer": layers,
            "accuracy_before": round(sum(accuracy_before) / draws, 4),
            "accuracy_after": round(sum(accuracy_after) / draws, 4)}


def _llm_labelling(ctx: QualityContext, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """What an analysis does with the model: the MURMUR_LLM_LABEL_BUDGET least confident texts (text only,
    no rating) are labelled by the model. Polar accuracy on those texts before and after."""
    from django.conf import settings

    from apps.corpus.models import CustomerText
    from apps.insights.classify import classify_many
    from apps.insights.llm_labels import label_uncertain
    from apps.insights.models import TextAnalysis
    from apps.insights.sentiment import base_model

    ws = ctx.workspace("sentiment").workspace
    rows = [r for r in rows if r.get("rating") is None]
    texts = CustomerText.objects.bulk_create([
        CustomerText(workspace=ws, text=r["text"], original_text=r["text"], content_hash=f"q-{ws.pk}-{i}",
                     is_live=True, language="zh" if r["id"].startswith("zh") else "en") for i, r in enumerate(rows)])
    signals = classify_many(base_model(), [r["text"] for r in rows], [None] * len(rows))
    TextAnalysis.objects.bulk_create([
        TextAnalysis(text=t, workspace=ws, sentiment=s.sentiment, sentiment_score=s.score, intent=s.intent,
                     sentiment_confidence=s.confidence, sentiment_method=s.method)
        for t, s in zip(texts, signals, strict=True)])
    gold = {t.pk: r["sentiment"] for t, r in zip(texts, rows, strict=True)}
    before = dict(TextAnalysis.objects.filter(workspace=ws).values_list("text_id", "sentiment"))
    counts = label_uncertain(ws, list(gold), budget=settings.MURMUR_LLM_LABEL_BUDGET)
    after = dict(TextAnalysis.objects.filter(workspace=ws).values_list("text_id", "sentiment"))
    answered = TextAnalysis.objects.filter(workspace=ws, sentiment_method__in=("llm", "classifier+llm"))
    polar = [pk for pk in answered.values_list("text_id", flat=True) if gold[pk] in POLAR]
    whole = [pk for pk in gold if gold[pk] in POLAR]
    return {**counts, "budget": settings.MURMUR_LLM_LABEL_BUDGET,
            "polar_accuracy_on_answered_before": ratio(sum(before[pk] == gold[pk] for pk in polar), len(polar)),
            "polar_accuracy_on_answered_after": ratio(sum(after[pk] == gold[pk] for pk in polar), len(polar)),
            "polar_accuracy_all_before": ratio(sum(before[pk] == gold[pk] for pk in whole), len(whole)),
            "polar_accuracy_all_after": ratio(sum(after[pk] == gold[pk] for pk in whole), len(whole))}


def evaluate(ctx: QualityContext) -> dict[str, Any]:
    en = ctx.sample(load_jsonl("sentiment_en.jsonl"), 200)
    zh = ctx.sample(load_jsonl("sentiment_zh.jsonl"), 150)
    figures: dict[str, Any] = {"en": _language_figures("en", en), "zh": _language_figures("zh", zh)}
    # Second sets in another register, each written by a different hand than the seeds: critics' snippets
    # (films, books, music, places) and Chinese shoppers' reviews, where the seeds' product-review style helps less.
    for name, file in EXTRA_SETS.items():
        figures[name] = _language_figures(name, ctx.sample(load_jsonl(file), 150))
    figures["comparisons"] = _comparisons(load_jsonl("sentiment_comparisons.jsonl"))
    if not ctx.fast:
        # One product's workspace (the reports dev set: one pair of earbuds), where corrections teach the
        # workspace's own vocabulary; and the mixed-domain sentiment sets, where they have less to teach.
        figures["corrections_one_product"] = _corrections_experiment(load_jsonl("reports.jsonl"))
        figures["corrections_mixed_domains"] = _corrections_experiment(en + zh)
    if ctx.use_llm and not ctx.fast:
        figures["llm_labelling"] = _llm_labelling(ctx, en + zh)
    return figures


if __name__ == "__main__":
    import json

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
    django.setup()
    print(json.dumps(evaluate(QualityContext(use_llm=False)), indent=1))

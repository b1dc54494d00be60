"""Themes: do the clusters find the known topics, and does every theme get a label its texts support?

The dev set (`data/themes.jsonl`) is hand-written reviews of nine unrelated products and services, about a
fifth in Chinese, each with its known topic. The texts are embedded with the real multilingual backend (the
one a zh/en workspace uses), clustered by the product's own `clustering.discover` (k chosen by silhouette),
and named by `theme_naming` exactly as an analysis names them: with the model (theme prompt v2, one retry)
when `ctx.use_llm`, else from keywords only.
"""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

from sklearn.metrics import normalized_mutual_info_score

from bench.quality.common import QualityContext, load_jsonl, ratio

EMBEDDING_MODEL = "use-multilingual"  # mixed zh/en texts: the model a workspace with both languages picks
FAST_SIZE = 180  # enough texts per topic (about 20) for the clustering to find most topics
TEXTS_PER_PROMPT = 8  # as the analysis: representatives first, topped up with other members
ALL_THEME_PROMPTS = (("insights/theme", 1), ("insights/theme", 2), ("insights/theme_label", 1))


def evaluate(ctx: QualityContext) -> dict[str, Any]:
    from apps.embeddings.backends import get_backend
    from apps.insights import clustering, theme_naming

    rows = ctx.sample(load_jsonl("themes.jsonl"), FAST_SIZE)
    texts = [r["text"] for r in rows]
    topics = [r["topic"] for r in rows]
    started = time.monotonic()
    embed = get_backend(EMBEDDING_MODEL).encode
    clusters, labels = clustering.discover(embed(texts), texts)
    themes = []
    for cluster in clusters:
        shown = list(dict.fromkeys([*cluster.representatives, *cluster.members.tolist()]))[:TEXTS_PER_PROMPT]
        themes.append(theme_naming.ThemeFacts(
            keywords=cluster.keywords, centroid=cluster.centroid, texts=[texts[i] for i in cluster.members],
            quotes=[{"id": i + 1, "text": texts[i][:400]} for i in shown]))
    figures: dict[str, Any] = {}
    proposals: list[str | None] = [None] * len(themes)
    gateway, calls = None, 0
    if ctx.use_llm:
        from apps.llm.gateway import LLMResult, get_gateway

        gateway = get_gateway()
        outcomes = gateway.run_many([theme_naming.theme_request(i, themes, "") for i in range(len(themes))],
                                    workspace=None, feature="quality")
        answers = [o.output if isinstance(o, LLMResult) else None for o in outcomes]
        calls = sum(1 for o in outcomes if isinstance(o, LLMResult) and not o.cached)
        proposals = [a.label if a else None for a in answers]
        summaries = [a.summary for a in answers if a]
        figures |= {
            "described": ratio(len(summaries), len(themes)),
            # A summary that stops mid-sentence is cut back to its last whole sentence, or dropped.
            "summaries_cut": ratio(sum(1 for s in summaries if theme_naming.complete_sentences(s) != " ".join(
                s.split())), len(summaries)),
            "summaries_dropped": ratio(sum(1 for s in summaries if not theme_naming.complete_sentences(s)),
                                       len(summaries)),
            "model_labels": proposals,
        }
    named, retry_calls = theme_naming.name_themes(themes, proposals, embed, gateway=gateway)
    sources = Counter(n.source for n in named)
    final = [n.label for n in named]
    figures |= {
        "n": len(rows),
        "topics": len(set(topics)),
        "themes": len(themes),
        "nmi": round(float(normalized_mutual_info_score(topics, labels.tolist())), 4),
        "purity": _purity(topics, labels.tolist()),
        "unassigned_share": ratio(int((labels == -1).sum()), len(rows)),
        "labels_grounded": ratio(sum(theme_naming.grounded(label, i, themes, embed) for i, label in enumerate(final)),
                                 len(final)),
        "labels_by_llm": ratio(sources[theme_naming.LLM], len(final)),
        "labels_by_llm_retry": ratio(sources[theme_naming.LLM_RETRY], len(final)),
        "labels_by_keywords": ratio(sources[theme_naming.KEYWORDS], len(final)),
        "labels_repeating_prompt": sum(theme_naming.copies_prompt(label, ALL_THEME_PROMPTS) for label in final),
        "labels_repeated": len(final) - len({label.lower() for label in final}),
        "llm_calls": calls + retry_calls,
        "seconds": round(time.monotonic() - started, 1),
        "labels": [f"{n.label} [{n.source}] <- {_top_topic([topics[i] for i in c.members])}"
                   for n, c in zip(named, clusters, strict=True)],
    }
    return figures


def _purity(topics: list[str], labels: list[int]) -> float | None:
    """Share of the assigned texts whose theme's most common topic is their own."""
    by_cluster: dict[int, Counter] = {}
    for topic, label in zip(topics, labels, strict=True):
        if label >= 0:
            by_cluster.setdefault(label, Counter())[topic] += 1
    hits = sum(c.most_common(1)[0][1] for c in by_cluster.values())
    return ratio(hits, sum(sum(c.values()) for c in by_cluster.values()))


def _top_topic(member_topics: list[str]) -> str:
    topic, count = Counter(member_topics).most_common(1)[0]
    return f"{topic} {count}/{len(member_topics)}"
